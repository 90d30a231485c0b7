/** Dial(targets,timeout,options): ring, bridge the winner, wait for either side to hang up. */
import type { Channel } from '../core/channel';
import type { SimContext } from '../core/context';
import { callOutgoing, createOutgoing, dialEvent, parseDialString } from '../core/dial';
import { bridgeAdd, bridgeRemove, createBridge, destroyBridge } from '../core/bridging';
import { splitArgs } from './expr';
import type { AppResult } from './apps';
import { Leg, newLeg, ringLegs } from './ringing';

export async function dialApp(sim: SimContext, ch: Channel, data: string): Promise<AppResult> {
  const [targets = '', timeoutS = '', options = ''] = splitArgs(data);
  const { pbx } = sim;
  for (const v of ['DIALSTATUS', 'DIALEDTIME', 'ANSWEREDTIME']) void v;
  const legs: Leg[] = [];
  for (const t of targets.split('&').map((s) => s.trim()).filter(Boolean)) {
    const out = createOutgoing(sim, t, { caller: ch, appName: 'AppDial' });
    if (!out) { sim.log.warn({ target: t }, 'simulator: Dial target unavailable'); continue; }
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
  bridgeAdd(pbx, bridge, callee);
  bridgeAdd(pbx, bridge, ch);
  while (!ch.interrupted && !callee.hungup && ch.bridge === bridge && callee.bridge === bridge) await ch.sleep();
  const answered = winner.answeredAt ?? Date.now();
  if (callee.hungup && callee.bridge === bridge) bridgeRemove(pbx, bridge, callee); // the party that hung up leaves first
  if (ch.bridge === bridge) bridgeRemove(pbx, bridge, ch);
  if (!callee.hungup && !callee.swappedOut) { if (callee.bridge === bridge) bridgeRemove(pbx, bridge, callee); pbx.hangup(callee, 16, 'soft'); }
  if (!bridge.channels.length) destroyBridge(pbx, bridge);
  if (!ch.hungup) {
    pbx.setVar(ch, 'ANSWEREDTIME', String(Math.round((Date.now() - answered) / 1000)));
    pbx.setVar(ch, 'DIALEDTIME', String(Math.round((Date.now() - started) / 1000)));
  }
  void options;
  return ch.hungup ? 'hangup' : 'next';
}
