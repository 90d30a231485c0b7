/**
 * ARI: REST under /ari (basic auth or api_key), /ari/api-docs from the recorded Asterisk 22 files,
 * and the /ari/events WebSocket with per-application subscriptions.
 */
import http from 'http';
import { WebSocketServer, WebSocket } from 'ws';
import type { SimContext } from '../core/context';
import type { Channel } from '../core/channel';
import type { AriEvent } from '../core/pbx';
import { bridgeRemove } from '../core/bridging';
import { ariTime } from '../core/channel';
import { Route, Req, Res, matchRoute, AriError } from './http';
import { channelRoutes } from './routes-channels';
import { bridgeRoutes } from './routes-bridges';
import { miscRoutes } from './routes-misc';

export interface AriServerOptions { host: string; port: number; username: string; password: string }

export interface AppState {
  name: string;
  sockets: Set<WebSocket>;
  /** channel id -> 'stasis' (dropped at StasisEnd) or 'explicit' (kept until destroyed). */
  channels: Map<string, 'stasis' | 'explicit'>;
  bridges: Set<string>;
  endpoints: Set<string>;
  subscribeAll: boolean;
}

export const ASTERISK_ID = '02:fc:00:00:00:01';

export class AriServer {
  private server?: http.Server;
  private wss?: WebSocketServer;
  readonly apps = new Map<string, AppState>();
  readonly routes: Route[];
  responseDelayMs = 0;
  port = 0;
  private readonly onEvent = (e: AriEvent): void => this.route(e);
  private readonly onStasisEnd = (ch: Channel): void => this.endStasis(ch);

  constructor(public sim: SimContext, readonly opts: AriServerOptions) {
    this.routes = [...channelRoutes(this), ...bridgeRoutes(this), ...miscRoutes(this)];
  }

  setContext(sim: SimContext): void { this.sim = sim; }

