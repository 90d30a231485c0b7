import { AuthUser } from './roles';

/**
 * Tokens resolved in the last few seconds, by token hash, so an operator's burst of requests costs
 * one session look-up instead of one per request (issue #13: the look-up was a third of a ticket
 * creation's database round trips and of its driver CPU).
 *
 * Only live sessions of active users are kept, never a refusal. An entry lives `ttlMs` at most and
 * never past its session's expiry. Whatever ends or changes a session's answer (logout, a user's
 * update: disabled, new roles or password, any other field) drops the entries concerned on its own
 * instance before that change is answered and on the others when the live store's announcement
 * reaches them, milliseconds later (AuthService); the time to live
 * only bounds what nothing announces (a change made in the database by hand, a revocation published
 * while an instance's Redis subscription was down).
 *
 * A look-up that started before a drop may answer after it with what it read before the change:
 * `begin()` numbers look-ups, and a drop makes every look-up begun before it unfit to be kept.
 */
export interface SessionCacheOptions {
  /** Longest time an entry is trusted (ms). */
  ttlMs: number;
  /** Most entries kept; the oldest go first beyond it. */
  max: number;
  /** Clock (ms since the epoch), injectable for tests. */
  now?: () => number;
}

interface Entry {
  user: AuthUser;
  /** ms since the epoch: the earlier of the session's expiry and the end of the time to live. */
  until: number;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private readonly now: () => number;

  constructor(private readonly opts: SessionCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The user of a recently resolved token (a copy), or undefined when it must be looked up. */
  get(tokenHash: string): AuthUser | undefined {
    const e = this.entries.get(tokenHash);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return { ...e.user, roles: [...e.user.roles] };
  }

  /** Call before a look-up; hand the answer to put() with it. */
  begin(): number {
    return this.generation;
  }

  /** Keep a look-up's user until its session expires or the time to live ends, unless a drop came since it began. */
  put(tokenHash: string, user: AuthUser, sessionExpiresAt: Date, began: number): void {
    if (began !== this.generation) return;
    const until = Math.min(this.now() + this.opts.ttlMs, sessionExpiresAt.getTime());
    if (until <= this.now()) return;
    if (this.entries.size >= this.opts.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.delete(tokenHash);
    this.entries.set(tokenHash, { user: { ...user, roles: [...user.roles] }, until });
  }

  /** Forget one session (by token hash) or every session of a user; look-ups begun before are not kept. */
  drop(what: { tokenHash: string } | { userId: number }): void {
    this.generation++;
    if ('tokenHash' in what) {
      this.entries.delete(what.tokenHash);
      return;
    }
    for (const [k, e] of this.entries) if (e.user.id === what.userId) this.entries.delete(k);
  }

  /** Forget everything (revocations may have been missed); look-ups begun before are not kept. */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
