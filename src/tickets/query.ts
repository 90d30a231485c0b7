import { Knex } from 'knex';
import { TicketRecord, mapDeadline, mapTicket, DeadlineRow } from './store';
import { normalizePhone, searchTerms } from './text';

export interface ListFilter {
  status?: string[];
  category?: string;
  domain?: string;
  channel?: string;
  emergency?: boolean;
  unit?: string;
  q?: string;
  callerPhone?: string;
  overdue?: boolean;
  createdFrom?: Date;
  createdTo?: Date;
  limit?: number;
  offset?: number;
  /** A unit handler's unit: only tickets currently dispatched to it (main or co-unit). */
  visibleToUnit?: string | null;
}

export interface ListLimits {
  /**
   * Totals are exact up to this many matching tickets; beyond, `total` is the planner's estimate and
   * `totalExact` is false (counting a million tickets exactly costs far more than the page itself).
   */
  exact: number;
  /** A full-text search reads every match's row to count it, so its totals are exact up to this many. */
  exactSearch: number;
  /**
   * Up to this many matches expected, the matches are gathered and counted; beyond, the page is read
   * in time order and the total estimated. The planner's estimate of a rare word is coarse (a few
   * thousand for a ticket number that matches one ticket), hence the margin above the limits.
   */
  gatherBelowEstimate: number;
}
export const LIST_LIMITS: ListLimits = { exact: 5_000, exactSearch: 1_000, gatherBelowEstimate: 10_000 };

export interface TicketPage {
  /** Exact when totalExact; otherwise an estimate, never below the matches known to exist. */
  total: number;
  totalExact: boolean;
  items: Array<{ ticket: TicketRecord; deadlines: DeadlineRow[] }>;
}

/** The tickets matching a filter, as a query on `tickets as t` without select or order; null when nothing can match. */
function matching(knex: Knex, f: ListFilter, now: Date): Knex.QueryBuilder | null {
  const q = knex('tickets as t');
  if (f.visibleToUnit) {
    // An active assignment carries its ticket's status: a unit's 待办 is one range of its index (issue #13).
    const mine = knex('ticket_units as u').whereRaw('u.ticket_no = t.no').where({ 'u.unit_code': f.visibleToUnit, 'u.active': true });
    if (f.status?.length) mine.whereIn('u.ticket_status', f.status);
    q.whereExists(mine);
  }
  if (f.status?.length) q.whereIn('t.status', f.status);
  if (f.category) q.where('t.category', f.category);
  if (f.domain) q.where('t.domain', f.domain);
  if (f.channel) q.where('t.channel', f.channel);
  if (f.emergency !== undefined) q.where('t.emergency', f.emergency);
  if (f.unit) q.where('t.main_unit', f.unit);
  if (f.callerPhone) q.where('t.caller_phone', normalizePhone(f.callerPhone));
  if (f.createdFrom) q.where('t.created_at', '>=', f.createdFrom);
  if (f.createdTo) q.where('t.created_at', '<', f.createdTo);
  // next_due_at: the earliest open deadline that can make the ticket overdue (windows left out), kept with its deadlines.
  if (f.overdue) q.where('t.next_due_at', '<=', now);
  if (f.q) {
    const terms = searchTerms(f.q);
    if (!terms) return null;
    q.whereRaw(`t.search @@ plainto_tsquery('simple', ?)`, [terms]);
  }
  return q;
}

/**
 * List, filter and Chinese full-text search (bigrams in a GIN-indexed tsvector), newest first.
 *
 * The planner's estimate of the matches decides the way (EXPLAIN, nothing run):
 *  - a small result (a number, a phone, a unit's inbox, a rare word): one statement gathers the keys
 *    (number, time) of at most limit + 1 matches by whichever index suits the filter best, counts
 *    them and cuts the page out of them, so the total is exact and no plan walks the table in time
 *    order looking for a rare match;
 *  - a large one, or a small one that turned out larger than the limit: the page's keys come from
 *    the time-ordered indexes (rows are read for the page only) and the total is the estimate.
 * Then the page's rows, co-units and open deadlines, side by side.
 */
