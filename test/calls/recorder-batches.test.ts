import { expect } from 'chai';
import { Knex } from 'knex';
import { CallRecorder } from '../../src/calls/call-recorder';
import { CallStore } from '../../src/calls/call-store';
import { silentLogger } from '../../src/logging/logger';
import { TelephonyEvent } from '../../src/telephony';
import { DATABASE_KINDS, startTestService, TestService } from '../support/service';

/**
 * The events of a call that arrive together are written in one transaction (issue #13), and one fact
 * that cannot be written does not take the others of its burst with it.
 */
for (const database of DATABASE_KINDS) {
  describe(`call records: a burst of a call's events [${database}]`, function () {
    this.timeout(60_000);
    let svc: TestService;
    let knex: Knex;
    let t = Date.UTC(2026, 11, 1, 2, 0, 0);
    const ev = (e: Record<string, unknown>) => ({ serverId: 'qy', source: 'ami', at: (t += 1000), ...e }) as unknown as TelephonyEvent;
    const call = (id: string, memberChannel: string) => [
      ev({ type: 'ChannelCreated', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, state: 'Ring', callerNumber: '13800000017', context: 'from-carrier', exten: '12345' }),
      ev({ type: 'CallerJoinedQueue', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, queue: 'q-qy', position: 1 }),
      ev({ type: 'OperatorAnswered', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, queue: 'q-qy', memberInterface: 'PJSIP/1001', memberChannel, memberChannelId: `${id}.op` }),
      ev({ type: 'CallerLeftQueue', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, queue: 'q-qy' }),
      ev({ type: 'ChannelHungUp', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, cause: 16, causeText: 'Normal Clearing' }),
    ];
    const transitions = async (id: string) => {
      const row = await knex('calls').where({ linkedid: id }).first();
      return row ? knex('call_transitions').where({ call_id: row.id }).orderBy('id').pluck('event') : [];
    };

    before(async () => {
      svc = await startTestService({ database, redis: false });
      knex = svc.db.knex;
    });
    after(async () => svc?.stop());

    it('given a whole call read in one burst, when it is recorded, then it is one transaction and every transition is there', async () => {
      const recorder = new CallRecorder(new CallStore(knex), silentLogger(), () => 'QY');
      let transactions = 0;
      const count = (q: { sql: string }) => { if (/^begin/i.test(q.sql)) transactions++; };
      knex.on('query', count);
      try {
        for (const e of call('3.100', 'PJSIP/1001-00000001')) recorder.handle(e);
        await recorder.idle();
      } finally {
        knex.off('query', count);
      }
      expect(transactions).to.equal(1);
      expect(await transitions('3.100')).to.deep.equal(['queue_joined', 'answered', 'queue_left', 'hangup']);
      expect(recorder.errors).to.equal(0);
    });

    it('given a burst whose answer cannot be written (the operator channel longer than its column), then only that fact is lost: the hangup of the same burst is recorded', async () => {
      const recorder = new CallRecorder(new CallStore(knex), silentLogger(), () => 'QY');
      for (const e of call('3.200', `PJSIP/${'x'.repeat(200)}`)) recorder.handle(e);
      await recorder.idle();

      expect(recorder.errors).to.equal(1);
      expect(await transitions('3.200')).to.deep.equal(['queue_joined', 'queue_left', 'hangup']);
      expect(await knex('calls').where({ linkedid: '3.200' }).first()).to.include({ state: 'ended', answered_at: null });
      expect(await knex('call_legs').where({ channel_id: '3.200.op' }).first()).to.equal(undefined);
    });
  });
}
