/**
 * The call-record steps an instance that does not write call records (a follower: only the leader
 * writes them) keeps for a while, so that if the leader dies it can write what the dead leader may
 * not have written yet.
 *
 * Every instance reads the same Asterisk event stream; the leader writes each fact, the others hold
 * the step that would write it for `holdMs` and then forget it: by then the leader has written it (or,
 * if it died, another instance has become leader — the lock's TTL is shorter than `holdMs` — and
 * replayed the held steps). Steps are idempotent (keyed by Asterisk's data), so a step the old leader
 * did write is a no-op when replayed. Steps of one call stay in order; a later step of a call may be
 * replayed without an earlier one only when the earlier one is older than `holdMs` (written long ago).
 *
 * Memory: about (new calls/s × steps per call × holdMs) closures, ~40,000 at 200 calls/s and 30 s.
 */
export class StandbySteps<S> {
  private readonly held = new Map<string, { serverId: string; linkedId: string; steps: Array<{ step: S; at: number }> }>();
  private lastSweep = 0;

  constructor(private readonly holdMs: number, private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.held.size;
  }

  /** Keep a step of the call `key` (serverId/linkedId), dropping steps older than `holdMs` now and then. */
  hold(key: string, serverId: string, linkedId: string, step: S): void {
    const now = this.now();
    let h = this.held.get(key);
    if (!h) {
      h = { serverId, linkedId, steps: [] };
      this.held.set(key, h);
    }
    h.steps.push({ step, at: now });
    // A sweep a second at most: a pass over the held calls is cheap, every event's would not be.
    if (now - this.lastSweep >= 1_000) this.sweep(now);
  }

  /** Every held step, call by call in the order the calls were first held, steps in order; then empty. */
  takeAll(): Array<{ key: string; serverId: string; linkedId: string; steps: S[] }> {
    this.sweep(this.now());
    const out = [...this.held.entries()].map(([key, h]) => ({ key, serverId: h.serverId, linkedId: h.linkedId, steps: h.steps.map((s) => s.step) }));
    this.held.clear();
    return out;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    const before = now - this.holdMs;
    for (const [key, h] of this.held) {
      let i = 0;
      while (i < h.steps.length && h.steps[i].at < before) i++;
      if (i === h.steps.length) this.held.delete(key);
      else if (i) h.steps.splice(0, i);
    }
  }
}
