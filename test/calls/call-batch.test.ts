import { expect } from 'chai';
import { Knex } from 'knex';
import { CallBatch } from '../../src/calls/call-batch';
import { CallStore } from '../../src/calls/call-store';
import { DATABASE_KINDS, startTestService, TestService } from '../support/service';
import { until } from '../support/until';

/**
 * A call's batch of steps is applied in memory and written by one statement (CallBatch,
 * CallStore.writeBatch; issue #13). The rows it leaves must be those the statements it replaces —
 * a leg upsert, a leg end, a transition insert, each run in turn — would have left, in any order.
 */
const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 2, 0, s));
const leg = (callId: number, channelId: string, extra: { answered_at?: Date } = {}) => ({ call_id: callId, server_id: 'pbx1', channel_id: channelId, channel: `PJSIP/${channelId}`, role: 'operator', started_at: at(0), ...extra });

for (const database of DATABASE_KINDS) {
  describe(`calls: a batch of a call's steps written by one statement [${database}]`, function () {
    this.timeout(60_000);
    let svc: TestService;
    let knex: Knex;
    let store: CallStore;
    before(async () => {
      svc = await startTestService({ database, redis: false });
      knex = svc.db.knex;
      store = new CallStore(knex);
    });
    after(async () => svc?.stop());

    /** Run one batch on call `linkedid` (created if new) as the recorder does: locked, applied, written. */
    const batch = (linkedid: string, apply: (b: CallBatch, callId: number) => void) =>
      knex.transaction(async (trx) => {
        const locked = (await store.lockCallWithKeys(trx, 'pbx1', linkedid)) ?? (await store.ensureCall(trx, 'pbx1', linkedid, at(0)));
        const b = new CallBatch(locked.keys);
        apply(b, locked.call.id);
        await store.writeBatch(trx, locked.call.id, b);
        return locked.call.id;
      });
    const legRow = async (channelId: string) => knex('call_legs').where({ server_id: 'pbx1', channel_id: channelId }).first();

    it('given legs inserted, answered and ended in every order within and across batches, then each leg is as the statements run one by one would leave it', async () => {
      const callId = await batch('b-legs', () => undefined);
      // given a leg inserted and ended in the same batch
      await batch('b-legs', (b, id) => {
        b.upsertLeg(leg(id, 'a'));
        b.upsertLeg(leg(id, 'a', { answered_at: at(2) }));
        b.endLeg('pbx1', 'a', at(9), 16);
        b.endLeg('pbx1', 'a', at(12), 17);
      });
      expect(Number((await legRow('a')).call_id)).to.equal(callId);
      expect(await legRow('a')).to.include({ hangup_cause: 16 });
      expect((await legRow('a')).answered_at.getTime()).to.equal(at(2).getTime());
      expect((await legRow('a')).ended_at.getTime()).to.equal(at(9).getTime());

      // given a leg written before, then answered and ended by a later batch
      await batch('b-legs', (b, id) => b.upsertLeg(leg(id, 'b')));
      await batch('b-legs', (b, id) => {
        b.upsertLeg(leg(id, 'b', { answered_at: at(3) }));
        b.endLeg('pbx1', 'b', at(8), 16);
      });
      expect((await legRow('b')).answered_at.getTime()).to.equal(at(3).getTime());
      expect((await legRow('b')).ended_at.getTime()).to.equal(at(8).getTime());

      // given an ended leg, when a later batch ends it again and inserts it again, then the first end stands
      await batch('b-legs', (b, id) => {
        b.endLeg('pbx1', 'b', at(20), 21);
        b.upsertLeg(leg(id, 'b', { answered_at: at(30) }));
      });
      expect(await legRow('b')).to.include({ hangup_cause: 16 });
      expect((await legRow('b')).ended_at.getTime()).to.equal(at(8).getTime());
      expect((await legRow('b')).answered_at.getTime()).to.equal(at(3).getTime());

      // given an unended leg, when a batch ends it and then inserts it again, then it is ended, its answer filled in
      await batch('b-legs', (b, id) => b.upsertLeg(leg(id, 'c')));
      await batch('b-legs', (b, id) => {
        b.endLeg('pbx1', 'c', at(7), 16);
        b.upsertLeg(leg(id, 'c', { answered_at: at(5) }));
      });
      expect(await legRow('c')).to.include({ hangup_cause: 16 });
      expect((await legRow('c')).ended_at.getTime()).to.equal(at(7).getTime());
      expect((await legRow('c')).answered_at.getTime()).to.equal(at(5).getTime());

      // given no leg, when a batch ends it, inserts it, then ends it again, then the end before it existed changed nothing
      await batch('b-legs', (b, id) => {
        b.endLeg('pbx1', 'd', at(4), 16);
        b.upsertLeg(leg(id, 'd'));
        b.endLeg('pbx1', 'd', at(6), 19);
      });
      expect(await legRow('d')).to.include({ hangup_cause: 19 });
      expect((await legRow('d')).ended_at.getTime()).to.equal(at(6).getTime());

      // given no leg, when a batch ends it and then inserts it, then it is inserted unended
      await batch('b-legs', (b, id) => {
        b.endLeg('pbx1', 'e', at(4), 16);
        b.upsertLeg(leg(id, 'e'));
      });
      expect(await legRow('e')).to.include({ ended_at: null, hangup_cause: null });
    });

    it('given a batch that changes the call, records transitions, inserts one leg, ends another and adds a missed call, then one statement writes each value to its own column', async () => {
      const callId = await batch('b-all', (b, id) => b.upsertLeg({ ...leg(id, 'x'), role: 'caller' }));
      await batch('b-all', (b, id) => {
        Object.assign(b.dirty, { caller_number: '13800000018', queue: 'q-qy', centre: 'QY', state: 'ended', outcome: 'abandoned', wait_seconds: 42, ended_at: at(50) });
        b.record({ call_id: id, from_state: 'new', event: 'queue_joined', to_state: 'queued', at: at(1), event_key: 'join:x:q-qy:1' });
        b.record({ call_id: id, from_state: 'queued', event: 'abandoned', to_state: 'ended', at: at(50), event_key: 'abandon:x' });
        b.upsertLeg({ ...leg(id, 'y', { answered_at: at(10) }) });
        b.endLeg('pbx1', 'x', at(50), 16);
        b.missed = { call_id: id, caller_number: '13800000018', centre: 'QY', queue: 'q-qy', missed_at: at(50), wait_seconds: 42, reason: 'abandoned' };
      });

      const call = await knex('calls').where({ id: callId }).first();
      expect(call).to.include({ caller_number: '13800000018', queue: 'q-qy', centre: 'QY', state: 'ended', outcome: 'abandoned', wait_seconds: 42 });
      expect(call.ended_at.getTime()).to.equal(at(50).getTime());
      const transitions = await knex('call_transitions').where({ call_id: callId }).orderBy('id');
      expect(transitions.map((r: Record<string, unknown>) => [r.event_key, r.event, r.from_state, r.to_state])).to.deep.equal([
        ['join:x:q-qy:1', 'queue_joined', 'new', 'queued'],
        ['abandon:x', 'abandoned', 'queued', 'ended'],
      ]);
      expect((await legRow('y'))).to.include({ role: 'operator', channel: 'PJSIP/y', ended_at: null });
      expect((await legRow('y')).answered_at.getTime()).to.equal(at(10).getTime());
      expect(await legRow('x')).to.include({ role: 'caller', hangup_cause: 16 });
      expect((await legRow('x')).ended_at.getTime()).to.equal(at(50).getTime());
      const missed = await knex('missed_calls').where({ call_id: callId }).first();
      expect(missed).to.include({ caller_number: '13800000018', centre: 'QY', queue: 'q-qy', wait_seconds: 42, reason: 'abandoned', status: 'pending' });
      expect(missed.missed_at.getTime()).to.equal(at(50).getTime());
    });

    it('given transitions recorded by earlier batches, when a batch replays one and records another, then only the new one is written and the counts include it', async () => {
      await batch('b-keys', (b, id) => {
        expect(b.record({ call_id: id, from_state: 'new', event: 'queue_joined', to_state: 'queued', at: at(1), event_key: 'join:ch1:q:1' })).to.equal(true);
      });
      await batch('b-keys', (b, id) => {
        expect(b.has('join:ch1:q:1')).to.equal(true);
        expect(b.count('join:ch1:')).to.equal(1);
        expect(b.record({ call_id: id, from_state: 'queued', event: 'queue_joined', to_state: 'queued', at: at(2), event_key: 'join:ch1:q:1' })).to.equal(false);
        expect(b.record({ call_id: id, from_state: 'queued', event: 'answered', to_state: 'answered', at: at(3), event_key: 'answer:ch1:1' })).to.equal(true);
        expect(b.count('answer:ch1:')).to.equal(1);
      });
      const call = await knex('calls').where({ server_id: 'pbx1', linkedid: 'b-keys' }).first();
      const rows = await knex('call_transitions').where({ call_id: call.id }).orderBy('id');
      expect(rows.map((r: { event_key: string }) => r.event_key)).to.deep.equal(['join:ch1:q:1', 'answer:ch1:1']);
    });
  });
}

