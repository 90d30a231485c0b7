import { ref } from 'vue';
import { session } from '../session';

type Handler = { snapshot: (data: any) => void; event: (data: any) => void };

/**
 * The live feed at /ws: snapshot first, then deltas, per topic. Reconnects and re-subscribes (a
 * new snapshot replaces what the page had). Commands resolve with their result frame.
 */
export class LiveFeed {
  readonly status = ref<'connecting' | 'live' | 'down'>('connecting');
  private ws: WebSocket | null = null;
  private readonly topics = new Map<string, Handler>();
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | null = null;

  connect() {
    if (!session.token) return;
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?token=${encodeURIComponent(session.token)}`);
    this.ws = ws;
    this.status.value = 'connecting';
    ws.onopen = () => {
      for (const t of this.topics.keys()) ws.send(JSON.stringify({ type: 'subscribe', topic: t }));
    };
    ws.onmessage = (m) => {
      const f = JSON.parse(m.data as string);
      if (f.type === 'snapshot') {
        this.status.value = 'live';
        this.topics.get(f.topic)?.snapshot(f.data);
      } else if (f.type === 'event') this.topics.get(f.topic)?.event(f.data);
      else if ((f.type === 'result' || f.type === 'error') && f.ref && this.pending.has(f.ref)) {
        const p = this.pending.get(f.ref)!;
        this.pending.delete(f.ref);
        if (f.type === 'result') p.resolve(f.data);
        else p.reject(Object.assign(new Error(f.error.message), { id: f.error.id }));
      }
    };
    ws.onclose = () => {
      this.status.value = 'down';
      if (!this.closed) this.retry = setTimeout(() => this.connect(), 2000);
    };
  }

  subscribe(topic: string, h: Handler) {
    this.topics.set(topic, h);
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'subscribe', topic }));
  }

  command<T = unknown>(command: string, payload: Record<string, unknown> = {}): Promise<T> {
    const ref = `c${++this.seq}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(ref, { resolve: resolve as (v: unknown) => void, reject });
      this.ws?.send(JSON.stringify({ type: 'command', command, payload, ref }));
    });
  }

  close() {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.ws?.close();
  }
}
