/**
 * One AMI link, built on an unmodified asterisk-manager@0.2.0 instance per TCP session.
 *
 * What we take from the library: the socket it opens, Login, and ActionID correlation of every action
 * (we send through `manager.action()` and receive through its callback). What we do ourselves, because
 * the library gets it wrong: its reconnect (fixed 10 s steps, hidden, no cancellation) is never enabled;
 * a fresh Manager is made per session so callbacks lost on a dead socket die with it, while our pending
 * map rejects them on disconnect or timeout; list actions are collected until `…Complete` (the library's
 * callback fires on `EventList: start` only); and frames are parsed by AmiFrameParser on the library's
 * socket (its reader is slow and dispatches `OriginateResponse` as a response).
 */
import net = require('net');
import { EventEmitter } from 'events';
import { randomBytes } from 'crypto';
import { Logger, silentLogger } from '../logging/logger';
import { AmiFrame, AmiFrameParser, FramePeek, str } from './ami-frames';
import { EVENT_HEADERS as eventHeadersImport, FRAME_PEEKS as framePeeksImport, VIEW_HEADERS as viewHeadersImport } from './ami-view';
import { Backoff, BackoffOptions, RateLimitedLog } from './backoff';
import { disconnected, notConnected, rejected, timedOut } from './errors';
import { ConnectionState } from './events';

// Read per frame: module-local, not through the CommonJS getters of ami-view's exports.
const EVENT_HEADERS = eventHeadersImport;
const FRAME_PEEKS = framePeeksImport;
const VIEW_HEADERS = viewHeadersImport;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const AsteriskManager = require('asterisk-manager') as (port: number, host: string, user: string, pass: string, events: boolean) => LibManager;

interface LibManager {
  connect(port: number, host: string, cb?: (err?: unknown) => void): void;
  login(cb: (err?: AmiFrame) => void): void;
  action(action: Record<string, unknown>, cb: (err: AmiFrame | undefined, res: AmiFrame) => void): string;
  disconnect(): void;
  emit(event: string, ...args: unknown[]): boolean;
  removeAllListeners(event?: string): void;
}

export interface AmiServerConfig { host: string; port: number; username: string; password: string }
export type AmiAction = { action: string } & Record<string, string | number | boolean | Record<string, string> | undefined>;

export interface AmiConnectionOptions {
  serverId: string;
  logger?: Logger;
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** AMI Ping interval; 0 disables. A Ping that times out drops the session. */
  keepaliveMs?: number;
  backoff?: BackoffOptions;
  /** Consecutive failed attempts after which the state reads `failed` (retries continue at the cap). */
  failAfterAttempts?: number;
  /** A session shorter than this does not reset the backoff (guards accept-then-close loops). */
  stableMs?: number;
}

interface Pending {
  action: string;
  resolve: (v: { response: AmiFrame; items: AmiFrame[] }) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  list?: { items: AmiFrame[]; completed: boolean };
  response?: AmiFrame;
}

interface Session { mgr: LibManager; socket: net.Socket; loggedIn: boolean; startedAt: number }

export interface LinkStatus {
  serverId: string;
  link: 'ami' | 'ari';
  state: ConnectionState;
  since: number;
  lastError?: string;
  reconnects: number;
  counters: Record<string, number>;
}

/** Open a connection through the library while keeping hold of the socket it creates. */
function connectCapturingSocket(mgr: LibManager, port: number, host: string): net.Socket {
  const netModule = net as unknown as { createConnection: (...a: unknown[]) => net.Socket };
  const original = netModule.createConnection;
  let socket: net.Socket | undefined;
  netModule.createConnection = (...a: unknown[]) => (socket = original.apply(net, a));
  try {
    mgr.connect(port, host);
  } finally {
    netModule.createConnection = original;
  }
  if (!socket) throw new Error('asterisk-manager did not open a socket');
  return socket;
}

