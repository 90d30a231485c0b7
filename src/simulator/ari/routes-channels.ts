/** /ari/channels: originate, hangup, answer, play, record, continue, move, redirect, variables, snoop, dtmf. */
import type { AriServer } from './server';
import type { Channel } from '../core/channel';
import { Route, Req, AriError, fail, noContent, okJson, bodyVariables } from './http';
import { callOutgoing, createOutgoing, dialEvent, parseDialString } from '../core/dial';
import { parseCallerId } from '../core/endpoints';
import { newLeg, ringLegs } from '../dialplan/ringing';
import { sendDtmf } from '../core/transfer';
import { startPlayback, startRecording } from './media';
import { sub } from '../dialplan/functions';

const REASONS: Record<string, number> = {
  normal: 16, busy: 17, congestion: 34, no_answer: 19, timeout: 19, rejected: 21, unallocated: 1, normal_unspecified: 31,
  number_incomplete: 28, codec_mismatch: 58, interworking: 127, failure: 38, answered_elsewhere: 26,
};

export function channelRoutes(ari: AriServer): Route[] {
  const sim = () => ari.sim;
  const get = (id: string): Channel => sim().pbx.channels.get(id) ?? fail(404, 'Not Found', 'Channel not found');
  const inStasis = (id: string): Channel => {
    const ch = get(id);
    if (!ch.stasisApp) fail(409, 'Conflict', 'Channel not in Stasis application');
    return ch;
  };

  const originate = (r: Req, forcedId?: string) => {
    const q = r.query;
    const endpoint = q.endpoint;
    if (!endpoint) fail(400, 'Bad Request', 'Endpoint must be specified');
    if (!q.app && !q.extension) fail(400, 'Bad Request', 'Application or extension must be specified');
    if (!endpoint.includes('/')) fail(400, 'Bad Request', 'Invalid endpoint specified');
    const id = forcedId ?? q.channelId;
    if (id && sim().pbx.channels.has(id)) fail(409, 'Conflict', 'Channel with given unique ID already exists');
    const d = parseDialString(endpoint);
    if (!d || (d.tech !== 'Local' && d.tech !== 'PJSIP')) throw new AriError(500, 'Internal Server Error', 'Allocation failed', { error: 'Allocation failed' });
    const cid = q.callerId ? parseCallerId(q.callerId) : undefined;
    const ch = createOutgoing(sim(), endpoint, { appName: 'AppDial2', vars: bodyVariables(r.body), callerId: cid, id, otherId: q.otherChannelId });
    if (!ch) throw new AriError(500, 'Internal Server Error', 'Allocation failed', { error: 'Allocation failed' });
    if (cid) ch.connected = { ...cid };
    if (q.app) { ari.subscribeChannel(q.app, ch, 'explicit'); if (ch.localPeer) ari.subscribeChannel(q.app, ch.localPeer, 'explicit'); }
    const body = ch.toAri();
    const timeoutS = Number(q.timeout);
    const timeoutMs = Number.isFinite(timeoutS) && q.timeout !== undefined ? (timeoutS < 0 ? undefined : timeoutS * 1000) : 30000;
    return okJson(body, () => {
      dialEvent(sim(), 'DialBegin', undefined, ch, [['DialString', d.resource]]);
      callOutgoing(sim(), ch);
      void ringLegs(sim(), undefined, [newLeg(ch, endpoint)], { timeoutMs: timeoutMs === undefined ? undefined : timeoutMs * sim().timeScale }).then(({ winner }) => {
        if (!winner) return;
        if (q.app) sim().startApplication(ch, 'Stasis', [q.app, ...(q.appArgs ? q.appArgs.split(',') : [])].join(','));
        else sim().startDialplan(ch, q.context ?? 'default', q.extension!, q.label ?? (q.priority ? Number(q.priority) : 1));
      });
    });
  };

  const hangup = (r: Req) => {
    const ch = get(r.params.id);
    let cause = 16;
    if (r.query.reason_code !== undefined) cause = Number(r.query.reason_code) || 16;
    else if (r.query.reason !== undefined) {
      if (!(r.query.reason in REASONS)) fail(400, 'Invalid Reason', 'Invalid reason for hangup reason provided');
      cause = REASONS[r.query.reason];
    }
    // the soft hangup request ARI reports says cause 32 (capture 04), the channel then ends with its real cause
    return noContent(() => sim().pbx.hangup(ch, cause, 'soft', 32));
  };

  const cont = (r: Req) => {
    const ch = inStasis(r.params.id);
    const context = r.query.context ?? ch.context;
    const exten = r.query.extension ?? ch.exten;
    const priority: number | string = r.query.label ?? (r.query.priority ? Number(r.query.priority) : r.query.context || r.query.extension ? 1 : ch.priority + 1);
    return noContent(() => { ch.pendingGoto = { context, exten, priority }; ch.wake(); });
  };

  const move = (r: Req) => {
    const ch = inStasis(r.params.id);
    const app = r.query.app;
    if (!app) fail(400, 'Bad Request', "Required parameter 'app' not provided.");
    const args = r.query.appArgs ? r.query.appArgs.split(',') : [];
    return noContent(() => {
      if (!ari.hasApp(app)) { ari.sendToApp(ch.stasisApp!, 'ApplicationMoveFailed', { args, destination: app, channel: ch.toAri() }); return; }
      ch.stasisExit = { kind: 'move', app, args };
      ch.wake();
    });
  };

  const redirect = (r: Req) => {
    const ch = get(r.params.id);
    const endpoint = r.query.endpoint;
    if (!endpoint) fail(400, 'Not Found', "Required parameter 'endpoint' not provided.");
    if (!ch.stasisApp) fail(409, 'Conflict', 'Channel not in Stasis application');
    const slash = endpoint.indexOf('/');
    const tech = slash < 0 ? endpoint : endpoint.slice(0, slash);
    const res = slash < 0 ? '' : endpoint.slice(slash + 1);
    if (tech.toLowerCase() !== ch.tech.toLowerCase()) fail(422, 'Unprocessable Entity', `Endpoint technology '${tech}' does not match channel technology '${ch.tech}'`);
    if (!res) fail(422, 'Unprocessable Entity', `No resource provided in endpoint parameter '${endpoint}'`);
    // Local: 204 and nothing happens ("Unsupported transfer"); PJSIP unanswered: 302 and the call ends;
    // PJSIP answered: an in-dialog REFER whose outcome ARI never reports (capture ari/09).
    return noContent(() => {
      if (ch.tech !== 'PJSIP' || ch.hungup) return;
      // an endpoint name becomes that endpoint's registered contact; a URI is used as given
      const ep = sim().endpoints.get(res);
      const target = ep?.contactUri ?? (ep ? `sip:${res}@127.0.0.1` : res);
      if (ch.state !== 6) {
        sim().pbx.sipMessage(ch, '302 Moved Temporarily', { Contact: `<${target}>`, Reason: 'Q.850;cause=0' });
        ch.hungup = true;
        ch.hangupCause = 23;
        sim().pbx.ari('ChannelHangupRequest', { cause: 23, tech_cause: 302, channel: ch.toAri() }, { channels: [ch] });
        ch.wake();
        if (!ch.pbxRunning) sim().pbx.destroy(ch);
        return;
      }
      // Asterisk does not hang up after the transferee's NOTIFY 200: the far end must send BYE.
      sim().pbx.sipMessage(ch, 'REFER', { 'Refer-To': target, 'Referred-By': '<sip:12345@127.0.0.1>' });
    });
  };

  const variableGet = (r: Req) => {
    const ch = get(r.params.id);
    const name = r.query.variable;
    if (!name) fail(400, 'Bad Request', 'Variable name is required');
    const v = name.includes('(') ? sub(sim(), ch, `\${${name}}`) : ch.vars.get(name);
    if (v === undefined) fail(404, 'Variable Not Found', 'Provided variable was not found');
    return okJson({ value: v });
  };

  const variableSet = (r: Req) => {
    const ch = get(r.params.id);
    const name = r.query.variable;
    if (!name) fail(400, 'Bad Request', 'Variable name is required');
    sim().pbx.setVar(ch, name, r.query.value ?? '');
    return noContent();
  };

  const snoop = (r: Req, forcedId?: string) => {
    const target = get(r.params.id);
    const app = r.query.app;
    const spy = r.query.spy ?? 'none'; const whisper = r.query.whisper ?? 'none';
    const dirs = ['none', 'both', 'out', 'in'];
    if (!app || !dirs.includes(spy) || !dirs.includes(whisper) || (spy === 'none' && whisper === 'none')) fail(400, 'Bad Request', 'Invalid parameters');
    const pbx = sim().pbx;
    const ch = pbx.newChannel({ name: `Snoop/${target.id}-${pbx.nextUnreal()}`, tech: 'Snoop', id: forcedId ?? r.query.snoopId, context: 'default', exten: 's', state: 6 });
    ch.spying = { target: target.id, mode: spy !== 'none' && whisper !== 'none' ? 'barge' : whisper !== 'none' ? 'whisper' : 'listen' };
    ari.subscribeChannel(app, ch, 'explicit');
    const body = ch.toAri();
    return okJson(body, () => sim().startApplication(ch, 'Stasis', [app, ...(r.query.appArgs ? r.query.appArgs.split(',') : [])].join(',')));
  };

  const simple = (fn: (ch: Channel) => void) => (r: Req) => { const ch = inStasis(r.params.id); return noContent(() => fn(ch)); };
  const pbx = () => sim().pbx;

  return [
    { method: 'GET', pattern: '/channels', handler: () => okJson([...pbx().channels.values()].filter((c) => c.tech !== 'Snoop' || true).map((c) => c.toAri())) },
    { method: 'POST', pattern: '/channels', handler: (r) => originate(r) },
    { method: 'POST', pattern: '/channels/create', handler: () => fail(501, 'Not Implemented', 'Not implemented by the simulator') },
    { method: 'GET', pattern: '/channels/:id', handler: (r) => okJson(get(r.params.id).toAri()) },
    { method: 'POST', pattern: '/channels/:id', handler: (r) => originate(r, r.params.id) },
    { method: 'DELETE', pattern: '/channels/:id', handler: hangup },
    { method: 'POST', pattern: '/channels/:id/answer', handler: simple((ch) => pbx().answer(ch)) },
    { method: 'POST', pattern: '/channels/:id/ring', handler: simple((ch) => pbx().ringing(ch)) },
    { method: 'DELETE', pattern: '/channels/:id/ring', handler: simple(() => undefined) },
    { method: 'POST', pattern: '/channels/:id/hold', handler: simple((ch) => { ch.onHold = true; pbx().ari('ChannelHold', { channel: ch.toAri() }, { channels: [ch] }); }) },
    { method: 'DELETE', pattern: '/channels/:id/hold', handler: simple((ch) => { ch.onHold = false; pbx().ari('ChannelUnhold', { channel: ch.toAri() }, { channels: [ch] }); }) },
    { method: 'POST', pattern: '/channels/:id/moh', handler: simple((ch) => { ch.moh = 'default'; pbx().ami('MusicOnHoldStart', 'call', [...ch.snapshot(), ['Class', 'default']]); }) },
    { method: 'DELETE', pattern: '/channels/:id/moh', handler: simple((ch) => { if (ch.moh !== undefined) { ch.moh = undefined; pbx().ami('MusicOnHoldStop', 'call', ch.snapshot()); } }) },
    { method: 'POST', pattern: '/channels/:id/play', handler: (r) => startPlayback(ari, r, 'channel', inStasis(r.params.id).id) },
    { method: 'POST', pattern: '/channels/:id/play/:pid', handler: (r) => startPlayback(ari, { ...r, query: { ...r.query, playbackId: r.params.pid } }, 'channel', inStasis(r.params.id).id) },
    { method: 'POST', pattern: '/channels/:id/record', handler: (r) => startRecording(ari, r, 'channel', inStasis(r.params.id).id) },
    { method: 'POST', pattern: '/channels/:id/continue', handler: cont },
    { method: 'POST', pattern: '/channels/:id/move', handler: move },
    { method: 'POST', pattern: '/channels/:id/redirect', handler: redirect },
    { method: 'GET', pattern: '/channels/:id/variable', handler: variableGet },
    { method: 'POST', pattern: '/channels/:id/variable', handler: variableSet },
    { method: 'POST', pattern: '/channels/:id/snoop', handler: (r) => snoop(r) },
    { method: 'POST', pattern: '/channels/:id/snoop/:sid', handler: (r) => snoop(r, r.params.sid) },
    {
      method: 'POST', pattern: '/channels/:id/dtmf', handler: (r) => {
        const ch = inStasis(r.params.id);
        const dtmf = r.query.dtmf;
        if (!dtmf) fail(400, 'Bad Request', 'DTMF is required');
        return noContent(() => { for (const d of dtmf) sendDtmf(sim(), ch, d, 'Sent'); });
      },
    },
  ];
}
