import { expect } from 'chai';
import { Browser, Page } from 'playwright-core';
import { startCallHarness, CallHarness } from '../calls/harness';
import { createKnowledgeFeature } from '../../src/knowledge/feature';
import { launch, newPage, login, screens, textOf, choose, until, axeViolations } from './browser';

/**
 * Issue 12, the 坐席工作台 features the main flow does not reach, on the embedded default (PGlite, the
 * simulator running dialplan/): the keyboard shortcuts, the layout at 1366×768, the caller's earlier
 * tickets and restriction (第三十三条) on the screen pop, the 第十七条 hints with the reason they
 * require, the repeat check (第十七条(七)), 即时办结 from a knowledge answer, the wrap-up countdown, and
 * a consult transfer to a busy county line and then to one that answers.
 */
describe('the operator console in headless Chromium: shortcuts, layout, screen pop, 第十七条, repeat, 即时办结, wrap-up, consult transfer', function () {
  this.timeout(180_000);
  let h: CallHarness;
  let browser: Browser;
  let op: Page;
  let sup: string;
  const CALLER = '13800001111';
  const callers: string[] = [];
  let dispatchedNo = '';

  const state = () => textOf(op, '[data-test=op-state]');
  const ticketCount = async () => Number((await h.db.knex('tickets').count({ n: '*' }).first())!.n);
  const noHorizontalScroll = async (page: Page) => (await page.evaluate('document.documentElement.scrollWidth')) as number;
  async function answeredCall(from: string) {
    const id = await h.sim.placeInboundCall({ from, to: '12345', trunk: 'carrier' });
    callers.push(id);
    await until(async () => (await textOf(op, '[data-test=pop-state]')) === '通话中', { timeoutMs: 30_000, what: 'the call answered' });
    await until(async () => (await textOf(op, '[data-test=pop-number]')) === from, { what: 'the caller number on the screen pop' });
    return id;
  }
  async function hangUpAndReady(callerId: string) {
    h.sim.hangup(callerId);
    await until(async () => (await state()) === '话后处理', { what: 'wrap-up after the call' });
    await op.keyboard.press('Alt+1');
    await until(async () => (await state()) === '置闲', { what: 'ready again (Alt+1)' });
  }

  before(async () => {
    browser = await launch();
    // A wrap-up long enough to read its countdown; the operator ends it with Alt+1.
    h = await startCallHarness({ database: 'pglite', redis: false, extraFeatures: () => [createKnowledgeFeature()], env: { FALLBACK_WAIT_SECONDS: '3600', WRAPUP_SECONDS: '60' } });
    h.sim.registerEndpoint('1001');
    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 50 });
    await h.t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' });
    sup = await h.t.userToken(['supervisor'], { username: 'banzhang', centre: 'QY' });
    await h.t.userToken(['unit_handler'], { username: 'rsj', unitCode: 'QY-RSJ' });
    op = (await newPage(browser)).page;
    await login(op, h.t.baseUrl, 'op1001', '/operator');
    await op.click('[data-test=seat-login]');
    await until(async () => (await state()) === '置闲', { what: 'the operator ready' });
  });
  after(async () => {
    await browser?.close();
    for (const id of callers) if (h?.sim.channels().some((c) => c.id === id)) h.sim.hangup(id);
    for (const c of h?.sim.channels() ?? []) if (c.name.startsWith('PJSIP/carrier-')) h.sim.hangup(c.id);
    await h?.stop();
  });

  it('given a signed-in operator, when they press Alt+2, Alt+3 and Alt+1, then the seat goes to 小休, 话后处理 and back to 置闲; Alt+N, Alt+K and Alt+T put the cursor in the matter, the knowledge search and the transfer line', async () => {
    await op.keyboard.press('Alt+2');
    await until(async () => (await state()) === '小休', { what: 'on a break (Alt+2)' });
    await op.keyboard.press('Alt+3');
    await until(async () => (await state()) === '话后处理', { what: 'after-call work (Alt+3)' });
    await op.keyboard.press('Alt+1');
    await until(async () => (await state()) === '置闲', { what: 'ready (Alt+1)' });
    const row = await h.db.knex('operator_states').orderBy('id', 'desc').first();
    expect(row).to.include({ event: 'ready', to_state: 'ready' });

    await op.keyboard.press('Alt+N');
    await until(async () => (await op.evaluate('document.activeElement && document.activeElement.id')) === 't-content', { what: 'the matter focused (Alt+N)' });
    await op.keyboard.press('Alt+K');
    await until(async () => (await op.evaluate('document.activeElement && document.activeElement.closest("[data-test=kb-query]") !== null')) === true, { what: 'the knowledge search focused (Alt+K)' });
    await op.keyboard.press('Alt+T');
    await until(async () => (await op.evaluate('document.activeElement && document.activeElement.closest("[data-test=transfer-line]") !== null')) === true, { what: 'the transfer line focused (Alt+T)' });
  });

  it('given a caller with earlier tickets who is restricted while the phone rings, when the operator answers, then the screen pop lists the tickets and the restriction, and the console fits 1366×768 without scrolling sideways', async () => {
    const token = await h.t.userToken(['operator']);
    const earlier: string[] = [];
    for (const content of ['小区门口路灯已坏了两个星期，晚上出行很不安全', '楼下餐馆油烟直排，影响居民开窗通风']) {
      const r = await h.t.http('POST', '/api/tickets', { token, body: { channel: 'phone', callerPhone: CALLER, content, category: 'help', domain: 'public_service' } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      earlier.push(r.body.no);
    }
    h.sim.setEndpointBehaviour('1001', { noAnswer: true });
    const id = await h.sim.placeInboundCall({ from: CALLER, to: '12345', trunk: 'carrier' });
    callers.push(id);
    await until(async () => (await textOf(op, '[data-test=pop-state]')) === '振铃中', { what: 'the phone ringing' });
    await until(async () => (await op.$$('[data-test=pop-history] tbody tr')).length === 2, { what: 'the earlier tickets on the ringing pop' });
    expect(await op.$('[data-test=pop-restricted]')).to.equal(null);

    // The 值班长 restricts the number (第三十三条) while the call is already in the queue.
    const r = await h.t.http('POST', '/api/restrictions', { token: sup, body: { number: CALLER, reason: '多次恶意骚扰话务员', expiresAt: new Date(Date.now() + 86400_000).toISOString() } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 50 });
    await until(async () => (await textOf(op, '[data-test=pop-state]')) === '通话中', { timeoutMs: 30_000, what: 'the call answered' });
    await until(async () => (await textOf(op, '[data-test=pop-restricted]')).includes('多次恶意骚扰话务员'), { what: 'the restriction on the screen pop' });
    expect(await textOf(op, '[data-test=pop-restricted]')).to.contain('第三十三条');
    const history = await textOf(op, '[data-test=pop-history]');
    for (const no of earlier) expect(history).to.contain(no);
    expect(history).to.contain('小区门口路灯已坏了两个星期');

    expect(op.viewportSize()).to.deep.equal({ width: 1366, height: 768 });
    expect(await noHorizontalScroll(op)).to.be.at.most(1366);
    await screens(op, 'operator-pop-history');
    // The restriction stays for the next test's caller only as long as this call: lift it.
    expect((await h.t.http('DELETE', `/api/restrictions/${r.body.id}`, { token: sup })).status).to.be.oneOf([200, 204]);
  });

  it('given the answered call, when the operator types a matter for the courts, then (二) is hinted, dispatch is refused (button and Ctrl+Enter) until a reason is given; with it, Ctrl+Enter dispatches the ticket', async () => {
    const content = '我要起诉小区物业公司，物业多年不公开维修基金账目，想先了解向法院立案需要哪些材料';
    await op.fill('[data-test=t-content]', content);
    await until(async () => (await textOf(op, '.reason.hinted')).includes('(二)'), { what: 'the 第十七条(二) hint' });
    expect(await op.$$('[data-test=na-hint]')).to.have.length(1);
    await op.waitForSelector('[data-test=t-accept-reason]');
    await choose(op, '[data-test=t-unit]', '庆阳市住房和城乡建设局');
    expect(await op.isDisabled('[data-test=t-dispatch]')).to.equal(true);
    expect(await op.isDisabled('[data-test=t-save]')).to.equal(true);

    const before = await ticketCount();
    await op.focus('[data-test=t-content]');
    await op.keyboard.press('Control+Enter');
    await until(async () => (await textOf(op, '.el-message--warning')).includes('受理理由'), { what: 'the shortcut refused with the reason asked for' });
    expect(await ticketCount()).to.equal(before);
    await screens(op, 'operator-not-accept-hint');
    expect(await axeViolations(op)).to.deep.equal([]);

    await op.fill('[data-test=t-accept-reason]', '来电人仅咨询起诉前能否由住建部门先行调查，属行政事项，予以受理');
    await until(async () => !(await op.isDisabled('[data-test=t-dispatch]')), { what: 'dispatch allowed with the reason' });
    await op.keyboard.press('Control+Enter');
    await until(async () => /^[A-Z0-9]{10,}$/.test(await textOf(op, '[data-test=ticket-no]')), { what: 'the ticket dispatched by Ctrl+Enter' });
    dispatchedNo = await textOf(op, '[data-test=ticket-no]');
    const t = await h.db.knex('tickets').where({ no: dispatchedNo }).first();
    expect(t).to.include({ status: 'dispatched', main_unit: 'QY-ZJJ', caller_phone: CALLER });
    const accept = await h.db.knex('ticket_events').where({ ticket_no: dispatchedNo, event: 'accept' }).first();
    expect(accept.reason).to.equal('来电人仅咨询起诉前能否由住建部门先行调查，属行政事项，予以受理');
    expect(await ticketCount()).to.equal(before + 1);
  });

  it('given the call ends, when the operator is in wrap-up, then the countdown counts down in seconds; Alt+1 ends it', async () => {
    h.sim.hangup(callers[callers.length - 1]);
    await until(async () => (await state()) === '话后处理', { what: 'wrap-up after the call' });
    const first = await until(async () => /^话后处理剩余 (\d+) 秒$/.exec(await textOf(op, '[data-test=wrapup-countdown]')), { what: 'the countdown' });
    expect(Number(first[1])).to.be.within(1, 60);
    await until(async () => {
      const m = /^话后处理剩余 (\d+) 秒$/.exec(await textOf(op, '[data-test=wrapup-countdown]'));
      return !!m && Number(m[1]) < Number(first[1]);
    }, { what: 'the countdown going down' });
    await screens(op, 'operator-wrapup');
    await op.keyboard.press('Alt+1');
    await until(async () => (await state()) === '置闲', { what: 'ready again (Alt+1)' });
    expect(await op.$('[data-test=wrapup-countdown]')).to.equal(null);
  });

  it('given the same caller calls again about the same matter, when the operator types it, then the repeat warning names the ticket in progress; a knowledge answer picked closes a new matter on the spot (即时办结)', async () => {
    const id = await answeredCall(CALLER);
    await op.fill('[data-test=t-content]', '还是小区物业多年不公开维修基金账目的事，我要起诉物业，想了解向法院立案需要哪些材料');
    await until(async () => (await textOf(op, '[data-test=repeat-warning]')).includes(dispatchedNo), { what: 'the repeat warning' });
    expect(await textOf(op, '[data-test=repeat-warning]')).to.contain('第十七条(七)');

    await op.fill('[data-test=t-content]', '我的社保断缴了好几个月，现在想补缴，需要去哪里办理');
    await until(async () => (await op.$$('[data-test=repeat-warning]')).length === 0, { what: 'no repeat for another matter' });
    await until(async () => (await op.$$('[data-test=kb-hits] li')).length > 0, { what: 'knowledge suggestions' });
    const answer = ((await (await op.$('[data-test=kb-hits] li .a'))!.textContent()) ?? '').trim();
    await op.click('[data-test=kb-hits] li button');
    await until(async () => (await op.inputValue('[data-test=t-resolution]')) === answer, { what: 'the answer quoted' });
    expect(await op.isDisabled('[data-test=t-dispatch]')).to.equal(true);
    await op.click('[data-test=t-close]');
    await until(async () => /^[A-Z0-9]{10,}$/.test(await textOf(op, '[data-test=ticket-no]')) && (await textOf(op, '[data-test=ticket-no]')) !== dispatchedNo, { what: 'the ticket closed on the spot' });
    const no = await textOf(op, '[data-test=ticket-no]');
    const viaApi = (await h.t.http('GET', `/api/tickets/${no}`, { token: sup })).body;
    expect(viaApi.status).to.be.oneOf(['replied', 'closed']);
    expect(viaApi.mainUnit).to.equal(null);
    expect(await textOf(op, '.last')).to.contain(`（${viaApi.statusLabel}）`);
    const t = await h.db.knex('tickets').where({ no }).first();
    expect(t.reply_text).to.equal(answer);
    await hangUpAndReady(id);
  });

  it('given an answered call, when the operator consults 环县 while its line is busy, then the attempt shows 忙 and the caller is back; consulting again when it answers, 完成转接 puts the caller through', async () => {
    h.sim.setEndpointBehaviour('trunk-hx', { busy: true });
    const id = await answeredCall('13800003333');
    await choose(op, '[data-test=transfer-line]', '环县');
    await op.click('[aria-label=转接方式] label:has-text("咨询转接")');
    await op.click('[data-test=transfer-go]');
    const row = '[data-test=linkage-states] tbody tr';
    await until(async () => (await textOf(op, `${row} [data-test=linkage-state]`)) === '忙', { timeoutMs: 30_000, what: 'the busy line shown' });
    expect(await textOf(op, row)).to.contain('来电已转回您');
    const failed = await h.db.knex('call_transfers').orderBy('id', 'desc').first();
    expect(failed).to.include({ line_code: 'HX', mode: 'consult', status: 'failed', result: 'BUSY' });
    expect(await textOf(op, '[data-test=pop-state]')).to.equal('通话中');
    expect(await noHorizontalScroll(op)).to.be.at.most(1366);
    await screens(op, 'operator-transfer-busy');

    h.sim.setEndpointBehaviour('trunk-hx', { answerAfterMs: 20 });
    await op.click('[data-test=transfer-go]');
    const consult = `[data-test=linkage-states] tbody tr:has(button:has-text("完成转接"))`;
    await until(async () => (await textOf(op, `${consult} [data-test=linkage-state]`)) === '已接通(咨询中)', { timeoutMs: 30_000, what: 'the county line answering the consultation' });
    await op.click(`${consult} button:has-text("完成转接")`);
    const done = await until(async () => { const x = await h.db.knex('call_transfers').orderBy('id', 'desc').first(); return x.status === 'completed' ? x : null; }, { what: 'the transfer completed' });
    expect(done).to.include({ line_code: 'HX', mode: 'consult', result: 'ANSWER' });
    await until(async () => (await textOf(op, '[data-test=linkage-states] tbody tr:first-child [data-test=linkage-state]')) === '已转出', { what: 'the transfer shown done' });
    await until(() => h.sim.channels().some((c) => c.name.startsWith('PJSIP/trunk-hx-')), { what: 'the caller with 环县' });
    h.sim.hangup(id);
    await until(async () => ['话后处理', '置闲'].includes(await state()), { what: 'the operator off the call' });
    if ((await state()) === '话后处理') await op.keyboard.press('Alt+1');
    await until(async () => (await state()) === '置闲', { what: 'ready again' });
  });

  it('given the handling-unit desk and the supervisor console, when shown at 1366×768, then neither scrolls sideways', async () => {
    for (const [user, landing] of [['rsj', '/unit'], ['banzhang', '/supervisor']] as const) {
      const { context, page } = await newPage(browser);
      await login(page, h.t.baseUrl, user, landing);
      await until(async () => (await textOf(page, '.brand')).length > 0, { what: `${landing} rendered` });
      await page.waitForLoadState('networkidle');
      expect(await noHorizontalScroll(page), landing).to.be.at.most(1366);
      await context.close();
    }
  });
});