export abstract class AmiConnection extends EventEmitter {
  protected readonly log: Logger;
  readonly serverId: string;
  private readonly opts: Required<Omit<AmiConnectionOptions, 'logger' | 'backoff' | 'serverId'>>;
  private readonly backoff: Backoff;
  private readonly pending = new Map<string, Pending>();
  private listsPending = 0;
  private session: Session | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private seq = 0;
  /**
   * Every ActionID starts with this: the server, then a random part drawn per connection object, so
   * two instances (or one restarted) with the same ASTERISK_SERVERS never send the same ActionID.
   * Asterisk sends OriginateResponse to every AMI session: only ids with our prefix are ours.
   */
  readonly actionPrefix: string;
  private stopped = true;
  private stateValue: ConnectionState = 'stopped';
  private since = Date.now();
  private lastError?: string;
  private reconnects = 0;
  private failures = 0;
  protected readonly noisy = new RateLimitedLog();
  readonly counters = { framesIn: 0, eventsMapped: 0, eventsSkipped: 0, unknownEvents: 0, garbage: 0, commands: 0, commandErrors: 0, commandTimeouts: 0, resyncs: 0 };

  constructor(private readonly server: AmiServerConfig, options: AmiConnectionOptions) {
    super();
    this.serverId = options.serverId;
    this.actionPrefix = `${options.serverId}-${randomBytes(6).toString('hex')}`;
    this.log = (options.logger ?? silentLogger()).child({ serverId: options.serverId, link: 'ami' });
    this.opts = {
      commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      keepaliveMs: options.keepaliveMs ?? 20_000,
      failAfterAttempts: options.failAfterAttempts ?? 5,
      stableMs: options.stableMs ?? 5_000,
    };
    this.backoff = new Backoff(options.backoff);
  }

  /** Handle one unsolicited event frame (already known to be wanted). */
  protected abstract onEventFrame(frame: AmiFrame): void;
  /** Names of events that must be parsed; all others are skipped after their first line. */
  protected abstract wantsEvent(name: string): boolean;
  /**
   * For a wanted event, an optional check on its raw text that may still skip it unparsed. By default
   * the view's peeks (VarSet: only the variables it maps); not while a list action collects items.
   */
  protected peekEvent(name: string): FramePeek | undefined { return this.listsPending > 0 ? undefined : FRAME_PEEKS[name]; }
  /**
   * For a wanted event, the only headers to parse (the view's); every header while a list action
   * collects items, since those frames go to the caller whole.
   */
  protected eventHeaders(name: string): ReadonlySet<string> | undefined {
    return this.listsPending > 0 ? undefined : EVENT_HEADERS[name] ?? VIEW_HEADERS;
  }
  /** Called once per session after Login; must end in `resynced` (or throw to drop the session). */
  protected abstract onSession(): Promise<void>;
  protected abstract onStateChange(state: ConnectionState, previous: ConnectionState, error?: string): void;

  get state(): ConnectionState {
    return this.stateValue;
  }

  status(): LinkStatus {
    return { serverId: this.serverId, link: 'ami', state: this.stateValue, since: this.since, lastError: this.lastError,
      reconnects: this.reconnects, counters: { ...this.counters, pendingCommands: this.pending.size } };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.setState('connecting');
    this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const s = this.session;
    if (s) {
      await new Promise<void>((resolve) => {
        s.socket.once('close', () => resolve());
        s.socket.destroy();
      });
    }
    this.setState('stopped');
  }

  /** Drop the current session (tests, or a caller that knows the link is stale); reconnects as usual. */
  dropSession(reason = 'dropped by request'): void {
    this.session?.socket.destroy(new Error(reason));
  }

  protected setState(next: ConnectionState, error?: string): void {
    const prev = this.stateValue;
    if (error) this.lastError = error;
    if (prev === next) return;
    this.stateValue = next;
    this.since = Date.now();
    this.log.info({ from: prev, to: next, error }, `ami ${prev} -> ${next}`);
    this.onStateChange(next, prev, error);
  }

