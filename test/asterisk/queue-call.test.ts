import path from 'node:path';
import { expect } from 'chai';
import { until } from '../support/until';
import { fileFacts, latestCallOf, loginOperator, operatorState, RealHarness, skipWithoutAsterisk, startRealHarness } from './harness';
import { placeCall, registerPhone } from './sipp';

/**
 * Issue 11, against a real Asterisk 22 running dialplan/ unchanged: a queue call answered by an
 * operator's SIP phone is recorded by MixMonitor, and the service's recording equals the final file.
 */
describe('real Asterisk: a queue call answered by an operator', function () {
  this.timeout(120_000);
  let h: RealHarness;

  before(async function () {
    skipWithoutAsterisk(this);
    h = await startRealHarness();
  });
  after(async () => {
    await h?.stop();
  });

  it('given the service attached over AMI and ARI, then /readyz shows both links up', async () => {
    const ready = await until(async () => {
      const r = await h.t.http('GET', '/readyz');
      return r.status === 200 ? r : null;
    }, { timeoutMs: 15_000, what: '/readyz 200' });
    expect(ready.body.components['asterisk:qy:ami']).to.include({ ok: true });
    expect(ready.body.components['asterisk:qy:ari']).to.include({ ok: true });
    const info = await h.ast.cli('manager show connected');
    expect(info).to.contain('hotline');
  });

  it('given operator 1001 logged in on a registered phone, when a citizen calls 12345 and talks, then the call is answered by 1001 and its recording equals the final file on disk', async () => {
    const phone = await registerPhone(h.ast, '1001', { answerMs: 300 });
    const token = await loginOperator(h, '1001');
    await until(async () => (await operatorState(h, token)) === 'ready', { timeoutMs: 10_000, what: 'operator ready' });

    // the welcome prompt is ~5.6 s after the answer, then the queue rings 1001; ~6 s of talk after that
    const caller = await placeCall(h.ast, { from: '13800138001', talkMs: 13_000 });
    const answered = await until(async () => {
      const c = await latestCallOf(h, '13800138001');
      return c?.state === 'answered' ? c : null;
    }, { timeoutMs: 20_000, intervalMs: 100, what: 'the call to be answered' });
    expect(answered).to.include({ queue: 'q-qy', centre: 'QY', operator_interface: 'PJSIP/1001' });
    await until(async () => (await operatorState(h, token)) === 'on_call', { timeoutMs: 5000, what: 'operator on call' });

    expect(await caller.exited, caller.diagnostics()).to.equal(0);
    const ended = await until(async () => {
      const c = await h.db.knex('calls').where({ id: answered.id }).first();
      return c?.state === 'ended' ? c : null;
    }, { timeoutMs: 15_000, what: 'the call to end' });
    expect(ended.outcome).to.equal('answered');
    expect(ended.wait_seconds).to.be.a('number').and.to.be.lessThan(5);
    expect(ended.talk_seconds).to.be.a('number').and.to.be.greaterThan(3);

    // Asterisk has finished the file once the call's channels are gone
    await until(async () => /^0 active channels/m.test(await h.ast.cli('core show channels count')), { timeoutMs: 10_000, what: 'no channels left' });
    const rec = await until(async () => {
      const r = await h.db.knex('recordings').where({ call_id: ended.id, kind: 'call' }).first();
      return r?.state === 'collected' ? r : null;
    }, { timeoutMs: 20_000, what: 'the recording to be collected' });
    const final = fileFacts(path.join(h.ast.plan.spoolDir, 'monitor', `${ended.linkedid}.wav`));
    const stored = fileFacts(path.join(h.recordingsDir, rec.path));
    expect(final.size, 'a real recording, not an empty header').to.be.greaterThan(8000);
    expect({ size: Number(rec.size_bytes), sha256: rec.sha256, duration: Number(rec.duration_seconds) }).to.deep.equal({
      size: final.size,
      sha256: final.sha256,
      duration: Math.round(final.durationSeconds * 100) / 100,
    });
    expect(stored.sha256).to.equal(final.sha256);

    // wrap-up (话后处理) after the call, then ready again (wrapuptime 10 s in queues.conf)
    await until(async () => (await operatorState(h, token)) === 'wrapup', { timeoutMs: 5000, what: 'operator in wrap-up' });
    await until(async () => (await operatorState(h, token)) === 'ready', { timeoutMs: 20_000, what: 'operator ready after wrap-up' });
    await phone.stop();
    expect((await h.t.http('POST', '/api/operators/me/logout', { token })).status).to.equal(200);
  });

  it('given operator 1002 whose phone rings for 4 s before the answer, when a citizen calls, then the operator shows as ringing, then on call', async () => {
    await registerPhone(h.ast, '1002', { answerMs: 4000 });
    const token = await loginOperator(h, '1002');
    await until(async () => (await operatorState(h, token)) === 'ready', { timeoutMs: 10_000, what: 'operator ready' });
    await placeCall(h.ast, { from: '13800138002', talkMs: 16_000 });
    // Asterisk rings the member (device_state_busy_at=1: QueueMemberStatus Status 3 = in use while ringing)
    await until(async () => (await h.ast.cli('core show channels concise')).includes('PJSIP/1002-'), { timeoutMs: 20_000, intervalMs: 50, what: '1002 rung by the queue' });
    const seen: string[] = [];
    await until(async () => {
      const s = await operatorState(h, token);
      if (seen[seen.length - 1] !== s) seen.push(s);
      return s === 'on_call';
    }, { timeoutMs: 15_000, intervalMs: 50, what: 'operator on call' });
    expect(seen, 'states while the phone rang and after the answer').to.include('ringing');
  });
});
