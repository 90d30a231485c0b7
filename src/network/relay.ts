import PgBoss from 'pg-boss';
import { Logger } from '../logging/logger';

/** What a delivery attempt says of each job: delivered (or already there), or to be tried again later. */
export interface DeliveryResult {
  done: string[];
  retry: string[];
}

/**
 * Delivers one pg-boss queue to another centre, oldest job first, in batches: a batch the peer
 * accepts is completed, what it defers (a ticket's earlier fact still missing) or what could not be
 * sent (the network is down, the peer is restarting) is failed back to pg-boss, which offers it again
 * after the queue's retry delay. Delivery is therefore at least once; the receiver makes it exactly once.
 */
export class Relay {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private busy: Promise<void> | null = null;
  /** When the last delivery attempt failed (ms), for the lag figures; null when the last one went through. */
  failingSince: number | null = null;

  constructor(
    private readonly boss: PgBoss,
    readonly queue: string,
    private readonly deliver: (jobs: Array<PgBoss.Job<object>>) => Promise<DeliveryResult>,
    private readonly log: Logger,
    private readonly opts: { batchSize?: number; idleMs?: number } = {},
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.busy;
  }

  /** Run one pass now (tests, and right after a fact is queued). */
  kick(): void {
    if (this.running && !this.busy) this.schedule(0);
  }

  private schedule(ms: number) {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.busy = this.pass()
        .then((more) => this.schedule(more ? 0 : (this.opts.idleMs ?? 500)))
        .catch((err) => {
          this.log.warn({ err: (err as Error).message, queue: this.queue }, 'network relay pass failed');
          this.schedule(this.opts.idleMs ?? 500);
        })
        .finally(() => (this.busy = null));
    }, ms);
  }

  /** One batch; true when there may be more waiting. */
  private async pass(): Promise<boolean> {
    const size = this.opts.batchSize ?? 200;
    const jobs = await this.boss.fetch<object>(this.queue, { batchSize: size });
    if (!jobs.length) return false;
    let result: DeliveryResult;
    try {
      result = await this.deliver(jobs);
      this.failingSince = null;
    } catch (err) {
      this.failingSince ??= Date.now();
      this.log.warn({ err: (err as Error).message, queue: this.queue, jobs: jobs.length }, 'network delivery failed; pg-boss offers the facts again');
      await this.boss.fail(this.queue, jobs.map((j) => j.id));
      return false;
    }
    if (result.done.length) await this.boss.complete(this.queue, result.done);
    // Deferred by the receiver (an earlier fact of the same ticket has not arrived yet) or refused: offered again later.
    if (result.retry.length) await this.boss.fail(this.queue, result.retry);
    // Straight on only while work gets done: a batch of nothing but deferred facts waits like an idle queue.
    return jobs.length === size && result.done.length > 0;
  }
}
