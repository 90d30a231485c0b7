/**
 * What the ARI adapter knows about its Stasis application: channels in the app, app bridges and the
 * per-channel listeners. Listeners are dropped when their channel ends, so memory stays flat no
 * matter how many calls pass (ari-client's own per-instance listeners are never used: they leak).
 */
import { TelephonyEvent } from './events';

export interface AriChannelJson {
  id: string;
  name: string;
  state: string;
  caller?: { number?: string; name?: string };
  dialplan?: { app_name?: string; app_data?: string };
}
export interface AriEventJson {
  type: string;
  application?: string;
  channel?: AriChannelJson;
  bridge?: { id: string; channels?: string[] };
  args?: string[];
  digit?: string;
  playback?: { id: string; target_uri?: string; state?: string };
  recording?: { name: string; target_uri?: string; state?: string; duration?: number; format?: string };
  cause?: number;
}

export type ChannelListener = (e: TelephonyEvent) => void;

interface Tracked { channelId: string; channel: string; state: string; bridgeId?: string; seq: number }

export const ARI_IGNORED = new Set([
  'ChannelVarset', 'ChannelDialplan', 'Dial', 'ChannelCallerId', 'ChannelConnectedLine', 'ChannelHangupRequest',
  'EndpointStateChange', 'ContactStatusChange', 'PeerStatusChange', 'ChannelCreated', 'PlaybackStarted', 'PlaybackContinuing',
  'ChannelTalkingStarted', 'ChannelTalkingFinished', 'ChannelHold', 'ChannelUnhold', 'ChannelUserevent', 'BridgeMerged',
  'BridgeBlindTransfer', 'BridgeAttendedTransfer', 'BridgeVideoSourceChanged', 'DeviceStateChanged', 'ChannelToneDetected',
  'TextMessageReceived', 'ApplicationReplaced', 'ChannelTransfer', 'ApplicationRegistered', 'ApplicationUnregistered',
]);

const LISTENER_TTL_MS = 10 * 60_000;

export class AriView {
  readonly channels = new Map<string, Tracked>();
  readonly bridges = new Set<string>();
  private readonly listeners = new Map<string, { fns: Set<ChannelListener>; since: number }>();
  seq = 0;

  constructor(private readonly serverId: string, private readonly app: string, private readonly emit: (e: TelephonyEvent) => void,
    private readonly onListenerError: (err: Error) => void = () => undefined) {}

  make(init: { type: TelephonyEvent['type'] } & Record<string, unknown>): TelephonyEvent {
    return { serverId: this.serverId, source: 'ari', at: Date.now(), ...init } as unknown as TelephonyEvent;
  }

  listenerCount(): number {
    return this.listeners.size;
  }

  onChannel(channelId: string, fn: ChannelListener): () => void {
    let entry = this.listeners.get(channelId);
    if (!entry) this.listeners.set(channelId, (entry = { fns: new Set(), since: Date.now() }));
    entry.fns.add(fn);
    return () => {
      const e = this.listeners.get(channelId);
      if (!e) return;
      e.fns.delete(fn);
      if (e.fns.size === 0) this.listeners.delete(channelId);
    };
  }

  private toChannel(channelId: string, e: TelephonyEvent): void {
    const entry = this.listeners.get(channelId);
    if (!entry) return;
    for (const fn of entry.fns) {
      try {
        fn(e);
      } catch (err) {
        this.onListenerError(err as Error);
      }
    }
  }

  /** The channel is gone for us: drop its state and its listeners. */
  private forget(channelId: string): void {
    this.channels.delete(channelId);
    this.listeners.delete(channelId);
  }

  /** Listeners registered for a channel that never showed up (failed originate) expire. */
  sweep(now = Date.now()): void {
    for (const [id, l] of this.listeners) if (!this.channels.has(id) && now - l.since > LISTENER_TTL_MS) this.listeners.delete(id);
  }

  private ref(c: AriChannelJson): { channelId: string; channel: string } {
    return { channelId: c.id, channel: c.name };
  }

