/**
 * AMI Atxfer as Asterisk 22 does it with `atxfer => *2` (capture 09 C): the feature code and the
 * target are injected as DTMF on the transferer, the transferer is put on hold and the transferees
 * hear MOH, a Local pair `Local/<exten>@<context>` is created whose ;1 waits in a consultation bridge
 * with the transferer while ;2 runs the dialplan. When the transferer hangs up, the consultation is
 * merged into the original bridge (BridgeMerge, AttendedTransfer, AgentComplete Reason=transfer) and
 * the Local pair then optimises itself away (LocalOptimizationBegin/End), leaving the transferee
 * bridged straight to the target.
 */
import type { Channel } from './channel';
import type { SimContext } from './context';
import type { Bridge } from './bridge';
import { bridgeAdd, bridgeRemove, createBridge, destroyBridge } from './bridging';
import { dialEvent } from './dial';
import { blondNonFinal } from './atxfer-recall';

let optimizationId = 0;

function dtmfEnd(sim: SimContext, ch: Channel, digit: string): void {
  sim.pbx.ami('DTMFEnd', 'dtmf', [...ch.snapshot(), ['Digit', digit], ['DurationMs', '0'], ['Direction', 'Received']]);
}

export async function attendedTransfer(sim: SimContext, transferer: Channel, context: string, exten: string): Promise<void> {
  const { pbx } = sim;
  const orig = transferer.bridge;
  if (!orig) return;
  const transferees = orig.channels.filter((c) => c !== transferer);
  // AMI Atxfer only queues the feature code and the digits as DTMF (main/manager.c): a bridge whose
  // features do not let this channel transfer (Dial/Queue without t/T) passes them through as digits.
  if (orig.canTransfer && !orig.canTransfer.has(transferer)) {
    for (const d of `*2${exten}`) dtmfEnd(sim, transferer, d);
    sim.log.warn({ channel: transferer.name }, 'simulator: Atxfer digits on a channel without transfer rights; ignored');
    return;
  }
  dtmfEnd(sim, transferer, '*');
  dtmfEnd(sim, transferer, '2');
  pbx.ami('Hold', 'call', transferer.snapshot());
  for (const t of transferees) { t.moh = 'default'; pbx.ami('MusicOnHoldStart', 'call', [...t.snapshot(), ['Class', 'default']]); }
  // bridge_basic.c grab_transfer() plays the `pbx-transfer` prompt before reading the number: without
  // the sound it fails ("Unable to acquire target extension for attended transfer") and the transferer
  // is taken off hold; nothing else reports it (issue 11 §5).
  if (sim.missingSounds.has('pbx-transfer')) {
    sim.log.warn({ channel: transferer.name }, 'simulator: Unable to acquire target extension for attended transfer (pbx-transfer missing)');
    pbx.ami('Unhold', 'call', transferer.snapshot());
    for (const t of transferees) if (t.moh !== undefined && !t.hungup) { t.moh = undefined; pbx.ami('MusicOnHoldStop', 'call', t.snapshot()); }
    for (const d of exten) dtmfEnd(sim, transferer, d);
    return;
  }
  for (const d of exten) dtmfEnd(sim, transferer, d);
  const startedAt = Date.now();
  const [one, two] = pbx.newLocal(`${exten}@${context}`, { linkedid: transferees[0]?.linkedid ?? transferer.linkedid, caller: { ...transferer.caller } });
  const consult = createBridge(pbx, { kind: 'basic' });
  pbx.localBridgeEvent(one, two);
  orig.consulting = true;
  bridgeAdd(pbx, consult, one);
  bridgeAdd(pbx, consult, transferer);
  // ;1 is dialled by nobody: its progress shows as DialState/DialEnd without a caller
  let reported = 0;
  const onState = (c: Channel): void => {
    if (c !== one) return;
    if (c.state === 5 && reported < 1) { reported = 1; dialEvent(sim, 'DialState', undefined, one, [['DialStatus', 'RINGING']]); }
    if (c.state === 6 && reported < 2) { reported = 2; pbx.off('chanstate', onState); dialEvent(sim, 'DialEnd', undefined, one, [['DialStatus', 'ANSWER']]); }
  };
  pbx.on('chanstate', onState);
  const unhold = (): void => {
    for (const t of transferees) if (t.moh !== undefined && !t.hungup) { t.moh = undefined; pbx.ami('MusicOnHoldStop', 'call', t.snapshot()); }
  };
  // CALLING_TARGET is timed (atxfernoanswertimeout): a target still ringing then is hung up and the
  // transferer goes back to the caller (REBRIDGE); a consultation in progress (CONSULTING) is not timed.
  const noAnswer = setTimeout(() => {
    if (!settled && !one.hungup && one.state !== 6 && consult.channels.includes(transferer)) pbx.hangup(one, 16, 'soft');
  }, sim.features.atxferNoAnswerTimeout * 1000 * sim.timeScale);
  const finish = (): void => {
    clearTimeout(noAnswer);
    pbx.off('chanstate', onState);
    pbx.off('bridgeChanged', onLeave);
    orig.consulting = false;
    for (const c of orig.channels) c.wake();
  };
  // runs inside the transferer's (or the target's) BridgeLeave, before its Hangup: the order of capture 09
  let settled = false;
  const onLeave = (b: Bridge): void => {
    if (b !== consult || settled) return;
    if (one.hungup || orig.destroyed) {
      settled = true;
      // the target gave up: the transferer goes back to the caller
      unhold();
      if (!consult.destroyed) { for (const c of [...consult.channels]) if (c !== transferer) bridgeRemove(pbx, consult, c); }
      if (!transferer.hungup && !orig.destroyed) bridgeAdd(pbx, orig, transferer);
      if (!consult.destroyed) destroyBridge(pbx, consult);
      if (!one.hungup) pbx.hangup(one, 16, 'soft');
      finish();
      return;
    }
    if (consult.channels.includes(transferer)) return;
    settled = true;
    unhold();
    pbx.ami('BridgeMerge', 'call', [...orig.snapshot('To'), ...consult.snapshot('From')]);
    bridgeRemove(pbx, consult, one);
    bridgeAdd(pbx, orig, one);
    const transferee = transferees[0];
    pbx.ami('AttendedTransfer', 'call', [['Result', 'Success'], ...transferer.snapshot('OrigTransferer'), ...orig.snapshot('Orig'),
      ...transferer.snapshot('SecondTransferer'), ...consult.snapshot('Second'), ...(transferee ? transferee.snapshot('Transferee') : []),
      ...one.snapshot('TransferTarget'), ['IsExternal', 'No'], ['DestType', 'Bridge'], ['DestBridgeUniqueid', orig.id]]);
    orig.onTransfer?.();
    destroyBridge(pbx, consult);
    finish();
    if (one.state !== 6 && !sim.features.atxferDropCall) {
      // The transferer left while the target still rang: Asterisk's blond transfer (atxfer-recall.ts).
      blondNonFinal(sim, { orig, transferees, transfererAddr: transferer.name.replace(/-[^-/]+$/, ''), transfererCaller: { ...transferer.caller }, context, exten, startedAt }, one, sim.features);
    }
    setImmediate(() => optimizeWhenBridged(sim, one, two));
  };
  pbx.on('bridgeChanged', onLeave);
  setImmediate(() => { if (!two.hungup) sim.startDialplan(two, context, exten, 1); });
}

