import { Knex } from 'knex';
import { DeadlineKind, DEADLINE_KINDS } from './model';
import { Limit, SlaClock, formatLimit } from './sla/clock';
import { reminderLead } from './sla/policy';
import { DeadlineRow, mapDeadline } from './store';

/**
 * Each ticket's current deadlines live in ticket_deadlines (one open row per kind) behind partial
 * indexes, so "what is overdue" and "what needs a reminder" are index range scans, not table scans.
 */
export class Deadlines {
  constructor(private readonly clock: () => SlaClock) {}

  async start(trx: Knex.Transaction, ticketNo: string, kind: DeadlineKind, limit: Limit, from: Date, at: Date, startedAt = from): Promise<DeadlineRow> {
    await this.end(trx, ticketNo, [kind], at, 'cancelled');
    const [row] = await trx('ticket_deadlines').insert(this.plan(ticketNo, kind, limit, from, startedAt)).returning('*');
    return mapDeadline(row);
  }

  /** The ticket_deadlines row of a new open deadline: due and reminder times are computed here, in memory. */
  plan(ticketNo: string, kind: DeadlineKind, limit: Limit, from: Date, startedAt = from) {
    const dueAt = this.clock().due(from, limit);
    const remindAt = new Date(dueAt.getTime() - reminderLead(startedAt, dueAt));
    return { ticket_no: ticketNo, kind, limit_spec: formatLimit(limit), started_at: startedAt, due_at: dueAt, remind_at: remindAt, state: 'open' as DeadlineRow['state'] };
  }

  /** 延期: the open deadline is replaced by one `extra` later, counted from the old due time. */
  async extend(trx: Knex.Transaction, ticketNo: string, kind: DeadlineKind, extra: Limit, at: Date): Promise<DeadlineRow | null> {
    const open = await trx('ticket_deadlines').where({ ticket_no: ticketNo, kind, state: 'open' }).first();
    if (!open) return null;
    const old = mapDeadline(open);
    const limit = `${old.limit}+${formatLimit(extra)}`;
    await this.end(trx, ticketNo, [kind], at, 'cancelled');
    const dueAt = this.clock().due(old.dueAt, extra);
    const remindAt = new Date(dueAt.getTime() - reminderLead(old.startedAt, dueAt));
    const [row] = await trx('ticket_deadlines')
      .insert({ ticket_no: ticketNo, kind, limit_spec: limit.slice(0, 16), started_at: old.startedAt, due_at: dueAt, remind_at: remindAt, state: 'open' })
      .returning('*');
    return mapDeadline(row);
  }

  /** Close open deadlines: `met` records whether it was missed (逾期); `cancelled` when the step no longer applies. */
  async end(trx: Knex.Transaction, ticketNo: string, kinds: readonly DeadlineKind[] | 'all', at: Date, how: 'met' | 'cancelled'): Promise<void> {
    const q = trx('ticket_deadlines').where({ ticket_no: ticketNo, state: 'open' });
    q.whereIn('kind', kinds === 'all' ? [...DEADLINE_KINDS] : [...kinds]);
    await q.update({ state: how, ended_at: at, missed: how === 'met' ? trx.raw('? > due_at', [at]) : null });
  }

  /** Open deadlines already past due, earliest first (the overdue list). */
  static async overdue(knex: Knex, now: Date, opts: { limit?: number; kinds?: DeadlineKind[]; unitCode?: string } = {}): Promise<DeadlineRow[]> {
    const q = knex('ticket_deadlines as d').where('d.state', 'open').where('d.due_at', '<=', now).orderBy('d.due_at').limit(Math.min(opts.limit ?? 100, 1000)).select('d.*');
    if (opts.kinds?.length) q.whereIn('d.kind', opts.kinds);
    if (opts.unitCode) q.whereExists(knex('ticket_units as u').whereRaw('u.ticket_no = d.ticket_no').where({ 'u.unit_code': opts.unitCode, 'u.active': true }));
    return (await q).map(mapDeadline);
  }

  static async countOverdue(knex: Knex, now: Date): Promise<number> {
    const r = await knex('ticket_deadlines').where('state', 'open').where('due_at', '<=', now).count({ n: '*' }).first();
    return Number(r?.n ?? 0);
  }

  /** Deadlines whose reminder time has come but not their due time, not yet reminded. */
  static async dueForReminder(knex: Knex, now: Date, limit: number): Promise<DeadlineRow[]> {
    return (await knex('ticket_deadlines').where('state', 'open').whereNull('reminded_at').where('remind_at', '<=', now).where('due_at', '>', now).orderBy('remind_at').limit(limit)).map(mapDeadline);
  }

  /** Deadlines past due, not yet alerted. */
  static async dueForAlert(knex: Knex, now: Date, limit: number): Promise<DeadlineRow[]> {
    return (await knex('ticket_deadlines').where('state', 'open').whereNull('alerted_at').where('due_at', '<=', now).orderBy('due_at').limit(limit)).map(mapDeadline);
  }
}
