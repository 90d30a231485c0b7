import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { AuthUser, Role, hasAnyRole } from '../auth/roles';
import { Logger } from '../logging/logger';
import { LiveStore } from './store';

export interface Topic {
  /** Who may subscribe. */
  roles: readonly Role[];
  /** The current state, sent first to every new subscriber (then deltas follow). */
  snapshot?: (user: AuthUser, args: Record<string, string>) => Promise<unknown> | unknown;
  /** Optional per-user filter of deltas (e.g. a unit sees only its own tickets). */
  filter?: (user: AuthUser, event: unknown) => boolean;
}

export type CommandHandler = (user: AuthUser, payload: Record<string, unknown>) => Promise<unknown> | unknown;

interface Client {
  ws: WebSocket;
  user: AuthUser;
  token: string;
  topics: Set<string>;
}

/** How often open sockets re-check their token: a logout, deactivation or role change ends the feed. */
const RECHECK_MS = 60_000;

/**
 * The WebSocket gateway at /ws. Clients authenticate with their bearer token (`?token=` or the
 * `Authorization` header), subscribe to topics (snapshot first, then deltas) and may send commands.
 * Deltas travel through the LiveStore's pub/sub, so every service instance delivers every event to
 * its own clients: two instances serve the same feed.
 */
export class WsGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  private readonly topics = new Map<string, Topic>();
  private readonly commands = new Map<string, { roles: readonly Role[]; handler: CommandHandler }>();
  private readonly clients = new Set<Client>();
  private readonly unsubscribers: Array<() => Promise<void>> = [];
  private recheckTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly live: LiveStore,
    private readonly authenticate: (token: string) => Promise<AuthUser | null>,
    private readonly log: Logger,
  ) {}

  registerTopic(name: string, topic: Topic) {
    this.topics.set(name, topic);
  }

  registerCommand(name: string, roles: readonly Role[], handler: CommandHandler) {
    this.commands.set(name, { roles, handler });
  }

  /** Publish a delta on a topic to every subscriber on every instance. */
  async publish(topic: string, event: unknown): Promise<void> {
    await this.live.publish(`ws:${topic}`, JSON.stringify(event));
  }

  async start(): Promise<void> {
    for (const name of this.topics.keys()) {
      this.unsubscribers.push(await this.live.subscribe(`ws:${name}`, (msg) => this.fanOut(name, msg)));
    }
    this.recheckTimer = setInterval(() => void this.recheckTokens(), RECHECK_MS);
    this.recheckTimer.unref();
  }

  /** Close the sockets whose token no longer authenticates; refresh the roles of the others. */
  async recheckTokens(): Promise<number> {
    let closed = 0;
    for (const c of [...this.clients]) {
      const user = await this.authenticate(c.token).catch(() => null);
      if (!user) {
        c.ws.close(4401, 'session ended');
        this.clients.delete(c);
        closed++;
      } else {
        c.user = user;
        for (const t of [...c.topics]) if (!hasAnyRole(user, this.topics.get(t)?.roles ?? [])) c.topics.delete(t);
      }
    }
    return closed;
  }

  clientCount(): number {
    return this.clients.size;
  }

  attach(server: http.Server) {
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/ws') return; // other upgrade handlers may own other paths
      const header = req.headers.authorization;
      const token = url.searchParams.get('token') ?? (header && /^Bearer\s+(\S+)$/i.exec(header)?.[1]) ?? '';
      this.authenticate(token)
        .then((user) => {
          if (!user) {
            socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n\r\n{"error":{"id":"auth.unauthenticated","message":"请先登录","details":{}}}');
            return;
          }
          this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, user, token));
        })
        .catch(() => socket.destroy());
    });
  }

  private send(ws: WebSocket, msg: unknown) {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  private onConnection(ws: WebSocket, user: AuthUser, token: string) {
    const client: Client = { ws, user, token, topics: new Set() };
    this.clients.add(client);
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => this.clients.delete(client));
    ws.on('message', (data) => void this.onMessage(client, data.toString()));
    this.send(ws, { type: 'hello', user: { id: user.id, username: user.username, roles: user.roles }, topics: [...this.topics.keys()] });
  }

  private async onMessage(client: Client, raw: string) {
    let msg: { type?: string; topic?: string; args?: Record<string, string>; command?: string; payload?: Record<string, unknown>; ref?: string };
    try {
      msg = JSON.parse(raw);
    } catch {
      this.send(client.ws, { type: 'error', error: { id: 'ws.malformed', message: '消息不是有效的 JSON', details: {} } });
      return;
    }
    const ref = msg.ref;
    try {
      if (msg.type === 'subscribe' && msg.topic) {
        const topic = this.topics.get(msg.topic);
        if (!topic) throw Object.assign(new Error('No such topic'), { id: 'ws.unknown_topic' });
        if (!hasAnyRole(client.user, topic.roles)) throw Object.assign(new Error('Your role may not subscribe to this topic'), { id: 'auth.forbidden' });
        const snapshot = topic.snapshot ? await topic.snapshot(client.user, msg.args ?? {}) : null;
        // Subscribed only once the snapshot succeeded: a refused snapshot gets no deltas either.
        client.topics.add(msg.topic);
        this.send(client.ws, { type: 'snapshot', topic: msg.topic, ref, data: snapshot });
      } else if (msg.type === 'unsubscribe' && msg.topic) {
        client.topics.delete(msg.topic);
      } else if (msg.type === 'command' && msg.command) {
        const cmd = this.commands.get(msg.command);
        if (!cmd) throw Object.assign(new Error('命令不存在'), { id: 'ws.unknown_command' });
        if (!hasAnyRole(client.user, cmd.roles)) throw Object.assign(new Error('您的角色无权执行此操作'), { id: 'auth.forbidden' });
        const result = await cmd.handler(client.user, msg.payload ?? {});
        this.send(client.ws, { type: 'result', ref, command: msg.command, data: result ?? null });
      } else {
        throw Object.assign(new Error('未知的消息类型'), { id: 'ws.unknown_type' });
      }
    } catch (err) {
      const e = err as { id?: string; message: string; details?: Record<string, unknown> };
      // Only errors with a stable id are meant for people; anything else is ours, said as such and logged.
      if (!e.id) this.log.error({ err }, 'live command failed');
      this.send(client.ws, { type: 'error', ref, error: e.id ? { id: e.id, message: e.message, details: e.details ?? {} } : { id: 'internal', message: '服务器内部错误', details: {} } });
    }
  }

  private fanOut(topicName: string, raw: string) {
    // Most events find nobody on their topic on this instance: not parsed nor framed for no one.
    let listened = false;
    for (const c of this.clients) {
      if (!c.topics.has(topicName)) continue;
      listened = true;
      break;
    }
    if (!listened) return;
    const topic = this.topics.get(topicName);
    let event: unknown;
    let frame: string;
    if (topic?.filter) {
      try {
        event = JSON.parse(raw);
      } catch {
        this.log.warn({ topic: topicName }, 'dropped malformed live event');
        return;
      }
      frame = JSON.stringify({ type: 'event', topic: topicName, data: event });
    } else {
      // Published by `publish` (JSON.stringify), so it is JSON already: the frame wraps it as it is,
      // the same bytes as parsing and serialising again, once per event whatever the number of clients.
      frame = `{"type":"event","topic":${JSON.stringify(topicName)},"data":${raw}}`;
    }
    for (const c of this.clients) {
      if (!c.topics.has(topicName)) continue;
      if (topic?.filter) {
        let pass = false;
        try {
          pass = topic.filter(c.user, event);
        } catch (err) {
          this.log.warn({ topic: topicName, err: (err as Error).message }, 'live feed filter failed; event withheld from this client');
        }
        if (!pass) continue;
      }
      if (c.ws.readyState === WebSocket.OPEN) c.ws.send(frame);
    }
  }

  async stop(): Promise<void> {
    if (this.recheckTimer) clearInterval(this.recheckTimer);
    for (const u of this.unsubscribers.splice(0)) await u().catch(() => undefined);
    for (const c of this.clients) c.ws.close(1001, 'server shutting down');
    this.clients.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
