import type { createClient } from 'redis';
import { Logger } from '../logging/logger';
import { LiveStore } from './store';

type Client = ReturnType<typeof createClient>;

// Lua keeps "acquire or renew if mine" and "release if mine" atomic.
const ACQUIRE = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const INCR_TTL = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** LiveStore on Redis: shared by every service instance; pub/sub on a dedicated connection. */
export class RedisLiveStore implements LiveStore {
  readonly kind = 'redis' as const;
  private subscriber: Client | null = null;

  private constructor(private readonly client: Client, private readonly prefix: string, private readonly log: Logger) {}

  static async connect(url: string, prefix: string, log: Logger): Promise<RedisLiveStore> {
    // Loaded here, not at import: without REDIS_URL (the default) the redis client's ~600 modules are
    // never needed (issue #13, memory after start).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createClient: create } = require('redis') as typeof import('redis');
    const client = create({
      url,
      socket: { connectTimeout: 5000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000) + Math.floor(Math.random() * 100) },
    });
    client.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
    await client.connect();
    return new RedisLiveStore(client, prefix, log);
  }

  private k(key: string) {
    return this.prefix + key;
  }

  async get(key: string) {
    return (await this.client.get(this.k(key))) as string | null;
  }
  async set(key: string, value: string, ttlSeconds?: number) {
    await this.client.set(this.k(key), value, ttlSeconds ? { EX: ttlSeconds } : undefined);
  }
  async setIfAbsent(key: string, value: string, ttlSeconds?: number) {
    const r = await this.client.set(this.k(key), value, ttlSeconds ? { NX: true, EX: ttlSeconds } : { NX: true });
    return r === 'OK';
  }
  async del(key: string) {
    await this.client.del(this.k(key));
  }
  async incr(key: string, ttlSeconds?: number) {
    if (!ttlSeconds) return Number(await this.client.incr(this.k(key)));
    // INCR and the first EXPIRE in one script: a crash in between cannot leave a counter that never expires.
    return Number(await this.client.eval(INCR_TTL, { keys: [this.k(key)], arguments: [String(ttlSeconds)] }));
  }
  async hset(key: string, fields: Record<string, string>) {
    if (Object.keys(fields).length) await this.client.hSet(this.k(key), fields);
  }
  async hgetall(key: string) {
    return (await this.client.hGetAll(this.k(key))) as Record<string, string>;
  }
  async hdel(key: string, ...fields: string[]) {
    if (fields.length) await this.client.hDel(this.k(key), fields);
  }
  async keys(pattern: string) {
    const out: string[] = [];
    for await (const batch of this.client.scanIterator({ MATCH: this.k(pattern), COUNT: 500 })) {
      for (const key of batch as unknown as string[]) out.push(key.slice(this.prefix.length));
    }
    return out;
  }
  async publish(channel: string, message: string) {
    await this.client.publish(this.k(channel), message);
  }
  async subscribe(channel: string, handler: (message: string) => void) {
    if (!this.subscriber) {
      this.subscriber = this.client.duplicate();
      this.subscriber.on('error', (err: Error) => {
        this.log.warn({ err: err.message }, 'redis subscriber error');
        this.subscriptionState(false);
      });
      this.subscriber.on('end', () => this.subscriptionState(false));
      this.subscriber.on('reconnecting', () => this.subscriptionState(false));
      // Emitted once the connection's subscriptions are restored (after the first connection too).
      this.subscriber.on('ready', () => this.subscriptionState(true));
      await this.subscriber.connect();
    }
    const sub = this.subscriber;
    const listener = (message: string) => handler(message);
    await sub.subscribe(this.k(channel), listener);
    return async () => {
      await sub.unsubscribe(this.k(channel), listener);
    };
  }
  private readonly subscriptionListeners: Array<(up: boolean) => void> = [];
  private subscriptionState(up: boolean) {
    for (const l of this.subscriptionListeners) l(up);
  }
  onSubscriptionState(listener: (up: boolean) => void): void {
    this.subscriptionListeners.push(listener);
  }
  async acquireLock(name: string, owner: string, ttlMs: number) {
    const r = await this.client.eval(ACQUIRE, { keys: [this.k(`lock:${name}`)], arguments: [owner, String(ttlMs)] });
    return Number(r) === 1;
  }
  async releaseLock(name: string, owner: string) {
    await this.client.eval(RELEASE, { keys: [this.k(`lock:${name}`)], arguments: [owner] });
  }
  async ping() {
    await this.client.ping();
  }
  async close() {
    if (this.subscriber) await this.subscriber.close().catch(() => undefined);
    await this.client.close().catch(() => undefined);
  }
}