  /** Returns false for events we do not know at all. */
  apply(ev: AriEventJson): boolean {
    this.seq++;
    if (this.seq % 5000 === 0) this.sweep();
    const c = ev.channel;
    switch (ev.type) {
      case 'StasisStart': {
        if (!c) return false;
        this.channels.set(c.id, { channelId: c.id, channel: c.name, state: c.state, seq: this.seq });
        const e = this.make({ type: 'StasisStarted', ...this.ref(c), app: ev.application ?? this.app, args: ev.args ?? [], state: c.state, callerNumber: c.caller?.number });
        this.emit(e);
        this.toChannel(c.id, e);
        return true;
      }
      case 'StasisEnd': {
        if (!c) return false;
        const e = this.make({ type: 'StasisEnded', ...this.ref(c), app: ev.application ?? this.app });
        this.emit(e);
        this.toChannel(c.id, e);
        this.forget(c.id);
        return true;
      }
      case 'ChannelDestroyed':
        // Stasis channels that entered by dialplan get no ChannelDestroyed; originated ones do.
        if (c) this.forget(c.id);
        return true;
      case 'ChannelStateChange': {
        if (!c) return false;
        const t = this.channels.get(c.id);
        const previousState = t?.state;
        if (t) { t.state = c.state; t.seq = this.seq; }
        this.toChannel(c.id, this.make({ type: 'ChannelStateChanged', ...this.ref(c), state: c.state, previousState }));
        return true;
      }
      case 'ChannelDtmfReceived':
        if (!c) return false;
        this.toChannel(c.id, this.make({ type: 'DtmfReceived', ...this.ref(c), digit: ev.digit ?? '' }));
        return true;
      case 'ChannelEnteredBridge':
      case 'ChannelLeftBridge': {
        if (!c || !ev.bridge) return false;
        const t = this.channels.get(c.id);
        const entered = ev.type === 'ChannelEnteredBridge';
        if (t) { t.bridgeId = entered ? ev.bridge.id : undefined; t.seq = this.seq; }
        this.bridges.add(ev.bridge.id);
        this.toChannel(c.id, this.make({ type: entered ? 'BridgeEntered' : 'BridgeLeft', ...this.ref(c), bridgeId: ev.bridge.id }));
        return true;
      }
      case 'BridgeCreated':
        if (ev.bridge) this.bridges.add(ev.bridge.id);
        return true;
      case 'BridgeDestroyed':
        if (!ev.bridge) return false;
        this.bridges.delete(ev.bridge.id);
        this.emit(this.make({ type: 'BridgeDestroyed', bridgeId: ev.bridge.id }));
        return true;
      case 'RecordingStarted':
      case 'RecordingFinished':
      case 'RecordingFailed': {
        const r = ev.recording;
        if (!r) return false;
        const target = r.target_uri;
        const channelId = target?.startsWith('channel:') ? target.slice(8) : undefined;
        const e = ev.type === 'RecordingStarted'
          ? this.make({ type: 'RecordingStarted', via: 'ari', target, name: r.name, channelId })
          : this.make({ type: 'RecordingFinished', via: 'ari', target, name: r.name, channelId, durationSec: r.duration, state: r.state });
        this.emit(e);
        if (channelId) this.toChannel(channelId, e);
        return true;
      }
      case 'PlaybackFinished': {
        const p = ev.playback;
        if (!p) return false;
        const e = this.make({ type: 'PlaybackFinished', playbackId: p.id, target: p.target_uri, state: p.state ?? 'done' });
        this.emit(e);
        if (p.target_uri?.startsWith('channel:')) this.toChannel(p.target_uri.slice(8), e);
        return true;
      }
      default:
        return ARI_IGNORED.has(ev.type) || ev.type === 'ApplicationMoveFailed';
    }
  }

  /** Diff `GET /channels` + `GET /bridges` against the view; returns synthetic events (already applied). */
  reconcile(channels: AriChannelJson[], bridges: Array<{ id: string; channels?: string[] }>, sinceSeq: number): TelephonyEvent[] {
    const out: TelephonyEvent[] = [];
    const syn = (init: { type: TelephonyEvent['type'] } & Record<string, unknown>) => {
      const e = { ...this.make(init), synthetic: true, reason: 'resync' } as TelephonyEvent;
      out.push(e);
      return e;
    };
    const inApp = new Map<string, AriChannelJson>();
    for (const c of channels) {
      const [appName] = (c.dialplan?.app_data ?? '').split(',');
      if (c.dialplan?.app_name === 'Stasis' && appName === this.app) inApp.set(c.id, c);
    }
    const bridgeOf = new Map<string, string>();
    for (const b of bridges) for (const id of b.channels ?? []) bridgeOf.set(id, b.id);
    for (const t of [...this.channels.values()]) {
      if (inApp.has(t.channelId) || t.seq > sinceSeq) continue;
      const e = syn({ type: 'StasisEnded', channelId: t.channelId, channel: t.channel, app: this.app });
      this.toChannel(t.channelId, e);
      this.forget(t.channelId);
    }
    for (const [id, c] of inApp) {
      const t = this.channels.get(id);
      if (t) { t.bridgeId = bridgeOf.get(id); t.state = c.state; continue; }
      this.channels.set(id, { channelId: id, channel: c.name, state: c.state, bridgeId: bridgeOf.get(id), seq: this.seq });
      const args = (c.dialplan?.app_data ?? '').split(',').slice(1).filter((a) => a !== '');
      const e = syn({ type: 'StasisStarted', channelId: id, channel: c.name, app: this.app, args, state: c.state, callerNumber: c.caller?.number });
      this.toChannel(id, e);
    }
    const live = new Set(bridges.map((b) => b.id));
    for (const id of [...this.bridges]) {
      if (live.has(id)) continue;
      this.bridges.delete(id);
      syn({ type: 'BridgeDestroyed', bridgeId: id });
    }
    for (const id of live) this.bridges.add(id);
    return out;
  }
}
