import { Knex } from 'knex';
import { notAcceptedFigureId } from '../../src/reports/figures';
import { NOT_ACCEPTED_REASON_CODES } from '../../src/tickets/model';

/**
 * The report's figures written again, by hand, straight over the raw tables — independently of
 * src/reports/figures.ts — so a test can compare the two exactly. Each returns (ref, key) rows for
 * a grouping: the key is the centre, unit … of the row, or '' for the total.
 */
export type Grouping = 'total' | 'centre' | 'unit' | 'category' | 'domain' | 'region';
export interface Window {
  from: Date;
  to: Date;
  asOf: Date;
}

const OFFERED = ['answered', 'transferred', 'abandoned', 'fallback', 'fallback-sms', 'fallback-message'];
const BAD = ['dissatisfied', 'very_dissatisfied'];

/** The handling unit of a ticket at `at`, computed in JavaScript from all its assignments. */
function unitAt(assignments: Array<{ ticket_no: string; unit_code: string; assigned_at: Date; released_at: Date | null }>, no: string, at: Date): string | null {
  const mine = assignments.filter((a) => a.ticket_no === no && a.assigned_at <= at && (!a.released_at || a.released_at >= at));
  mine.sort((a, b) => b.assigned_at.getTime() - a.assigned_at.getTime());
  return mine[0]?.unit_code ?? null;
}

export class RawFigures {
  private cache: { tickets: Map<string, any>; units: Map<string, any>; assignments: any[] } | null = null;
  constructor(private readonly knex: Knex, private readonly w: Window) {}

  private async base() {
    if (this.cache) return this.cache;
    const tickets = new Map((await this.knex('tickets').select('no', 'centre', 'category', 'domain', 'not_accepted_reason', 'main_unit', 'created_at')).map((t) => [t.no, t]));
    const units = new Map((await this.knex('units').select('*')).map((u) => [u.code, u]));
    const assignments = await this.knex('ticket_units').where({ role: 'main' }).select('ticket_no', 'unit_code', 'assigned_at', 'released_at');
    this.cache = { tickets, units, assignments };
    return this.cache;
  }

  private async keyed(rows: Array<{ ref: string; ticket?: string; unit: string | null; centre?: string | null }>, g: Grouping): Promise<Map<string, Set<string>>> {
    const b = await this.base();
    const out = new Map<string, Set<string>>();
    for (const r of rows) {
      const t = r.ticket ? b.tickets.get(r.ticket) : null;
      let key: string | null;
      if (g === 'total') key = '';
      else if (g === 'centre') key = r.centre !== undefined ? r.centre : t?.centre;
      else if (g === 'unit') key = r.unit;
      else if (g === 'category') key = t?.category ?? null;
      else if (g === 'domain') key = t?.domain ?? null;
      else {
        const u = r.unit ? b.units.get(r.unit) : null;
        key = u ? (u.county_code ?? (u.kind === 'county' ? u.code : 'city')) : null;
      }
      const k = key ?? '';
      if (!out.has(k)) out.set(k, new Set());
      out.get(k)!.add(r.ref);
    }
    return out;
  }

