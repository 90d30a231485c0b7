/**
 * The AMI TCP server: banner, login, per-session event filtering, action dispatch, fault hooks.
 */
import net from 'net';
import type { SimContext } from '../core/context';
import type { AmiEvent } from '../core/pbx';
import { AmiMessage, AmiParser, header, serialize } from './protocol';
import { dispatch, ReplyFn } from './actions';

export const BANNER = 'Asterisk Call Manager/11.0.0\r\n';

export interface AmiServerOptions {
  host: string;
  port: number;
  username: string;
  password: string;
  /** The user's `write=` privileges from manager.conf; undefined = everything (no manager.conf). */
  write?: ReadonlySet<string>;
}

export class AmiSession {
  authed = false;
  /** null = all classes; empty set = events off. */
  eventClasses: Set<string> | null = null;
  readonly id = `0x${Math.floor(Math.random() * 0xffffffffff).toString(16)}`;
  closed = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly socket: net.Socket, readonly server: AmiServer) {}

  write(s: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(s);
  }

  /** Responses (with their list items) go out in order, after the configured fault delay. */
  respond(write: () => void): void {
    const delay = this.server.responseDelayMs;
    this.chain = this.chain.then(() => (delay > 0 ? new Promise<void>((r) => setTimeout(r, delay)) : undefined)).then(() => { if (!this.closed) write(); });
  }

  wantsEvent(e: AmiEvent): boolean {
    if (!this.authed) return false;
    if (this.eventClasses === null) return true;
    return this.eventClasses.has('all') || this.eventClasses.has(e.privilege);
  }

  get localAddress(): string { return `IPV4/TCP/${this.socket.localAddress?.replace('::ffff:', '')}/${this.socket.localPort}`; }
  get remoteAddress(): string { return `IPV4/TCP/${this.socket.remoteAddress?.replace('::ffff:', '')}/${this.socket.remotePort}`; }
}

/** Parse the login's `Events:` value: on/off/yes/no or a class list (call,agent,...). */
export function parseEventMask(v: string | undefined): Set<string> | null {
  if (v === undefined) return null;
  const t = v.trim().toLowerCase();
  if (t === 'on' || t === 'yes' || t === 'true' || t === 'all') return null;
  if (t === 'off' || t === 'no' || t === 'false' || t === '') return new Set();
  return new Set(t.split(',').map((s) => s.trim()).filter(Boolean));
}

export class AmiServer {
  private server?: net.Server;
  readonly sessions = new Set<AmiSession>();
  responseDelayMs = 0;
  port = 0;
  private readonly onEvent = (e: AmiEvent): void => this.broadcast(e);

  constructor(public sim: SimContext, readonly opts: AmiServerOptions) {}

  async start(port = this.opts.port): Promise<void> {
    this.sim.pbx.on('ami', this.onEvent);
    const server = net.createServer((sock) => this.accept(sock));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.opts.host, () => { server.off('error', reject); resolve(); });
    });
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : port;
    server.on('error', (err) => this.sim.log.error({ err }, 'simulator: AMI server error'));
  }

  async stop(): Promise<void> {
    this.sim.pbx.off('ami', this.onEvent);
    this.dropAll();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  dropAll(): void {
    for (const s of [...this.sessions]) { s.closed = true; s.socket.destroy(); }
    this.sessions.clear();
  }

  broadcast(e: AmiEvent): void {
    if (!this.sessions.size) return;
    const text = serialize([['Event', e.name], ['Privilege', `${e.privilege},all`], ...e.fields]);
    for (const s of this.sessions) if (s.wantsEvent(e)) s.write(text);
  }

  /** An event for one session only (FullyBooted/SuccessfulAuth after its own login). */
  sendTo(s: AmiSession, name: string, privilege: string, fields: Array<[string, string]>): void {
    s.write(serialize([['Event', name], ['Privilege', `${privilege},all`], ...fields]));
  }

  private accept(sock: net.Socket): void {
    const session = new AmiSession(sock, this);
    this.sessions.add(session);
    sock.setNoDelay(true);
    // Asterisk keeps the bytes it is sent; channel variables carry UTF-8 (Chinese summaries) both ways.
    sock.setEncoding('utf8');
    const parser = new AmiParser();
    sock.write(BANNER);
    sock.on('data', (chunk: string) => {
      let msgs: AmiMessage[];
      try { msgs = parser.push(chunk); } catch (err) { this.sim.log.warn({ err }, 'simulator: AMI parse error'); return; }
      for (const m of msgs) this.handle(session, m);
    });
    const gone = (): void => { session.closed = true; this.sessions.delete(session); };
    sock.on('close', gone);
    sock.on('error', gone);
  }

  private handle(session: AmiSession, m: AmiMessage): void {
    const actionId = header(m, 'ActionID');
    const reply: ReplyFn = (fields, items = [], after) => {
      session.respond(() => {
        const head: Array<[string, string]> = [fields[0]];
        if (actionId !== undefined) head.push(['ActionID', actionId]);
        session.write(serialize([...head, ...fields.slice(1)]));
        for (const it of items) session.write(serialize(it));
        after?.();
      });
    };
    try {
      dispatch(this, session, m, actionId, reply);
    } catch (err) {
      this.sim.log.error({ err }, 'simulator: AMI action failed');
      reply([['Response', 'Error'], ['Message', 'Internal error']]);
    }
  }

  securityEvent(session: AmiSession, name: string, severity: string, extra: Array<[string, string]>, tail: Array<[string, string]> = []): void {
    const tv = new Date().toISOString().replace('Z', '+0000');
    const fields: Array<[string, string]> = [['EventTV', tv], ['Severity', severity], ['Service', 'AMI'], ['EventVersion', '1'], ...extra, ['SessionTV', tv], ...tail];
    this.sim.pbx.ami(name, 'security', fields);
  }
}
