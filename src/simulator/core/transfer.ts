/** Redirect, blind and attended transfer, DTMF: shared by AMI actions, ARI routes and the test API. */
import type { Channel } from './channel';
import type { SimContext } from './context';
import { bridgeAdd, bridgeRemove, createBridge, destroyBridge } from './bridging';
import { callOutgoing, createOutgoing, dialEvent, parseDialString } from './dial';
import { newLeg, ringLegs } from '../dialplan/ringing';

/** Send a channel elsewhere in the dialplan, whatever currently owns it. */
export function redirectChannel(sim: SimContext, ch: Channel, context: string, exten: string, priority: string | number): void {
  if (ch.hungup) return;
  if (ch.pbxRunning) {
    ch.pendingGoto = { context, exten, priority };
    ch.wake();
    return;
  }
  if (ch.bridge) bridgeRemove(sim.pbx, ch.bridge, ch);
  sim.startDialplan(ch, context, exten, priority);
}

/**
 * BlindTransfer moves the *other* party; the transferer leaves the bridge and is hung up. The
 * transferees show their new dialplan location at once but leave the bridge only when it dissolves:
 * after the transferer's hangup when a dialplan owns the transferer (capture 05), at once otherwise
 * (a PJSIP queue member: BridgeLeave, BridgeLeave, BridgeDestroy, then its Hangup, capture 09).
 */
export function blindTransfer(sim: SimContext, transferer: Channel, context: string, exten: string, isExternal: boolean): boolean {
  const { pbx } = sim;
  const b = transferer.bridge;
  if (!b) return false;
  const others = b.channels.filter((c) => c !== transferer);
  pbx.ami('Unhold', 'call', transferer.snapshot());
  pbx.ami('BlindTransfer', 'call', [['Result', 'Success'], ...transferer.snapshot('Transferer'), ...(others.length === 1 ? others[0].snapshot('Transferee') : []),
    ...b.snapshot(), ['IsExternal', isExternal ? 'Yes' : 'No'], ['Context', context], ['Extension', exten]]);
  pbx.ari('BridgeBlindTransfer', { result: 'Success', channel: transferer.toAri(), ...(others.length === 1 ? { transferee: others[0].toAri() } : {}), bridge: b.toAri(), is_external: isExternal, context, exten }, { channels: [transferer, ...others], bridges: [b] });
  for (const o of others) { o.context = context; o.exten = exten; o.priority = 1; o.afterBridge = { context, exten, priority: 1 }; }
  b.onTransfer?.();
  bridgeRemove(pbx, b, transferer);
  const dissolve = (): void => {
    for (const o of others) {
      if (o.bridge === b) bridgeRemove(pbx, b, o);
      o.afterBridge = undefined;
      if (o.hungup) continue;
      if (o.pbxRunning) { o.pendingGoto = { context, exten, priority: 1 }; o.wake(); } else sim.startDialplan(o, context, exten, 1);
    }
    if (!b.destroyed && !b.channels.length) destroyBridge(pbx, b);
  };
  if (transferer.pbxRunning) {
    const onGone = (c: Channel): void => { if (c === transferer) { pbx.off('destroyed', onGone); dissolve(); } };
    pbx.on('destroyed', onGone);
    pbx.hangup(transferer, 16, 'soft');
  } else {
    dissolve();
    pbx.hangup(transferer, 16, 'silent');
  }
  return true;
}

/** DTMF arriving on a channel (a phone keypress, PlayDTMF, sendDtmf()). */
export function sendDtmf(sim: SimContext, ch: Channel, digit: string, direction: 'Received' | 'Sent' = 'Received', durationMs = 100): void {
  const { pbx } = sim;
  pbx.ami('DTMFBegin', 'dtmf', [...ch.snapshot(), ['Digit', digit], ['Direction', direction]]);
  pbx.ami('DTMFEnd', 'dtmf', [...ch.snapshot(), ['Digit', digit], ['DurationMs', String(durationMs)], ['Direction', direction]]);
  if (direction === 'Received') {
    pbx.ari('ChannelDtmfReceived', { digit, duration_ms: durationMs, channel: ch.toAri() }, { channels: [ch] });
    ch.dtmfBuffer += digit;
    ch.wake();
  }
}

/**
 * Atxfer: the features code `*2` and the target are injected as DTMF, the transferee hears MOH,
 * the transferer consults the target over a Local pair, and hanging up completes the transfer.
 */
export async function attendedTransfer(sim: SimContext, transferer: Channel, context: string, exten: string): Promise<void> {
  const { pbx } = sim;
  const orig = transferer.bridge;
  if (!orig) return;
  for (const d of `*2${exten}`) pbx.ami('DTMFEnd', 'dtmf', [...transferer.snapshot(), ['Digit', d], ['DurationMs', '0'], ['Direction', 'Received']]);
  const transferees = orig.channels.filter((c) => c !== transferer);
  pbx.ami('Hold', 'call', transferer.snapshot());
  for (const t of transferees) { t.moh = 'default'; pbx.ami('MusicOnHoldStart', 'call', [...t.snapshot(), ['Class', 'default']]); }
  const target = createOutgoing(sim, `Local/${exten}@${context}`, { caller: transferer, appName: 'AppDial' });
  const unhold = (): void => {
    for (const t of transferees) if (t.moh !== undefined && !t.hungup) { t.moh = undefined; pbx.ami('MusicOnHoldStop', 'call', t.snapshot()); }
  };
  if (!target) { unhold(); return; }
  dialEvent(sim, 'DialBegin', transferer, target, [['DialString', parseDialString(`Local/${exten}@${context}`)!.resource]]);
  callOutgoing(sim, target, transferer);
  const { winner } = await ringLegs(sim, undefined, [newLeg(target, exten)], { timeoutMs: 30000 * sim.timeScale });
  if (!winner) { unhold(); pbx.ami('Unhold', 'call', transferer.snapshot()); return; }
  const done = (): void => { orig.consulting = false; for (const c of orig.channels) c.wake(); };
  orig.consulting = true;
  bridgeRemove(pbx, orig, transferer);
  const consult = createBridge(pbx, { kind: 'basic' });
  bridgeAdd(pbx, consult, transferer);
  bridgeAdd(pbx, consult, target);
  const onGone = (c: unknown): void => {
    if (c !== transferer && c !== target) return;
    pbx.off('destroyed', onGone);
    if (c === target || orig.destroyed) {
      // consultation failed: the transferer goes back to the caller
      unhold();
      if (!consult.destroyed) destroyBridge(pbx, consult);
      if (!transferer.hungup && !orig.destroyed) bridgeAdd(pbx, orig, transferer);
      done();
      return;
    }
    // the transferer hung up: merge the consultation into the original bridge
    pbx.ami('BridgeMerge', 'call', [...orig.snapshot('To'), ...consult.snapshot('From')]);
    pbx.ami('AttendedTransfer', 'call', [['Result', 'Success'], ...transferer.snapshot('OrigTransferer'), ...orig.snapshot('OrigBridge'),
      ...transferer.snapshot('SecondTransferer'), ...consult.snapshot('SecondBridge'), ...target.snapshot('TransferTarget'),
      ['IsExternal', 'No'], ['DestType', 'Bridge'], ['DestBridgeUniqueid', orig.id]]);
    orig.onTransfer?.();
    unhold();
    if (!target.hungup) bridgeAdd(pbx, orig, target);
    if (!consult.destroyed) destroyBridge(pbx, consult);
    done();
  };
  pbx.on('destroyed', onGone);
}
