import { Logger } from '../logging/logger';
import { OperatorView } from './operators';
import { PbxControl } from './pbx';
import { QueueBoard } from './wallboard';

export const BUSY_FAMILY = 'hotline-busy';
/** A busy mark lives this long unless renewed: a stopped service cannot leave callers locked out (fail open). */
export const BUSY_MARK_SECONDS = 30;
/** Handling time assumed before the day has any completed call. */
export const DEFAULT_HANDLING_SECONDS = 180;

/**
 * Predicted wait for the next caller: zero while an operator is idle for each caller ahead;
 * otherwise (callers beyond the idle operators + ½ for the calls in progress, which are on average
 * half done) × average handling time ÷ operators taking calls.
 * Over the threshold (default 120 s, 第二十条(二)), new callers go straight to the short busy
 * prompt instead of joining a queue they would abandon.
 */
export function predictedWaitSeconds(board: Pick<QueueBoard, 'waiting' | 'averageHandlingTime'>, staff: { idle: number; working: number }): number {
  const aht = board.averageHandlingTime && board.averageHandlingTime > 0 ? board.averageHandlingTime : DEFAULT_HANDLING_SECONDS;
  const ahead = board.waiting.length;
  if (ahead < staff.idle) return 0;
  if (staff.working <= 0) return Number.POSITIVE_INFINITY;
  return ((ahead - staff.idle + 0.5) * aht) / staff.working;
}

/** Operators of a queue: idle (ready now) and working (logged in and not paused: ready, ringing, on a call, in wrap-up). */
export function queueStaff(ops: OperatorView[], queue: string): { idle: number; working: number } {
  const mine = ops.filter((o) => o.queues.includes(queue));
  return { idle: mine.filter((o) => o.state === 'ready').length, working: mine.filter((o) => o.state !== 'paused' && o.state !== 'logged_out').length };
}

export class BusyMonitor {
  private readonly marked = new Map<string, number>();

  constructor(private readonly pbx: PbxControl, private readonly thresholdSeconds: number, private readonly log: Logger) {}

  /** Re-evaluate every queue; mark or unmark it in each server's AstDB. Returns the queues marked busy. */
  async evaluate(boards: QueueBoard[], operators: OperatorView[], now = Date.now()): Promise<string[]> {
    const busy: string[] = [];
    for (const b of boards) {
      // With nobody logged in at all, the dialplan's JOINEMPTY overflow handles it; we only mark real overload.
      const logged = operators.some((o) => o.queues.includes(b.queue));
      const wait = predictedWaitSeconds(b, queueStaff(operators, b.queue));
      const over = logged && wait > this.thresholdSeconds;
      const last = this.marked.get(b.queue);
      if (over) {
        busy.push(b.queue);
        // Renew the mark well before it expires.
        if (last === undefined || now - last > (BUSY_MARK_SECONDS * 1000) / 3) {
          const until = String(Math.floor(now / 1000) + BUSY_MARK_SECONDS);
          for (const id of this.pbx.serverIds()) await this.pbx.dbPut(id, BUSY_FAMILY, b.queue, until);
          if (last === undefined) this.log.warn({ queue: b.queue, predictedWait: Math.round(wait) }, 'queue over the wait threshold: new callers get the busy prompt');
          this.marked.set(b.queue, now);
        }
      } else if (last !== undefined) {
        for (const id of this.pbx.serverIds()) await this.pbx.dbDel(id, BUSY_FAMILY, b.queue);
        this.marked.delete(b.queue);
        this.log.info({ queue: b.queue }, 'queue back under the wait threshold');
      }
    }
    return busy;
  }
}