export async function listTickets(knex: Knex, f: ListFilter, now: Date, limits: ListLimits = LIST_LIMITS): Promise<TicketPage> {
  const q = matching(knex, f, now);
  if (!q) return { total: 0, totalExact: true, items: [] };
  const limit = Math.min(f.limit ?? 50, 200);
  const offset = f.offset ?? 0;
  const cap = f.q ? limits.exactSearch : limits.exact;

  const expected = await estimate(knex, q);
  if (expected <= limits.gatherBelowEstimate) {
    const keys = q.clone().select('t.no', 't.created_at').limit(cap + 1).toSQL();
    const probe = await knex.raw(
      `with m as materialized (${keys.sql})
       select c.n, p.no from (select count(*)::int as n from m) c
         left join lateral (select no, created_at from m order by created_at desc, no desc limit ? offset ?) p on true
       order by p.created_at desc, p.no desc`,
      [...keys.bindings, limit, offset],
    );
    const found = probe.rows as Array<{ n: number; no: string | null }>;
    const n = Number(found[0]?.n ?? 0);
    if (n <= cap) {
      const nos = found.map((r) => r.no).filter((no): no is string => no !== null);
      return { total: n, totalExact: true, items: await withDetails(knex, nos) };
    }
  }
  const page = q.clone().select('t.no', 't.created_at').orderBy('t.created_at', 'desc').orderBy('t.no', 'desc').limit(limit).offset(offset).as('p');
  const rows = await knex('tickets as t').join(page, 'p.no', 't.no').orderBy('p.created_at', 'desc').orderBy('p.no', 'desc').select('t.*');
  const items = await withDetails(knex, rows);
  // A page that is not full is the last one (an empty one past the end is not): the total is known after all.
  if (rows.length < limit && (rows.length > 0 || offset === 0)) return { total: offset + rows.length, totalExact: true, items };
  return { total: Math.max(expected, cap + 1, offset + rows.length), totalExact: false, items };
}

/** How many rows the planner expects the query to match (EXPLAIN, nothing run). */
async function estimate(knex: Knex, q: Knex.QueryBuilder): Promise<number> {
  const { sql, bindings } = q.clone().select(knex.raw('1')).toSQL();
  const r = await knex.raw(`explain (format json) ${sql}`, bindings);
  const raw = (r.rows[0] as Record<string, unknown>)['QUERY PLAN'];
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: { 'Plan Rows': number } }>;
  return Math.round(plan[0]?.Plan['Plan Rows'] ?? 0);
}

/** The page's tickets (rows, or numbers in page order) with their active co-units and open deadlines. */
async function withDetails(knex: Knex, page: Array<Record<string, unknown>> | string[]): Promise<TicketPage['items']> {
  const nos = page.map((r) => (typeof r === 'string' ? r : (r.no as string)));
  if (!nos.length) return [];
  const [rows, co, dls] = await Promise.all([
    typeof page[0] === 'string' ? knex('tickets').whereIn('no', nos) : (page as Array<Record<string, unknown>>),
    knex('ticket_units').whereIn('ticket_no', nos).where({ role: 'co', active: true }).orderBy('id'),
    knex('ticket_deadlines').whereIn('ticket_no', nos).where('state', 'open').orderBy('id'),
  ]);
  const byNo = new Map((rows as Array<Record<string, unknown>>).map((r) => [r.no as string, r]));
  return nos.flatMap((no) => {
    const r = byNo.get(no);
    if (!r) return []; // deleted since the keys were read
    return [{
      ticket: mapTicket(r, co.filter((c: { ticket_no: string }) => c.ticket_no === no).map((c: { unit_code: string }) => c.unit_code)),
      deadlines: dls.filter((d: { ticket_no: string }) => d.ticket_no === no).map(mapDeadline),
    }];
  });
}
