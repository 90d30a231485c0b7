import { expect } from 'chai';
import { Knex } from 'knex';
import { DATABASE_KINDS, startTestService, TestService } from '../support/service';
import { silentLogger } from '../../src/logging/logger';
import { CallRecorder } from '../../src/calls/call-recorder';
import { CallStore } from '../../src/calls/call-store';
import { StandbySteps } from '../../src/calls/standby';
import { TelephonyEvent } from '../../src/telephony';
import knexFactory from 'knex';
import { createTestDatabase } from '../support/db';
import { until } from '../support/until';

/**
 * Only the leader writes call records; the other instances hold their steps a while. When the leader
 * dies part-way through a call, the instance that takes over writes what the dead one did not, and
 * nothing twice.
 */
for (const database of DATABASE_KINDS) {
  describe(`call records written by the leader only, taken over by another instance [${database}]`, function () {
    this.timeout(60_000);
    let svc: TestService;
    let knex: Knex;
    let t = Date.now();
    const ev = (e: Record<string, unknown>) => ({ serverId: 'qy', source: 'ami', at: (t += 1000), ...e }) as unknown as TelephonyEvent;
    const answeredCallEvents = (id: string) => [
      ev({ type: 'ChannelCreated', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, state: 'Ring', callerNumber: '13800000016', context: 'from-carrier', exten: '12345' }),
      ev({ type: 'CallerJoinedQueue', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, queue: 'q-qy', position: 1 }),
      ev({ type: 'CallerLeftQueue', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, queue: 'q-qy' }),
      ev({ type: 'OperatorAnswered', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, queue: 'q-qy', memberInterface: 'PJSIP/1001', memberChannel: `PJSIP/1001-${id}`, memberChannelId: `${id}.op` }),
      ev({ type: 'ChannelHungUp', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, cause: 16, causeText: 'Normal Clearing' }),
    ];
    const transitions = async (id: string) => {
      const call = await knex('calls').where({ linkedid: id }).first();
      return knex('call_transitions').where({ call_id: call.id }).orderBy('id').pluck('event');
    };

    before(async () => {
      svc = await startTestService({ database, redis: false });
      knex = svc.db.knex;
    });
    after(async () => {
      await svc?.stop();
    });

    it('given a follower that read a whole call, when it takes over from a leader that wrote only the first half, then the call is complete and each transition is written once', async () => {
      const events = answeredCallEvents('2.100');
      const leader = new CallRecorder(new CallStore(knex), silentLogger(), () => 'QY');
      let followerWrites = false;
      const follower = new CallRecorder(new CallStore(knex), silentLogger(), () => 'QY', () => followerWrites);
      // The leader reads the created channel, the join and the leave, writes them, and dies.
      for (const e of events.slice(0, 3)) leader.handle(e);
      await leader.idle();
      for (const e of events) follower.handle(e);
      await follower.idle();
      expect(await transitions('2.100')).to.deep.equal(['queue_joined', 'queue_left']);

      followerWrites = true;
      expect(follower.takeOver()).to.equal(1);
      await follower.idle();

      expect(await transitions('2.100')).to.deep.equal(['queue_joined', 'queue_left', 'answered', 'hangup']);
      expect(await knex('calls').where({ linkedid: '2.100' }).first()).to.include({ state: 'ended', outcome: 'answered', caller_number: '13800000016' });
      expect(await knex('call_legs').where({ channel_id: '2.100.op' }).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);
    });

    it('given a follower holding a call, when it becomes the writer and the next event of the call arrives, then the held steps are written first, in order', async () => {
      const events = answeredCallEvents('2.200');
      let writes = false;
      const recorder = new CallRecorder(new CallStore(knex), silentLogger(), () => 'QY', () => writes);
      for (const e of events.slice(0, 4)) recorder.handle(e);
      await recorder.idle();
      expect(await knex('calls').where({ linkedid: '2.200' }).first()).to.equal(undefined);

      writes = true;
      recorder.handle(events[4]);
      await recorder.idle();

      expect(await transitions('2.200')).to.deep.equal(['queue_joined', 'queue_left', 'answered', 'hangup']);
    });
  });
}

describe('steps a follower holds (StandbySteps)', () => {
  it('given steps held longer than the hold time, when the follower takes over, then only the recent ones are handed over, in order', () => {
    let now = 0;
    const s = new StandbySteps<string>(30_000, () => now);
    s.hold('qy/1', 'qy', '1', 'a1');
    now = 10_000;
    s.hold('qy/2', 'qy', '2', 'b1');
    now = 31_000;
    s.hold('qy/1', 'qy', '1', 'a2');
    s.hold('qy/2', 'qy', '2', 'b2');
    expect(s.takeAll()).to.deep.equal([
      { key: 'qy/1', serverId: 'qy', linkedId: '1', steps: ['a2'] },
      { key: 'qy/2', serverId: 'qy', linkedId: '2', steps: ['b1', 'b2'] },
    ]);
    expect(s.size).to.equal(0);
  });

  it('given a call whose steps are all older than the hold time, when the next step of another call is held, then the old call is forgotten', () => {
    let now = 0;
    const s = new StandbySteps<string>(30_000, () => now);
    s.hold('qy/1', 'qy', '1', 'a1');
    now = 40_000;
    s.hold('qy/2', 'qy', '2', 'b1');
    expect(s.size).to.equal(1);
  });
});

describe('call records when the database has no free connection for a while [postgres]', function () {
  this.timeout(60_000);
  it('given every pooled connection busy past the acquire timeout, when a call is recorded, then its batch is tried again and written, not lost', async () => {
    const db = await createTestDatabase();
    const knex = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 300 });
    try {
      const recorder = new CallRecorder(new CallStore(knex), silentLogger(), () => 'QY');
      const pool = (knex.client as { pool: { numPendingAcquires(): number } }).pool;
      // The only connection is held until the recorder's first attempt has timed out waiting for it.
      let release!: () => void;
      const held = knex.transaction(async (trx) => {
        await trx.raw('select 1');
        await new Promise<void>((r) => (release = r));
      });
      await until(() => typeof release === 'function', { what: 'the connection held' });
      recorder.handle({ type: 'ChannelCreated', serverId: 'qy', source: 'ami', at: Date.now(), channelId: '3.100', channel: 'PJSIP/carrier-3.100', linkedId: '3.100', state: 'Ring', callerNumber: '13800000017', context: 'from-carrier', exten: '12345' } as unknown as TelephonyEvent);
      await until(() => pool.numPendingAcquires() > 0, { what: 'the recorder waiting for a connection' });
      await until(() => pool.numPendingAcquires() === 0, { what: 'its wait timed out' });
      release();
      await held;
      await recorder.idle();
      expect(await knex('calls').where({ linkedid: '3.100' }).first()).to.include({ caller_number: '13800000017' });
      expect(recorder.errors).to.equal(0);
    } finally {
      await knex.destroy();
      await db.destroy();
    }
  });
});