  /** Send one action; resolves with its response, rejects on `Response: Error`, timeout or disconnect. */
  async send(action: AmiAction, opts: { timeoutMs?: number } = {}): Promise<AmiFrame> {
    return (await this.request(action, false, opts.timeoutMs)).response;
  }

  /** Send a list action and collect its items up to `EventList: Complete`. */
  list(action: AmiAction, opts: { timeoutMs?: number } = {}): Promise<{ response: AmiFrame; items: AmiFrame[] }> {
    return this.request(action, true, opts.timeoutMs);
  }

  private request(action: AmiAction, isList: boolean, timeoutMs?: number): Promise<{ response: AmiFrame; items: AmiFrame[] }> {
    const s = this.session;
    if (!s || !s.loggedIn) return Promise.reject(notConnected(this.serverId, 'ami'));
    const id = `${this.actionPrefix}-${++this.seq}`;
    const ms = timeoutMs ?? this.opts.commandTimeoutMs;
    this.counters.commands++;
    return new Promise((resolve, reject) => {
      const p: Pending = {
        action: action.action, resolve, reject,
        timer: setTimeout(() => {
          this.counters.commandTimeouts++;
          this.finish(id, timedOut(this.serverId, 'ami', action.action, ms));
        }, ms),
        list: isList ? { items: [], completed: false } : undefined,
      };
      this.pending.set(id, p);
      if (isList) this.listsPending++;
      s.mgr.action({ ...action, actionid: id }, (err, res) => {
        const q = this.pending.get(id);
        if (!q) return;
        if (err) {
          this.counters.commandErrors++;
          return this.finish(id, rejected(this.serverId, 'ami', action.action, str(err, 'message') ?? 'Error'));
        }
        q.response = res;
        // A list action that answers without `EventList: start` has no items to wait for.
        if (!q.list || q.list.completed || str(res, 'eventlist') !== 'start') this.finish(id);
      });
    });
  }

