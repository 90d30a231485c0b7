/**
 * Capped exponential backoff with full jitter. Reconnects must never spin (a refused port answers in
 * microseconds) and never wait hours (asterisk-manager's own loop grows without reset on some paths).
 */
export interface BackoffOptions {
  /** First delay ceiling in ms. */
  initialMs?: number;
  /** Hard cap for any single delay in ms. */
  maxMs?: number;
  /** Lower bound so jitter can never produce a tight loop. */
  minMs?: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly minMs: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 250;
    this.maxMs = opts.maxMs ?? 30_000;
    this.minMs = Math.min(opts.minMs ?? 50, this.maxMs);
    this.random = opts.random ?? Math.random;
  }

  /** Delay before the next attempt; each call counts as one failed attempt. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    // Jitter in [ceiling/2, ceiling]: spreads reconnect storms of many instances while keeping growth.
    return Math.max(this.minMs, Math.round(ceiling / 2 + (this.random() * ceiling) / 2));
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Logs at most `perWindow` messages per window per key; counts what it suppressed. */
export class RateLimitedLog {
  private windowStart = 0;
  private count = new Map<string, number>();
  suppressed = 0;

  constructor(private readonly perWindow = 10, private readonly windowMs = 10_000) {}

  allow(key: string): boolean {
    const now = Date.now();
    if (now - this.windowStart > this.windowMs) {
      this.windowStart = now;
      this.count.clear();
    }
    const n = (this.count.get(key) ?? 0) + 1;
    this.count.set(key, n);
    if (n > this.perWindow) {
      this.suppressed++;
      return false;
    }
    return true;
  }
}
