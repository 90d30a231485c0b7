import { expect } from 'chai';
import { AmiClient } from '../../src/telephony/ami-client';
import { TelephonyEvent } from '../../src/telephony/events';
import { until } from '../support/until';
import { FakeAmi } from './support/fake-ami';
import { unsolicitedEvents } from './support/transcripts';

describe('telephony/AMI domain events from the real captures', () => {
  let ami: FakeAmi;
  let client: AmiClient;
  let events: TelephonyEvent[];

  beforeEach(async () => {
    ami = await new FakeAmi().start();
    client = new AmiClient({ host: '127.0.0.1', port: ami.port, username: 'hotline', password: 'hotline' },
      { serverId: 'centre-a', keepaliveMs: 0 });
    events = [];
    client.on('event', (e: TelephonyEvent) => { if (e.type !== 'ConnectionStateChanged') events.push(e); });
    client.start();
    await client.whenResynced(2000);
  });
  afterEach(async () => {
    await client.stop();
    await ami.stop();
  });

  async function replay(file: string, edit: (frames: string[]) => string[] = (f) => f): Promise<void> {
    const frames = edit(unsolicitedEvents(file));
    ami.push(frames.join('') + 'Event: UserEvent\r\nUserEvent: end-of-replay\r\n\r\n');
    // The sentinel is skipped unparsed but counted: wait until everything before it was consumed.
    const total = client.counters.framesIn + frames.length + 1;
    await until(() => client.counters.framesIn >= total, { what: `all frames of ${file}` });
  }

  it('given the queue call capture (01), when replayed, then the call reads as join → ringing ×2 → answered by 8001 → completed → hung up', async () => {
    await replay('01-login-status-originate-queue.txt');
    const callerId = 'caller-0001-2';
    const mine = events.filter((e) => 'channelId' in e && e.channelId === callerId);
    const types = mine.map((e) => e.type);
    expect(types[0]).to.equal('ChannelCreated');
    const order = ['CallerJoinedQueue', 'MemberRinging', 'CallerLeftQueue', 'OperatorAnswered', 'BridgeEntered', 'CallCompleted', 'ChannelHungUp'];
    const idx = order.map((t) => types.indexOf(t as TelephonyEvent['type']));
    expect(idx.every((i) => i >= 0), `missing in ${types.join(',')}`).to.equal(true);
    expect([...idx].sort((a, b) => a - b)).to.deep.equal(idx);
    expect(types.filter((t) => t === 'MemberRinging')).to.have.length(2);
    // AgentCalled names the caller (its CallerIDNum is the caller channel's): the screen pop reads it.
    const ringing = mine.find((e) => e.type === 'MemberRinging');
    expect(ringing).to.have.property('callerNumber').that.is.a('string').and.not.empty;
    // In this capture AgentComplete precedes the caller's BridgeLeave; both precede the hangup.
    expect(types.indexOf('BridgeLeft')).to.be.within(idx[4], idx[6]);
    const answered = mine.find((e) => e.type === 'OperatorAnswered');
    expect(answered).to.include({ queue: 'q-12345', memberInterface: 'Local/8001@operators', memberName: 'Operator 8001', serverId: 'centre-a', source: 'ami' });
    const done = mine.find((e) => e.type === 'CallCompleted');
    expect(done).to.include({ completionReason: 'caller', correlatedBy: 'uniqueid', talkTimeSec: 7 });
    const loser = events.find((e) => e.type === 'ChannelHungUp' && e.cause === 26);
    expect(loser).to.include({ causeText: 'Answered elsewhere' });
    expect(client.view.channels.size).to.equal(0);
  });

  it('given an AgentComplete without the caller ids (as under load), when replayed, then it is correlated by its Dest* fields', async () => {
    await replay('01-login-status-originate-queue.txt', (frames) => frames.map((f) =>
      f.startsWith('Event: AgentComplete') ? f.replace(/^(Channel|Uniqueid|Linkedid): .*\r\n/gm, '') : f));
    const done = events.find((e) => e.type === 'CallCompleted');
    expect(done).to.include({ correlatedBy: 'dest', channelId: 'caller-0001-2', linkedId: 'caller-0001', memberInterface: 'Local/8001@operators' });
  });

  it('given operator 1001 answered call X and then call Y, when an AgentComplete naming only DestLinkedid=X arrives, then it is credited to X, never to the latest call Y', async () => {
    const connect = (caller: string, linked: string, member: string) =>
      `Event: AgentConnect\r\nPrivilege: agent,all\r\nChannel: PJSIP/carrier-${caller}\r\nUniqueid: ${caller}\r\nLinkedid: ${linked}\r\n` +
      `DestChannel: PJSIP/1001-${member}\r\nDestUniqueid: ${member}\r\nDestLinkedid: ${linked}\r\nQueue: q-qy\r\nInterface: PJSIP/1001\r\nMemberName: 1001\r\nHoldTime: 1\r\nRingTime: 1\r\n\r\n`;
    // As in capture 13: the operator's leg is gone, so only Dest* and the member remain.
    const complete = (dest: string) =>
      `Event: AgentComplete\r\nPrivilege: agent,all\r\n${dest}Queue: q-qy\r\nInterface: PJSIP/1001\r\nMemberName: 1001\r\nHoldTime: 1\r\nTalkTime: 83\r\nReason: caller\r\n\r\n`;
    ami.push(connect('1.10', 'X', '1.11') + connect('1.20', 'Y', '1.21') + complete('DestLinkedid: X\r\n') + complete(''));
    const done = await until(() => { const d = events.filter((e) => e.type === 'CallCompleted'); return d.length === 2 ? d : null; }, { what: 'both AgentCompletes' });
    expect(done[0]).to.include({ correlatedBy: 'dest', linkedId: 'X', channelId: '1.10', memberChannelId: '1.11', talkTimeSec: 83 });
    // Y is the only call left for 1001, and this AgentComplete names nothing: the member is enough now.
    expect(done[1]).to.include({ correlatedBy: 'member', linkedId: 'Y', channelId: '1.20' });
  });

  it('given two answered calls outstanding for one member, when an AgentComplete names neither, then it stays uncorrelated', async () => {
    const connect = (caller: string, linked: string, member: string) =>
      `Event: AgentConnect\r\nChannel: PJSIP/carrier-${caller}\r\nUniqueid: ${caller}\r\nLinkedid: ${linked}\r\nDestChannel: PJSIP/1001-${member}\r\nDestUniqueid: ${member}\r\nQueue: q-qy\r\nInterface: PJSIP/1001\r\n\r\n`;
    ami.push(connect('2.10', 'X2', '2.11') + connect('2.20', 'Y2', '2.21') + 'Event: AgentComplete\r\nQueue: q-qy\r\nInterface: PJSIP/1001\r\nTalkTime: 5\r\nReason: caller\r\n\r\n');
    const done = await until(() => events.find((e) => e.type === 'CallCompleted'), { what: 'the AgentComplete' });
    expect(done).to.include({ correlatedBy: 'none' });
    expect((done as { linkedId?: string }).linkedId).to.equal(undefined);
  });

  it('given the queue member capture (02), when replayed, then members are added, paused with reason, unpaused and removed', async () => {
    await replay('02-queue-member-add-pause-remove.txt');
    const types = events.map((e) => e.type).filter((t) => t.startsWith('QueueMember'));
    expect(types).to.include.members(['QueueMemberAdded', 'QueueMemberPaused', 'QueueMemberRemoved']);
    const paused = events.find((e) => e.type === 'QueueMemberPaused' && e.paused);
    expect(paused).to.include({ pauseReason: 'lunch', memberInterface: 'Local/8003@operators' });
  });

  it('given the MixMonitor capture (03), when replayed, then recordings start and finish on the right channels', async () => {
    await replay('03-mixmonitor.txt');
    const started = events.filter((e) => e.type === 'RecordingStarted');
    const finished = events.filter((e) => e.type === 'RecordingFinished');
    expect(started).to.have.length(2);
    expect(started.every((e) => e.type === 'RecordingStarted' && e.via === 'mixmonitor')).to.equal(true);
    expect(finished.length).to.be.greaterThanOrEqual(2);
  });

  it('given the blind transfer capture (05), when replayed, then a blind Transfer names transferer, transferee and target', async () => {
    await replay('05-transfer-redirect-blindtransfer.txt');
    const t = events.find((e) => e.type === 'Transfer');
    expect(t).to.include({ kind: 'blind', result: 'Success', targetContext: 'county-lines', targetExten: '0571', external: true,
      transfererChannel: 'Local/12345@from-caller-00000007;2', transfereeChannel: 'Local/8001@operators-00000009;1' });
    const complete = events.filter((e) => e.type === 'CallCompleted').map((e) => e.type === 'CallCompleted' && e.completionReason);
    expect(complete).to.include('transfer');
  });

  it('given the PJSIP transfer capture (09), when replayed, then blind and attended transfers and received DTMF are typed', async () => {
    await replay('09-pjsip-transfer-redirect-blind-atxfer-refer.txt');
    const kinds = events.filter((e) => e.type === 'Transfer').map((e) => e.type === 'Transfer' && e.kind);
    expect(kinds).to.include.members(['blind', 'attended']);
    const att = events.find((e) => e.type === 'Transfer' && e.kind === 'attended');
    expect(att).to.include({ targetContext: 'county-lines-pjsip', targetExten: '0571', external: false });
    const digits = events.filter((e) => e.type === 'DtmfReceived').map((e) => e.type === 'DtmfReceived' && e.digit).join('');
    expect(digits).to.equal('*20571');
  });

  it('given the registration capture (07), when replayed, then endpoints become reachable then unreachable and member status changes', async () => {
    await replay('07-pjsip-registration-queue-member-states.txt');
    const ep = events.filter((e) => e.type === 'EndpointReachable' || e.type === 'EndpointUnreachable')
      .map((e) => `${e.type}:${(e as { endpoint: string }).endpoint}`);
    expect(ep).to.include.members(['EndpointReachable:PJSIP/1001', 'EndpointUnreachable:PJSIP/1001']);
    const ringing = events.find((e) => e.type === 'QueueMemberStatusChanged' && e.status === 6);
    expect(ringing).to.include({ statusText: 'ringing', queue: 'q-pjsip' });
  });

  it('given every capture, when replayed, then every event type used is one we declared and nothing is left tracked twice', async () => {
    for (const f of ['08-pjsip-queue-call-caller-hangs-up.txt', '08b-pjsip-queue-call-operator-hangs-up.txt', '10-pjsip-supervisor-chanspy-listen-whisper-barge.txt', '11-pjsip-confbridge-3way.txt', '12-pjsip-mixmonitor.txt']) {
      await replay(f);
    }
    expect(client.counters.unknownEvents).to.equal(0);
    expect(client.counters.garbage).to.equal(0);
    expect(client.view.channels.size).to.equal(0);
  });
});
