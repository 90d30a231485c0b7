import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { expect } from 'chai';
import { Browser, Page } from 'playwright-core';
import { startCallHarness, CallHarness } from '../calls/harness';
import { launch, newPage, login, screens, textOf, until, axeViolations } from './browser';

/**
 * Issue 12, the operator console beyond the main flow, on the embedded default (PGlite, in-process
 * store, the simulator running dialplan/): the missed-call list (漏接回拨) with claim and result, the
 * three-way call with the 12348 expert seat and the one-key emergency transfer (紧急联动, 第十二条),
 * each showing the state Asterisk reports; and an attachment (附件) uploaded to the ticket page.
 */
describe('the operator console: callbacks, three-way, emergency and attachments in headless Chromium', function () {
  this.timeout(180_000);
  let h: CallHarness;
  let browser: Browser;
  let op: Page;
  let tmp: string;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-e2e-files-'));
    browser = await launch();
    h = await startCallHarness({ database: 'pglite', redis: false, env: { FALLBACK_WAIT_SECONDS: '3600' } });
    h.sim.registerEndpoint('1001');
    h.sim.registerEndpoint('12348');
    h.sim.setEndpointBehaviour('12348', { answerAfterMs: 30 });
    h.sim.setEndpointBehaviour('link-110', { answerAfterMs: 20 });
    const admin = await h.t.userToken(['admin']);
    // The expert seat keeps office hours; the test must not depend on the hour it runs at.
    expect((await h.t.http('PATCH', '/api/lines/E-12348', { token: admin, body: { hours: '24x7' } })).status).to.equal(200);
    await h.t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' });
    await h.t.userToken(['expert'], { username: 'expert12348', extension: 'PJSIP/12348', centre: 'QY' });
    op = (await newPage(browser)).page;
    await login(op, h.t.baseUrl, 'op1001', '/operator');
    await op.click('[data-test=seat-login]');
    await until(async () => (await textOf(op, '[data-test=op-state]')) === '置闲', { what: 'the operator ready' });
  });
  after(async () => {
    await browser?.close();
    for (const c of h?.sim.channels() ?? []) if (c.name.startsWith('PJSIP/carrier-')) h.sim.hangup(c.id);
    await h?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const callRow = (number: string) => `[data-test=callbacks] tr:has-text("${number}")`;

  it('given a caller who gives up while the phone rings, when the operator refreshes 漏接回拨, claims it and records the result, then the entry is done with the note', async () => {
    h.sim.setEndpointBehaviour('1001', { noAnswer: true });
    const callerId = await h.sim.placeInboundCall({ from: '13700001111', to: '12345', trunk: 'carrier' });
    await until(async () => (await textOf(op, '[data-test=pop-state]')) === '振铃中', { what: 'the phone ringing' });
    h.sim.hangup(callerId);
    await until(async () => (await h.db.knex('missed_calls').where({ caller_number: '13700001111' })).length === 1, { what: 'the missed call recorded' });

    await op.click('[aria-label=漏接回拨] .el-card__header button');
    await until(async () => (await textOf(op, callRow('13700001111'))).includes('待回拨'), { what: 'the missed call on the list' });
    await op.click(`${callRow('13700001111')} button:has-text("领取")`);
    await until(async () => (await textOf(op, callRow('13700001111'))).includes('回拨中'), { what: 'claimed' });
    await op.click(`${callRow('13700001111')} button:has-text("登记结果")`);
    await op.locator('.el-dialog:visible label:has-text("已联系上")').click();
    await op.fill('.el-dialog:visible textarea', '已回拨，市民称稍后通过微信公众号提交诉求');
    await op.click('.el-dialog:visible button:has-text("保存")');
    await until(async () => (await h.db.knex('missed_calls').where({ caller_number: '13700001111' }).first()).status === 'done', { what: 'the callback result saved' });
    const row = await h.db.knex('missed_calls').where({ caller_number: '13700001111' }).first();
    expect(row.note).to.equal('已回拨，市民称稍后通过微信公众号提交诉求');
    await until(async () => (await op.$$(callRow('13700001111'))).length === 0, { what: 'the done entry gone from the list' });
    await until(async () => (await textOf(op, '[data-test=op-state]')) === '置闲', { timeoutMs: 30_000, what: 'the operator ready again' });
  });

  it('given an answered call with a registered ticket, when the operator presses the 12348 three-way key, then the expert joining shows as 通话中; the expert writes the answer on their own page and the ticket is answered on the spot (即时办结)', async () => {
    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 50 });
    const callerId = await h.sim.placeInboundCall({ from: '13700002222', to: '12345', trunk: 'carrier' });
    await until(async () => (await textOf(op, '[data-test=pop-state]')) === '通话中', { timeoutMs: 30_000, what: 'the call answered' });
    await op.fill('[data-test=t-content]', '单位拖欠工资三个月后解除劳动合同，想咨询经济补偿金如何计算');
    await op.click('[data-test=t-save]');
    await until(async () => /^[A-Z0-9]{10,}$/.test(await textOf(op, '[data-test=ticket-no]')), { what: 'the ticket registered' });
    const ticketNo = await textOf(op, '[data-test=ticket-no]');

    await op.click('[data-test="conf-E-12348"]');
    const row = '[data-test=linkage-states] tr:has-text("12348")';
    await until(async () => (await textOf(op, row)).includes('通话中') && (await textOf(op, row)).includes('专家已加入'), { what: 'the expert in the three-way call' });
    const conf = await h.db.knex('call_conferences').orderBy('id', 'desc').first();
    expect(conf).to.include({ line_code: 'E-12348', state: 'active', ticket_no: ticketNo });
    await screens(op, 'operator-three-way');

    // The 12348 seat's own page lists the three-way call with its ticket.
    const expert = (await newPage(browser)).page;
    await login(expert, h.t.baseUrl, 'expert12348', '/operator');
    const mine = `[data-test=expert-conferences] tr:has-text("${ticketNo}")`;
    await until(async () => (await textOf(expert, mine)).includes('通话中'), { what: 'the conference on the expert\'s page' });
    await expert.click(`[data-test=expert-answer-${conf.id}]`);
    await expert.fill('[data-test=expert-text]', '用人单位未及时足额支付劳动报酬，劳动者解除合同的，用人单位应按工作年限每满一年支付一个月工资的经济补偿（劳动合同法第三十八条、第四十六条、第四十七条）。');
    await expert.click('[data-test=expert-close]');
    await expert.click('[data-test=expert-submit]');
    // 即时办结 (第二十条(四)2): answered without dispatch; the visit of 第二十二条(三) still follows.
    await until(async () => (await h.db.knex('tickets').where({ no: ticketNo }).first()).status === 'replied', { what: 'the ticket answered on the expert\'s answer' });
    expect(await h.db.knex('call_expert_answers').where({ conference_id: conf.id })).to.have.length(1);
    await until(async () => (await textOf(expert, mine)).includes('1 条'), { what: 'the answer counted on the expert\'s page' });
    await screens(expert, 'expert-answers');
    expect(await axeViolations(expert)).to.deep.equal([]);
    await expert.context().close();

    h.sim.hangup(callerId);
    await until(async () => (await h.db.knex('call_conferences').where({ id: conf.id }).first()).state !== 'active', { what: 'the conference over' });
    await until(async () => (await textOf(op, '[data-test=op-state]')) === '置闲', { timeoutMs: 30_000, what: 'the operator ready again' });
  });

  it('given an answered call, when the operator presses 110 for an emergency transfer, then the caller is put through, the state shows it, and a new call clears the old outcome', async () => {
    const callerId = await h.sim.placeInboundCall({ from: '13700003333', to: '12345', trunk: 'carrier' });
    await until(async () => (await textOf(op, '[data-test=pop-state]')) === '通话中', { timeoutMs: 30_000, what: 'the call answered' });
    await op.click('[data-test=emergency-110]');
    const row = '[data-test=linkage-states] tr:has-text("110")';
    await until(async () => ['已转出', '已接通'].includes(await textOf(op, `${row} [data-test=linkage-state]`)), { timeoutMs: 30_000, what: 'the emergency transfer landing' });
    const t = await h.db.knex('call_transfers').orderBy('id', 'desc').first();
    expect(t).to.include({ line_code: '110', emergency: true });
    await until(() => h.sim.channels().some((c) => c.name.startsWith('PJSIP/link-110-')), { what: 'the caller with 110' });
    await screens(op, 'operator-emergency');
    expect(await axeViolations(op)).to.deep.equal([]);
    h.sim.hangup(callerId);
    await until(async () => (await textOf(op, '[data-test=op-state]')) === '置闲', { timeoutMs: 30_000, what: 'the operator ready again' });

    const next = await h.sim.placeInboundCall({ from: '13700004444', to: '12345', trunk: 'carrier' });
    await until(async () => (await textOf(op, '[data-test=pop-state]')) === '通话中', { timeoutMs: 30_000, what: 'the next call answered' });
    await until(async () => (await op.$$(row)).length === 0, { what: 'the last call\'s outcome cleared' });
    h.sim.hangup(next);
  });

  it('given a ticket, when the operator uploads a photo on its page, then it is listed, downloads identical, and the download is audited', async () => {
    const token = await h.t.userToken(['operator']);
    const created = await h.t.http('POST', '/api/tickets', { token, body: { channel: 'phone', callerPhone: '13700005555', content: '小区路灯不亮，市民发来现场照片', category: 'help', domain: 'public_service' } });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const no = created.body.no as string;
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
    const file = path.join(tmp, '现场照片.png');
    fs.writeFileSync(file, png);

    await op.goto(`${h.t.baseUrl}/tickets/${no}`);
    await until(async () => (await textOf(op, '[aria-label=附件]')).includes('暂无附件'), { what: 'the attachments card' });
    await op.setInputFiles('[data-test=attach-input]', file);
    await until(async () => (await textOf(op, '[data-test=attachments]')).includes('现场照片.png'), { what: 'the uploaded photo listed' });
    const [download] = await Promise.all([op.waitForEvent('download'), op.click('[data-test=attachments] button:has-text("下载")')]);
    expect(download.suggestedFilename()).to.equal('现场照片.png');
    expect(fs.readFileSync((await download.path())!).equals(png)).to.equal(true);
    await until(async () => (await h.db.knex('audit_log').where({ action: 'ticket.attachment_read', target_id: no })).length === 1, { what: 'the download audited' });
    await screens(op, 'ticket-attachments');
  });
});
