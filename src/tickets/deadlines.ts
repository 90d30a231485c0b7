import { Knex } from 'knex';
import { DeadlineKind, WINDOW_KINDS } from './model';
import { Limit, SlaClock, formatLimit } from './sla/clock';
import { reminderLead } from './sla/policy';
import { DeadlineRow, mapDeadline } from './store';

/**
 * Each ticket's current deadlines live in ticket_deadlines (one open row per kind) behind partial
 * indexes, so "what is overdue" and "what needs a reminder" are index range scans, not table scans.
 * Rows are planned here, in memory; creation and actions write them with their other rows (create.ts, act.ts).
 */
export class Deadlines {
  constructor(private readonly clock: () => SlaClock) {}

  /**
   * A ticket's `next_due_at` (issue #13, the 超期 filter's index): the earliest due time of its open
   * deadlines that can make it overdue, windows left out (第二十一条(二)); null when none is open.
   * Rows as written (snake_case: kind, state, due_at). Every statement that opens or ends a
   * ticket's deadlines writes it too: creation, actions (act.ts) and the timer's cancellations.
   */
  static nextDue(rows: ReadonlyArray<{ kind: string; state: string; due_at: Date }>): Date | null {
    let next: Date | null = null;
    for (const r of rows) {
      if (r.state !== 'open' || (WINDOW_KINDS as readonly string[]).includes(r.kind)) continue;
      if (!next || r.due_at.getTime() < next.getTime()) next = r.due_at;
    }
    return next;
  }

  /** Write ticket `no`'s `next_due_at` from its open deadlines as stored (after a change made outside an action). */
  static async refreshNextDue(knex: Knex, no: string): Promise<void> {
    await knex('tickets').where({ no }).update({
      next_due_at: knex('ticket_deadlines').where({ ticket_no: no, state: 'open' }).whereNotIn('kind', [...WINDOW_KINDS]).min('due_at'),
    });
  }

  /** The ticket_deadlines row of a new open deadline: due and reminder times are computed here, in memory. */
  plan(ticketNo: string, kind: DeadlineKind, limit: Limit, from: Date, startedAt = from) {
    const dueAt = this.clock().due(from, limit);
    const remindAt = new Date(dueAt.getTime() - reminderLead(startedAt, dueAt));
    return { ticket_no: ticketNo, kind, limit_spec: formatLimit(limit), started_at: startedAt, due_at: dueAt, remind_at: remindAt, state: 'open' as DeadlineRow['state'] };
  }

  /** 延期: the open deadline that replaces `old`, `extra` later, counted from the old due time (same start). */
  planExtension(old: Pick<DeadlineRow, 'ticketNo' | 'kind' | 'limit' | 'dueAt' | 'startedAt'>, extra: Limit) {
    const limit = `${old.limit}+${formatLimit(extra)}`;
    const dueAt = this.clock().due(old.dueAt, extra);
    const remindAt = new Date(dueAt.getTime() - reminderLead(old.startedAt, dueAt));
    return { ticket_no: old.ticketNo, kind: old.kind, limit_spec: limit.slice(0, 16), started_at: old.startedAt, due_at: dueAt, remind_at: remindAt, state: 'open' as DeadlineRow['state'] };
  }

  /** Open deadlines already past due, earliest first (the overdue list). */
  static async overdue(knex: Knex, now: Date, opts: { limit?: number; kinds?: DeadlineKind[]; unitCode?: string } = {}): Promise<DeadlineRow[]> {
    const q = knex('ticket_deadlines as d').where('d.state', 'open').where('d.due_at', '<=', now).orderBy('d.due_at').limit(Math.min(opts.limit ?? 100, 1000)).select('d.*');
    if (opts.kinds?.length) q.whereIn('d.kind', opts.kinds);
    else q.whereNotIn('d.kind', [...WINDOW_KINDS]);
    if (opts.unitCode) q.whereExists(knex('ticket_units as u').whereRaw('u.ticket_no = d.ticket_no').where({ 'u.unit_code': opts.unitCode, 'u.active': true }));
    return (await q).map(mapDeadline);
  }

  /** Open deadlines past due that make a ticket overdue (windows excluded, as in `overdue`). */
  static async countOverdue(knex: Knex, now: Date): Promise<number> {
    const r = await knex('ticket_deadlines').where('state', 'open').where('due_at', '<=', now).whereNotIn('kind', [...WINDOW_KINDS]).count({ n: '*' }).first();
    return Number(r?.n ?? 0);
  }

  /** Deadlines whose reminder time has come but not their due time, not yet reminded. */
  static async dueForReminder(knex: Knex, now: Date, limit: number): Promise<DeadlineRow[]> {
    return (await knex('ticket_deadlines').where('state', 'open').whereNull('reminded_at').where('remind_at', '<=', now).where('due_at', '>', now).orderBy('remind_at').limit(limit)).map(mapDeadline);
  }

  /**
   * Deadlines past due, not yet alerted. Windows (退单时限) are not among them: a window that passes
   * only closes (a later return counts late, 第二十一条(二)); the ticket is not overdue, so nobody is
   * told 已超过退单时限 as if it were.
   */
  static async dueForAlert(knex: Knex, now: Date, limit: number): Promise<DeadlineRow[]> {
    return (await knex('ticket_deadlines').where('state', 'open').whereNull('alerted_at').where('due_at', '<=', now).whereNotIn('kind', [...WINDOW_KINDS]).orderBy('due_at').limit(limit)).map(mapDeadline);
  }
}
