import { expect } from 'chai';
import { until } from '../support/until';
import { channels, latestCallOf, loginOperator, operatorState, peersOf, RealHarness, skipWithoutAsterisk, startRealHarness } from './harness';
import { countyLine, placeCall, registerPhone, SippRun, stopAllSipp } from './sipp';

/**
 * Issue 11 against a real Asterisk 22: the operator hangs up a consultation (第十九条) while 环县 still
 * rings. Asterisk makes it a "blond" transfer (main/bridge_basic.c, atxferdropcall=no in dialplan/
 * features.conf): AttendedTransfer Success at once, the caller hears 环县 ringing; 环县 answering
 * completes it, 环县 refusing makes Asterisk ring the operator's phone back. The simulator's version of
 * these scenarios is test/calls/transfer-blond.test.ts.
 */
describe('real Asterisk: consultation left by the operator while the county line rings', function () {
  this.timeout(180_000);
  let h: RealHarness;
  let token: string;
  let county: SippRun | undefined;

  before(async function () {
    skipWithoutAsterisk(this);
    h = await startRealHarness();
    await registerPhone(h.ast, '1001', { answerMs: 300 });
    token = await loginOperator(h, '1001');
  });
  beforeEach(async () => {
    await until(async () => (await operatorState(h, token)) === 'ready' && (await channels(h)).length === 0, { timeoutMs: 40_000, what: 'operator ready and no call left' });
  });
  afterEach(async () => {
    await h.ast.cli('channel request hangup all').catch(() => undefined);
    await county?.stop();
    county = undefined;
  });
  after(async () => {
    await stopAllSipp();
    await h?.stop();
  });

  const transfer = async (id: number) => (await h.t.http('GET', `/api/transfers/${id}`, { token })).body;
  const diagnose = async (id: number) => `transfer ${JSON.stringify(await transfer(id))}; channels ${JSON.stringify(await channels(h))}`;

  /** A citizen is answered by 1001, who consults 环县 and hangs up while 环县 rings. */
  async function leaveWhileRinging(from: string, content: string) {
    await placeCall(h.ast, { from, talkMs: 170_000 });
    const call = await until(async () => { const c = await latestCallOf(h, from); return c?.state === 'answered' ? c : null; }, { timeoutMs: 20_000, intervalMs: 100, what: 'the call answered' });
    await until(async () => (await peersOf(h, 'PJSIP/carrier-')).some((n) => n.startsWith('PJSIP/1001-')), { what: 'caller bridged with 1001' });
    const t = await h.t.http('POST', '/api/tickets', { token, body: { channel: 'phone', callerPhone: '13800138000', content, category: 'complaint', domain: 'public_service', linkedid: call.linkedid } });
    expect([200, 201], JSON.stringify(t.body)).to.include(t.status);
    const r = await h.t.http('POST', `/api/calls/${call.id}/transfer`, { token, body: { line: 'HX', mode: 'consult', ticketNo: t.body.no } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    await until(async () => (await channels(h)).some((c) => c.name.startsWith('PJSIP/trunk-hx-') && c.state === 'Ringing'), { timeoutMs: 15_000, intervalMs: 100, what: '环县 ringing' })
      .catch(async (e) => { throw new Error(`${e.message}: ${await diagnose(r.body.id)}`); });
    const opLeg = (await channels(h)).find((c) => c.name.startsWith('PJSIP/1001-'));
    expect(opLeg, 'the operator is in the consultation').to.not.equal(undefined);
    await h.ast.cli(`channel request hangup ${opLeg!.name}`);
    // Asterisk may deliver AttendedTransfer late (after 环县's answer on a busy machine): then the
    // attempt is decided by the answer before the operator's leaving is recorded.
    const left = await until(async () => { const x = await transfer(r.body.id); return x.operatorLeftAt || x.status !== 'dialing' ? x : null; }, { timeoutMs: 10_000, what: 'the operator recorded as gone' })
      .catch(async (e) => { throw new Error(`${e.message}: ${await diagnose(r.body.id)}`); });
    return { call, id: r.body.id as number, ticketNo: t.body.no as string, left };
  }

  it('given 环县 still ringing, when the operator hangs up the consultation, then the attempt waits for 环县 and completes (ticket dispatched) only when 环县 answers', async () => {
    county = await countyLine(h.ast, 'answer', 8_000); // rings long enough for the CLI hangup on a busy machine
    const { call, id, ticketNo, left } = await leaveWhileRinging('13800138211', '反映环县某路段路灯不亮,请求维修');
    // Never completed on Asterisk's "Success" alone: only 环县's answer completes it.
    if (left.status !== 'dialing') expect(left.answeredAt, JSON.stringify(left)).to.be.a('string');
    await until(async () => (await peersOf(h, 'PJSIP/carrier-')).some((n) => n.startsWith('PJSIP/trunk-hx-')), { timeoutMs: 20_000, what: 'the caller bridged to 环县' })
      .catch(async (e) => { throw new Error(`${e.message}: ${await diagnose(id)}`); });
    await until(async () => (await transfer(id)).status === 'completed', { timeoutMs: 10_000, what: 'the transfer completed' })
      .catch(async (e) => { throw new Error(`${e.message}: ${await diagnose(id)}`); });
    expect((await transfer(id)).result).to.equal('ANSWER');
    await until(async () => (await h.t.http('GET', `/api/tickets/${ticketNo}`, { token })).body.mainUnit === 'QY-HX', { timeoutMs: 10_000, what: 'ticket dispatched to 环县' });
    expect((await h.db.knex('calls').where({ id: call.id }).first()).transferred).to.equal(true);
  });

  it('given 环县 rings and then refuses (busy), when the operator has already hung up, then the attempt fails BUSY, the call is not marked transferred, and Asterisk rings the operator back: on the call again (通话中)', async () => {
    county = await countyLine(h.ast, 'ring-busy', 4_000);
    const { call, id, ticketNo } = await leaveWhileRinging('13800138212', '咨询环县农村合作医疗报销比例');
    const row = await until(async () => { const x = await transfer(id); return x.status !== 'dialing' ? x : null; }, { timeoutMs: 40_000, what: 'the attempt resolved' })
      .catch(async (e) => { throw new Error(`${e.message}: ${await diagnose(id)}`); });
    expect(row).to.include({ status: 'failed', result: 'BUSY' });
    await until(async () => (await peersOf(h, 'PJSIP/carrier-')).some((n) => n.startsWith('PJSIP/1001-')), { timeoutMs: 30_000, what: 'the operator rung back and with the caller' })
      .catch(async (e) => { throw new Error(`${e.message}: ${await diagnose(id)}`); });
    const me = await until(async () => { const b = (await h.t.http('GET', '/api/operators/me', { token })).body; return b.state === 'on_call' ? b : null; }, { timeoutMs: 5_000, what: 'the operator on the call again' });
    expect(me.currentCall?.linkedid).to.equal(call.linkedid);
    expect((await h.t.http('GET', `/api/tickets/${ticketNo}`, { token })).body.mainUnit ?? null).to.not.equal('QY-HX');
    expect((await h.db.knex('calls').where({ id: call.id }).first()).transferred).to.equal(false);
  });
});
