import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Logger } from '../logging/logger';
import { LiveStore } from './store';

/**
 * Leader election on a LiveStore lock: the work only one instance may do (SLA timers, reminders)
 * runs where `isLeader` is true. The lock is renewed at a third of its TTL; a crashed leader's
 * lock expires and another instance takes over.
 */
export class LeaderElector extends EventEmitter {
  readonly owner: string;
  private timer: NodeJS.Timeout | null = null;
  private leader = false;
  private stopped = false;
  private checkFailed = false;

  constructor(private readonly live: LiveStore, private readonly name: string, private readonly log: Logger, private readonly ttlMs = 15_000, owner?: string) {
    super();
    this.owner = owner ?? `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  }

  get isLeader() {
    return this.leader;
  }

  /**
   * True while the last lock check failed (the store unreachable): nobody can tell who leads. Work
   * that must not stop during an outage and is safe to repeat (idempotent call records) is done
   * then by every instance rather than by none.
   */
  get uncertain() {
    return this.checkFailed && !this.stopped;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(200, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let got = false;
    try {
      got = await this.live.acquireLock(this.name, this.owner, this.ttlMs);
      this.checkFailed = false;
    } catch (err) {
      this.checkFailed = true;
      this.log.warn({ err: (err as Error).message, lock: this.name }, 'leader lock check failed');
    }
    if (this.stopped) {
      // A check still in flight when we stopped must not keep (or take) the lock.
      if (got) await this.live.releaseLock(this.name, this.owner).catch(() => undefined);
      return;
    }
    if (got !== this.leader) {
      this.leader = got;
      this.log.info({ lock: this.name, owner: this.owner, leader: got }, got ? 'became leader' : 'lost leadership');
      this.emit(got ? 'elected' : 'demoted');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.leader) {
      this.leader = false;
      this.emit('demoted');
      await this.live.releaseLock(this.name, this.owner).catch(() => undefined);
    }
  }
}
