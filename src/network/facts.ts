import { Knex } from 'knex';
import { EventRow } from '../tickets/store';

/**
 * What a county pushes to the city (第二十五条: 受理信息、工单记录、回访评价等全量数据) and what the
 * city sends down (工单流转). A fact has an id unique in its centre, so the receiver applies it once
 * however often it is delivered; a ticket's facts carry its sequence, so they are applied in order.
 */
export interface TicketSnapshot {
  no: string;
  status: string;
  channel: string;
  category: string;
  domain: string;
  subdomain: string | null;
  content: string;
  callerName: string | null;
  callerPhone: string | null;
  confidential: boolean;
  matterPlace: string | null;
  emergency: boolean;
  mainUnit: string | null;
  replyText: string | null;
  createdAt: string;
  updatedAt: string;
  origin: { centre: string; no: string } | null;
  /**
   * What the city's reports and county scores need of the ticket as it stands (第二十六、二十八条):
   * its main-unit assignments, deadlines and visits. Absent from a county not yet sending them.
   */
  report?: TicketReportRows;
}

export interface TicketReportRows {
  notAcceptedReason: string | null;
  units: Array<{ id: number; unitCode: string; role: string; assignedAt: string; releasedAt: string | null }>;
  deadlines: Array<{ id: number; kind: string; startedAt: string; dueAt: string; state: string; endedAt: string | null; missed: boolean | null }>;
  visits: Array<{ id: number; level: string; category: string; exclusion: string | null; mainUnit: string | null; at: string }>;
}

export interface TicketEventFact {
  kind: 'ticket_event';
  factId: string;
  ticketNo: string;
  /** 1 for the ticket's first event, then +1 per event: the receiver applies seq n only after n-1. */
  seq: number;
  /** The first seq ever pushed for this ticket (1 unless it had events before the network was on). */
  fromSeq: number;
  occurredAt: string;
  event: { id: number; event: string; fromStatus: string | null; toStatus: string; actor: string; actorUnit: string | null; reason: string | null; data: Record<string, unknown> };
  ticket: TicketSnapshot;
}

export interface CallFact {
  kind: 'call';
  factId: string;
  occurredAt: string;
  call: Record<string, unknown>;
}

/** A missed call called back (漏接回拨): it counts towards the 24-hour connection rate of its call. */
export interface CallbackFact {
  kind: 'callback';
  factId: string;
  occurredAt: string;
  callback: { callId: number; status: string; missedAt: string; lastAttemptAt: string | null };
}

export type Fact = TicketEventFact | CallFact | CallbackFact;

/** A ticket sent down by the city for the county to handle (the county becomes the handling centre). */
export interface DownTicket {
  centre: string;
  no: string;
  ticket: TicketSnapshot;
  /** Why it came down: 转办 (dispatch) or a one-key transfer that dispatched it (第十九条). */
  reason: string | null;
}

type Row = Record<string, unknown>;
const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : d ? new Date(String(d)).toISOString() : null);

/** The ticket as it stands inside `trx` (just after the event that is being queued). */
export async function ticketSnapshot(trx: Knex.Transaction, no: string): Promise<TicketSnapshot> {
  const r = (await trx('tickets').where({ no }).first()) as Row;
  return {
    no, status: String(r.status), channel: String(r.channel), category: String(r.category), domain: String(r.domain), subdomain: (r.subdomain as string) ?? null,
    content: String(r.content), callerName: (r.caller_name as string) ?? null, callerPhone: (r.caller_phone as string) ?? null, confidential: !!r.confidential,
    matterPlace: (r.matter_place as string) ?? null, emergency: !!r.emergency, mainUnit: (r.main_unit as string) ?? null, replyText: (r.reply_text as string) ?? null,
    createdAt: iso(r.created_at)!, updatedAt: iso(r.updated_at)!, origin: r.origin_no ? { centre: String(r.origin_centre), no: String(r.origin_no) } : null,
    report: await reportRows(trx, no, (r.not_accepted_reason as string) ?? null),
  };
}

async function reportRows(trx: Knex.Transaction, no: string, notAcceptedReason: string | null): Promise<TicketReportRows> {
  const [units, deadlines, visits] = [
    (await trx('ticket_units').where({ ticket_no: no, role: 'main' }).orderBy('id')) as Row[],
    (await trx('ticket_deadlines').where({ ticket_no: no }).orderBy('id')) as Row[],
    (await trx('ticket_visits').where({ ticket_no: no }).orderBy('id')) as Row[],
  ];
  return {
    notAcceptedReason,
    units: units.map((u) => ({ id: Number(u.id), unitCode: String(u.unit_code), role: String(u.role), assignedAt: iso(u.assigned_at)!, releasedAt: iso(u.released_at) })),
    deadlines: deadlines.map((d) => ({ id: Number(d.id), kind: String(d.kind), startedAt: iso(d.started_at)!, dueAt: iso(d.due_at)!, state: String(d.state), endedAt: iso(d.ended_at), missed: d.missed === null || d.missed === undefined ? null : !!d.missed })),
    visits: visits.map((v) => ({ id: Number(v.id), level: String(v.level), category: String(v.category), exclusion: (v.exclusion as string) ?? null, mainUnit: (v.main_unit as string) ?? null, at: iso(v.at)! })),
  };
}

/** Facts for events just written: their sequence numbers are counted in the same transaction (the ticket row is locked by it). */
export async function ticketEventFacts(trx: Knex.Transaction, centre: string, no: string, events: EventRow[]): Promise<TicketEventFact[]> {
  const total = Number(((await trx('ticket_events').where({ ticket_no: no }).count({ n: '*' }).first()) as { n: string | number }).n);
  const ticket = await ticketSnapshot(trx, no);
  const first = total - events.length + 1;
  // The first push of a ticket fixes where its chain starts at the city (earlier events stayed local).
  const row = (await trx('tickets').where({ no }).first('network_from_seq')) as { network_from_seq: number | null };
  let fromSeq = row.network_from_seq;
  if (fromSeq === null) {
    fromSeq = first;
    await trx('tickets').where({ no }).update({ network_from_seq: fromSeq });
  }
  return events.map((e, i) => ({
    kind: 'ticket_event',
    factId: `${centre}:te:${e.id}`,
    ticketNo: no,
    seq: first + i,
    fromSeq: fromSeq!,
    occurredAt: e.at.toISOString(),
    event: { id: e.id, event: e.event, fromStatus: e.fromStatus, toStatus: e.toStatus, actor: e.actor, actorUnit: e.actorUnit, reason: e.reason, data: e.data },
    ticket,
  }));
}

/** The record of an ended call, read when it is delivered (it is final by then). */
export async function callFact(knex: Knex, centre: string, callId: number): Promise<CallFact | null> {
  const r = (await knex('calls').where({ id: callId }).first()) as Row | undefined;
  if (!r) return null;
  const call: Row = {};
  for (const [k, v] of Object.entries(r)) call[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v instanceof Date ? v.toISOString() : v;
  return { kind: 'call', factId: `${centre}:call:${callId}`, occurredAt: iso(r.ended_at ?? r.updated_at ?? r.started_at)!, call };
}

/** A missed call's callback as it stands when its result is recorded (written in that transaction). */
export function callbackFact(centre: string, m: Row): CallbackFact {
  return {
    kind: 'callback', factId: `${centre}:callback:${m.id}:${m.attempts}`, occurredAt: iso(m.last_attempt_at) ?? new Date().toISOString(),
    callback: { callId: Number(m.call_id), status: String(m.status), missedAt: iso(m.missed_at)!, lastAttemptAt: iso(m.last_attempt_at) },
  };
}
