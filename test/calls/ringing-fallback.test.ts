import { expect } from 'chai';
import { startCallHarness, CallHarness } from './harness';
import { until } from '../support/until';
import { AmiEvent } from '../../src/simulator/core/pbx';
import { DATABASE_KINDS } from '../support/service';

/**
 * Issue 11 §6 and §7 on the project's dialplan/: with device_state_busy_at=1 a ringing member reports
 * Status 3 (busy), never 6, yet the operator shows as ringing; a caller sent to the busy fallback
 * before joining any queue still belongs to a centre and a queue.
 */
for (const database of DATABASE_KINDS) {
  describe(`ringing operators and busy-fallback calls (issue 11 §6, §7) [${database}]`, function () {
    this.timeout(60_000);
    let h: CallHarness;
    let op: string;
    const statuses: string[] = [];
    const onAmi = (e: AmiEvent) => {
      const f = Object.fromEntries(e.fields);
      if (e.name === 'QueueMemberStatus' && f.Interface === 'PJSIP/1001') statuses.push(f.Status);
    };

    before(async () => {
      h = await startCallHarness({ database });
      h.sim.registerEndpoint('1001');
      op = await h.t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' });
      expect((await h.t.http('POST', '/api/operators/me/login', { token: op, body: {} })).status).to.equal(200);
      h.sim.context.pbx.on('ami', onAmi);
    });
    after(async () => {
      h?.sim.context.pbx.off('ami', onAmi);
      await h?.stop();
    });

    it('given device_state_busy_at=1, when a call rings the operator’s phone, then Asterisk reports member Status 3 (never 6) and the operator shows as ringing', async () => {
      h.sim.setEndpointBehaviour('1001', { noAnswer: true });
      const id = await h.sim.placeInboundCall({ from: '13500005001', to: '12345', trunk: 'carrier' });
      await until(() => h.sim.channels().some((c) => c.name.startsWith('PJSIP/1001-') && c.state === 'Ringing'), { timeoutMs: 10_000, what: 'the phone ringing' });
      await until(() => statuses.includes('3'), { what: 'QueueMemberStatus while ringing' });
      expect(statuses).to.not.include('6');
      await until(async () => (await h.t.http('GET', '/api/operators/me', { token: op })).body.state === 'ringing', { timeoutMs: 5_000, what: 'operator ringing' });
      h.sim.hangup(id);
      await until(async () => (await h.t.http('GET', '/api/operators/me', { token: op })).body.state === 'ready', { timeoutMs: 5_000, what: 'operator ready again' });
    });

    it('given every operator paused, when a caller gets the busy fallback without joining a queue, then the call row, the callback list and the board’s offered count carry the centre and its queue', async () => {
      expect((await h.t.http('POST', '/api/operators/me/pause', { token: op, body: { reason: 'meeting' } })).status).to.equal(200);
      const sup = await h.t.userToken(['supervisor']);
      const offered = async () => ((await h.t.http('GET', '/api/live/queues', { token: sup })).body.queues.find((q: { queue: string }) => q.queue === 'q-qy')?.counters.offered ?? 0) as number;
      // The board's snapshot is refreshed at most every 250 ms: start from the figure a restart would
      // rebuild from the call rows (the first test's caller included), once the board shows it too.
      const recorded = async () => Number((await h.db.knex('calls').where({ queue: 'q-qy' }).count({ n: '*' }).first())?.n ?? 0);
      const before = await recorded();
      await until(async () => (await offered()) === before, { what: 'the board agreeing with the call rows' });
      const id = await h.sim.placeInboundCall({ from: '13500005002', to: '12345', trunk: 'carrier' });
      await until(() => h.sim.channels().find((c) => c.id === id && c.app === 'Read'), { timeoutMs: 10_000, what: 'the busy prompt' });
      h.sim.hangup(id);
      const call = await until(async () => { const c = await h.db.knex('calls').where({ linkedid: id }).first(); return c?.state === 'ended' ? c : null; }, { timeoutMs: 10_000, what: 'the call to end' });
      expect(call).to.include({ outcome: 'fallback', queue: 'q-qy', centre: 'QY' });
      expect(call.queue_entered_at, 'never joined (JOINEMPTY)').to.equal(null);
      expect(await h.db.knex('missed_calls').where({ call_id: call.id }).first()).to.include({ queue: 'q-qy', centre: 'QY' });
      await until(async () => (await offered()) === before + 1, { what: 'offered counted on the board' });
      // A restart rebuilds the same figure from the call rows.
      await h.restart();
      expect(await offered()).to.equal(before + 1);
    });
  });
}