  async start(port = this.opts.port): Promise<void> {
    this.sim.pbx.on('ari', this.onEvent);
    this.sim.pbx.on('stasisEnd', this.onStasisEnd);
    const server = http.createServer((req, res) => { void this.handle(req, res); });
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, sock, head) => this.upgrade(wss, req, sock, head));
    this.server = server;
    this.wss = wss;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.opts.host, () => { server.off('error', reject); resolve(); });
    });
    const a = server.address();
    this.port = typeof a === 'object' && a ? a.port : port;
  }

  async stop(): Promise<void> {
    this.sim.pbx.off('ari', this.onEvent);
    this.sim.pbx.off('stasisEnd', this.onStasisEnd);
    this.dropAll();
    const s = this.server;
    this.server = undefined;
    if (s) { s.closeAllConnections?.(); await new Promise<void>((r) => s.close(() => r())); }
  }

  dropAll(): void {
    for (const app of this.apps.values()) for (const ws of app.sockets) ws.terminate();
    this.apps.clear();
  }

  hasApp(name: string): boolean { return (this.apps.get(name)?.sockets.size ?? 0) > 0; }

  authOk(req: http.IncomingMessage, url: URL): boolean {
    const key = url.searchParams.get('api_key');
    if (key !== null) return key === `${this.opts.username}:${this.opts.password}`;
    const h = req.headers.authorization;
    if (!h || !h.startsWith('Basic ')) return false;
    return Buffer.from(h.slice(6), 'base64').toString() === `${this.opts.username}:${this.opts.password}`;
  }

  // ---------------------------------------------------------------- events
  private deliver(app: AppState, type: string, body: Record<string, unknown>): void {
    const msg = JSON.stringify({ type, timestamp: ariTime(), ...body, asterisk_id: ASTERISK_ID, application: app.name });
    for (const ws of app.sockets) if (ws.readyState === WebSocket.OPEN) ws.send(msg);
  }

  sendToApp(appName: string, type: string, body: Record<string, unknown>): void {
    const app = this.apps.get(appName);
    if (app) this.deliver(app, type, body);
  }

  private route(e: AriEvent): void {
    for (const app of this.apps.values()) {
      const hit = app.subscribeAll
        || e.channels.some((c) => app.channels.has(c.id) || (c.endpoint !== undefined && app.endpoints.has(`PJSIP/${c.endpoint}`)))
        || e.bridges.some((b) => app.bridges.has(b.id))
        || e.endpoints.some((ep) => app.endpoints.has(ep));
      if (hit) this.deliver(app, e.type, e.body);
    }
    if (e.type === 'ChannelDestroyed') for (const app of this.apps.values()) for (const c of e.channels) app.channels.delete(c.id);
    if (e.type === 'BridgeDestroyed') for (const app of this.apps.values()) for (const b of e.bridges) app.bridges.delete(b.id);
  }

  subscribeChannel(app: string, ch: Channel, kind: 'stasis' | 'explicit'): void {
    const a = this.apps.get(app);
    if (a && a.channels.get(ch.id) !== 'explicit') a.channels.set(ch.id, kind);
  }

  /** The Stasis() application: StasisStart, then wait until hangup, continue or move. */
  async runStasis(ch: Channel, app: string, args: string[]): Promise<void> {
    ch.stasisApp = app;
    this.subscribeChannel(app, ch, 'stasis');
    this.sendToApp(app, 'StasisStart', { args, channel: ch.toAri() });
    while (!ch.hungup && !ch.pendingGoto && !ch.stasisExit) await ch.sleep();
    const exit = ch.stasisExit;
    ch.stasisExit = undefined;
    if (exit?.kind === 'move' && exit.app && this.hasApp(exit.app)) {
      this.endStasis(ch);
      return this.runStasis(ch, exit.app, exit.args ?? []);
    }
    this.endStasis(ch);
  }

  /** Leave Stasis once: leave a Stasis bridge first (ChannelLeftBridge precedes StasisEnd, capture 04). */
  endStasis(ch: Channel): void {
    const app = ch.stasisApp;
    if (!app) return;
    if (ch.bridge && ch.bridge.kind === 'stasis') bridgeRemove(this.sim.pbx, ch.bridge, ch);
    ch.stasisApp = undefined;
    this.sendToApp(app, 'StasisEnd', { channel: ch.toAri() });
    const a = this.apps.get(app);
    if (a && a.channels.get(ch.id) === 'stasis') a.channels.delete(ch.id);
    ch.wake();
  }

  // ---------------------------------------------------------------- websocket
  private upgrade(wss: WebSocketServer, req: http.IncomingMessage, sock: import('stream').Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const reject = (status: number, reason: string, body: string, type: string): void => {
      sock.write(`HTTP/1.1 ${status} ${reason}\r\nServer: Asterisk/22.10.1\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      sock.destroy();
    };
    sock.on('error', () => undefined);
    if (url.pathname !== '/ari/events') { reject(404, 'Not Found', '{"message":"Resource not found"}', 'application/json'); return; }
    if (!this.authOk(req, url)) { reject(401, 'Unauthorized', '{"message":"Authentication required"}', 'application/json'); return; }
    const appParam = url.searchParams.get('app');
    if (!appParam) {
      reject(400, 'Bad Request', '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n<html><head>\r\n<title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n<p>HTTP request is missing param: [app]</p>\r\n<hr />\r\n<address>Asterisk/22.10.1</address>\r\n</body></html>\r\n', 'text/html');
      return;
    }
    const subscribeAll = /^(true|yes|1)$/i.test(url.searchParams.get('subscribeAll') ?? '');
    wss.handleUpgrade(req, sock, head, (ws) => {
      const names = appParam.split(',').map((s) => s.trim()).filter(Boolean);
      for (const n of names) {
        let a = this.apps.get(n);
        if (!a) { a = { name: n, sockets: new Set(), channels: new Map(), bridges: new Set(), endpoints: new Set(), subscribeAll: false }; this.apps.set(n, a); }
        a.sockets.add(ws);
        if (subscribeAll) a.subscribeAll = true;
      }
      // Anything a client sends is ignored; invalid JSON must never hurt the simulator.
      ws.on('message', (data) => { try { JSON.parse(String(data)); } catch { this.sim.log.debug('simulator: ignoring non-JSON ARI websocket message'); } });
      ws.on('error', () => undefined);
      ws.on('close', () => {
        for (const n of names) {
          const a = this.apps.get(n);
          if (!a) continue;
          a.sockets.delete(ws);
          if (!a.sockets.size) this.apps.delete(n);
        }
      });
    });
  }

  // ---------------------------------------------------------------- REST
  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const send = (r: Res): void => {
      const write = (): void => {
        const headers: Record<string, string | number> = { Server: 'Asterisk/22.10.1', ...(r.headers ?? {}) };
        let payload: Buffer | string = '';
        if (r.raw) { payload = r.raw; headers['Content-Type'] = r.contentType ?? 'application/octet-stream'; }
        else if (r.body !== undefined) { payload = JSON.stringify(r.body); headers['Content-Type'] = 'application/json'; }
        headers['Content-Length'] = Buffer.byteLength(payload);
        res.writeHead(r.status, r.reason, headers);
        res.end(payload);
        r.after?.();
      };
      if (this.responseDelayMs > 0) setTimeout(write, this.responseDelayMs); else write();
    };
    try {
      if (!url.pathname.startsWith('/ari/') && url.pathname !== '/ari') { send({ status: 404, reason: 'Not Found', body: { message: 'Resource not found' } }); return; }
      if (!this.authOk(req, url)) { send({ status: 401, reason: 'Unauthorized', body: { message: 'Authentication required' }, headers: { 'WWW-Authenticate': 'Basic realm="Asterisk REST Interface"' } }); return; }
      let body: unknown;
      if (raw.trim()) {
        try { body = JSON.parse(raw); } catch { send({ status: 400, reason: 'Bad Request', body: { message: 'Error parsing request body' } }); return; }
      }
      const m = matchRoute(this.routes, req.method ?? 'GET', url.pathname.slice(4));
      if (m === 'nomethod') { send({ status: 405, reason: 'Method Not Allowed', body: { message: 'Invalid method' } }); return; }
      if (!m) { send({ status: 404, reason: 'Not Found', body: { message: 'Resource not found' } }); return; }
      const q: Record<string, string> = {};
      url.searchParams.forEach((v, k) => { if (k !== 'api_key') q[k] = v; });
      // body keys other than "variables" are treated as query parameters (channels.json)
      if (body && typeof body === 'object' && !Array.isArray(body)) for (const [k, v] of Object.entries(body)) if (k !== 'variables' && typeof v !== 'object') q[k] = String(v);
      const r: Req = { params: m.params, query: q, body, host: req.headers.host ?? `127.0.0.1:${this.port}` };
      send(await m.route.handler(r));
    } catch (err) {
      if (err instanceof AriError) { send({ status: err.status, reason: err.reason, body: err.body }); return; }
      this.sim.log.error({ err }, 'simulator: ARI request failed');
      send({ status: 500, reason: 'Internal Server Error', body: { message: 'Internal Error' } });
    }
  }
}
