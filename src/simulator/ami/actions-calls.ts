/** Call-control actions: Originate, Redirect, BlindTransfer, Atxfer, Hangup, MixMonitor, PlayDTMF. */
import type { Action, ActionCtx, Fields } from './actions';
import { err, ok } from './actions';
import { headersAll } from './protocol';
import { parseCallerId } from '../core/endpoints';
import { callOutgoing, createOutgoing, dialEvent, parseDialString } from '../core/dial';
import { ringLegs, newLeg } from '../dialplan/ringing';
import { extensionExists } from '../dialplan/executor';
import { blindTransfer, redirectChannel, attendedTransfer, sendDtmf } from '../core/transfer';

const truthy = (v: string | undefined): boolean => /^(yes|true|y|t|1|on)$/i.test(v ?? '');

const REASON: Record<string, string> = { ANSWER: '4', NOANSWER: '3', BUSY: '5', CONGESTION: '8', CHANUNAVAIL: '0', CANCEL: '1' };

const originate: Action = (c) => {
  const { sim } = c.ami;
  const chan = c.h('Channel');
  if (!chan) { err(c, 'Channel not specified'); return; }
  const app = c.h('Application');
  const data = c.h('Data') ?? '';
  const context = c.h('Context') ?? 'default';
  const exten = c.h('Exten') ?? 's';
  const priority = c.h('Priority') ?? '1';
  const async = truthy(c.h('Async'));
  const cid = c.h('CallerID') ? parseCallerId(c.h('CallerID')!) : undefined;
  const vars: Array<[string, string]> = [];
  for (const v of headersAll(c.m, 'Variable')) for (const kv of v.split(',')) { const i = kv.indexOf('='); if (i > 0) vars.push([kv.slice(0, i), kv.slice(i + 1)]); }
  const timeoutMs = Number(c.h('Timeout') ?? 30000) || 30000;
  const d = parseDialString(chan);
  if (!d || (d.tech !== 'Local' && d.tech !== 'PJSIP')) { err(c, 'Originate failed'); return; }
  if (d.tech === 'PJSIP') {
    const res = d.resource.split('/')[0]; // PJSIP/<endpoint>[/uri] or PJSIP/<number>@<endpoint>
    const ep = sim.endpoints.get(res.includes('@') ? res.slice(res.indexOf('@') + 1) : res);
    if (!ep || !sim.endpoints.isReachable(ep)) { if (async) { ok(c, 'Originate successfully queued'); respond(c, 'Failure', chan, app, data, context, exten, undefined, '0'); } else err(c, 'Originate failed'); return; }
  }
  const place = (done: (status: string) => void): void => {
    const out = createOutgoing(sim, chan, { appName: 'AppDial2', vars, callerId: cid, id: c.h('ChannelId'), otherId: c.h('OtherChannelId') });
    if (!out) { done('CHANUNAVAIL'); return; }
    dialEvent(sim, 'DialBegin', undefined, out, [['DialString', d.resource]]);
    const two = out.localPeer;
    if (two && !extensionExists(sim, two.context, two.exten)) {
      // ;2 has nowhere to go: both halves die with cause 0 and the originate fails (capture 06b)
      sim.pbx.hangup(two, 0, 'silent');
      done('CHANUNAVAIL');
      return;
    }
    callOutgoing(sim, out);
    void ringLegs(sim, undefined, [newLeg(out, chan)], { timeoutMs }).then(({ winner, status }) => {
      if (!winner) { done(status); return; }
      respond(c, 'Success', out.name, app, data, context, exten, out, '4');
      if (app) sim.startApplication(out, app, data);
      else sim.startDialplan(out, context, exten, /^\d+$/.test(priority) ? Number(priority) : priority);
      done('ANSWER');
    });
  };
  if (async) {
    c.reply([['Response', 'Success'], ['Message', 'Originate successfully queued']], [], () => {
      place((status) => { if (status !== 'ANSWER') respond(c, 'Failure', chan, app, data, context, exten, undefined, REASON[status] ?? '0'); });
    });
    return;
  }
  let answered = false;
  place((status) => {
    answered = status === 'ANSWER';
    if (answered) ok(c, 'Originate successfully queued'); else err(c, 'Originate failed');
  });
};

function respond(c: ActionCtx, result: string, channel: string, app: string | undefined, data: string, context: string, exten: string, ch: { id: string; caller: { num: string; name: string } } | undefined, reason: string): void {
  const f: Fields = [...(c.aid !== undefined ? [['ActionID', c.aid] as [string, string]] : []), ['Response', result], ['Channel', channel]];
  if (app) f.push(['Application', app], ['Data', data]); else f.push(['Context', context], ['Exten', exten]);
  f.push(['Reason', reason], ['Uniqueid', ch?.id ?? '<unknown>'], ['CallerIDNum', ch?.caller.num || '<unknown>'], ['CallerIDName', ch?.caller.name || '<unknown>']);
  c.ami.sim.pbx.ami('OriginateResponse', 'call', f);
}

