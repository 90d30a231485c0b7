/**
 * Live, shared, short-lived state: what Redis does for us. One interface, two implementations:
 * Redis (several service instances) and in-process memory (a single instance, embedded defaults).
 * All keys and channels are relative; the implementation adds the deployment's prefix.
 */
export interface LiveStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Set only if absent; true when this call set it (idempotency keys, dedup). */
  setIfAbsent(key: string, value: string, ttlSeconds?: number): Promise<boolean>;
  del(key: string): Promise<void>;
  incr(key: string, ttlSeconds?: number): Promise<number>;
  hset(key: string, fields: Record<string, string>): Promise<void>;
  hgetall(key: string): Promise<Record<string, string>>;
  hdel(key: string, ...fields: string[]): Promise<void>;
  /** Keys matching a glob below the prefix (small key spaces only: operators, queues). */
  keys(pattern: string): Promise<string[]>;
  publish(channel: string, message: string): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  /**
   * Tells `listener` false when the subscriptions' connection is lost (what is published meanwhile
   * never arrives) and true once they are subscribed again. The in-process bus never loses one.
   */
  onSubscriptionState?(listener: (up: boolean) => void): void;
  /** Take a lock if free or already ours; renewing extends it. True when `owner` holds it. */
  acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLock(name: string, owner: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
