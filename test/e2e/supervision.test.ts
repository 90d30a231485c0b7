import { expect } from 'chai';
import { Browser, Page } from 'playwright-core';
import { startCallHarness, CallHarness } from '../calls/harness';
import { launch, newPage, login, textOf, choose, until } from './browser';

/**
 * Issue 12: what the supervisor and the auditor do with calls, in headless Chromium against the whole
 * call path on the embedded default (the simulator running dialplan/, PGlite, the in-process store):
 * the operator grid's durations in 分:秒 and a whisper (耳语) from the supervisor's seat; a ticket's
 * recording played from its page, audited (第二十七条); the auditor's 录音调听 view listing that play.
 */
describe('supervision of calls and recordings in headless Chromium', function () {
  this.timeout(180_000);
  let h: CallHarness;
  let browser: Browser;
  let sup: Page;
  let opToken: string;
  let callerId = '';
  let ticketNo = '';
  let recordingId = 0;
  const spy = () => h.sim.audioPaths().filter((p) => h.sim.channels().find((c) => c.id === p.listener)?.name.startsWith('PJSIP/1003-'));

  before(async () => {
    browser = await launch();
    h = await startCallHarness({ database: 'pglite', redis: false, env: { FALLBACK_WAIT_SECONDS: '3600' } });
    h.sim.registerEndpoint('1001');
    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 50 });
    h.sim.registerEndpoint('1003');
    h.sim.setEndpointBehaviour('1003', { answerAfterMs: 20 });
    opToken = await h.t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' });
    await h.t.userToken(['supervisor'], { username: 'banzhang', centre: 'QY' });
    await h.t.userToken(['auditor'], { username: 'shenji' });
    sup = (await newPage(browser, { width: 1920, height: 1080 })).page;
    await login(sup, h.t.baseUrl, 'banzhang', '/supervisor');
  });
  after(async () => {
    await browser?.close();
    for (const c of h?.sim.channels() ?? []) if (c.name.startsWith('PJSIP/carrier-')) h.sim.hangup(c.id);
    await h?.stop();
  });

  const row = '#operators tr:has-text("PJSIP/1001")';

  it('given an operator on a call, when the supervisor watches the grid and whispers from their seat, then the durations are 分:秒 and count up, the operator hears the whisper, and it stops on 结束', async () => {
    expect((await h.t.http('POST', '/api/operators/me/login', { token: opToken, body: {} })).status).to.equal(200);
    await until(async () => (await textOf(sup, `${row} [data-test=op-state]`)) === '置闲', { what: 'the operator ready on the grid' });
    expect(await textOf(sup, `${row} [data-test=op-duration]`)).to.match(/^\d\d:\d\d$/);

    callerId = await h.sim.placeInboundCall({ from: '13912340001', to: '12345', trunk: 'carrier' });
    await until(async () => (await textOf(sup, `${row} [data-test=op-state]`)) === '通话中', { timeoutMs: 30_000, what: 'the operator on the call on the grid' });
    const first = await textOf(sup, `${row} [data-test=op-duration]`);
    expect(first).to.match(/^\d\d:\d\d$/);
    // The time in the state counts up on the page (a tick a second).
    await until(async () => { const d = await textOf(sup, `${row} [data-test=op-duration]`); return /^\d\d:\d\d$/.test(d) && d > first; }, { what: 'the duration counting up' });

    await sup.fill('[data-test=my-seat]', 'PJSIP/1003');
    await sup.click('[data-test=monitor-whisper-op1001]');
    await until(async () => (await textOf(sup, `${row} [data-test=monitoring]`)) === '耳语中', { what: 'the whisper session on the console' });
    await until(() => spy().some((p) => p.mode === 'whisper'), { what: 'the supervisor whispering to the operator' });
    await sup.click('[data-test=monitor-stop-op1001]');
    await until(() => spy().length === 0, { what: 'the whisper to end' });
    await until(async () => (await sup.$(`${row} [data-test=monitoring]`)) === null, { what: 'the session gone from the console' });
    await until(async () => (await h.db.knex('audit_log').whereIn('action', ['call.monitor.whisper', 'call.monitor.stop']).pluck('action')).length === 2, { what: 'the whisper and its stop in the audit trail' });
  });

  it('given the call\'s ticket, when the call ends and the supervisor plays its recording on the ticket page, then the audio loads and the play is audited', async () => {
    const created = await h.t.http('POST', '/api/tickets', { token: opToken, body: { channel: 'phone', callerPhone: '13912340001', content: '小区门口道路破损积水，出行不便', category: 'complaint', domain: 'public_service', linkedid: callerId } });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    ticketNo = created.body.no;
    h.sim.hangup(callerId);
    const call = await until(async () => { const c = await h.db.knex('calls').where({ linkedid: callerId }).first(); return c?.state === 'ended' ? c : null; }, { timeoutMs: 10_000, what: 'the call to end' });
    const rec = await until(async () => { const r = await h.db.knex('recordings').where({ call_id: call.id, kind: 'call' }).first(); return r?.state === 'collected' ? r : null; }, { timeoutMs: 10_000, what: 'the recording collected' });
    recordingId = Number(rec.id);

    await sup.goto(`${h.t.baseUrl}/tickets/${ticketNo}`);
    const button = `[data-test=calls] button:has-text("播放录音 ${recordingId}")`;
    await until(async () => !!(await sup.$(button)), { what: 'the recording on the ticket page' });
    expect(await h.db.knex('audit_log').where({ action: 'recording.access', target_id: String(recordingId) })).to.have.length(0);
    await sup.click(button);
    await until(async () => !!(await sup.$('audio[aria-label=录音播放]')), { what: 'the player' });
    const audit = await until(async () => (await h.db.knex('audit_log').where({ action: 'recording.access', target_id: String(recordingId) }))[0], { what: 'the play audited' });
    expect(audit.actor).to.equal('banzhang');
  });

  it('given that play, when the auditor chooses 录音调听, then it is listed and nothing else', async () => {
    const auditor = (await newPage(browser)).page;
    try {
      await login(auditor, h.t.baseUrl, 'shenji', '/audit');
      await until(async () => (await textOf(auditor, '[data-test=audit]')).includes('登录'), { what: 'the audit log' });
      await choose(auditor, '.el-select:has(input[aria-label=类别])', '录音调听');
      const listed = `[data-test=audit] tr:has-text("${recordingId}")`;
      await until(async () => (await textOf(auditor, listed)).includes('调听录音'), { what: 'the recording play listed' });
      expect(await textOf(auditor, listed)).to.contain('banzhang');
      const actions = await auditor.$$eval('[data-test=audit] .el-table__body tr td:nth-child(3)', (tds) => tds.map((td) => (td.textContent ?? '').trim()));
      expect(actions).to.have.length.greaterThan(0);
      expect([...new Set(actions)]).to.deep.equal(['调听录音']);
    } finally {
      await auditor.context().close();
    }
  });
});