  private finish(id: string, error?: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.list) this.listsPending--;
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve({ response: p.response ?? {}, items: p.list?.items ?? [] });
  }

  private attempt(): void {
    this.retryTimer = null;
    if (this.stopped) return;
    const { host, port, username, password } = this.server;
    // port 0 keeps the library from connecting (and from arming its own reconnect) in its constructor.
    const mgr = AsteriskManager(0, host, username, password, true);
    let socket: net.Socket;
    try {
      socket = connectCapturingSocket(mgr, port, host);
    } catch (e) {
      return this.scheduleRetry((e as Error).message);
    }
    // Replace the library's reader with ours; responses are handed back to the library below.
    socket.removeAllListeners('data');
    const session: Session = { mgr, socket, loggedIn: false, startedAt: Date.now() };
    this.session = session;
    const parser = new AmiFrameParser({
      frame: (f) => this.onFrame(session, f),
      skipped: (name) => this.onSkipped(name),
      garbage: (sample, why) => this.onGarbage(sample, why),
      banner: () => undefined,
    }, (name) => this.listsPending > 0 || this.wantsEvent(name), undefined, (name) => this.peekEvent(name),
    (name) => this.eventHeaders(name));
    socket.on('data', (chunk: string) => parser.push(chunk));
    let lastError: string | undefined;
    socket.on('error', (e) => { lastError = e.message; });
    const connectTimer = setTimeout(() => socket.destroy(new Error('connect/login timeout')), this.opts.connectTimeoutMs + this.opts.commandTimeoutMs);
    socket.once('connect', () => {
      mgr.login((err) => {
        if (err || this.session !== session) {
          lastError = err ? `login failed: ${str(err, 'message') ?? 'error'}` : lastError;
          this.log.warn({ error: lastError }, 'ami login rejected');
          return;
        }
        clearTimeout(connectTimer);
        session.loggedIn = true;
        this.startKeepalive(session);
        this.setState('connected');
        this.onSession().catch((e: Error) => {
          if (this.session !== session) return;
          this.log.warn({ err: e.message }, 'ami resync failed; dropping session');
          socket.destroy(e);
        });
      });
    });
    socket.once('close', () => {
      clearTimeout(connectTimer);
      this.onClose(session, lastError);
    });
  }

  private onClose(session: Session, error?: string): void {
    if (this.session !== session) return;
    this.session = null;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
    for (const id of [...this.pending.keys()]) {
      this.finish(id, disconnected(this.serverId, 'ami', this.pending.get(id)?.action ?? 'action'));
    }
    session.mgr.removeAllListeners();
    if (this.stopped) return;
    if (session.loggedIn && Date.now() - session.startedAt >= this.opts.stableMs) this.backoff.reset();
    if (!session.loggedIn) this.failures++;
    else this.failures = 0;
    this.scheduleRetry(error ?? (session.loggedIn ? 'connection closed' : 'could not connect'));
  }

  private scheduleRetry(error: string): void {
    this.reconnects++;
    const delay = this.backoff.next();
    const failed = this.failures >= this.opts.failAfterAttempts || /login failed/.test(error);
    this.setState(failed ? 'failed' : 'reconnecting', error);
    this.log.debug({ delayMs: delay, attempt: this.backoff.attempts }, 'ami reconnect scheduled');
    this.retryTimer = setTimeout(() => this.attempt(), delay);
  }

  private startKeepalive(session: Session): void {
    if (!this.opts.keepaliveMs) return;
    this.keepaliveTimer = setInterval(() => {
      this.send({ action: 'Ping' }, { timeoutMs: Math.min(this.opts.keepaliveMs, this.opts.commandTimeoutMs) }).catch((e: Error) => {
        if (this.session !== session || !/timeout/.test((e as { id?: string }).id ?? '')) return;
        this.log.warn('ami keepalive ping timed out; dropping session');
        session.socket.destroy(new Error('keepalive timeout'));
      });
    }, this.opts.keepaliveMs);
    this.keepaliveTimer.unref();
  }

  private onFrame(session: Session, f: AmiFrame): void {
    this.counters.framesIn++;
    // Classify on Event first: OriginateResponse carries Response and ActionID too.
    if (f.event !== undefined) {
      const id = str(f, 'actionid');
      const p = id === undefined ? undefined : this.pending.get(id);
      if (p?.list) {
        if (str(f, 'eventlist') === 'Complete') {
          p.list.completed = true;
          if (p.response) this.finish(id!);
        } else {
          p.list.items.push(f);
        }
        return;
      }
      try {
        this.onEventFrame(f);
      } catch (e) {
        // A mapping bug must not take the link (or the process) down with it.
        if (this.noisy.allow('map')) this.log.warn({ err: (e as Error).message, event: str(f, 'event') }, 'ami event mapping failed');
      }
      return;
    }
    if (typeof f.response === 'string' && typeof f.actionid === 'string') {
      session.mgr.emit('rawevent', f);
    } else if (this.noisy.allow('orphan')) {
      this.log.debug({ response: str(f, 'response') }, 'ami response without ActionID ignored');
    }
  }

  private onSkipped(name: string): void {
    this.counters.framesIn++;
    this.counters.eventsSkipped++;
    this.noteUnknown(name);
  }

  protected noteUnknown(name: string): void {
    if (this.isKnownEvent(name)) return;
    this.counters.unknownEvents++;
    if (this.noisy.allow('unknown')) this.log.debug({ event: name.slice(0, 60) }, 'ami unknown event skipped');
  }

  protected abstract isKnownEvent(name: string): boolean;

  private onGarbage(sample: string, why: string): void {
    this.counters.garbage++;
    if (this.noisy.allow('garbage')) this.log.warn({ sample: sample.slice(0, 80), why }, 'ami garbage skipped');
  }
}
