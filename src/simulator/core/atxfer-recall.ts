/**
 * What Asterisk 22 does after the transferer of an attended transfer hangs up while the target is
 * still ringing (main/bridge_basic.c, atxferdropcall=no): the "blond" transfer. The caller is merged
 * with the ringing target (BLOND_NONFINAL) and the outcome is left to the target:
 *   - it answers: the transfer is done (RESUME);
 *   - it hangs up (busy, no answer), or atxfernoanswertimeout runs out since the consultation began
 *     (the target is then hung up): Asterisk dials the transferer's device back (RECALLING) for
 *     atxfernoanswertimeout; if answered, it joins the caller (RESUME);
 *   - nobody answers the recall: after atxferloopdelay the original target is dialled again
 *     (RETRANSFER, a new Local channel into the same context/exten), then after another delay the
 *     transferer again, until atxfercallbackretries recalls have failed (FAIL: the caller's bridge
 *     is destroyed).
 * During the waits the caller hears music on hold (bridge_hold).
 */
import type { Channel } from './channel';
import type { SimContext } from './context';
import type { Bridge } from './bridge';
import { bridgeAdd, destroyBridge } from './bridging';
import { callOutgoing, createOutgoing, dialEvent } from './dial';

/** features.conf [general] transfer settings, Asterisk's defaults where unset (seconds). */
export interface TransferFeatures {
  atxferNoAnswerTimeout: number;
  atxferDropCall: boolean;
  atxferLoopDelay: number;
  atxferCallbackRetries: number;
}

export const DEFAULT_FEATURES: TransferFeatures = { atxferNoAnswerTimeout: 15, atxferDropCall: false, atxferLoopDelay: 10, atxferCallbackRetries: 2 };

/** Reads features.conf [general] entries (as parsed by conf/ini.ts). */
export function transferFeatures(general: Array<[string, string]> | undefined): TransferFeatures {
  const f = { ...DEFAULT_FEATURES };
  for (const [k, v] of general ?? []) {
    if (k === 'atxfernoanswertimeout' && Number(v) > 0) f.atxferNoAnswerTimeout = Number(v);
    if (k === 'atxferdropcall') f.atxferDropCall = /^(yes|true|on|1)$/i.test(v);
    if (k === 'atxferloopdelay' && Number(v) >= 0) f.atxferLoopDelay = Number(v);
    if (k === 'atxfercallbackretries' && Number(v) >= 0) f.atxferCallbackRetries = Number(v);
  }
  return f;
}

interface Blond {
  sim: SimContext;
  orig: Bridge;
  transferees: Channel[];
  /** tech/address of the transferer ("PJSIP", "1001"): bridge_basic.c strips the serial. */
  transfererAddr: string;
  transfererCaller: { num: string; name: string };
  context: string;
  exten: string;
  /** When the consultation began: the BLOND_NONFINAL timer is not reset (TRANSFER_STATE_FLAG_ATXFER_NO_ANSWER only). */
  startedAt: number;
}

const seconds = (sim: SimContext, s: number) => Math.max(0, s * 1000 * sim.timeScale);

function hold(b: Blond, on: boolean) {
  for (const t of b.transferees) {
    if (t.hungup) continue;
    if (on && t.moh === undefined) { t.moh = 'default'; b.sim.pbx.ami('MusicOnHoldStart', 'call', [...t.snapshot(), ['Class', 'default']]); }
    if (!on && t.moh !== undefined) { t.moh = undefined; b.sim.pbx.ami('MusicOnHoldStop', 'call', t.snapshot()); }
  }
}

const callerGone = (b: Blond) => b.orig.destroyed || b.transferees.every((t) => t.hungup);

/**
 * Follow `target` (the ringing ;1 already merged into the caller's bridge) to the end of the blond
 * transfer. `features` are features.conf's.
 */
export function blondNonFinal(sim: SimContext, o: Omit<Blond, 'sim'>, target: Channel, features: TransferFeatures): void {
  const b: Blond = { sim, ...o };
  // The recall superstate (bridge_basic.c recall_pull): the caller stays in the bridge while legs
  // come and go; Queue()/Dial() must not end the call when one leaves (the sim's `consulting`).
  b.orig.consulting = true;
  const remaining = b.startedAt + seconds(sim, features.atxferNoAnswerTimeout) - Date.now();
  awaitLeg(b, target, remaining, (answered) => { if (answered) resume(b); else recall(b, features, 0); });
}

/**
 * Wait for `leg` to answer (true), hang up or time out (false; a timed-out leg is hung up). The
 * caller hanging up ends everything (FAIL).
 */
