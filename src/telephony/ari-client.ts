/**
 * AriClient: the ARI half of one Asterisk server, on an unmodified ari-client@2.2.0 for REST.
 *
 * The event WebSocket is ours (the `ws` package, same URL and app as ari-client's `start()`), because
 * `start()` throws from inside its socket listener on invalid JSON or an event type missing from the
 * api-docs (an uncaught exception: the process dies), gives up for good after 10 retries, cannot be
 * cancelled, and its per-instance listeners are never removed.
 */
import { EventEmitter } from 'events';
import WebSocket from 'ws';
import { Logger, silentLogger } from '../logging/logger';
import { maskPhone } from '../logging/mask';
import { connectSerialised } from './ari-auth';
import { AriChannelJson, AriEventJson, AriView, ChannelListener } from './ari-view';
import { Backoff, BackoffOptions, RateLimitedLog } from './backoff';
import { LinkStatus } from './ami-connection';
import { notConnected, rejected, timedOut } from './errors';
import { ConnectionState, TelephonyEvent } from './events';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ariLib = require('ari-client') as { connect(url: string, user: string, pass: string): Promise<AriApi> };
type Op = (params?: Record<string, unknown>) => Promise<unknown>;
type AriApi = Record<'channels' | 'bridges' | 'recordings' | 'playbacks' | 'endpoints' | 'applications' | 'asterisk', Record<string, Op>>;

export interface AriServerConfig { url: string; username: string; password: string; app: string; subscribeAll?: boolean }
export interface AriClientOptions {
  serverId: string;
  logger?: Logger;
  commandTimeoutMs?: number;
  /** WebSocket ping interval; a missing pong by the next ping drops the socket. 0 disables. */
  pingMs?: number;
  backoff?: BackoffOptions;
  failAfterAttempts?: number;
  stableMs?: number;
}

export class AriClient extends EventEmitter {
  readonly serverId: string;
  readonly view: AriView;
  private readonly log: Logger;
  private readonly base: URL;
  private readonly opts: Required<Omit<AriClientOptions, 'logger' | 'backoff' | 'serverId'>>;
  private readonly backoff: Backoff;
  private readonly noisy = new RateLimitedLog();
  private api: AriApi | null = null;
  private ws: WebSocket | null = null;
  private stopped = true;
  private stateValue: ConnectionState = 'stopped';
  private since = Date.now();
  private lastError?: string;
  private reconnects = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private resyncWaiters: Array<() => void> = [];
  readonly counters = { messagesIn: 0, eventsMapped: 0, invalidJson: 0, unknownEvents: 0, commands: 0, commandErrors: 0, commandTimeouts: 0, resyncs: 0 };

  constructor(private readonly server: AriServerConfig, options: AriClientOptions) {
    super();
    this.serverId = options.serverId;
    this.log = (options.logger ?? silentLogger()).child({ serverId: options.serverId, link: 'ari' });
    this.base = new URL(server.url.replace(/\/ari\/?$/, ''));
    this.opts = { commandTimeoutMs: options.commandTimeoutMs ?? 10_000, pingMs: options.pingMs ?? 20_000,
      failAfterAttempts: options.failAfterAttempts ?? 5, stableMs: options.stableMs ?? 5_000 };
    this.backoff = new Backoff(options.backoff);
    this.view = new AriView(this.serverId, server.app, (e) => this.publish(e),
      (err) => this.noisy.allow('listener') && this.log.warn({ err: err.message }, 'ari channel listener threw'));
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  status(): LinkStatus {
    return { serverId: this.serverId, link: 'ari', state: this.stateValue, since: this.since, lastError: this.lastError, reconnects: this.reconnects,
      counters: { ...this.counters, trackedChannels: this.view.channels.size, channelListeners: this.view.listenerCount() } };
  }

  /** Listen to one channel's ARI events; removed automatically when the channel leaves the app. */
  onChannel(channelId: string, fn: ChannelListener): () => void {
    return this.view.onChannel(channelId, fn);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.setState('connecting');
    void this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) await new Promise<void>((r) => { ws.once('close', () => r()); ws.terminate(); });
    this.setState('stopped');
  }

  /** Drop the WebSocket (tests, or when the link is known stale); reconnects as usual. */
  dropConnection(): void {
    this.ws?.terminate();
  }

