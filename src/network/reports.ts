import { Knex } from 'knex';
import { CallFact, CallbackFact, TicketEventFact } from './facts';

/**
 * The city's report rows of what a county pushed (第二十五条 → 第二十六条 汇总, 第二十八条 考核): each
 * applied call fact is one network_calls row; each applied ticket fact is one network_ticket_events
 * row, and leaves the ticket's main-unit assignments, deadlines and visits as its snapshot has them
 * (facts are applied in order, so the last one applied is the ticket as it stands). The report_*
 * views read them beside the city's own rows (migrations/20261203100000_network_report_rows.ts).
 *
 * Who counts a ticket the city sent down (工单流转, which exists on both sides): the city, once, as
 * its own ticket — registered and accepted at the city, with the county's signing, reply and visit
 * written onto it as the county's unit. Its county copy is stored with counted = false (out of the
 * views) and leaves no report rows. Deadlines a county's timer cancels without an event (a sign or callback deadline
 * whose step no longer applies) stay open here until the ticket's next fact; no figure counts a
 * sign or callback deadline before it is met, so no figure changes by it.
 */
export async function reportTicketRows(trx: Knex.Transaction, self: string, centre: string, f: TicketEventFact): Promise<void> {
  if (f.ticket.origin?.centre === self) return;
  const e = f.event;
  await trx('network_ticket_events')
    .insert({ centre, ticket_no: f.ticketNo, seq: f.seq, src_id: e.id, at: new Date(f.occurredAt), event: e.event, data: JSON.stringify(e.data ?? {}) })
    .onConflict(['centre', 'ticket_no', 'seq'])
    .ignore();
  const r = f.ticket.report;
  if (!r) return;
  const key = { centre, ticket_no: f.ticketNo };
  await trx('network_ticket_units').where(key).delete();
  if (r.units.length) await trx('network_ticket_units').insert(r.units.map((u) => ({ ...key, src_id: u.id, unit_code: u.unitCode, role: u.role, assigned_at: new Date(u.assignedAt), released_at: u.releasedAt ? new Date(u.releasedAt) : null })));
  await trx('network_ticket_deadlines').where(key).delete();
  if (r.deadlines.length) {
    await trx('network_ticket_deadlines').insert(r.deadlines.map((d) => ({ ...key, src_id: d.id, kind: d.kind, started_at: new Date(d.startedAt), due_at: new Date(d.dueAt), state: d.state, ended_at: d.endedAt ? new Date(d.endedAt) : null, missed: d.missed })));
  }
  await trx('network_ticket_visits').where(key).delete();
  if (r.visits.length) await trx('network_ticket_visits').insert(r.visits.map((v) => ({ ...key, src_id: v.id, level: v.level, category: v.category, exclusion: v.exclusion, main_unit: v.mainUnit, at: new Date(v.at) })));
}

/** A time from a fact, or null when absent or not a time (a fact the city cannot read must not fail its batch forever). */
const at = (v: unknown) => {
  const d = v ? new Date(String(v)) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
};

const str = (v: unknown, max: number) => (v === null || v === undefined ? null : String(v).slice(0, max));

/** One county call record as the city's reports read it (its call figures: 话务量、接通、15秒、放弃、分流、24小时接通). */
export async function reportCallRow(trx: Knex.Transaction, centre: string, f: CallFact): Promise<void> {
  const c = f.call;
  const id = Number(c.id ?? String(f.factId).split(':').pop());
  if (!Number.isSafeInteger(id)) return; // stored as a fact; not a call record the reports can name
  const startedAt = at(c.startedAt) ?? new Date(f.occurredAt);
  await trx('network_calls')
    .insert({ centre, call_id: id, started_at: startedAt, outcome: str(c.outcome, 32), answered_at: at(c.answeredAt), queue_entered_at: at(c.queueEnteredAt), caller_number: str(c.callerNumber, 64) })
    .onConflict(['centre', 'call_id'])
    .ignore();
}

/** A county's missed call reached by its callback (漏接回拨), for the 24-hour connection rate of that call. */
export async function reportCallbackRow(trx: Knex.Transaction, centre: string, f: CallbackFact): Promise<void> {
  const b = f.callback;
  const row = { status: b.status, missed_at: new Date(b.missedAt), last_attempt_at: at(b.lastAttemptAt) };
  await trx('network_missed_calls').insert({ centre, call_id: b.callId, ...row }).onConflict(['centre', 'call_id']).merge(row);
}
