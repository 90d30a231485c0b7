/** Redirect, blind and attended transfer, DTMF: shared by AMI actions, ARI routes and the test API. */
import type { Channel } from './channel';
import type { SimContext } from './context';
import { bridgeRemove, destroyBridge } from './bridging';
export { attendedTransfer } from './atxfer';

/**
 * Send a channel elsewhere in the dialplan, whatever currently owns it. A channel no dialplan owns
 * (a queue member, a dialled phone) is marked at once, so its bridge's owner leaves it alone, and
 * moved a moment later: with a dual Redirect the first channel leaves and lands first (capture 11).
 */
export function redirectChannel(sim: SimContext, ch: Channel, context: string, exten: string, priority: string | number): void {
  if (ch.hungup) return;
  ch.pendingGoto = { context, exten, priority };
  if (ch.pbxRunning) { ch.wake(); return; }
  setImmediate(() => {
    const g = ch.pendingGoto;
    if (!g || ch.hungup || ch.pbxRunning) return;
    ch.pendingGoto = undefined;
    const b = ch.bridge;
    if (b) {
      bridgeRemove(sim.pbx, b, ch);
      if (b.dissolveOnLeave && !b.channels.length && !b.destroyed) destroyBridge(sim.pbx, b);
    }
    sim.startDialplan(ch, g.context, g.exten, g.priority);
  });
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
