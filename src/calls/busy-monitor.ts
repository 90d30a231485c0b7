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

/**
 * Operators of a queue: idle (ready now, or ringing: Asterisk is offering them the caller at the head
 * of the queue, who is about to be answered, not waiting for a free operator) and working (logged in
 * and not paused: ready, ringing, on a call, in wrap-up). Without counting the ringing seat, a night
 * shift of one or two operators would mark the queue busy at every ring and send the next callers to
 * the fallback though their wait would be seconds.
 */
export function queueStaff(ops: OperatorView[], queue: string): { idle: number; working: number } {
  const mine = ops.filter((o) => o.queues.includes(queue));
  return { idle: mine.filter((o) => o.state === 'ready' || o.state === 'ringing').length, working: mine.filter((o) => o.state !== 'paused' && o.state !== 'logged_out').length };
}

export class BusyMonitor {
  private readonly marked = new Map<string, number>();

  constructor(private readonly pbx: PbxControl, private readonly thresholdSeconds: number, private readonly log: Logger) {}

  /**
   * Take over the marks already in a server's AstDB (`hotline-busy/<queue>` = epoch seconds until).
   * A mark set by a previous leader (a restart, a failover) is unknown to this instance; without this
   * it would keep sending every new caller to the fallback until it expires, even with operators idle.
   * Called after each AMI resync, on the leader. Returns the queues adopted.
   */
  async adopt(serverId: string, now = Date.now()): Promise<string[]> {
    const marks = await this.pbx.dbList(serverId, BUSY_FAMILY);
    const adopted: string[] = [];
    for (const [queue, until] of Object.entries(marks)) {
      const untilMs = Number(until) * 1000;
      if (!Number.isFinite(untilMs) || untilMs <= now) continue;
      // As if set when it was last renewed: the next evaluation renews it or removes it.
      const setAt = untilMs - BUSY_MARK_SECONDS * 1000;
      if ((this.marked.get(queue) ?? -Infinity) < setAt) this.marked.set(queue, setAt);
      adopted.push(queue);
    }
    return adopted;
  }

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