  /** figure id → rows (ref, ticket, unit, centre), by a hand-written query per figure. */
  async rows(figure: string): Promise<Array<{ ref: string; ticket?: string; unit: string | null; centre?: string | null }>> {
    const { from, to, asOf } = this.w;
    const k = this.knex;
    const b = await this.base();
    const calls = async (cond: (q: Knex.QueryBuilder) => void) => {
      const q = k('calls as c').where('c.started_at', '>=', from).where('c.started_at', '<', to).whereIn('c.outcome', OFFERED).select('c.id', 'c.centre');
      cond(q);
      return (await q).map((c) => ({ ref: String(c.id), unit: null, centre: c.centre }));
    };
    const byTicket = (list: Array<{ ticket_no: string; at: Date; unit?: string | null }>) =>
      list.map((r) => ({ ref: r.ticket_no, ticket: r.ticket_no, unit: r.unit !== undefined ? r.unit : unitAt(b.assignments, r.ticket_no, r.at) }));
    const events = async (names: string[], extra?: (e: any) => boolean) =>
      byTicket((await k('ticket_events').whereIn('event', names).where('at', '>=', from).where('at', '<', to).select('ticket_no', 'at', 'data')).filter((e) => !extra || extra(e)));
    const deadlines = async (kind: string, missed: boolean) =>
      byTicket((await k('ticket_deadlines').where({ kind, state: 'met', missed }).where('ended_at', '>=', from).where('ended_at', '<', to).select('ticket_no', 'started_at as at')));
    const overdue = async () =>
      byTicket((await k('ticket_deadlines').where({ kind: 'handle' }).where('due_at', '>=', from).where('due_at', '<', to)
        .where((q) => q.where('missed', true).orWhere((q2) => q2.where('state', 'open').where('due_at', '<', asOf))).select('ticket_no', 'started_at as at')));
    const handled = async () => {
      const approvals = new Set((await k('ticket_events').where({ event: 'approve_return' }).select('ticket_no', 'at')).map((e) => `${e.ticket_no}@${new Date(e.at).getTime()}`));
      return b.assignments
        .filter((a) => a.assigned_at >= from && a.assigned_at < to && !(a.released_at && approvals.has(`${a.ticket_no}@${new Date(a.released_at).getTime()}`)))
        .map((a) => ({ ref: a.ticket_no, ticket: a.ticket_no, unit: a.unit_code as string | null }));
    };
    const latestVisits = async () => {
      const all = await k('ticket_visits').where('at', '>=', from).where('at', '<', to).orderBy('id').select('*');
      const latest = new Map<string, any>();
      for (const v of all) latest.set(v.ticket_no, v);
      return [...latest.values()];
    };
    const visits = async (f: (v: any) => boolean) => (await latestVisits()).filter(f).map((v) => ({ ref: v.ticket_no, ticket: v.ticket_no, unit: v.main_unit }));
    const excluded = (v: any) => BAD.includes(v.level) && (v.category === 'suggestion' || v.exclusion === 'mediation_or_enforcement' || v.exclusion === 'no_policy_basis');
    const kb = async (onTime: boolean) =>
      (await k('kb_questions').where('due_at', '>=', from).where('due_at', '<', to).whereNot('state', 'cancelled').select('*'))
        .filter((q) => !onTime || (q.answered_at && q.answered_at <= q.due_at))
        .map((q) => ({ ref: `kbq:${q.id}`, unit: q.unit_code as string | null, centre: null }));

    const reason = NOT_ACCEPTED_REASON_CODES.find((r) => notAcceptedFigureId(r) === figure);
    if (reason) {
      return events(['not_accept', 'emergency_handover'], (e) => b.tickets.get(e.ticket_no)?.not_accepted_reason === reason);
    }
    switch (figure) {
      case 'callsOffered': return calls(() => {});
      case 'callsAnswered': return calls((q) => q.whereNotNull('c.answered_at'));
      case 'callsAnsweredIn15s': return calls((q) => q.whereRaw(`c.answered_at - coalesce(c.queue_entered_at, c.started_at) <= interval '15 seconds'`));
      case 'callsAbandoned': return calls((q) => q.where('c.outcome', 'abandoned'));
      case 'callsDeflected': return calls((q) => q.whereNot('c.fallback', 'none'));
      case 'callsConnected24h': {
        const offered = await k('calls as c').where('c.started_at', '>=', from).where('c.started_at', '<', to).whereIn('c.outcome', OFFERED).select('*');
        const answered = await k('calls').whereNotNull('answered_at').select('caller_number', 'started_at');
        const callbacks = new Map((await k('missed_calls').select('*')).map((m) => [String(m.call_id), m]));
        return offered
          .filter((c) => c.answered_at
            || answered.some((a) => a.caller_number === c.caller_number && a.started_at > c.started_at && a.started_at.getTime() <= c.started_at.getTime() + 86_400_000)
            || (() => { const m = callbacks.get(String(c.id)); return !!m && m.status === 'done' && m.last_attempt_at.getTime() <= m.missed_at.getTime() + 86_400_000; })())
          .map((c) => ({ ref: String(c.id), unit: null, centre: c.centre }));
      }
      case 'ticketsReceived':
        return [...b.tickets.values()].filter((t) => t.created_at >= from && t.created_at < to).map((t) => ({ ref: t.no, ticket: t.no, unit: t.main_unit }));
      case 'ticketsAccepted': return events(['accept']);
      case 'ticketsNotAccepted': return events(['not_accept', 'emergency_handover']);
      case 'ticketsClosedOnline': return events(['close_immediately']);
      case 'ticketsDispatched': return events(['dispatch']); // grouped() takes the unit from the event
      case 'dispatchedOnTime': return deadlines('dispatch', false);
      case 'dispatchedLate': return deadlines('dispatch', true);
      case 'signedOnTime': return deadlines('sign', false);
      case 'signedLate': return deadlines('sign', true);
      case 'repliedOnTime': return deadlines('handle', false);
      case 'repliedLate': return deadlines('handle', true);
      case 'ticketsOverdue': return overdue();
      case 'extensionsRequested': return events(['request_extension']);
      case 'extensionsApproved': return events(['approve_extension']);
      case 'returnsRequested': return events(['request_return']);
      case 'returnsLate': return deadlines('return', true);
      case 'returnsApproved': return events(['approve_return']);
      case 'ticketsRedo': return events(['visit'], (e) => e.data?.cause === 'unit');
      case 'ticketsMerged': return events(['merge_into']);
      case 'unitHandled': return handled();
      case 'unitAssessed': return [...(await handled()), ...(await deadlines('return', true))];
      case 'unitOverdue': return [...(await overdue()), ...(await deadlines('return', true))];
      case 'visits': return visits(() => true);
      case 'visitsSatisfied': return visits((v) => !BAD.includes(v.level));
      case 'visitsDissatisfied': return visits((v) => BAD.includes(v.level));
      case 'excludedSuggestion': return visits((v) => BAD.includes(v.level) && v.category === 'suggestion');
      case 'excludedMediation': return visits((v) => BAD.includes(v.level) && v.category !== 'suggestion' && v.exclusion === 'mediation_or_enforcement');
      case 'excludedNoPolicy': return visits((v) => BAD.includes(v.level) && v.category !== 'suggestion' && v.exclusion === 'no_policy_basis');
      case 'visitsCounted': return visits((v) => !excluded(v));
      case 'kbQuestionsDue': return kb(false);
      case 'kbAnsweredOnTime': return kb(true);
    }
    throw new Error(`no raw recomputation for ${figure}`);
  }

  /** Dispatch events belong to the unit dispatched to (the event's mainUnit). */
  async grouped(figure: string, g: Grouping): Promise<Map<string, Set<string>>> {
    let rows = await this.rows(figure);
    if (figure === 'ticketsDispatched') {
      const ev = await this.knex('ticket_events').where({ event: 'dispatch' }).where('at', '>=', this.w.from).where('at', '<', this.w.to).select('ticket_no', 'data');
      rows = ev.map((e) => ({ ref: e.ticket_no, ticket: e.ticket_no, unit: e.data.mainUnit as string }));
    }
    return this.keyed(rows, g);
  }
}
