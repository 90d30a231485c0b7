/**
 * A small scripted AMI server on a real TCP socket, for tests that need to control exactly what
 * Asterisk says (garbage, reordering, silence). Frames it sends are copied from the real captures.
 */
import net from 'net';

export type Headers = Record<string, string>;
export type Handler = (h: Headers, reply: (frames: string | string[]) => void) => void;

export function frame(fields: Array<[string, string | number]>): string {
  return fields.map(([k, v]) => `${k}: ${v}`).join('\r\n') + '\r\n\r\n';
}

export class FakeAmi {
  private server = net.createServer((s) => this.onConnection(s));
  readonly sockets = new Set<net.Socket>();
  readonly received: Headers[] = [];
  readonly handlers = new Map<string, Handler>();
  /** Frames returned by the resync list actions. */
  snapshot = { channels: [] as string[], queue: [] as string[], endpoints: [] as string[] };
  connections = 0;
  password = 'hotline';
  port = 0;

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Send raw bytes to every logged-in client. */
  push(data: string): void {
    for (const s of this.sockets) s.write(data);
  }

  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  count(action: string): number {
    return this.received.filter((h) => h.action?.toLowerCase() === action.toLowerCase()).length;
  }

  private onConnection(s: net.Socket): void {
    this.connections++;
    s.setNoDelay(true);
    s.on('error', () => undefined);
    s.write('Asterisk Call Manager/11.0.0\r\n');
    let buf = '';
    let loggedIn = false;
    s.on('data', (d) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
        const h: Headers = {};
        for (const line of buf.slice(0, i).split('\r\n')) {
          const c = line.indexOf(':');
          if (c > 0) h[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
        }
        buf = buf.slice(i + 4);
        this.received.push(h);
        const id = h.actionid ?? '';
        const reply = (frames: string | string[]) => { if (!s.destroyed) s.write(Array.isArray(frames) ? frames.join('') : frames); };
        const action = (h.action ?? '').toLowerCase();
        if (action === 'login') {
          if (h.secret !== this.password) {
            reply(frame([['Response', 'Error'], ['ActionID', id], ['Message', 'Authentication failed']]));
            s.end();
            return;
          }
          loggedIn = true;
          this.sockets.add(s);
          s.once('close', () => this.sockets.delete(s));
          reply(frame([['Response', 'Success'], ['ActionID', id], ['Message', 'Authentication accepted']]));
          continue;
        }
        if (!loggedIn) {
          reply(frame([['Response', 'Error'], ['ActionID', id], ['Message', 'Permission denied']]));
          continue;
        }
        const custom = this.handlers.get(action);
        if (custom) custom(h, reply);
        else this.defaultReply(action, id, reply);
      }
    });
  }

  private defaultReply(action: string, id: string, reply: (f: string[]) => void): void {
    const list = (items: string[], complete: string, msg: string) => [
      frame([['Response', 'Success'], ['ActionID', id], ['EventList', 'start'], ['Message', msg]]),
      ...items.map((it) => it.replace(/ActionID: [^\r]*/, `ActionID: ${id}`)),
      frame([['Event', complete], ['ActionID', id], ['EventList', 'Complete'], ['ListItems', items.length]]),
    ];
    switch (action) {
      case 'ping':
        return reply([frame([['Response', 'Success'], ['ActionID', id], ['Ping', 'Pong'], ['Timestamp', '1795805571.000000']])]);
      case 'coreshowchannels':
        return reply(list(this.snapshot.channels, 'CoreShowChannelsComplete', 'Channels will follow'));
      case 'queuestatus':
        return reply(list(this.snapshot.queue, 'QueueStatusComplete', 'Queue status will follow'));
      case 'pjsipshowendpoints':
        if (!this.snapshot.endpoints.length) return reply([frame([['Response', 'Error'], ['ActionID', id], ['Message', 'No endpoints found']])]);
        return reply(list(this.snapshot.endpoints, 'EndpointListComplete', 'A listing of Endpoints follows, presented as EndpointList events'));
      case 'corestatus':
        return reply([frame([['Response', 'Success'], ['ActionID', id], ['CoreStartupDate', '2026-11-27'], ['CoreStartupTime', '18:52:44'], ['CoreCurrentCalls', 0]])]);
      default:
        return reply([frame([['Response', 'Success'], ['ActionID', id], ['Message', `${action} done`]])]);
    }
  }
}
