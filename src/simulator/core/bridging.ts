/** Bridge operations: create, enter, leave, destroy, with the events Asterisk sends for each. */
import { Bridge, BridgeKind } from './bridge';
import type { Channel } from './channel';
import type { PbxCore } from './pbx';

export function createBridge(pbx: PbxCore, o: { kind: BridgeKind; type?: string; creator?: string; name?: string; id?: string }): Bridge {
  const b = new Bridge(o.id ?? pbx.newBridgeId(), o.kind, o.type ?? (o.kind === 'stasis' ? 'mixing' : 'basic'), o.creator ?? '', o.name ?? '');
  pbx.bridges.set(b.id, b);
  pbx.ami('BridgeCreate', 'call', b.snapshot());
  pbx.ari('BridgeCreated', { bridge: b.toAri() }, { bridges: [b] });
  return b;
}

function peersOf(b: Bridge, ch: Channel): string {
  return [...b.hidden, ...b.channels].filter((c) => c !== ch).map((c) => c.name).join(',');
}

/** Set BRIDGEPEER on every member, as Asterisk does after each membership change. */
export function updatePeers(pbx: PbxCore, b: Bridge, only?: Channel[]): void {
  for (const c of only ?? b.channels) pbx.setVar(c, 'BRIDGEPEER', peersOf(b, c));
}

export function bridgeAdd(pbx: PbxCore, b: Bridge, ch: Channel, o: { role?: string; swap?: Channel } = {}): void {
  if (ch.bridge === b) return;
  if (ch.bridge) bridgeRemove(pbx, ch.bridge, ch);
  b.channels.push(ch);
  ch.bridge = b;
  b.updateTechnology();
  pbx.noteBridged(ch, true);
  pbx.ami('BridgeEnter', 'call', [...b.snapshot(), ...ch.snapshot()]);
  pbx.ari('ChannelEnteredBridge', { bridge: b.toAri(), channel: ch.toAri() }, { channels: [ch], bridges: [b] });
  if (b.channels.length + b.hidden.length > 1) updatePeers(pbx, b);
  for (const c of b.channels) c.wake();
  pbx.emit('bridgeEntered', b, ch);
}

/** Remove a channel; the owners of the others are woken and decide (Queue/Dial end the call). */
export function bridgeRemove(pbx: PbxCore, b: Bridge, ch: Channel): void {
  const i = b.channels.indexOf(ch);
  if (i < 0) return;
  b.channels.splice(i, 1);
  ch.bridge = undefined;
  pbx.noteBridged(ch, false);
  if (ch.vars.get('BRIDGEPEER')) pbx.setVar(ch, 'BRIDGEPEER', '');
  const alone = b.channels.length + b.hidden.length <= 1;
  if (alone) for (const c of b.channels) if (c.vars.get('BRIDGEPEER')) pbx.setVar(c, 'BRIDGEPEER', '');
  b.updateTechnology();
  pbx.ami('BridgeLeave', 'call', [...b.snapshot(), ...ch.snapshot()]);
  pbx.ari('ChannelLeftBridge', { bridge: b.toAri(), channel: ch.toAri() }, { channels: [ch], bridges: [b] });
  if (!alone && b.channels.length) updatePeers(pbx, b);
  for (const c of b.channels) c.wake();
  ch.wake();
  pbx.emit('bridgeChanged', b);
}

export function addHidden(pbx: PbxCore, b: Bridge, ch: Channel): void {
  b.hidden.push(ch);
  b.updateTechnology();
  updatePeers(pbx, b);
}

export function removeHidden(pbx: PbxCore, b: Bridge, ch: Channel): void {
  const i = b.hidden.indexOf(ch);
  if (i < 0) return;
  b.hidden.splice(i, 1);
  b.updateTechnology();
  if (b.channels.length > 1 || b.hidden.length) updatePeers(pbx, b);
}

export function destroyBridge(pbx: PbxCore, b: Bridge): void {
  if (b.destroyed) return;
  for (const c of [...b.channels]) bridgeRemove(pbx, b, c);
  b.destroyed = true;
  pbx.bridges.delete(b.id);
  pbx.ami('BridgeDestroy', 'call', b.snapshot());
  pbx.ari('BridgeDestroyed', { bridge: b.toAri() }, { bridges: [b] });
}
