import { expect } from 'chai';
import { Harness, startHarness } from './support/sim-harness';
import { AmiClient } from '../../src/telephony/ami-client';
import { TelephonyEvent } from '../../src/telephony/events';
import { until } from '../support/until';

describe('telephony adapters against the Asterisk simulator (real sockets, unmodified libraries)', () => {
  let h: Harness;
  afterEach(async () => h && (await h.stop()));

  it('given the simulator, when the hub starts, then both links resync and queue members and endpoints are announced', async () => {
    h = await startHarness();
    const st = h.hub.status();
    expect(st.ready).to.equal(true);
    expect(st.servers[0]).to.deep.include({ id: 'centre-1' });
    expect(h.events.some((e) => e.type === 'QueueMemberAdded' && e.synthetic && e.serverId === 'centre-1')).to.equal(true);
  });

  it('given a carrier call to 12345, when operator 1001 answers and the citizen hangs up, then the call reads joined → ringing → answered → completed → hung up', async () => {
    h = await startHarness();
    h.sim.registerEndpoint('1001');
    h.sim.registerEndpoint('1002');
    h.sim.setEndpointBehaviour('1002', { noAnswer: true });
    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 50 });
    const id = await h.sim.placeInboundCall({ from: '13800138000', to: '12345' });
    await h.waitFor('CallerJoinedQueue', (e) => e.channelId === id);
    await h.waitFor('MemberRinging', (e) => e.channelId === id);
    const ans = await h.waitFor('OperatorAnswered', (e) => e.channelId === id);
    expect(ans).to.include({ queue: 'q-pjsip', memberInterface: 'PJSIP/1001' });
    expect(ans.synthetic).to.equal(undefined);
    h.sim.hangup(id);
    const done = await h.waitFor('CallCompleted', (e) => e.memberInterface === 'PJSIP/1001');
    expect(done.channelId).to.equal(id);
    await h.waitFor('ChannelHungUp', (e) => e.channelId === id);
  });

  it('given typed commands, when queue membership, variables, AstDB and MixMonitor are driven, then Asterisk answers and the events follow', async () => {
    h = await startHarness();
    const ami = h.hub.ami('centre-1');
    await ami.queueAdd({ queue: 'q-pjsip', memberInterface: 'PJSIP/12348', memberName: 'Expert 12348', penalty: 1 });
    await h.waitFor('QueueMemberAdded', (e) => e.memberInterface === 'PJSIP/12348' && !e.synthetic);
    await ami.queuePause({ queue: 'q-pjsip', memberInterface: 'PJSIP/12348', paused: true, reason: 'lunch' });
    expect(await h.waitFor('QueueMemberPaused', (e) => e.memberInterface === 'PJSIP/12348')).to.include({ paused: true, pauseReason: 'lunch' });
    await ami.queueRemove({ queue: 'q-pjsip', memberInterface: 'PJSIP/12348' });
    await h.waitFor('QueueMemberRemoved', (e) => e.memberInterface === 'PJSIP/12348');
    const dup = await ami.queueRemove({ queue: 'q-pjsip', memberInterface: 'PJSIP/12348' }).then(() => null, (e) => e);
    expect(dup).to.include({ id: 'telephony.command_failed' });

    await ami.setVar({ variable: 'GLOBAL(HOTLINE_BUSY)', value: '1' });
    expect(await ami.getVar({ variable: 'GLOBAL(HOTLINE_BUSY)' })).to.equal('1');
    await ami.dbPut('hotline', 'blocked/13900000000', '1');
    expect(await ami.dbGet('hotline', 'blocked/13900000000')).to.equal('1');
    await ami.dbDel('hotline', 'blocked/13900000000');
    expect(await ami.dbGet('hotline', 'blocked/13900000000')).to.equal(undefined);

    h.sim.registerEndpoint('1001');
    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 10 });
    const id = await h.sim.placeInboundCall({ from: '13800138000', to: '12345' });
    const ans = await h.waitFor('OperatorAnswered', (e) => e.channelId === id);
    await ami.mixMonitor({ channel: ans.channel, file: 'hotline-test.wav', options: 'b' });
    expect(await h.waitFor('RecordingStarted', (e) => e.channel === ans.channel)).to.include({ via: 'mixmonitor', file: 'hotline-test.wav' });
    await ami.stopMixMonitor({ channel: ans.channel });
    await h.waitFor('RecordingFinished', (e) => e.channel === ans.channel);
    h.sim.hangup(id);
    await h.waitFor('ChannelHungUp', (e) => e.channelId === id);
  });

  it('given an async Originate, when it is placed, then its OriginateResult arrives as an event with the same ActionID', async () => {
    h = await startHarness();
    h.sim.registerEndpoint('1003');
    h.sim.setEndpointBehaviour('1003', { answerAfterMs: 10 });
    const { actionId } = await h.hub.ami('centre-1').originate({ channel: 'PJSIP/1003', application: 'Wait', data: '1' });
    expect(await h.waitFor('OriginateResult', (e) => e.actionId === actionId)).to.include({ success: true });
  });

  it('given a Stasis call, when answered, played to and bridged through ARI, then Stasis events and per-channel events arrive and listeners go when it ends', async () => {
    h = await startHarness();
    const ari = h.hub.ari('centre-1');
    const id = await h.sim.placeInboundCall({ from: '13800138000', to: '12345', trunk: 'carrier-ari' });
    const start = await h.waitFor('StasisStarted', (e) => e.channelId === id);
    expect(start).to.deep.include({ app: 'hotline', args: ['inbound'] });
    const seen: string[] = [];
    ari.onChannel(id, (e) => seen.push(e.type));
    await ari.answer(id);
    await ari.play(id, 'sound:hello-world', 'pb-test');
    await h.waitFor('PlaybackFinished', (e) => e.playbackId === 'pb-test');
    const bridge = await ari.createBridge({ bridgeId: 'br-test' });
    await ari.addToBridge(bridge.id, [id]);
    await ari.hangup(id);
    await h.waitFor('StasisEnded', (e) => e.channelId === id);
    expect(seen).to.include.members(['ChannelStateChanged', 'PlaybackFinished', 'BridgeEntered', 'StasisEnded']);
    expect(ari.status().counters).to.include({ channelListeners: 0, trackedChannels: 0 });
  });

  it('given two instances with the same ASTERISK_SERVERS on one Asterisk, when A originates a call that fails, then their ActionIDs differ and B never reads the OriginateResponse as its own', async () => {
    h = await startHarness();
    const b = new AmiClient({ host: '127.0.0.1', port: h.sim.amiPort, username: 'hotline', password: 'hotline' }, { serverId: 'centre-1', keepaliveMs: 0 });
    const seenByB: TelephonyEvent[] = [];
    b.on('event', (e: TelephonyEvent) => seenByB.push(e));
    b.start();
    try {
      await b.whenResynced(5000);
      // Both sessions are fresh: with per-server counters both would send `centre-1-N` for the same N.
      const { actionId: fromA } = await h.hub.ami('centre-1').originate({ channel: 'Local/nope@nowhere', context: 'x', exten: 's' });
      const { actionId: fromB } = await b.originate({ channel: 'PJSIP/1003', application: 'Wait', data: '1' });
      expect(fromA).to.not.equal(fromB);
      await h.waitFor('OriginateResult', (e) => e.actionId === fromA);
      await until(() => seenByB.find((e) => e.type === 'OriginateResult' && e.actionId === fromB), { what: "B's own OriginateResponse" });
      // Asterisk sent A's response to B's session too (every session gets it): B ignored it.
      expect(seenByB.filter((e) => e.type === 'OriginateResult').map((e) => (e as { actionId: string }).actionId)).to.deep.equal([fromB]);
      expect(h.events.filter((e) => e.type === 'OriginateResult').map((e) => (e as { actionId: string }).actionId)).to.deep.equal([fromA]);
    } finally {
      await b.stop();
    }
  });
});
