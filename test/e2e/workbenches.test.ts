import { expect } from 'chai';
import { Browser, Page } from 'playwright-core';
import { startCallHarness, CallHarness } from '../calls/harness';
import { createKnowledgeFeature } from '../../src/knowledge/feature';
import { launch, newPage, login, screens, textOf, choose, until, axeViolations } from './browser';

/**
 * Issue 12: every role's day in the browser (Debian's Chromium, headless) against the whole call path
 * on the embedded default a newcomer runs (the simulator running dialplan/, PGlite, the in-process live
 * store): a call rings the operator and pops the
 * screen, the operator answers, registers and dispatches the ticket with a knowledge answer, and
 * transfers the call; the supervisor listens in; the unit signs, asks for an extension (approved),
 * asks to return it (rejected) and replies; the ticket is visited and closed.
 */
describe('the workbenches in headless Chromium', function () {
  this.timeout(180_000);
  let h: CallHarness;
  let browser: Browser;
  let op: Page;
  let unit: Page;
  let sup: Page;
  let ticketNo = '';
  const spy = () => h.sim.audioPaths().filter((p) => h.sim.channels().find((c) => c.id === p.listener)?.name.startsWith('PJSIP/1003-'));

  before(async function () {
    browser = await launch();
    // The queue's timeout follows FALLBACK_WAIT (scaled by the simulator): long enough for a ringing phase with screenshots.
    h = await startCallHarness({ database: 'pglite', redis: false, extraFeatures: () => [createKnowledgeFeature()], env: { FALLBACK_WAIT_SECONDS: '3600' } });
    h.sim.registerEndpoint('1001');
    h.sim.setEndpointBehaviour('1001', { noAnswer: true });
    h.sim.registerEndpoint('1003');
    h.sim.setEndpointBehaviour('1003', { answerAfterMs: 20 });
    h.sim.setEndpointBehaviour('trunk-hx', { answerAfterMs: 20 });
    await h.t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' });
    // The supervisor's account has no extension: they listen from the seat they name on the console.
    await h.t.userToken(['supervisor'], { username: 'banzhang', centre: 'QY' });
    await h.t.userToken(['unit_handler'], { username: 'rsj', unitCode: 'QY-RSJ' });
    op = (await newPage(browser)).page;
    sup = (await newPage(browser, { width: 1920, height: 1080 })).page;
    unit = (await newPage(browser)).page;
  });
  after(async () => {
    await browser?.close();
    for (const c of h?.sim.channels() ?? []) if (c.name.startsWith('PJSIP/carrier-')) h.sim.hangup(c.id);
    await h?.stop();
  });

  it('given the login page, when a wrong password and then the right one are given, then the error is Chinese and each role lands on its own workbench', async () => {
    await op.goto(`${h.t.baseUrl}/`);
    await op.waitForURL('**/login');
    expect(await textOf(op, 'h1')).to.equal('12345 政务服务便民热线');
    await op.fill('input[name=username]', 'op1001');
    await op.fill('input[name=password]', 'wrong-password-9');
    await op.click('button[type=submit]');
    await until(async () => (await textOf(op, '#error')) === '用户名或密码错误', { what: 'the login error' });
    await login(op, h.t.baseUrl, 'op1001', '/operator');
    await login(sup, h.t.baseUrl, 'banzhang', '/supervisor');
    await login(unit, h.t.baseUrl, 'rsj', '/unit');
    expect(await textOf(op, '.brand')).to.contain('坐席工作台');
    expect(await textOf(sup, '.brand')).to.contain('值班长工作台');
    expect(await textOf(unit, '.brand')).to.contain('承办单位工作台');
  });

  it('given a signed-in operator, when a citizen calls, then the screen pops while ringing and shows the call answered; the supervisor sees it and listens in from their seat, then stops', async () => {
    await op.click('[data-test=seat-login]');
    await until(async () => (await textOf(op, '[data-test=op-state]')) === '置闲', { what: 'the operator ready' });
    await until(async () => (await textOf(sup, '#operators')).includes('置闲'), { what: 'the operator on the wallboard' });

    const callerId = await h.sim.placeInboundCall({ from: '13912345678', to: '12345', trunk: 'carrier' });
    await until(async () => (await textOf(op, '[data-test=pop-state]')) === '振铃中', { what: 'the screen pop while ringing' });
    // The number follows as soon as the call record has it (the first ring can precede it by a few ms).
    await until(async () => (await textOf(op, '[data-test=pop-number]')) === '13912345678', { what: 'the caller number on the screen pop' });
    expect(await textOf(op, '[data-test=pop-centre]')).to.equal('庆阳市12345热线');
    // The waiting caller on the supervisor's board, masked there (第二十七条), under the centre's Chinese name.
    await until(async () => (await textOf(sup, 'article[data-queue="q-qy"] [data-k=waiting]')) === '1', { what: 'the caller waiting on the board' });
    expect(await textOf(sup, 'article[data-queue="q-qy"] h3')).to.equal('庆阳市12345热线');
    expect(await textOf(sup, 'article[data-queue="q-qy"] table')).to.contain('139****5678');
    await screens(op, 'operator-ringing');

    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 50 });
    await until(async () => (await textOf(op, '[data-test=pop-state]')) === '通话中', { timeoutMs: 30_000, what: 'the answered call on the screen pop' });
    expect(await textOf(op, '[data-test=op-state]')).to.equal('通话中');
    expect(await op.inputValue('[data-test=t-phone]')).to.equal('13912345678');

    await until(async () => (await textOf(sup, '#operators')).includes('通话中'), { what: 'the operator on a call on the board' });
    await sup.fill('[data-test=my-seat]', 'PJSIP/1003');
    await sup.click('[data-test=monitor-listen-op1001]');
    await until(async () => (await textOf(sup, '[data-test=monitoring]')) === '监听中', { what: 'the listen session on the console' });
    await until(() => spy().some((p) => p.mode === 'listen'), { what: 'the supervisor hearing the operator' });
    await screens(sup, 'supervisor-listening');
    await sup.click('[data-test=monitor-stop-op1001]');
    await until(() => spy().length === 0, { what: 'the listen session to end' });
    await until(async () => (await h.db.knex('audit_log').whereIn('action', ['call.monitor.listen', 'call.monitor.stop']).pluck('action')).length === 2, { what: 'the listen and its stop in the audit trail' });
    expect(callerId).to.be.a('string');
  });

  it('given the answered call, when the operator types the matter, then knowledge is suggested live; a suggestion is quoted, the ticket is dispatched to the unit and the call transferred to 环县 with its state shown', async () => {
    await op.fill('[data-test=t-content]', '我的社保断缴了好几个月，现在想补缴，需要去哪里办理');
    await until(async () => (await op.$$('[data-test=kb-hits] li')).length > 0, { what: 'knowledge suggestions' });
    const first = await op.$('[data-test=kb-hits] li button');
    await first!.click();
    await until(async () => (await op.inputValue('[data-test=t-resolution]')).length > 10, { what: 'the quoted answer' });
    await choose(op, '[data-test=t-unit]', '庆阳市人力资源和社会保障局');
    await op.click('[data-test=t-dispatch]');
    await until(async () => /^[A-Z0-9]{10,}$/.test(await textOf(op, '[data-test=ticket-no]')), { what: 'the new ticket number' });
    ticketNo = await textOf(op, '[data-test=ticket-no]');
    const t = await h.db.knex('tickets').where({ no: ticketNo }).first();
    expect(t).to.include({ status: 'dispatched', main_unit: 'QY-RSJ', caller_phone: '13912345678', category: 'consultation' });
    await screens(op, 'operator-ticket');

    await choose(op, '[data-test=transfer-line]', '环县');
    await op.click('[data-test=transfer-go]');
    await until(async () => ['已转出', '已接通'].includes(await textOf(op, '[data-test=linkage-state]')), { timeoutMs: 30_000, what: 'the transfer landing on the page' });
    await screens(op, 'operator-transferred');
  });

  it('given the dispatched ticket, when the unit signs and asks for an extension, then the supervisor approves it; a return with a suggested unit is rejected; the unit replies; the ticket is visited and closed', async () => {
    await unit.reload();
    const row = `[data-test=inbox] tr:has-text("${ticketNo}")`;
    await until(async () => (await textOf(unit, row)).includes('已转办待签收'), { what: 'the ticket in the unit inbox' });
    expect(await textOf(unit, row)).to.match(/签收时限 剩余/);
    await unit.click(`${row} [data-test=act-sign]`);
    await until(async () => (await textOf(unit, row)).includes('办理中'), { what: 'signed' });
    await screens(unit, 'unit-inbox');

    await unit.click(`${row} [data-test=act-extension]`);
    expect(await textOf(unit, '[data-test=extension-cap]')).to.contain('1倍');
    await choose(unit, '[data-test=f-extra]', '2个工作日');
    await unit.fill('[data-test=f-reason]', '需要调取历年缴费记录核实');
    await unit.click('[data-test=f-submit]');
    await until(async () => !!(await h.db.knex('tickets').where({ no: ticketNo }).first()).flow.extensionPending, { what: 'the extension request' });

    await sup.click('.el-tabs__item:has-text("延期审批")');
    const supRow = `[data-test=oversight-extensions] tr:has-text("${ticketNo}")`;
    await until(async () => { await sup.click('.el-card__header:has-text("工单督办") button'); return (await textOf(sup, supRow)).includes('申请延期'); }, { what: 'the extension in the oversight queue' });
    await screens(sup, 'supervisor-oversight');
    await sup.click(`${supRow} [data-test="act-extension/approve"]`);
    await sup.click('[data-test=f-submit]');
    await until(async () => (await h.db.knex('ticket_events').where({ ticket_no: ticketNo, event: 'approve_extension' })).length === 1, { what: 'the approval' });

    await unit.click(`${row} [data-test=act-return]`);
    await unit.click('[data-test=f-submit]').catch(() => undefined);
    // Without a suggested unit the return cannot be sent (第二十一条(二)).
    expect(await unit.isDisabled('[data-test=f-submit]')).to.equal(true);
    await choose(unit, '[data-test=f-suggested]', '庆阳市医疗保障局');
    await unit.fill('[data-test=f-basis]', '医保缴费不属于本单位职责（三定方案）');
    await unit.fill('[data-test=f-reason]', '诉求涉及医保缴费');
    await unit.click('[data-test=f-submit]');
    await until(async () => (await textOf(unit, row)).includes('退单审核中') || (await h.db.knex('tickets').where({ no: ticketNo }).first()).status === 'return_requested', { what: 'the return request' });

    await sup.click('.el-tabs__item:has-text("退单审核")');
    const retRow = `[data-test=oversight-returns] tr:has-text("${ticketNo}")`;
    await until(async () => { await sup.click('.el-card__header:has-text("工单督办") button'); return (await textOf(sup, retRow)).includes('建议由'); }, { what: 'the return in the oversight queue' });
    await sup.click(`${retRow} [data-test="act-return/reject"]`);
    await sup.fill('[data-test=f-reason]', '社保补缴属于人社部门职责，请继续办理');
    await sup.click('[data-test=f-submit]');
    await until(async () => (await h.db.knex('tickets').where({ no: ticketNo }).first()).status === 'in_progress', { what: 'the return rejected' });

    await unit.reload();
    await until(async () => (await textOf(unit, row)).includes('办理中'), { what: 'back in progress on the desk' });
    await unit.click(`${row} [data-test=act-reply]`);
    await unit.fill('[data-test=f-text]', '已电话联系诉求人，告知可在市政务大厅人社窗口或线上办理社保补缴。');
    await unit.click('[data-test=f-submit]');
    await until(async () => (await h.db.knex('tickets').where({ no: ticketNo }).first()).status === 'replied', { what: 'the reply' });

    await sup.click('.el-tabs__item:has-text("待回访")');
    const visitRow = `[data-test=oversight-visits] tr:has-text("${ticketNo}")`;
    await until(async () => { await sup.click('.el-card__header:has-text("工单督办") button'); return (await textOf(sup, visitRow)).length > 0; }, { what: 'the ticket awaiting its visit' });
    await sup.click(`${visitRow} [data-test=act-visit]`);
    await choose(sup, '[data-test=f-level]', /^满意$/);
    await sup.click('[data-test=f-submit]');
    await until(async () => (await h.db.knex('tickets').where({ no: ticketNo }).first()).status === 'closed', { what: 'the ticket closed' });
    expect((await h.db.knex('ticket_visits').where({ ticket_no: ticketNo }).first())?.level).to.equal('satisfied');
  });

  it('given the closed ticket, when it is opened in 工单查询, then its timeline shows every step, its call is linked, and the screens pass an accessibility check', async () => {
    await sup.goto(`${h.t.baseUrl}/tickets/${ticketNo}`);
    await until(async () => (await textOf(sup, '[data-test=timeline]')).includes('答复'), { what: 'the timeline' });
    const timeline = await textOf(sup, '[data-test=timeline]');
    for (const step of ['登记', '转办', '签收', '申请延期', '批准延期', '申请退单', '驳回退单', '答复', '回访']) expect(timeline, step).to.contain(step);
    expect(await textOf(sup, '[data-test=status]')).to.equal('已办结');
    expect(await textOf(sup, '[data-test=calls]')).to.contain('139');
    await screens(sup, 'ticket-detail');
    for (const [page, name] of [[op, 'operator'], [unit, 'unit'], [sup, 'ticket-detail']] as const) {
      const v = await axeViolations(page);
      expect(v, `${name}: ${JSON.stringify(v, null, 1)}`).to.deep.equal([]);
    }
  });

  it('given any role, when they log out, then the token is revoked and the login page shows; an unknown page is a Chinese 404 and an unknown API route stays JSON', async () => {
    await unit.click('[data-test=logout]');
    await unit.waitForURL('**/login');
    await unit.goto(`${h.t.baseUrl}/unit`);
    await unit.waitForURL('**/login?next=/unit');
    const nf = await unit.goto(`${h.t.baseUrl}/no-such-page`);
    expect(nf!.status()).to.equal(404);
    expect(await textOf(unit, 'h1')).to.equal('页面不存在');
    const api = await h.t.http('GET', '/api/no-such-route');
    expect(api.status).to.equal(404);
    expect(api.body.error.id).to.equal('route.not_found');
    // The old wallboard address leads to the supervisor's console.
    await sup.goto(`${h.t.baseUrl}/wallboard.html`);
    await sup.waitForURL('**/supervisor');
  });
});
