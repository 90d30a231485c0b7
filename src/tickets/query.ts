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

/** List, filter and Chinese full-text search (bigrams in a GIN-indexed tsvector). */
export async function listTickets(knex: Knex, f: ListFilter, now: Date): Promise<{ total: number; items: Array<{ ticket: TicketRecord; deadlines: DeadlineRow[] }> }> {
  const q = knex('tickets as t');
  if (f.visibleToUnit) q.whereExists(knex('ticket_units as u').whereRaw('u.ticket_no = t.no').where({ 'u.unit_code': f.visibleToUnit, 'u.active': true }));
  if (f.status?.length) q.whereIn('t.status', f.status);
  if (f.category) q.where('t.category', f.category);
  if (f.domain) q.where('t.domain', f.domain);
  if (f.channel) q.where('t.channel', f.channel);
  if (f.emergency !== undefined) q.where('t.emergency', f.emergency);
  if (f.unit) q.where('t.main_unit', f.unit);
  if (f.callerPhone) q.where('t.caller_phone', normalizePhone(f.callerPhone));
  if (f.createdFrom) q.where('t.created_at', '>=', f.createdFrom);
  if (f.createdTo) q.where('t.created_at', '<', f.createdTo);
  if (f.overdue) q.whereExists(knex('ticket_deadlines as d').whereRaw('d.ticket_no = t.no').where('d.state', 'open').where('d.due_at', '<=', now));
  if (f.q) {
    const terms = searchTerms(f.q);
    if (!terms) return { total: 0, items: [] };
    q.whereRaw(`t.search @@ plainto_tsquery('simple', ?)`, [terms]);
  }
  const total = Number((await q.clone().count({ n: '*' }).first())?.n ?? 0);
  const rows = await q.orderBy('t.created_at', 'desc').orderBy('t.no', 'desc').limit(Math.min(f.limit ?? 50, 200)).offset(f.offset ?? 0).select('t.*');
  const nos = rows.map((r: { no: string }) => r.no);
  const co = nos.length ? await knex('ticket_units').whereIn('ticket_no', nos).where({ role: 'co', active: true }).orderBy('id') : [];
  const dls = nos.length ? await knex('ticket_deadlines').whereIn('ticket_no', nos).where('state', 'open').orderBy('id') : [];
  return {
    total,
    items: rows.map((r: Record<string, unknown>) => ({
      ticket: mapTicket(r, co.filter((c: { ticket_no: string }) => c.ticket_no === r.no).map((c: { unit_code: string }) => c.unit_code)),
      deadlines: dls.filter((d: { ticket_no: string }) => d.ticket_no === r.no).map(mapDeadline),
    })),
  };
}
