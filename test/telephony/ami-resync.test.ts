import { expect } from 'chai';
import { AmiClient } from '../../src/telephony/ami-client';
import { TelephonyEvent } from '../../src/telephony/events';
import { until } from '../support/until';
import { FakeAmi, frame } from './support/fake-ami';
import { amiFrames as F } from './support/frames';

const CALLER = 'PJSIP/carrier-00000000';
const CALLER_ID = '1795806883.0';
const OP = 'PJSIP/1001-00000001';
const OP_ID = '1795806883.1';

describe('telephony/AMI resync after reconnect', () => {
  let ami: FakeAmi;
  let client: AmiClient;
  let events: TelephonyEvent[];

  beforeEach(async () => {
    ami = await new FakeAmi().start();
    ami.snapshot.queue = [F.queueParams('q-pjsip'), F.queueMember('q-pjsip', 'PJSIP/1001', 'Operator 1001', 1), F.queueMember('q-pjsip', 'PJSIP/1002', 'Operator 1002', 1)];
    client = new AmiClient({ host: '127.0.0.1', port: ami.port, username: 'hotline', password: 'hotline' },
      { serverId: 'c1', keepaliveMs: 0, backoff: { initialMs: 10, maxMs: 50 } });
    events = [];
    client.on('event', (e: TelephonyEvent) => { if (e.type !== 'ConnectionStateChanged') events.push(e); });
    client.start();
    await client.whenResynced(2000);
    ami.push(F.newchannel(CALLER, CALLER_ID) + F.newstate(CALLER, CALLER_ID) + F.queueJoin(CALLER, CALLER_ID, 'q-pjsip'));
    await until(() => client.view.channels.get(CALLER_ID)?.queue === 'q-pjsip', { what: 'caller queued' });
    events.length = 0;
  });
  afterEach(async () => {
    await client.stop();
    await ami.stop();
  });

  async function dropAndResync(): Promise<void> {
    const before = ami.count('CoreShowChannels');
    ami.dropAll();
    await until(() => ami.count('CoreShowChannels') > before && client.state === 'resynced', { what: 'resync after reconnect' });
  }

  it('given a queued caller, when the link drops and the call is answered meanwhile, then resync reports the answer and later AgentComplete still correlates', async () => {
    ami.snapshot.channels = [F.coreShowChannel(CALLER, CALLER_ID, 'b-1'), F.coreShowChannel(OP, OP_ID, 'b-1')];
    ami.snapshot.queue = [F.queueParams('q-pjsip'), F.queueMember('q-pjsip', 'PJSIP/1001', 'Operator 1001', 2, 1), F.queueMember('q-pjsip', 'PJSIP/1002', 'Operator 1002', 1)];
    await dropAndResync();
    const syn = events.filter((e) => e.synthetic);
    expect(syn.every((e) => e.reason === 'resync')).to.equal(true);
    expect(syn.map((e) => e.type)).to.include.members(['ChannelCreated', 'CallerLeftQueue', 'OperatorAnswered', 'BridgeEntered', 'QueueMemberStatusChanged']);
    expect(syn.find((e) => e.type === 'OperatorAnswered')).to.include({ channelId: CALLER_ID, memberInterface: 'PJSIP/1001', memberName: 'Operator 1001', memberChannelId: OP_ID });
    expect(syn.filter((e) => e.type === 'BridgeEntered').map((e) => (e as { channelId: string }).channelId).sort()).to.deep.equal([CALLER_ID, OP_ID].sort());

    ami.push(F.agentCompleteNoIds('q-pjsip', 'PJSIP/1001', 'Operator 1001') + F.hangup(CALLER, CALLER_ID));
    await until(() => events.some((e) => e.type === 'ChannelHungUp' && e.channelId === CALLER_ID));
    expect(events.find((e) => e.type === 'CallCompleted')).to.include({ correlatedBy: 'member', channelId: CALLER_ID, talkTimeSec: 30 });
  });

  it('given a tracked call, when it ended while we were away, then resync ends it with a synthetic hangup, and an unchanged snapshot emits nothing', async () => {
    ami.snapshot.channels = [F.coreShowChannel(CALLER, CALLER_ID)];
    ami.snapshot.queue.push(F.queueEntry('q-pjsip', CALLER, CALLER_ID));
    await dropAndResync();
    expect(events).to.deep.equal([]);
    ami.snapshot.channels = [];
    ami.snapshot.queue.pop();
    await dropAndResync();
    expect(events.map((e) => e.type)).to.deep.equal(['CallerLeftQueue', 'ChannelHungUp']);
    expect(events[1]).to.include({ synthetic: true, reason: 'resync', channelId: CALLER_ID, cause: 0 });
    expect(client.view.channels.size).to.equal(0);
  });

  it('given an Asterisk restart (new start-up time, no channels), when we reconnect, then tracked calls end with reason restart', async () => {
    ami.snapshot.channels = [];
    ami.handlers.set('corestatus', (h, reply) => reply(frame([['Response', 'Success'], ['ActionID', h.actionid], ['CoreStartupDate', '2026-11-27'], ['CoreStartupTime', '19:30:00']])));
    await dropAndResync();
    const hung = events.find((e) => e.type === 'ChannelHungUp');
    expect(hung).to.include({ channelId: CALLER_ID, synthetic: true, reason: 'restart', causeText: 'Asterisk restarted' });
  });

  it('given a hangup that arrives while the snapshot is in flight, when the stale snapshot still lists the channel, then it is not resurrected', async () => {
    ami.snapshot.channels = [F.coreShowChannel(CALLER, CALLER_ID)];
    ami.handlers.set('coreshowchannels', (h, reply) => reply([
      F.hangup(CALLER, CALLER_ID),
      frame([['Response', 'Success'], ['ActionID', h.actionid], ['EventList', 'start'], ['Message', 'Channels will follow']]),
      F.coreShowChannel(CALLER, CALLER_ID).replace('ActionID: x', `ActionID: ${h.actionid}`),
      frame([['Event', 'CoreShowChannelsComplete'], ['ActionID', h.actionid], ['EventList', 'Complete'], ['ListItems', 1]]),
    ]));
    await dropAndResync();
    expect(events.filter((e) => e.type === 'ChannelCreated')).to.deep.equal([]);
    expect(client.view.channels.has(CALLER_ID)).to.equal(false);
  });

  it('given a member removed and another paused while away, when we reconnect, then both differences are reported', async () => {
    ami.snapshot.queue = [F.queueParams('q-pjsip'), F.queueMember('q-pjsip', 'PJSIP/1001', 'Operator 1001', 1, 0, 1)];
    ami.snapshot.channels = [F.coreShowChannel(CALLER, CALLER_ID)];
    ami.snapshot.queue.push(F.queueEntry('q-pjsip', CALLER, CALLER_ID));
    await dropAndResync();
    expect(events.map((e) => e.type).sort()).to.deep.equal(['QueueMemberPaused', 'QueueMemberRemoved']);
  });
});
