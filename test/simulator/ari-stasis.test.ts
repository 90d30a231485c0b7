import { expect } from 'chai';
import { startSimulator, Simulator } from '../../src/simulator';
import { until } from '../support/until';
import { readFileSync } from 'fs';
import { join } from 'path';
import { SHARED } from './support/transcript';
import WebSocket from 'ws';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const ari = require('ari-client');

type Ev = { type: string; channel?: { id: string; name: string }; [k: string]: unknown };
const recordedEvents = (file: string): Ev[] => readFileSync(join(SHARED, 'ari', file), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((o) => o.dir === 'event').map((o) => o.event);

describe('simulator ARI (captures 04, 06) through ari-client@2.2.0', () => {
  let sim: Simulator;
  let client: { start: Function; on: Function; channels: Record<string, Function>; bridges: Record<string, Function>; recordings: Record<string, Function>; stop?: Function } | undefined;
  let events: Ev[];
  const origWarn = console.warn;
  beforeEach(async () => { sim = await startSimulator({ timeScale: 0.05, soundMs: 200, missingSounds: ['no-such-sound-file'] }); events = []; console.warn = () => undefined; });
  afterEach(async () => { console.warn = origWarn; client?.stop?.(); await sim.stop(); });

  async function connect(): Promise<void> {
    client = await ari.connect(`http://127.0.0.1:${sim.ariPort}`, 'hotline', 'hotline');
    for (const t of ['StasisStart', 'StasisEnd', 'ChannelEnteredBridge', 'ChannelLeftBridge', 'PlaybackStarted', 'PlaybackFinished', 'RecordingStarted', 'RecordingFinished', 'ChannelHangupRequest', 'ChannelDestroyed', 'ChannelStateChange', 'BridgeDestroyed', 'ChannelVarset']) {
      client!.on(t, (e: Ev) => events.push(e));
    }
    await client!.start('hotline');
    await until(() => sim.context.stasis.hasApp('hotline'));
  }

  it('given no ARI application connected, when a call reaches Stasis(), then it fails open and the dialplan continues', async () => {
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${sim.ariPort}/ari/events?app=other&api_key=hotline:hotline`);
      ws.on('open', () => { ws.close(); resolve(); });
    });
    const id = await sim.placeInboundCall({ from: '"13800138000" <13800138000>', to: '12345', trunk: 'carrier-ari' });
    await until(() => !sim.channels().some((c) => c.id === id), { what: 'the caller to reach Hangup() after the failed Stasis' });
  });

  it('given the capture 04 flow, when the app answers, plays, bridges, adds the operator, records and adds an expert, then events and the recording match', async () => {
    await connect();
    const c = client!;
    await c.channels.originate({ endpoint: 'Local/12345@from-caller', context: 'caller-sim', extension: 's', priority: 1, callerId: '"Citizen" <13800138000>', channelId: 'citizen-0001', otherChannelId: 'hotline-in-0001', variables: { HOLD_SECS: '120' } });
    await until(() => events.find((e) => e.type === 'StasisStart' && e.channel?.id === 'hotline-in-0001'));
    const start = events.find((e) => e.type === 'StasisStart')!;
    const rec04 = recordedEvents('04-stasis-bridge-record-3way.jsonl');
    expect(Object.keys(start)).to.deep.equal(Object.keys(rec04.find((e) => e.type === 'StasisStart')!));
    expect(start.args).to.deep.equal(['inbound']);
    await c.channels.answer({ channelId: 'hotline-in-0001' });
    await c.channels.play({ channelId: 'hotline-in-0001', media: 'sound:hello-world', playbackId: 'pb-greet-0001' });
    await until(() => events.find((e) => e.type === 'PlaybackFinished'));
    await c.bridges.create({ type: 'mixing', bridgeId: 'call-0001', name: 'call-0001' });
    await c.bridges.addChannel({ bridgeId: 'call-0001', channel: 'hotline-in-0001' });
    await c.channels.originate({ endpoint: 'Local/8001@operators', app: 'hotline', appArgs: 'operator,8001', callerId: '"12345 Hotline" <12345>', channelId: 'op-8001', otherChannelId: 'op-8001-2' });
    await until(() => events.find((e) => e.type === 'StasisStart' && e.channel?.id === 'op-8001'), { timeoutMs: 3000 });
    await c.bridges.addChannel({ bridgeId: 'call-0001', channel: 'op-8001' });
    await c.bridges.record({ bridgeId: 'call-0001', name: 'rec-call-0001', format: 'wav', ifExists: 'overwrite' });
    const b1 = await c.bridges.get({ bridgeId: 'call-0001' });
    expect(b1.technology).to.equal('softmix');
    await c.channels.originate({ endpoint: 'Local/8003@operators', app: 'hotline', appArgs: 'expert,8003', channelId: 'expert-8003', otherChannelId: 'expert-8003-2' });
    await until(() => events.find((e) => e.type === 'StasisStart' && e.channel?.id === 'expert-8003'), { timeoutMs: 3000 });
    await c.bridges.addChannel({ bridgeId: 'call-0001', channel: 'expert-8003', role: 'expert' });
    const b2 = await c.bridges.get({ bridgeId: 'call-0001' });
    expect(b2.channels).to.deep.equal(['expert-8003', 'hotline-in-0001', 'op-8001']);
    await c.bridges.removeChannel({ bridgeId: 'call-0001', channel: 'expert-8003' });
    await c.channels.hangup({ channelId: 'expert-8003' });
    await until(() => events.find((e) => e.type === 'ChannelDestroyed' && e.channel?.id === 'expert-8003'));
    await c.recordings.stop({ recordingName: 'rec-call-0001' });
    const fin = await until(() => events.find((e) => e.type === 'RecordingFinished'));
    expect((fin.recording as { duration: number }).duration).to.be.a('number');
    const stored = await c.recordings.listStored();
    expect(stored.map((r: { name: string }) => r.name)).to.include('rec-call-0001');
    const file = readFileSync(join(sim.spoolDir, 'recording', 'rec-call-0001.wav'));
    expect(file.readUInt32LE(24)).to.equal(8000);
    await c.channels.hangup({ channelId: 'op-8001' });
    await c.channels.hangup({ channelId: 'hotline-in-0001', reason: 'normal' });
    await until(() => events.filter((e) => e.type === 'StasisEnd').length >= 3);
    await c.bridges.destroy({ bridgeId: 'call-0001' });
    await until(() => events.find((e) => e.type === 'BridgeDestroyed'));

    // event types appear in the recorded relative order for each channel
    const key = (list: Ev[], id: string): string[] => list.filter((e) => e.channel?.id === id && e.type !== 'ChannelVarset' && e.type !== 'ChannelStateChange').map((e) => e.type);
    for (const id of ['op-8001', 'expert-8003', 'hotline-in-0001']) {
      const want = key(rec04, id).filter((t) => !['ChannelDialplan', 'ChannelCallerId', 'ChannelConnectedLine'].includes(t));
      expect(key(events, id), `events of ${id}`).to.deep.equal(want);
    }
    expect(events.some((e) => e.type === 'ChannelDestroyed' && e.channel?.id === 'hotline-in-0001')).to.equal(false);
    for (const t of ['PlaybackStarted', 'PlaybackFinished', 'RecordingStarted', 'RecordingFinished', 'ChannelEnteredBridge']) {
      expect(Object.keys(events.find((e) => e.type === t)!), t).to.deep.equal(Object.keys(rec04.find((e) => e.type === t)!));
    }
  });

  it('given capture 06, when its REST requests are replayed in order, then status codes, reason phrases and messages match', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${sim.ariPort}/ari/events?app=hotline&api_key=hotline:hotline`);
    const wsEvents: Ev[] = [];
    ws.on('message', (d) => wsEvents.push(JSON.parse(String(d))));
    await new Promise((r) => ws.on('open', r));
    ws.send('this is { not json');
    const lines = readFileSync(join(SHARED, 'ari', '06-bad-input.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    let checked = 0;
    for (let i = 0; i < lines.length; i++) {
      const req = lines[i];
      if (req.dir !== 'req' || req.websocket) continue;
      const res = lines.slice(i + 1).find((o) => o.dir === 'res' && o.path === req.path && o.method === req.method);
      const headers: Record<string, string> = {};
      if (req.auth === 'hotline:***') headers.authorization = `Basic ${Buffer.from('hotline:hotline').toString('base64')}`;
      else if (req.auth) headers.authorization = `Basic ${Buffer.from(req.auth).toString('base64')}`;
      const path = String(req.path).replace('api_key=hotline:***', 'api_key=hotline:hotline');
      const body = req.body_text ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
      if (body) headers['content-type'] = 'application/json';
      const r = await fetch(`http://127.0.0.1:${sim.ariPort}${path}`, { method: req.method, headers, body });
      const text = await r.text();
      expect(r.status, `${req.method} ${req.path}`).to.equal(res.status);
      expect(r.statusText, `${req.method} ${req.path}`).to.equal(res.status_text);
      if (res.status >= 400 && res.body) expect(JSON.parse(text), `${req.method} ${req.path}`).to.deep.equal(res.body);
      checked++;
      // the recorder waited for StasisStart before using an originated channel
      const originated = /channelId=([^&]+)/.exec(path);
      if (req.method === 'POST' && /app=hotline/.test(path) && originated && r.status === 200) await until(() => wsEvents.find((e) => e.type === 'StasisStart' && e.channel?.id === originated[1]));
    }
    expect(checked).to.be.greaterThan(50);
    ws.close();
  });
});
