import { expect } from 'chai';
import { AriClient } from '../../src/telephony/ari-client';
import { TelephonyEvent } from '../../src/telephony/events';
import { until } from '../support/until';
import { FakeAri } from './support/fake-ari';
import { ariEvents } from './support/transcripts';

function stasisChannel(id: string, name = `Local/12345@from-caller-${id};2`) {
  return { id, name, state: 'Ring', caller: { name: 'Citizen', number: '13800138000' },
    dialplan: { context: 'from-caller', exten: '12345', priority: 3, app_name: 'Stasis', app_data: 'hotline,inbound' } };
}

describe('telephony/AriClient against an ARI server serving the real api-docs', () => {
  let ari: FakeAri;
  let client: AriClient;
  let events: TelephonyEvent[];

  beforeEach(async () => {
    ari = await new FakeAri().start();
    client = new AriClient({ url: ari.url, username: 'hotline', password: 'hotline', app: 'hotline' },
      { serverId: 'c1', pingMs: 0, commandTimeoutMs: 2000, backoff: { initialMs: 20, maxMs: 100 } });
    events = [];
    client.on('event', (e: TelephonyEvent) => events.push(e));
  });
  afterEach(async () => {
    await client.stop();
    await ari.stop();
  });

  it('given a server, when started, then ari-client loads the api-docs, the event socket opens and the link resyncs', async () => {
    client.start();
    await client.whenResynced(5000);
    expect(events.filter((e) => e.type === 'ConnectionStateChanged').map((e) => (e as { state: string }).state))
      .to.deep.equal(['connecting', 'connected', 'resynced']);
    expect(ari.calls.map((c) => `${c.method} ${c.path}`)).to.include.members(['GET /channels', 'GET /bridges']);
  });

  it('given typed commands, when called, then they reach the REST paths Asterisk documents', async () => {
    client.start();
    await client.whenResynced(5000);
    await client.answer('ch-1');
    await client.play('ch-1', 'sound:hello-world', 'pb-1');
    await client.createBridge({ bridgeId: 'call-1' });
    await client.addToBridge('call-1', ['ch-1', 'op-1']);
    await client.recordBridge('call-1', 'rec-1');
    await client.continueInDialplan('ch-1', { context: 'county-lines', extension: '0571', priority: 1 });
    await client.snoop('op-1', { app: 'hotline', spy: 'both', whisper: 'out' });
    const paths = ari.calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`);
    expect(paths).to.deep.equal(['POST /channels/ch-1/answer', 'POST /channels/ch-1/play', 'POST /bridges',
      'POST /bridges/call-1/addChannel', 'POST /bridges/call-1/record', 'POST /channels/ch-1/continue', 'POST /channels/op-1/snoop']);
    expect(ari.calls.find((c) => c.path === '/bridges/call-1/addChannel')?.query.channel).to.equal('ch-1,op-1');
    expect(ari.calls.find((c) => c.method === 'POST' && c.path === '/bridges')?.query).to.include({ bridgeId: 'call-1', type: 'mixing' });
  });

  it('given an ARI error body, when a command fails, then it rejects with telephony.command_failed and Asterisk\'s message', async () => {
    ari.routes.push((c) => (c.path === '/channels/nope/answer' ? { status: 404, body: { message: 'Channel not found' } } : undefined));
    client.start();
    await client.whenResynced(5000);
    const err = await client.answer('nope').then(() => null, (e) => e);
    expect(err).to.include({ id: 'telephony.command_failed' });
    expect(err.details.asteriskMessage).to.equal('Channel not found');
  });

  it('given the captured Stasis call (04), when replayed, then Stasis, recording, playback and bridge events are typed and nothing stays tracked', async () => {
    client.start();
    await client.whenResynced(5000);
    const perChannel: TelephonyEvent[] = [];
    client.onChannel('hotline-in-0001', (e) => perChannel.push(e));
    const captured = ariEvents('04-stasis-bridge-record-3way.jsonl');
    for (const e of captured) ari.push(e);
    await until(() => client.counters.messagesIn >= captured.length, { what: 'all ARI events' });
    const types = new Set(events.map((e) => e.type));
    for (const t of ['StasisStarted', 'StasisEnded', 'RecordingStarted', 'RecordingFinished', 'PlaybackFinished', 'BridgeDestroyed']) expect(types).to.include(t);
    expect(events.find((e) => e.type === 'RecordingFinished')).to.include({ via: 'ari', name: 'rec-call-0001', target: 'bridge:call-0001', durationSec: 5 });
    expect(events.find((e) => e.type === 'StasisStarted')).to.deep.include({ channelId: 'hotline-in-0001', args: ['inbound'], callerNumber: '13800138000' });
    expect(perChannel.map((e) => e.type)).to.include.members(['StasisStarted', 'BridgeEntered', 'PlaybackFinished', 'StasisEnded']);
    expect(client.counters.unknownEvents).to.equal(0);
    expect(client.status().counters).to.include({ trackedChannels: 0, channelListeners: 0 });
  });

  it('given a call in Stasis, when the socket drops and the call ends meanwhile while another starts, then resync reports both', async () => {
    client.start();
    await client.whenResynced(5000);
    ari.push({ type: 'StasisStart', application: 'hotline', args: ['inbound'], channel: stasisChannel('old-1') });
    await until(() => client.view.channels.has('old-1'));
    const seen: TelephonyEvent[] = [];
    client.onChannel('old-1', (e) => seen.push(e));
    ari.channels = [stasisChannel('new-2')];
    client.dropConnection();
    await until(() => ari.wsConnections === 2 && client.state === 'resynced', { what: 'reconnect + resync' });
    const syn = events.filter((e) => e.synthetic);
    expect(syn.map((e) => `${e.type}:${(e as { channelId: string }).channelId}`)).to.deep.equal(['StasisEnded:old-1', 'StasisStarted:new-2']);
    expect(seen.map((e) => e.type)).to.deep.equal(['StasisEnded']);
    expect(client.status().counters).to.include({ trackedChannels: 1, channelListeners: 0 });
  });

  it('given thousands of invalid or shapeless messages, when received, then they are counted and skipped and the link stays up', async () => {
    client.start();
    await client.whenResynced(5000);
    let x = 42;
    const rnd = () => (x = (x * 1103515245 + 12345) & 0x7fffffff);
    const junk: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const len = rnd() % 60;
      let s = '';
      for (let j = 0; j < len; j++) s += String.fromCharCode(32 + (rnd() % 95));
      junk.push(i % 3 === 0 ? `{"type":` + s : i % 3 === 1 ? JSON.stringify({ type: 'Bogus' + (rnd() % 50), x: s }) : s.length ? s : '[]');
    }
    for (const j of junk) ari.push(j);
    ari.push({ type: 'StasisStart', application: 'hotline', args: [], channel: stasisChannel('after-junk') });
    await until(() => client.view.channels.has('after-junk'), { what: 'a valid event after the junk' });
    expect(client.counters.invalidJson + client.counters.unknownEvents).to.be.greaterThan(2000);
    expect(client.state).to.equal('resynced');
  });

  it('given two servers with different ARI passwords, when both are connected, then each REST call carries its own credentials', async () => {
    const other = await new FakeAri().start();
    other.password = 'secret-b';
    const b = new AriClient({ url: other.url, username: 'hotline', password: 'secret-b', app: 'hotline' }, { serverId: 'c2', pingMs: 0 });
    try {
      client.start();
      b.start();
      await Promise.all([client.whenResynced(5000), b.whenResynced(5000)]);
      await client.answer('a-1');
      await b.answer('b-1');
      expect(ari.calls.some((c) => c.path === '/channels/a-1/answer')).to.equal(true);
      expect(other.calls.some((c) => c.path === '/channels/b-1/answer')).to.equal(true);
    } finally {
      await b.stop();
      await other.stop();
    }
  });
});
