/**
 * A small ARI server on real HTTP + WebSocket ports: serves the real api-docs (so unmodified
 * ari-client loads them as from Asterisk 22), answers the REST calls a test scripts, and pushes
 * events (captured ones, or garbage) down the event socket.
 */
import http from 'http';
import { readFileSync } from 'fs';
import path from 'path';
import { WebSocketServer, WebSocket } from 'ws';
import { CAPTURES } from './transcripts';

export interface RestCall { method: string; path: string; query: Record<string, string> }
type Route = (call: RestCall) => { status: number; body?: unknown } | undefined;

export class FakeAri {
  private server = http.createServer((req, res) => this.onRequest(req, res));
  private wss = new WebSocketServer({ noServer: true });
  readonly sockets = new Set<WebSocket>();
  readonly calls: RestCall[] = [];
  channels: unknown[] = [];
  bridges: unknown[] = [];
  routes: Route[] = [];
  user = 'hotline';
  password = 'hotline';
  wsConnections = 0;
  port = 0;

  async start(): Promise<this> {
    this.server.on('upgrade', (req, socket, head) => {
      if (!this.authorized(req)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.wsConnections++;
        this.sockets.add(ws);
        ws.on('close', () => this.sockets.delete(ws));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  push(event: unknown): void {
    const text = typeof event === 'string' ? event : JSON.stringify(event);
    for (const ws of this.sockets) ws.send(text);
  }

  dropAll(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  private authorized(req: http.IncomingMessage): boolean {
    const expected = 'Basic ' + Buffer.from(`${this.user}:${this.password}`).toString('base64');
    const url = new URL(req.url ?? '/', 'http://x');
    return req.headers.authorization === expected || url.searchParams.get('api_key') === `${this.user}:${this.password}`;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    if (!this.authorized(req)) return send(401, { message: 'Authentication required' });
    const docs = url.pathname.match(/^\/ari\/api-docs\/([a-zA-Z]+)\.json$/);
    if (docs) {
      const text = readFileSync(path.join(CAPTURES, 'api-docs', `${docs[1]}.json`), 'utf8').split('http://127.0.0.1:8088').join(`http://${req.headers.host}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(text);
      return;
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const call: RestCall = { method: req.method ?? 'GET', path: url.pathname.replace(/^\/ari/, ''), query: Object.fromEntries(url.searchParams) };
      this.calls.push(call);
      for (const r of this.routes) {
        const out = r(call);
        if (out) return send(out.status, out.body);
      }
      if (call.method === 'GET' && call.path === '/channels') return send(200, this.channels);
      if (call.method === 'GET' && call.path === '/bridges') return send(200, this.bridges);
      if (call.method === 'POST' && call.path === '/bridges') return send(200, { id: call.query.bridgeId ?? 'b-new', technology: 'simple_bridge', bridge_type: 'mixing', channels: [] });
      if (call.method === 'POST' && /\/play$/.test(call.path)) return send(201, { id: call.query.playbackId ?? 'pb-1', state: 'queued', media_uri: call.query.media });
      send(204);
    });
  }
}
