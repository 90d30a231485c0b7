/** Dial(targets,timeout,options): ring, bridge the winner, wait for either side to hang up. */
import type { Channel } from '../core/channel';
import type { SimContext } from '../core/context';
import { callOutgoing, createOutgoing, dialEvent, parseDialString } from '../core/dial';
import { bridgeAdd, bridgeRemove, createBridge, destroyBridge } from '../core/bridging';
import { splitArgs } from './expr';
import type { AppResult } from './apps';
import { Leg, newLeg, ringLegs } from './ringing';
import { runPredial } from './executor';

/** Dial/Queue options: `b(ctx^exten^prio)` and the single-letter flags outside any parentheses. */
export function parseDialOptions(options: string): { flags: string; predial?: string } {
  const predial = /b\(([^)]*)\)/.exec(options)?.[1];
  return { flags: options.replace(/[A-Za-z]\([^)]*\)/g, ''), predial };
}

export async function dialApp(sim: SimContext, ch: Channel, data: string): Promise<AppResult> {
  const [targets = '', timeoutS = '', options = ''] = splitArgs(data);
  const { pbx } = sim;
  const opts = parseDialOptions(options);
  const legs: Leg[] = [];
  for (const t of targets.split('&').map((s) => s.trim()).filter(Boolean)) {
    const out = createOutgoing(sim, t, { caller: ch, appName: 'AppDial' });
    if (!out) { sim.log.warn({ target: t }, 'simulator: Dial target unavailable'); continue; }
    if (opts.predial) await runPredial(sim, out, opts.predial);
    legs.push(newLeg(out, t));
    dialEvent(sim, 'DialBegin', ch, out, [['DialString', parseDialString(t)?.resource ?? t]]);
    callOutgoing(sim, out, ch);
  }
  const started = Date.now();
  if (!legs.length) { pbx.setVar(ch, 'DIALSTATUS', 'CHANUNAVAIL'); return 'next'; }
  const timeoutMs = timeoutS ? Number(timeoutS) * 1000 * sim.timeScale : undefined;
  const { winner, status } = await ringLegs(sim, ch, legs, { timeoutMs });
  if (!winner) {
    if (!ch.hungup) pbx.setVar(ch, 'DIALSTATUS', status);
    return ch.hungup ? 'hangup' : 'next';
  }
  const callee = winner.ch;
  if (ch.state !== 6) pbx.answer(ch);
  pbx.setVar(ch, 'DIALEDPEERNAME', callee.name);
  pbx.setVar(ch, 'DIALSTATUS', 'ANSWER');
  const bridge = createBridge(pbx, { kind: 'basic' });
  bridge.dissolveOnLeave = true;
  // t: the called party may transfer, T: the calling party; without them DTMF transfers are ignored.
  bridge.canTransfer = new Set([...(opts.flags.includes('t') ? [callee] : []), ...(opts.flags.includes('T') ? [ch] : [])]);
  bridgeAdd(pbx, bridge, callee);
  bridgeAdd(pbx, bridge, ch);
  // An attended transfer by a party with transfer rights: the call goes on while the transferer
  // consults, and after the merge the caller talks to the new party until one of them leaves.
  let transferred = false;
  bridge.onTransfer = () => { transferred = true; };
  for (;;) {
    if (ch.interrupted || ch.bridge !== bridge) break;
    if (!transferred && !bridge.consulting && (callee.hungup || callee.bridge !== bridge)) break;
    if (transferred && !bridge.consulting && bridge.channels.length <= 1) break;
    await ch.sleep();
  }
  const answered = winner.answeredAt ?? Date.now();
  if (callee.hungup && callee.bridge === bridge) bridgeRemove(pbx, bridge, callee); // the party that hung up leaves first
  if (ch.bridge === bridge) bridgeRemove(pbx, bridge, ch);
  if (!callee.hungup && !callee.swappedOut) { if (callee.bridge === bridge) bridgeRemove(pbx, bridge, callee); pbx.hangup(callee, 16, 'soft'); }
  if (!bridge.channels.length) destroyBridge(pbx, bridge);
  if (!ch.hungup) {
    pbx.setVar(ch, 'ANSWEREDTIME', String(Math.round((Date.now() - answered) / 1000)));
    pbx.setVar(ch, 'DIALEDTIME', String(Math.round((Date.now() - started) / 1000)));
  }
  return ch.hungup ? 'hangup' : 'next';
}