/**
 * A Local pair bridged on both sides swaps itself out: the party in ;2's bridge moves into ;1's
 * bridge and both halves hang up (LocalOptimizationBegin/End, capture 09 C).
 */
export function optimizeLocal(sim: SimContext, one: Channel, two: Channel): boolean {
  const { pbx } = sim;
  const b1 = one.bridge;
  const b2 = two.bridge;
  const source = b2?.channels.find((c) => c !== two);
  if (!b1 || !b2 || !source || one.hungup || two.hungup) return false;
  const id = String(optimizationId++);
  pbx.ami('LocalOptimizationBegin', 'call', [...one.snapshot('LocalOne'), ...two.snapshot('LocalTwo'), ...source.snapshot('Source'), ['DestUniqueId', two.id], ['Id', id]]);
  source.afterBridge = { context: source.context, exten: source.exten, priority: source.priority };
  bridgeRemove(pbx, b2, source);
  bridgeRemove(pbx, b1, one);
  bridgeAdd(pbx, b1, source);
  source.afterBridge = undefined;
  source.swappedOut = true;
  // Asterisk 22 reports the swap it just made with "Success: No" (capture 09 C)
  pbx.ami('LocalOptimizationEnd', 'call', [...one.snapshot('LocalOne'), ...two.snapshot('LocalTwo'), ['Success', 'No'], ['Id', id]]);
  pbx.hangup(two, 16, 'soft');
  return true;
}

/** Optimise now, or as soon as ;2 is bridged too (a blond transfer's target answers later). */
function optimizeWhenBridged(sim: SimContext, one: Channel, two: Channel): void {
  if (optimizeLocal(sim, one, two)) return;
  const stop = (): void => { sim.pbx.off('bridgeEntered', onEnter); sim.pbx.off('hangupRequested', onHangup); };
  const onEnter = (): void => { if (one.bridge && two.bridge) { stop(); setImmediate(() => optimizeLocal(sim, one, two)); } };
  const onHangup = (c: Channel): void => { if (c === one || c === two) stop(); };
  sim.pbx.on('bridgeEntered', onEnter);
  sim.pbx.on('hangupRequested', onHangup);
}