describe('calls: a batch whose lock waited for another writer of the call [postgres]', function () {
  this.timeout(60_000);
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ database: 'postgres', redis: false });
  });
  after(async () => svc?.stop());

  it('given another transaction recording a transition while it holds the call, when a batch locks the call meanwhile, then it reads that transition\'s key once the holder commits', async () => {
    const knex = svc.db.knex;
    const store = new CallStore(knex);
    await knex.transaction((trx) => store.ensureCall(trx, 'pbx1', 'b-wait', at(0)));
    const call = await knex('calls').where({ server_id: 'pbx1', linkedid: 'b-wait' }).first();

    // given another writer holding the call's row lock (an instance writing it while the leader is uncertain)
    const holder = await knex.transaction();
    await holder('calls').where({ id: call.id }).update({ state: 'queued', updated_at: knex.fn.now() });
    await holder('call_transitions').insert({ call_id: call.id, from_state: 'new', event: 'queue_joined', to_state: 'queued', at: at(1), event_key: 'join:ch1:q:1' });
    // when a batch locks the call meanwhile
    const reading = knex.transaction((trx) => store.lockCallWithKeys(trx, 'pbx1', 'b-wait'));
    await until(async () => Number((await knex.raw(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0].n) > 0, { what: 'the batch to wait for the call\'s lock' });
    await holder.commit();

    // then it sees the call and the transition the holder committed
    const read = await reading;
    expect(read!.call.state).to.equal('queued');
    expect([...read!.keys]).to.deep.equal(['join:ch1:q:1']);
  });
});
