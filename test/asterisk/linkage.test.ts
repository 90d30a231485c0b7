import { expect } from 'chai';
import { until } from '../support/until';
import { channels, latestCallOf, loginOperator, msUntil, operatorState, peersOf, RealHarness, recordingMismatches, skipWithoutAsterisk, startRealHarness } from './harness';
import { placeCall, registerPhone, stopAllSipp } from './sipp';

/**
 * Issue 11 against a real Asterisk 22: a supervisor's listen (ChanSpy from 1003) must end within 2 s of
 * the call's end; a three-way call with the 12348 expert seat (第二十条(三)) with every segment's
 * recording equal to its final file.
 */
describe('real Asterisk: supervisor listen and three-way call with 12348', function () {
  this.timeout(180_000);
  let h: RealHarness;
  let token: string;

  before(async function () {
    skipWithoutAsterisk(this);
    h = await startRealHarness();
    await registerPhone(h.ast, '1001', { answerMs: 300 });
    await registerPhone(h.ast, '1003', { answerMs: 300 });
    await registerPhone(h.ast, '12348', { answerMs: 300 });
    token = await loginOperator(h, '1001');
    const admin = await h.t.userToken(['admin']);
    // the seeded seat keeps office hours; the test must not depend on the time it runs
    expect((await h.t.http('PATCH', '/api/lines/E-12348', { token: admin, body: { hours: '24x7' } })).status).to.equal(200);
  });
  beforeEach(async () => {
    await until(async () => (await operatorState(h, token)) === 'ready' && (await channels(h)).length === 0, { timeoutMs: 30_000, what: 'operator ready and no call left' });
  });
  afterEach(async () => {
    // a failed test must not leave a call (or a supervisor's spy leg) for the next one
    await h.ast.cli('channel request hangup all').catch(() => undefined);
  });
  after(async () => {
    await stopAllSipp();
    await h?.stop();
  });

  async function answeredCall(from: string) {
    await placeCall(h.ast, { from, talkMs: 170_000 });
    const call = await until(async () => {
      const c = await latestCallOf(h, from);
      return c?.state === 'answered' ? c : null;
    }, { timeoutMs: 20_000, intervalMs: 100, what: 'the call to be answered' });
    await until(async () => (await peersOf(h, 'PJSIP/carrier-')).some((n) => n.startsWith('PJSIP/1001-')), { what: 'caller bridged with 1001' });
    return call;
  }

  it('given a supervisor listening on 1003, when the call ends, then the listen ends in Asterisk and in the service within 2 s', async () => {
    const sup = await h.t.userToken(['supervisor'], { username: 'sup1003', extension: 'PJSIP/1003' });
    const call = await answeredCall('13800138201');
    const r = await h.t.http('POST', `/api/calls/${call.id}/monitor`, { token: sup, body: { mode: 'listen' } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    await until(async () => (await channels(h)).some((c) => c.name.startsWith('PJSIP/1003-') && c.app === 'ChanSpy'), { timeoutMs: 15_000, what: 'ChanSpy running on 1003' });

    const callerChannel = (await channels(h)).find((c) => c.name.startsWith('PJSIP/carrier-'))!;
    await h.ast.cli(`channel request hangup ${callerChannel.name}`);
    await until(async () => !(await channels(h)).some((c) => c.name.startsWith('PJSIP/carrier-') || c.name.startsWith('PJSIP/1001-')), { timeoutMs: 10_000, intervalMs: 50, what: 'the call to end' });
    const ended = Date.now();
    const pbxMs = await msUntil(ended, async () => !(await channels(h)).some((c) => c.name.startsWith('PJSIP/1003-')), "the supervisor's ChanSpy leg to end", 15_000).catch(() => Infinity);
    const svcMs = await msUntil(ended, async () => (await h.db.knex('call_monitor_sessions').where({ id: r.body.id }).first()).ended_at !== null, 'the monitoring session to close', 15_000).catch(() => Infinity);
    console.log(`      listen after the call ended: ChanSpy leg gone after ${pbxMs} ms, session closed after ${svcMs} ms`);
    expect(pbxMs, "the supervisor's leg ends within 2 s of the call").to.be.at.most(2000);
    expect(svcMs, 'the monitoring session ends within 2 s of the call').to.be.at.most(2000);
  });

  it('given a live call with a ticket, when the operator adds the 12348 expert, then caller, operator and expert talk in one conference, the expert answers on the ticket, and every recording equals its final file', async () => {
    const call = await answeredCall('13800138202');
    const t = await h.t.http('POST', '/api/tickets', { token, body: { channel: 'phone', callerPhone: '13800138202', content: '咨询劳动合同纠纷中经济补偿金如何计算', category: 'consultation', domain: 'public_service', linkedid: call.linkedid } });
    expect([200, 201], JSON.stringify(t.body)).to.include(t.status);
    const r = await h.t.http('POST', `/api/calls/${call.id}/conference`, { token, body: { line: 'E-12348', ticketNo: t.body.no } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    await until(async () => {
      const peers = await peersOf(h, 'PJSIP/carrier-');
      return peers.some((n) => n.startsWith('PJSIP/1001-')) && peers.some((n) => n.startsWith('PJSIP/12348-'));
    }, { timeoutMs: 20_000, what: 'caller, operator and expert together' });
    expect((await channels(h)).filter((c) => c.app === 'ConfBridge').length).to.be.at.least(3);

    const expert = await h.t.userToken(['expert'], { username: 'expert12348', extension: 'PJSIP/12348' });
    const answer = await h.t.http('POST', `/api/conferences/${r.body.id}/answer`, { token: expert, body: { text: '经济补偿按劳动者在本单位工作的年限，每满一年支付一个月工资（劳动合同法第四十七条）。' } });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(201);

    const callerChannel = (await channels(h)).find((c) => c.name.startsWith('PJSIP/carrier-'))!;
    await h.ast.cli(`channel request hangup ${callerChannel.name}`);
    await until(async () => !(await channels(h)).some((c) => c.name.startsWith('PJSIP/carrier-')), { timeoutMs: 10_000, what: 'caller gone' });
    // the expert and operator are left in the room; the service ends the three-way call with the caller
    await until(async () => (await channels(h)).length === 0, { timeoutMs: 20_000, what: 'the conference to be emptied' }).catch(async (e) => {
      throw new Error(`${e.message}: ${JSON.stringify((await channels(h)).map((c) => `${c.name} ${c.app}`))}`);
    });
    await until(async () => (await h.db.knex('calls').where({ id: call.id }).first()).state === 'ended', { timeoutMs: 15_000, what: 'call ended' });
    await until(async () => (await h.db.knex('recordings').where({ call_id: call.id }).whereNot({ state: 'collected' })).length === 0, { timeoutMs: 20_000, what: 'every recording collected' }).catch(() => undefined);
    expect(await recordingMismatches(h, Number(call.id))).to.deep.equal([]);
    expect((await h.db.knex('recordings').where({ call_id: call.id })).length).to.be.at.least(1);
  });
});
