import { EventEmitter } from 'node:events';
import { LiveStore } from './store';

interface Entry {
  value: string | Map<string, string>;
  expiresAt: number | null;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

/**
 * In-process LiveStore for the embedded defaults. Correct for exactly one service instance:
 * pub/sub and locks do not reach other processes (the start-up log says so).
 */
export class MemoryLiveStore implements LiveStore {
  readonly kind = 'memory' as const;
  private readonly data = new Map<string, Entry>();
  private readonly bus = new EventEmitter();

  constructor() {
    this.bus.setMaxListeners(0);
  }

  private live(key: string): Entry | undefined {
    const e = this.data.get(key);
    if (e && e.expiresAt !== null && e.expiresAt <= Date.now()) {
      this.data.delete(key);
      return undefined;
    }
    return e;
  }

  private expiry(ttlSeconds?: number): number | null {
    return ttlSeconds ? Date.now() + ttlSeconds * 1000 : null;
  }

  async get(key: string) {
    const e = this.live(key);
    return e && typeof e.value === 'string' ? e.value : null;
  }
  async set(key: string, value: string, ttlSeconds?: number) {
    this.data.set(key, { value, expiresAt: this.expiry(ttlSeconds) });
  }
  async setIfAbsent(key: string, value: string, ttlSeconds?: number) {
    if (this.live(key)) return false;
    this.data.set(key, { value, expiresAt: this.expiry(ttlSeconds) });
    return true;
  }
  async del(key: string) {
    this.data.delete(key);
  }
  async incr(key: string, ttlSeconds?: number) {
    const e = this.live(key);
    const n = (e && typeof e.value === 'string' ? Number(e.value) : 0) + 1;
    this.data.set(key, { value: String(n), expiresAt: e?.expiresAt ?? this.expiry(ttlSeconds) });
    return n;
  }
  async hset(key: string, fields: Record<string, string>) {
    const e = this.live(key);
    const m = e && e.value instanceof Map ? e.value : new Map<string, string>();
    for (const [k, v] of Object.entries(fields)) m.set(k, v);
    this.data.set(key, { value: m, expiresAt: e?.expiresAt ?? null });
  }
  async hgetall(key: string) {
    const e = this.live(key);
    return e && e.value instanceof Map ? Object.fromEntries(e.value) : {};
  }
  async hdel(key: string, ...fields: string[]) {
    const e = this.live(key);
    if (e && e.value instanceof Map) for (const f of fields) e.value.delete(f);
  }
  async keys(pattern: string) {
    const re = globToRegExp(pattern);
    return [...this.data.keys()].filter((k) => this.live(k) && re.test(k));
  }
  async publish(channel: string, message: string) {
    // Asynchronous like Redis, so publishers never re-enter their own subscribers synchronously.
    setImmediate(() => this.bus.emit(channel, message));
  }
  async subscribe(channel: string, handler: (message: string) => void) {
    this.bus.on(channel, handler);
    return async () => {
      this.bus.off(channel, handler);
    };
  }
  async acquireLock(name: string, owner: string, ttlMs: number) {
    const key = `lock:${name}`;
    const e = this.live(key);
    if (e && e.value !== owner) return false;
    this.data.set(key, { value: owner, expiresAt: Date.now() + ttlMs });
    return true;
  }
  async releaseLock(name: string, owner: string) {
    const key = `lock:${name}`;
    const e = this.live(key);
    if (e && e.value === owner) this.data.delete(key);
  }
  async ping() {}
  async close() {
    this.bus.removeAllListeners();
  }
}
