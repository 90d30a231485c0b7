import { expect } from 'chai';
import { TelephonyEvent } from '../../src/telephony/events';
import { until } from '../support/until';
import { Harness, startHarness } from './support/sim-harness';

// The channel's lifecycle only: dialplan variables (VariableSet) are not part of it.
const types = (evs: TelephonyEvent[], channelId: string) => evs.filter((e) => 'channelId' in e && e.channelId === channelId && e.type !== 'VariableSet').map((e) => `${e.type}${e.synthetic ? '*' : ''}`);

describe('telephony fault tests against the simulator: drops, resync, restart', () => {
  let h: Harness;
  afterEach(async () => h && (await h.stop()));

  it('given a queued call, when the AMI link drops and the operator answers while we are away, then resync reports the answer and the call still completes correctly', async () => {
    // Reconnect after 0.5–1 s, operator answers after 150 ms: the answer happens while we are away.
    h = await startHarness({ amiReconnectMs: 1000 });
    const ami = h.hub.ami('centre-1');
    h.sim.registerEndpoint('1001');
    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 150 });
    const id = await h.sim.placeInboundCall({ from: '13800138000', to: '12345' });
    await h.waitFor('CallerJoinedQueue', (e) => e.channelId === id);
    h.sim.faults.dropAmiConnections();
    await until(() => ami.state === 'reconnecting', { what: 'ami reconnecting' });
    await until(() => h.sim.channels().find((c) => c.id === id)?.bridgeId, { what: 'answered in the simulator' });
    await until(() => ami.state === 'resynced', { what: 'ami resynced again', timeoutMs: 5000 });
    const answered = h.events.find((e) => e.type === 'OperatorAnswered' && e.channelId === id);
    expect(answered).to.include({ synthetic: true, reason: 'resync', memberInterface: 'PJSIP/1001', queue: 'q-pjsip' });
    expect(ami.view.channels.get(id)?.bridgeId).to.be.a('string');
    h.sim.hangup(id);
    const done = await h.waitFor('CallCompleted', (e) => e.channelId === id);
    expect(done.memberInterface).to.equal('PJSIP/1001');
    await h.waitFor('ChannelHungUp', (e) => e.channelId === id);
    expect(types(h.events, id)).to.include.ordered.members(['ChannelCreated', 'ChannelStateChanged', 'CallerJoinedQueue']);
    expect(types(h.events, id)).to.include.members(['CallerLeftQueue*', 'OperatorAnswered*', 'BridgeEntered*', 'ChannelHungUp']);
    await until(() => ami.view.channels.size === 0, { what: 'nothing left tracked' });
  });

  it('given a bridged call, when the AMI link drops and the citizen hangs up while we are away, then resync ends the call with synthetic events', async () => {
    h = await startHarness({ amiReconnectMs: 1000 });
    const ami = h.hub.ami('centre-1');
    h.sim.registerEndpoint('1001');
    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 10 });
    const id = await h.sim.placeInboundCall({ from: '13800138000', to: '12345' });
    await h.waitFor('BridgeEntered', (e) => e.channelId === id);
    h.sim.faults.dropAmiConnections();
    await until(() => ami.state === 'reconnecting');
    h.sim.hangup(id);
    await until(() => ami.state === 'resynced', { timeoutMs: 5000 });
    const hung = await h.waitFor('ChannelHungUp', (e) => e.channelId === id);
    expect(hung).to.include({ synthetic: true, reason: 'resync' });
    expect(h.events.find((e) => e.type === 'CallCompleted' && e.channelId === id)).to.include({ synthetic: true, memberInterface: 'PJSIP/1001' });
    expect(ami.view.channels.size).to.equal(0);
  });

  it('given a Stasis call, when the ARI socket drops and the call ends meanwhile, then resync ends it and its listeners are gone', async () => {
    h = await startHarness({ ariReconnectMs: 1000 });
    const ari = h.hub.ari('centre-1');
    const id = await h.sim.placeInboundCall({ from: '13800138000', to: '12345', trunk: 'carrier-ari' });
    await h.waitFor('StasisStarted', (e) => e.channelId === id);
    const seen: TelephonyEvent[] = [];
    ari.onChannel(id, (e) => seen.push(e));
    h.sim.faults.dropAriConnections();
    await until(() => ari.state === 'reconnecting');
    h.sim.hangup(id);
    await until(() => ari.state === 'resynced', { timeoutMs: 5000 });
    const ended = await h.waitFor('StasisEnded', (e) => e.channelId === id);
    expect(ended).to.include({ synthetic: true, reason: 'resync' });
    expect(seen.map((e) => e.type)).to.deep.equal(['StasisEnded']);
    expect(ari.status().counters).to.include({ channelListeners: 0, trackedChannels: 0 });
  });

  it('given a Stasis call that survives an ARI drop, when we reconnect, then it is still tracked and can be answered', async () => {
    h = await startHarness({ ariReconnectMs: 100 });
    const ari = h.hub.ari('centre-1');
    const id = await h.sim.placeInboundCall({ from: '13800138000', to: '12345', trunk: 'carrier-ari' });
    await h.waitFor('StasisStarted', (e) => e.channelId === id);
    h.sim.faults.dropAriConnections();
    await until(() => ari.state === 'reconnecting');
    await until(() => ari.state === 'resynced', { timeoutMs: 5000 });
    expect(h.events.filter((e) => e.synthetic && 'channelId' in e && e.channelId === id)).to.deep.equal([]);
    expect(ari.view.channels.has(id)).to.equal(true);
    await ari.answer(id);
    await ari.hangup(id);
    await h.waitFor('StasisEnded', (e) => e.channelId === id && !e.synthetic);
  });

  it('given calls in progress, when Asterisk restarts, then every tracked call ends and both links come back resynced', async () => {
    h = await startHarness();
    h.sim.registerEndpoint('1001');
    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 10 });
    const queued = await h.sim.placeInboundCall({ from: '13800138000', to: '12345' });
    const stasis = await h.sim.placeInboundCall({ from: '13900139000', to: '12345', trunk: 'carrier-ari' });
    await h.waitFor('BridgeEntered', (e) => e.channelId === queued);
    await h.waitFor('StasisStarted', (e) => e.channelId === stasis);
    const reconnectsBefore = h.hub.status().servers[0].ami.reconnects;
    await h.sim.faults.restart();
    await until(() => h.hub.status().servers[0].ami.reconnects > reconnectsBefore && h.hub.status().ready, { timeoutMs: 8000, what: 'links back after restart' });
    await h.waitFor('ChannelHungUp', (e) => e.channelId === queued);
    await h.waitFor('StasisEnded', (e) => e.channelId === stasis);
    expect(h.hub.ami('centre-1').view.channels.size).to.equal(0);
    expect(h.hub.ari('centre-1').view.channels.size).to.equal(0);
  });
});