  whenResynced(timeoutMs = 10_000): Promise<void> {
    if (this.stateValue === 'resynced') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`ari ${this.serverId} not resynced within ${timeoutMs} ms`)), timeoutMs);
      this.resyncWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  private publish(e: TelephonyEvent): void {
    this.counters.eventsMapped++;
    this.emit('event', e);
  }

  private setState(next: ConnectionState, error?: string): void {
    const prev = this.stateValue;
    if (error) this.lastError = error;
    if (prev === next) return;
    this.stateValue = next;
    this.since = Date.now();
    this.log.info({ from: prev, to: next, error }, `ari ${prev} -> ${next}`);
    this.emit('event', { type: 'ConnectionStateChanged', serverId: this.serverId, source: 'ari', at: Date.now(), link: 'ari', state: next, previous: prev, error });
    if (next === 'resynced') for (const w of this.resyncWaiters.splice(0)) w();
  }

  private async attempt(): Promise<void> {
    this.retryTimer = null;
    if (this.stopped) return;
    const startedAt = Date.now();
    try {
      if (!this.api) {
        const { username, password } = this.server;
        const load = connectSerialised(this.base.host, username, password, () => ariLib.connect(this.base.origin, username, password));
        this.api = await this.withTimeout(load, 'load api-docs', this.opts.commandTimeoutMs);
      }
    } catch (e) {
      return this.retry((e as Error).message ?? String(e), false);
    }
    if (this.stopped) return;
    const wsUrl = `${this.base.protocol === 'https:' ? 'wss' : 'ws'}://${this.base.host}/ari/events?app=${encodeURIComponent(this.server.app)}` +
      (this.server.subscribeAll ? '&subscribeAll=true' : '');
    const auth = 'Basic ' + Buffer.from(`${this.server.username}:${this.server.password}`).toString('base64');
    const ws = new WebSocket(wsUrl, { headers: { Authorization: auth }, handshakeTimeout: this.opts.commandTimeoutMs });
    this.ws = ws;
    let opened = false;
    let lastError: string | undefined;
    let pingTimer: NodeJS.Timeout | null = null;
    ws.on('error', (e) => { lastError = e.message; });
    ws.on('message', (data) => this.onMessage(data));
    ws.on('open', () => {
      opened = true;
      this.setState('connected');
      if (this.opts.pingMs) {
        let alive = true;
        ws.on('pong', () => { alive = true; });
        pingTimer = setInterval(() => {
          if (!alive) { this.log.warn('ari websocket pong missing; dropping'); ws.terminate(); return; }
          alive = false;
          ws.ping();
        }, this.opts.pingMs);
        pingTimer.unref();
      }
      this.resync().then(() => { if (this.ws === ws) this.setState('resynced'); }, (e: Error) => {
        if (this.ws !== ws) return;
        this.log.warn({ err: e.message }, 'ari resync failed; dropping');
        ws.terminate();
      });
    });
    ws.on('close', () => {
      if (pingTimer) clearInterval(pingTimer);
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (opened && Date.now() - startedAt >= this.opts.stableMs) this.backoff.reset();
      this.retry(lastError ?? (opened ? 'websocket closed' : 'websocket refused'), opened);
    });
  }

  private retry(error: string, wasOpen: boolean): void {
    if (this.stopped) return;
    this.failures = wasOpen ? 0 : this.failures + 1;
    this.reconnects++;
    const delay = this.backoff.next();
    this.setState(this.failures >= this.opts.failAfterAttempts || /401|Unauthorized/i.test(error) ? 'failed' : 'reconnecting', error);
    this.retryTimer = setTimeout(() => void this.attempt(), delay);
  }

  private onMessage(data: WebSocket.RawData): void {
    this.counters.messagesIn++;
    let ev: AriEventJson;
    try {
      ev = JSON.parse(data.toString());
    } catch {
      this.counters.invalidJson++;
      if (this.noisy.allow('json')) this.log.warn({ sample: data.toString().slice(0, 80) }, 'ari invalid JSON skipped');
      return;
    }
    if (!ev || typeof ev !== 'object' || typeof ev.type !== 'string') {
      this.counters.invalidJson++;
      if (this.noisy.allow('shape')) this.log.warn('ari message without a type skipped');
      return;
    }
    try {
      if (!this.view.apply(ev)) {
        this.counters.unknownEvents++;
        if (this.noisy.allow('unknown')) this.log.debug({ type: ev.type.slice(0, 60) }, 'ari unknown event skipped');
      } else if (ev.type === 'ApplicationMoveFailed' && this.noisy.allow('move')) {
        this.log.warn({ channelId: ev.channel?.id }, 'ari move to an unregistered application failed');
      }
    } catch (e) {
      if (this.noisy.allow('map')) this.log.warn({ err: (e as Error).message, type: ev.type }, 'ari event mapping failed');
    }
  }

  private async resync(): Promise<void> {
    this.counters.resyncs++;
    const sinceSeq = this.view.seq;
    const [channels, bridges] = await Promise.all([this.call<AriChannelJson[]>('channels', 'list'), this.call<Array<{ id: string; channels?: string[] }>>('bridges', 'list')]);
    const events = this.view.reconcile(channels ?? [], bridges ?? [], sinceSeq);
    if (events.length) this.log.info({ differences: events.length }, 'ari resync found differences');
    for (const e of events) this.publish(e);
  }

  private withTimeout<T>(p: Promise<T>, what: string, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => { this.counters.commandTimeouts++; reject(timedOut(this.serverId, 'ari', what, ms)); }, ms);
      p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
    });
  }

  /** One REST operation through ari-client, with a timeout and typed errors. */
  async call<T = unknown>(resource: keyof AriApi, operation: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    const api = this.api;
    if (!api || !this.ws || this.ws.readyState !== WebSocket.OPEN) throw notConnected(this.serverId, 'ari');
    const op = api[resource]?.[operation];
    if (!op) throw rejected(this.serverId, 'ari', `${resource}.${operation}`, 'unknown operation');
    this.counters.commands++;
    try {
      return (await this.withTimeout(Promise.resolve(op(params)), `${resource}.${operation}`, timeoutMs ?? this.opts.commandTimeoutMs)) as T;
    } catch (e) {
      if ((e as { id?: string }).id) throw e;
      this.counters.commandErrors++;
      let message = (e as Error).message ?? String(e);
      try { message = JSON.parse(message).message ?? JSON.parse(message).error ?? message; } catch { /* plain text */ }
      throw rejected(this.serverId, 'ari', `${resource}.${operation}`, message);
    }
  }

  // ---- typed commands ---------------------------------------------------------------------------

  async answer(channelId: string): Promise<void> { await this.call('channels', 'answer', { channelId }); }
  async hangup(channelId: string, reason?: string): Promise<void> { await this.call('channels', 'hangup', { channelId, reason }); }
  async play(channelId: string, media: string, playbackId?: string): Promise<{ id: string }> {
    return this.call('channels', 'play', { channelId, media, playbackId });
  }
  async record(channelId: string, name: string, opts: { format?: string; maxDurationSeconds?: number; ifExists?: string; beep?: boolean } = {}): Promise<void> {
    await this.call('channels', 'record', { channelId, name, format: opts.format ?? 'wav', maxDurationSeconds: opts.maxDurationSeconds, ifExists: opts.ifExists, beep: opts.beep });
  }
  async createBridge(opts: { bridgeId?: string; type?: string; name?: string } = {}): Promise<{ id: string }> {
    return this.call('bridges', 'create', { bridgeId: opts.bridgeId, type: opts.type ?? 'mixing', name: opts.name });
  }
  async addToBridge(bridgeId: string, channelIds: string[]): Promise<void> { await this.call('bridges', 'addChannel', { bridgeId, channel: channelIds.join(',') }); }
  async removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void> { await this.call('bridges', 'removeChannel', { bridgeId, channel: channelIds.join(',') }); }
  async destroyBridge(bridgeId: string): Promise<void> { await this.call('bridges', 'destroy', { bridgeId }); }
  async recordBridge(bridgeId: string, name: string, format = 'wav'): Promise<void> { await this.call('bridges', 'record', { bridgeId, name, format }); }
  async stopRecording(name: string): Promise<void> { await this.call('recordings', 'stop', { recordingName: name }); }
  async startBridgeMoh(bridgeId: string, mohClass?: string): Promise<void> { await this.call('bridges', 'startMoh', { bridgeId, mohClass }); }
  async stopBridgeMoh(bridgeId: string): Promise<void> { await this.call('bridges', 'stopMoh', { bridgeId }); }
  /** spy/whisper: 'none' | 'in' | 'out' | 'both'. The snoop channel enters `app`. */
  async snoop(channelId: string, opts: { app: string; spy?: string; whisper?: string; appArgs?: string; snoopId?: string }): Promise<{ id: string }> {
    return this.call('channels', 'snoopChannel', { channelId, app: opts.app, spy: opts.spy ?? 'both', whisper: opts.whisper ?? 'none', appArgs: opts.appArgs, snoopId: opts.snoopId });
  }
  /** Use this rather than `redirect` for Local channels: ARI answers 204 to a Local redirect and does nothing. */
  async continueInDialplan(channelId: string, p: { context?: string; extension?: string; priority?: number; label?: string } = {}): Promise<void> {
    await this.call('channels', 'continueInDialplan', { channelId, ...p });
  }
  async redirect(channelId: string, endpoint: string): Promise<void> { await this.call('channels', 'redirect', { channelId, endpoint }); }
  async move(channelId: string, app: string, appArgs?: string): Promise<void> { await this.call('channels', 'move', { channelId, app, appArgs }); }
  async originate(p: { endpoint: string; app?: string; appArgs?: string; callerId?: string; channelId?: string; otherChannelId?: string; timeout?: number; variables?: Record<string, string> }): Promise<{ id: string }> {
    this.log.info({ endpoint: p.endpoint.replace(/\d{7,}/g, (m) => maskPhone(m)) }, 'ari originate');
    return this.call('channels', 'originate', { endpoint: p.endpoint, app: p.app ?? this.server.app, appArgs: p.appArgs, callerId: p.callerId,
      channelId: p.channelId, otherChannelId: p.otherChannelId, timeout: p.timeout, variables: p.variables ? { variables: p.variables } : undefined });
  }
  listChannels(): Promise<AriChannelJson[]> { return this.call('channels', 'list'); }
  listBridges(): Promise<Array<{ id: string; channels: string[] }>> { return this.call('bridges', 'list'); }
}
