import { expect } from 'chai';
import { createTestDatabase, TestDatabase } from '../support/db';
import { silentLogger } from '../../src/logging/logger';
import { CallRecorder } from '../../src/calls/call-recorder';
import { CallStore } from '../../src/calls/call-store';
import { TelephonyEvent } from '../../src/telephony';

/**
 * Field reports of issue 11, reduced to the events Asterisk sent and replayed on the service's call
 * records (real PostgreSQL): what a real Asterisk 22 reported must land as Asterisk meant it.
 */
describe('field reports replayed on the call records (issue 11)', () => {
  let db: TestDatabase;
  let recorder: CallRecorder;
  let t = Date.now();
  const ev = (e: Record<string, unknown>) => ({ serverId: 'qy', source: 'ami', at: (t += 1000), ...e }) as unknown as TelephonyEvent;

  before(async () => {
    db = await createTestDatabase();
    recorder = new CallRecorder(new CallStore(db.knex), silentLogger(), () => 'QY');
  });
  after(async () => {
    await db?.destroy();
  });

  function answeredCall(id: string) {
    recorder.handle(ev({ type: 'ChannelCreated', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, state: 'Ring', callerNumber: '13800000015', context: 'from-carrier', exten: '12345' }));
    recorder.handle(ev({ type: 'CallerJoinedQueue', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, queue: 'q-qy', position: 1 }));
    recorder.handle(ev({ type: 'CallerLeftQueue', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, queue: 'q-qy' }));
    recorder.handle(ev({ type: 'OperatorAnswered', channelId: id, channel: `PJSIP/carrier-${id}`, linkedId: id, queue: 'q-qy', memberInterface: 'PJSIP/1001', memberChannel: `PJSIP/1001-${id}`, memberChannelId: `${id}.op` }));
  }

  it('given a BlindTransfer with Result: Fail, when the caller then hangs up on the operator, then the call is answered, not transferred', async () => {
    answeredCall('1.100');
    recorder.handle(ev({ type: 'Transfer', kind: 'blind', result: 'Fail', transfererChannelId: '1.100.op', transfererChannel: 'PJSIP/1001-1.100', transfereeChannelId: '1.100', transfereeChannel: 'PJSIP/carrier-1.100', targetContext: 'hotline-transfer', targetExten: '000009', bridgeId: 'b1', external: true }));
    recorder.handle(ev({ type: 'ChannelHungUp', channelId: '1.100', channel: 'PJSIP/carrier-1.100', linkedId: '1.100', cause: 16, causeText: 'Normal Clearing' }));
    await recorder.idle();
    const call = await db.knex('calls').where({ linkedid: '1.100' }).first();
    expect(call).to.include({ state: 'ended', outcome: 'answered', transferred: false });
    expect(await db.knex('call_transitions').where({ call_id: call.id }).pluck('event')).to.not.include('transferred');
  });

  it('given an AttendedTransfer of a service consultation delivered late, without the target’s state (Asterisk 22.10), when the target then refused, then the call is not transferred: the linkage decides', async () => {
    answeredCall('1.300');
    recorder.handle(ev({ type: 'Transfer', kind: 'attended', result: 'Success', transfererChannelId: '1.300.op', transfererChannel: 'PJSIP/1001-1.300', transfereeChannelId: '1.300', transfereeChannel: 'PJSIP/carrier-1.300', targetContext: 'hotline-consult', targetExten: '000007', bridgeId: 'b3', external: false, secondTransfererChannel: 'PJSIP/1001-1.300' }));
    recorder.handle(ev({ type: 'ChannelHungUp', channelId: '1.300', channel: 'PJSIP/carrier-1.300', linkedId: '1.300', cause: 16, causeText: 'Normal Clearing' }));
    await recorder.idle();
    const call = await db.knex('calls').where({ linkedid: '1.300' }).first();
    expect(call).to.include({ state: 'ended', outcome: 'answered', transferred: false });
  });

  it('given an AttendedTransfer delivered with no target fields at all (the Local pair already gone), when the target then refused, then the call is not transferred', async () => {
    answeredCall('1.400');
    recorder.handle(ev({ type: 'Transfer', kind: 'attended', result: 'Success', transfererChannelId: '1.400.op', transfererChannel: 'PJSIP/1001-1.400', transfereeChannelId: '1.400', transfereeChannel: 'PJSIP/carrier-1.400', bridgeId: 'b4', external: false, secondTransfererChannel: 'PJSIP/1001-1.400' }));
    recorder.handle(ev({ type: 'ChannelHungUp', channelId: '1.400', channel: 'PJSIP/carrier-1.400', linkedId: '1.400', cause: 16, causeText: 'Normal Clearing' }));
    await recorder.idle();
    expect(await db.knex('calls').where({ linkedid: '1.400' }).first()).to.include({ outcome: 'answered', transferred: false });
  });

  it('given an attended transfer made on the operator’s phone to an answered county line (capture 09: TransferTargetChannelState 6), when replayed, then the call is transferred', async () => {
    answeredCall('1.500');
    recorder.handle(ev({ type: 'Transfer', kind: 'attended', result: 'Success', transfererChannelId: '1.500.op', transfererChannel: 'PJSIP/1001-1.500', transfereeChannelId: '1.500', transfereeChannel: 'PJSIP/carrier-1.500', targetContext: 'county-lines-pjsip', targetExten: '0571', bridgeId: 'b5', external: false, targetChannel: 'Local/0571@county-lines-pjsip-00000000;1', secondTransfererChannel: 'PJSIP/1001-1.500', targetAnswered: true }));
    recorder.handle(ev({ type: 'ChannelHungUp', channelId: '1.500', channel: 'PJSIP/carrier-1.500', linkedId: '1.500', cause: 16, causeText: 'Normal Clearing' }));
    await recorder.idle();
    expect(await db.knex('calls').where({ linkedid: '1.500' }).first()).to.include({ outcome: 'transferred', transferred: true });
  });

  it('given a BlindTransfer with Result: Success, when replayed, then the call is transferred', async () => {
    answeredCall('1.200');
    recorder.handle(ev({ type: 'Transfer', kind: 'blind', result: 'Success', transfererChannelId: '1.200.op', transfererChannel: 'PJSIP/1001-1.200', transfereeChannelId: '1.200', transfereeChannel: 'PJSIP/carrier-1.200', targetContext: 'county-lines', targetExten: '0571', bridgeId: 'b2', external: true }));
    recorder.handle(ev({ type: 'ChannelHungUp', channelId: '1.200', channel: 'PJSIP/carrier-1.200', linkedId: '1.200', cause: 16, causeText: 'Normal Clearing' }));
    await recorder.idle();
    expect(await db.knex('calls').where({ linkedid: '1.200' }).first()).to.include({ outcome: 'transferred', transferred: true });
  });
});
