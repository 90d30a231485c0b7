import { expect } from 'chai';
import WebSocket from 'ws';
import { startSimulator, Simulator } from '../../src/simulator';
import { ariRecording, AriEv, perChannel, rest } from './support/ari';
import { until } from '../support/until';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const ari = require('ari-client');

type Client = { start: Function; on: Function; channels: Record<string, Function>; stop?: Function };

describe('simulator ARI transfers: continue, redirect, move (captures ari/05, ari/09)', () => {
  let sim: Simulator;
  let ws: WebSocket;
  let events: AriEv[];
  let client: Client | undefined;
  const origWarn = console.warn;
  beforeEach(async () => {
    sim = await startSimulator({ timeScale: 0.2 });
    events = [];
    console.warn = () => undefined; // ari-client's "deprecated version of Swagger" notice
    client = await ari.connect(`http://127.0.0.1:${sim.ariPort}`, 'hotline', 'hotline');
    await client!.start('hotline');
    ws = new WebSocket(`ws://127.0.0.1:${sim.ariPort}/ari/events?app=hotline&api_key=hotline:hotline`);
    ws.on('message', (d) => events.push(JSON.parse(String(d))));
    await new Promise((r) => ws.on('open', r));
  });
  afterEach(async () => { console.warn = origWarn; ws.close(); client?.stop?.(); await sim.stop(); });

  const call = rest(() => sim.ariPort);
  const waitEvent = (type: string, id: string, n = 1) => until(() => events.filter((e) => e.type === type && e.channel?.id === id).length >= n, { what: `${type} of ${id}` });

  /** Steps common to A and B: the citizen in Stasis, answered, in a mixing bridge with operator 8001. */
  async function bridged(x: string, withOperator = true): Promise<void> {
    await call('POST', `/channels?endpoint=Local%2F12345%40from-caller&context=caller-sim&extension=s&priority=1&callerId=%22Citizen%22%20%3C13800138001%3E&channelId=citizen-${x}&otherChannelId=in-${x}`, { variables: { HOLD_SECS: '60' } });
    await waitEvent('StasisStart', `in-${x}`);
    expect((await call('POST', `/channels/in-${x}/answer`)).status).to.equal(204);
    if (!withOperator) return;
    await call('POST', `/bridges?type=mixing&bridgeId=br-${x}`);
    await call('POST', `/channels?endpoint=Local%2F8001%40operators&app=hotline&appArgs=operator&channelId=op-${x}&otherChannelId=op-${x}-2`);
    await waitEvent('StasisStart', `op-${x}`);
    expect((await call('POST', `/bridges/br-${x}/addChannel?channel=in-${x},op-${x}`)).status).to.equal(204);
  }

  it('given the recorded Local flows, when /continue, /redirect and /move are used through ari-client, then statuses and every channel\'s events match capture 05', async () => {
    const c = client!;
    // (A) /continue: the citizen leaves the bridge and Stasis and runs county-lines,0571,1
    await bridged('A');
    await c.channels.continueInDialplan({ channelId: 'in-A', context: 'county-lines', extension: '0571', priority: 1 });
    await waitEvent('StasisEnd', 'in-A');
    expect((await call('GET', '/channels/in-A')).body.dialplan.context).to.equal('county-lines');
    expect((await call('DELETE', '/channels/op-A')).status).to.equal(204);
    await waitEvent('ChannelDestroyed', 'op-A-2');
    expect((await call('DELETE', '/bridges/br-A')).status).to.equal(204);
    expect((await call('DELETE', '/channels/in-A')).status).to.equal(204);
    // (B) /redirect on a Local channel: 204 and nothing happens
    await bridged('B');
    await c.channels.redirect({ channelId: 'in-B', endpoint: 'Local/0571@county-lines' });
    const chB = (await call('GET', '/channels/in-B')).body;
    expect([chB.state, chB.dialplan.context]).to.deep.equal(['Up', 'from-caller']);
    expect((await call('GET', '/bridges/br-B')).body.channels).to.deep.equal(['in-B', 'op-B']);
    await call('DELETE', '/channels/op-B');
    await waitEvent('ChannelDestroyed', 'op-B-2');
    await call('DELETE', '/bridges/br-B');
    await call('DELETE', '/channels/in-B');
    await waitEvent('StasisEnd', 'in-B');
    // (C) /move to an app nobody runs: 204, then ApplicationMoveFailed; a move within hotline restarts Stasis
    await bridged('C', false);
    await c.channels.move({ channelId: 'in-C', app: 'county-0571', appArgs: 'from-hotline' });
    await c.channels.move({ channelId: 'in-C', app: 'hotline', appArgs: 'moved' });
    await waitEvent('StasisStart', 'in-C', 2);
    await call('DELETE', '/channels/in-C');
    await waitEvent('StasisEnd', 'in-C', 2);

    const rec = ariRecording('05-transfer-continue-redirect-move.jsonl');
    const want = perChannel(rec.events);
    const have = perChannel(events);
    for (const id of ['in-A', 'op-A', 'op-A-2', 'in-B', 'op-B', 'op-B-2', 'in-C']) expect(have.get(id), `events of ${id}`).to.deep.equal(want.get(id));
    const failed = events.find((e) => e.type === 'ApplicationMoveFailed')!;
    const recFailed = rec.events.find((e) => e.type === 'ApplicationMoveFailed')!;
    expect(Object.keys(failed).sort()).to.deep.equal(Object.keys(recFailed).sort());
    expect([failed.destination, failed.args]).to.deep.equal([recFailed.destination, recFailed.args]);
    const startC = events.filter((e) => e.type === 'StasisStart' && e.channel?.id === 'in-C').map((e) => e.args);
    expect(startC).to.deep.equal([['inbound'], ['moved']]);
  });

  it('given PJSIP calls in Stasis, when /redirect is used unanswered, answered and wrongly, then the 302, the REFER, the events and the errors match capture 09', async () => {
    sim.registerEndpoint('0571');
    const rec = ariRecording('09-pjsip-channel-redirect.jsonl');
    // (A) unanswered: 302 to 0571's registered contact, ChannelHangupRequest cause 23 / tech_cause 302, StasisEnd, no ChannelDestroyed
    const a = await sim.placeInboundCall({ from: '"13800138000" <13800138000>', to: '12345', trunk: 'carrier-ari' });
    await waitEvent('StasisStart', a);
    expect((await call('GET', `/channels/${a}`)).body.state).to.equal('Ring');
    expect((await call('POST', `/channels/${a}/redirect?endpoint=PJSIP%2F0571`)).status).to.equal(204);
    await waitEvent('StasisEnd', a);
    const m302 = sim.sipMessages().find((m) => m.channelId === a)!;
    expect(m302.message).to.equal('302 Moved Temporarily');
    expect(m302.headers.Contact).to.match(/^<sip:0571-0x[0-9a-f]+@127\.0\.0\.1:\d+>$/);
    expect(m302.headers.Reason).to.equal('Q.850;cause=0');
    // (B) answered: an in-dialog REFER to the URI as given; nothing in ARI until the far end hangs up
    const b = await sim.placeInboundCall({ from: '"13800138000" <13800138000>', to: '12345', trunk: 'carrier-ari' });
    await waitEvent('StasisStart', b);
    await call('POST', `/channels/${b}/answer`);
    expect((await call('POST', `/channels/${b}/redirect?endpoint=PJSIP%2Fsip%3A0571%40127.0.0.1%3A5060`)).status).to.equal(204);
    const refer = await until(() => sim.sipMessages().find((m) => m.channelId === b));
    expect([refer.message, refer.headers['Refer-To'], refer.headers['Referred-By']]).to.deep.equal(['REFER', 'sip:0571@127.0.0.1:5060', '<sip:12345@127.0.0.1>']);
    expect(sim.channels().some((ch) => ch.id === b)).to.equal(true); // Asterisk does not hang up after the REFER
    sim.hangup(b); // the transferee's BYE, as SIPp sent it
    await waitEvent('StasisEnd', b);
    // (C) the error replies, then DELETE
    const c = await sim.placeInboundCall({ from: '"13800138000" <13800138000>', to: '12345', trunk: 'carrier-ari' });
    await waitEvent('StasisStart', c);
    await call('POST', `/channels/${c}/answer`);
    const errors: Array<[string, string]> = [[`/channels/${c}/redirect?endpoint=Local%2F0571%40county-lines`, ''], [`/channels/${c}/redirect?endpoint=PJSIP%2F`, ''],
      [`/channels/${c}/redirect`, ''], ['/channels/nonexistent-channel/redirect?endpoint=PJSIP%2F0571', '']];
    const recErrors = rec.responses.filter((r) => r.status >= 400);
    expect(recErrors).to.have.length(errors.length);
    for (let i = 0; i < errors.length; i++) {
      const r = await call('POST', errors[i][0]);
      expect([r.status, r.statusText, r.body], errors[i][0]).to.deep.equal([recErrors[i].status, recErrors[i].status_text, recErrors[i].body]);
    }
    await call('DELETE', `/channels/${c}`);
    await waitEvent('StasisEnd', c);

    // per channel (the recording's ids are Asterisk's, ours differ: compare in order of the three calls)
    const want = [...perChannel(rec.events).values()];
    const have = [a, b, c].map((id) => perChannel(events).get(id));
    expect(have).to.deep.equal(want);
    const hr = (list: AriEv[], id: string) => list.filter((e) => e.type === 'ChannelHangupRequest' && e.channel?.id === id).map((e) => ({ cause: e.cause, tech_cause: e.tech_cause, soft: e.soft }));
    const recIds = [...perChannel(rec.events).keys()];
    expect([a, b, c].map((id) => hr(events, id))).to.deep.equal(recIds.map((id) => hr(rec.events, id)));
  });
});