const redirect: Action = (c) => {
  const { sim } = c.ami;
  const name = c.h('Channel');
  if (!name) { err(c, 'Channel not specified'); return; }
  const ch = sim.pbx.findChannel(name);
  if (!ch) { err(c, `Channel does not exist: ${name}`); return; }
  const exten = c.h('Exten'); const context = c.h('Context'); const prio = c.h('Priority') ?? '1';
  if (!exten || !context) { err(c, 'Exten not specified'); return; }
  const extra = c.h('ExtraChannel');
  const ech = extra ? sim.pbx.findChannel(extra) : undefined;
  if (extra && !ech) { err(c, `Channel does not exist: ${extra}`); return; }
  c.reply([['Response', 'Success'], ['Message', extra ? 'Dual Redirect successful' : 'Redirect successful']], [], () => {
    redirectChannel(sim, ch, context, exten, prio);
    if (ech) redirectChannel(sim, ech, c.h('ExtraContext') ?? context, c.h('ExtraExten') ?? exten, c.h('ExtraPriority') ?? prio);
  });
};

const blind: Action = (c) => {
  const { sim } = c.ami;
  const name = c.h('Channel');
  if (!name) { err(c, 'No channel specified'); return; }
  const ch = sim.pbx.findChannel(name);
  if (!ch) { err(c, 'No such channel'); return; }
  const exten = c.h('Exten');
  if (!exten) { err(c, 'No extension specified'); return; }
  const context = c.h('Context') ?? ch.context;
  if (!ch.bridge) { err(c, 'Transfer failed'); return; }
  c.reply([['Response', 'Success'], ['Message', 'Transfer succeeded']], [], () => blindTransfer(sim, ch, context, exten, true));
};

const atxfer: Action = (c) => {
  const { sim } = c.ami;
  const name = c.h('Channel');
  if (!name) { err(c, 'No channel specified'); return; }
  const ch = sim.pbx.findChannel(name);
  if (!ch) { err(c, 'No such channel'); return; }
  const exten = c.h('Exten');
  if (!exten) { err(c, 'No extension specified'); return; }
  if (!ch.bridge) { err(c, 'Transfer failed'); return; }
  c.reply([['Response', 'Success'], ['Message', 'Atxfer successfully queued']], [], () => attendedTransfer(sim, ch, c.h('Context') ?? ch.context, exten));
};

const hangup: Action = (c) => {
  const { sim } = c.ami;
  const name = c.h('Channel');
  if (!name) { err(c, 'No channel specified'); return; }
  const cause = Number(c.h('Cause') ?? 16) || 16;
  let targets: import('../core/channel').Channel[] = [];
  const re = /^\/(.*)\/$/.exec(name);
  if (re) { const rx = new RegExp(re[1]); targets = [...sim.pbx.channels.values()].filter((ch) => rx.test(ch.name)); }
  else { const ch = sim.pbx.findChannel(name); if (ch) targets = [ch]; }
  if (!targets.length) { err(c, 'No such channel'); return; }
  c.reply([['Response', 'Success'], ['Message', 'Channel Hungup']], [], () => { for (const ch of targets) sim.pbx.hangup(ch, cause, 'soft'); });
};

const mixMonitor: Action = (c) => {
  const { sim } = c.ami;
  const name = c.h('Channel');
  if (!name) { err(c, 'No channel specified'); return; }
  const ch = sim.pbx.findChannel(name);
  if (!ch) { err(c, 'No such channel'); return; }
  const file = c.h('File') ?? `${ch.id}.wav`;
  // bare Success: no Message, events after the response (capture 03)
  c.reply([['Response', 'Success']], [], () => { if (!ch.hungup) sim.pbx.startMixMonitor(ch, file, c.h('Options') ?? ''); });
};

const stopMixMonitor: Action = (c) => {
  const { sim } = c.ami;
  const name = c.h('Channel');
  if (!name) { err(c, 'No channel specified'); return; }
  const ch = sim.pbx.findChannel(name);
  if (!ch) { err(c, 'No such channel'); return; }
  if (!ch.mixmonitors.length) { err(c, 'Could not stop monitoring channel'); return; }
  c.reply([['Response', 'Success']], [], () => sim.pbx.stopMixMonitor(ch));
};

const playDtmf: Action = (c) => {
  const { sim } = c.ami;
  const ch = sim.pbx.findChannel(c.h('Channel') ?? '');
  if (!ch) { err(c, 'Channel not found'); return; }
  const digit = c.h('Digit');
  if (!digit) { err(c, 'No digit specified'); return; }
  c.reply([['Response', 'Success'], ['Message', 'DTMF successfully queued']], [], () => sendDtmf(sim, ch, digit[0], 'Sent'));
};

export const CALL_ACTIONS: Record<string, Action> = {
  originate, redirect, blindtransfer: blind, atxfer, hangup, mixmonitor: mixMonitor, stopmixmonitor: stopMixMonitor, playdtmf: playDtmf,
};