function awaitLeg(b: Blond, leg: Channel, timeoutMs: number, done: (answered: boolean) => void) {
  const { pbx } = b.sim;
  let settled = false;
  const settle = (answered: boolean) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    pbx.off('chanstate', onState);
    pbx.off('hangupRequested', onHangup);
    if (callerGone(b)) { if (!leg.hungup) pbx.hangup(leg, 16, 'soft'); resume(b); return; }
    done(answered);
  };
  const onState = (c: Channel) => { if (c === leg && c.state === 6) settle(true); };
  const onHangup = (c: Channel) => { if (c === leg || b.transferees.includes(c)) settle(false); };
  const timer = setTimeout(() => { if (!leg.hungup && leg.state !== 6) pbx.hangup(leg, 16, 'soft'); settle(false); }, Math.max(0, timeoutMs));
  pbx.on('chanstate', onState);
  pbx.on('hangupRequested', onHangup);
  if (leg.hungup) settle(false);
  else if (leg.state === 6) settle(true);
}

/** RECALLING: ring the transferer's device; answered, it joins the caller. */
function recall(b: Blond, f: TransferFeatures, attempts: number) {
  const { sim } = b;
  if (callerGone(b)) return;
  const [tech, addr] = b.transfererAddr.split('/');
  const ch = createOutgoing(sim, `${tech}/${addr}`, { callerId: { ...b.transfererCaller }, appName: 'AppDial2' });
  if (!ch) return afterRecall(b, f, attempts + 1);
  if (b.transferees[0]) sim.pbx.setConnected(ch, b.transferees[0].caller.num, b.transferees[0].caller.name);
  dialEvent(sim, 'DialBegin', undefined, ch, [['DialString', addr]]);
  hold(b, false);
  callOutgoing(sim, ch);
  awaitLeg(b, ch, seconds(sim, f.atxferNoAnswerTimeout), (answered) => {
    dialEvent(sim, 'DialEnd', undefined, ch, [['DialStatus', answered ? 'ANSWER' : 'NOANSWER']]);
    if (answered) { impart(b, ch); resume(b); return; }
    afterRecall(b, f, attempts + 1);
  });
}

function afterRecall(b: Blond, f: TransferFeatures, attempts: number) {
  const { sim } = b;
  if (attempts >= f.atxferCallbackRetries) return fail(b);
  hold(b, true);
  setTimeout(() => retransfer(b, f, attempts), seconds(sim, f.atxferLoopDelay));
}

/** RETRANSFER: dial the original target again (Local <exten>@<context>) straight into the caller's bridge. */
function retransfer(b: Blond, f: TransferFeatures, attempts: number) {
  const { sim } = b;
  if (callerGone(b)) return;
  hold(b, false);
  const [one, two] = sim.pbx.newLocal(`${b.exten}@${b.context}`, { linkedid: b.transferees[0]?.linkedid, caller: { ...b.transfererCaller } });
  sim.pbx.localBridgeEvent(one, two);
  impart(b, one);
  setImmediate(() => { if (!two.hungup) sim.startDialplan(two, b.context, b.exten, 1); });
  awaitLeg(b, one, seconds(sim, f.atxferNoAnswerTimeout), (answered) => {
    if (answered) return resume(b);
    hold(b, true);
    setTimeout(() => recall(b, f, attempts), seconds(sim, f.atxferLoopDelay));
  });
}

/**
 * ast_bridge_impart(AST_BRIDGE_IMPART_CHAN_INDEPENDENT): the channel runs no dialplan of its own, so
 * when it is left alone in the bridge (the caller hung up) or put out of it, it is hung up.
 */
function impart(b: Blond, ch: Channel) {
  const { pbx } = b.sim;
  bridgeAdd(pbx, b.orig, ch);
  const onChange = (br: Bridge) => {
    if (ch.hungup) { pbx.off('bridgeChanged', onChange); return; }
    if (br !== b.orig) return;
    if (ch.bridge !== b.orig || b.orig.channels.length <= 1) {
      pbx.off('bridgeChanged', onChange);
      if (!ch.swappedOut && ch.bridge === undefined || ch.bridge === b.orig) pbx.hangup(ch, 16, 'soft');
    }
  };
  pbx.on('bridgeChanged', onChange);
}

/** FAIL: fail_enter destroys the transferee bridge; the caller leaves it. */
function fail(b: Blond) {
  const { sim } = b;
  sim.log.warn({ transferees: b.transferees.map((t) => t.name) }, 'simulator: attended transfer recall failed; the transferee bridge is destroyed');
  hold(b, false);
  b.orig.consulting = false;
  destroyBridge(sim.pbx, b.orig);
  for (const t of b.transferees) t.wake();
}

/** RESUME (or the caller gone): the bridge is an ordinary one again. */
function resume(b: Blond) {
  b.orig.consulting = false;
  for (const c of b.orig.channels) c.wake();
}
