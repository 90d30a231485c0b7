import { Knex } from 'knex';
import { preparedNative } from '../db/prepared';
import { Category, Channel, DeadlineKind, Domain, NotAcceptedReason, TicketStatus } from './model';
import { Flow } from './state';

/** A ticket as stored (personal data unmasked: views mask it per reader). */
export interface TicketRecord {
  no: string;
  centre: string;
  status: TicketStatus;
  channel: Channel;
  callerName: string | null;
  callerPhone: string | null;
  confidential: boolean;
  content: string;
  category: Category;
  domain: Domain;
  subdomain: string | null;
  matterTime: Date | null;
  matterPlace: string | null;
  emergency: boolean;
  mainUnit: string | null;
  coUnits: string[];
  handleLimit: string | null;
  notAcceptedReason: NotAcceptedReason | null;
  repeatOf: string | null;
  mergedInto: string | null;
  replyText: string | null;
  repliedAt: Date | null;
  closedAt: Date | null;
  flow: Flow;
  version: number;
  createdBy: number | null;
  createdAt: Date;
  updatedAt: Date;
  /** Sent down by the city (工单流转): its centre and number there. */
  origin: { centre: string; no: string } | null;
}

export interface DeadlineRow {
  id: number;
  ticketNo: string;
  kind: DeadlineKind;
  limit: string;
  startedAt: Date;
  dueAt: Date;
  remindAt: Date;
  state: 'open' | 'met' | 'cancelled';
  endedAt: Date | null;
  missed: boolean | null;
  remindedAt: Date | null;
  alertedAt: Date | null;
}

export interface EventRow {
  id: number;
  at: Date;
  event: string;
  fromStatus: string | null;
  toStatus: string;
  actor: string;
  actorUserId: number | null;
  actorUnit: string | null;
  reason: string | null;
  data: Record<string, unknown>;
}

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Rows read as json (one statement answering several tables): shared with the call records.
export { parseJson, revive } from '../db/json-rows';
export const TICKET_DATES = ['matter_time', 'replied_at', 'closed_at', 'created_at', 'updated_at'] as const;
export const DEADLINE_DATES = ['started_at', 'due_at', 'remind_at', 'ended_at', 'reminded_at', 'alerted_at'] as const;

export function mapTicket(r: Row, coUnits: string[]): TicketRecord {
  return {
    no: r.no, centre: r.centre, status: r.status, channel: r.channel, callerName: r.caller_name, callerPhone: r.caller_phone,
    confidential: r.confidential, content: r.content, category: r.category, domain: r.domain, subdomain: r.subdomain,
    matterTime: r.matter_time, matterPlace: r.matter_place, emergency: r.emergency, mainUnit: r.main_unit, coUnits,
    handleLimit: r.handle_limit, notAcceptedReason: r.not_accepted_reason, repeatOf: r.repeat_of, mergedInto: r.merged_into,
    replyText: r.reply_text, repliedAt: r.replied_at, closedAt: r.closed_at, flow: r.flow ?? {}, version: r.version,
    createdBy: r.created_by === null ? null : Number(r.created_by), createdAt: r.created_at, updatedAt: r.updated_at,
    origin: r.origin_no ? { centre: r.origin_centre, no: r.origin_no } : null,
  };
}

export function mapDeadline(r: Row): DeadlineRow {
  return {
    id: Number(r.id), ticketNo: r.ticket_no, kind: r.kind, limit: r.limit_spec, startedAt: r.started_at, dueAt: r.due_at, remindAt: r.remind_at,
    state: r.state, endedAt: r.ended_at, missed: r.missed, remindedAt: r.reminded_at, alertedAt: r.alerted_at,
  };
}

export function mapEvent(r: Row): EventRow {
  return {
    id: Number(r.id), at: r.at, event: r.event, fromStatus: r.from_status, toStatus: r.to_status, actor: r.actor,
    actorUserId: r.actor_user_id === null ? null : Number(r.actor_user_id), actorUnit: r.actor_unit, reason: r.reason, data: r.data,
  };
}

export type NewEvent = Omit<EventRow, 'id'> & { ticketNo: string };

export interface CallLink { linkedid: string; linkedAt: Date }
export interface RecordingLink { recordingId: string; linkedid: string | null; meta: Record<string, unknown>; linkedAt: Date }
export interface AttachmentRow { id: number; fileName: string; contentType: string; sizeBytes: number; storageKey: string; sha256: string | null; uploadedBy: string; uploadedAt: Date }
export interface VisitRow { id: number; round: number; level: string; channel: string; cause: string | null; exclusion: string | null; exclusionNote: string | null; at: Date }
export interface UnitAssignment { unitCode: string; role: string; active: boolean; assignedAt: Date; releasedAt: Date | null }

export const mapCall = (r: Row): CallLink => ({ linkedid: r.linkedid, linkedAt: r.linked_at });
export const mapRecording = (r: Row): RecordingLink => ({ recordingId: r.recording_id, linkedid: r.linkedid, meta: r.meta, linkedAt: r.linked_at });
export const mapAttachment = (r: Row): AttachmentRow => ({
  id: Number(r.id), fileName: r.file_name, contentType: r.content_type, sizeBytes: Number(r.size_bytes), storageKey: r.storage_key, sha256: r.sha256, uploadedBy: r.uploaded_by, uploadedAt: r.uploaded_at,
});
export const mapVisit = (r: Row): VisitRow => ({
  id: Number(r.id), round: r.round, level: r.level, channel: r.channel, cause: r.cause, exclusion: r.exclusion, exclusionNote: r.exclusion_note, at: r.at,
});
export const mapUnitAssignment = (r: Row): UnitAssignment => ({ unitCode: r.unit_code, role: r.role, active: r.active, assignedAt: r.assigned_at, releasedAt: r.released_at });

/** The ticket_events row of an event. */
export function eventRow(e: NewEvent): Row {
  return {
    ticket_no: e.ticketNo, at: e.at, event: e.event, from_status: e.fromStatus, to_status: e.toStatus, actor: e.actor,
    actor_user_id: e.actorUserId, actor_unit: e.actorUnit, reason: e.reason, data: JSON.stringify(e.data),
  };
}

export class TicketStore {
  constructor(readonly knex: Knex) {}

  /**
   * Race-free numbering: one atomic upsert per (prefix, day) hands out the next sequence.
   *
   * Its commit does not wait for the disk (synchronous_commit off, for this statement's own
   * transaction only): WAL is written in order, so any ticket durably committed with a number has
   * that number's increment durable before it; a crash can only forget increments no durable ticket
   * used, so numbers are never reused. Saves one disk flush per creation.
   *
   * `alongside`: a query of one column the same statement runs first, before the sequence row is
   * locked (a creation's repeat check); its values come back in its order.
   */
  async nextNumber(trx: Knex | Knex.Transaction, prefix: string, day: string, alongside?: { sql: string; bindings: unknown[] }): Promise<{ no: string; alongside: unknown[] }> {
    // Inside a transaction the setting would last until its end: there, the number commits with it.
    const own = !(trx as { isTransaction?: boolean }).isTransaction && !(trx as { inTransaction?: boolean }).inTransaction;
    // Written in PostgreSQL's $n form, so knex compiles nothing at every creation (issue #13).
    let n = 0;
    const along = alongside ? alongside.sql.replace(/\?/g, () => `$${++n}`) : '';
    const upsert = (source: string) =>
      `insert into ticket_sequences (prefix, day, last) select $${n + 1}, $${n + 2}, 1 from (select set_config('synchronous_commit', coalesce($${n + 3}::text, current_setting('synchronous_commit')), true)) as commit_mode${source}
       on conflict (prefix, day) do update set last = ticket_sequences.last + 1 returning last`;
    const values = [...(alongside?.bindings ?? []), prefix, day, own ? 'off' : null];
    const r = alongside
      ? await preparedNative(trx, `with r as (select array_to_json(array(${along})) as rows), n as (${upsert(', r')}) select n.last, r.rows from n, r`, values)
      : await preparedNative(trx, upsert(''), values);
    const row = r.rows[0] as { last: number; rows?: unknown };
    const rows = typeof row.rows === 'string' ? JSON.parse(row.rows) : row.rows;
    return { no: `${prefix}${day}${String(row.last).padStart(6, '0')}`, alongside: (rows as unknown[] | undefined) ?? [] };
  }

  async get(no: string, trx?: Knex.Transaction, forUpdate = false): Promise<TicketRecord | null> {
    const q = (trx ?? this.knex)('tickets').where({ no }).first();
    if (forUpdate) q.forUpdate();
    const r = await q;
    if (!r) return null;
    return mapTicket(r, await this.coUnits(no, trx));
  }

  async coUnits(no: string, trx?: Knex.Transaction): Promise<string[]> {
    const rows = await (trx ?? this.knex)('ticket_units').where({ ticket_no: no, role: 'co', active: true }).orderBy('id').select('unit_code');
    return rows.map((x: Row) => x.unit_code);
  }

  async deadlines(no: string): Promise<DeadlineRow[]> {
    return (await this.knex('ticket_deadlines').where({ ticket_no: no }).orderBy('id')).map(mapDeadline);
  }

  async events(no: string): Promise<EventRow[]> {
    const rows = await this.knex('ticket_events').where({ ticket_no: no }).orderBy('id');
    return rows.map(mapEvent);
  }

  async insertEvent(trx: Knex.Transaction, e: NewEvent): Promise<number> {
    const [row] = await trx('ticket_events').insert(eventRow(e)).returning('id');
    return Number(row.id ?? row);
  }

  async calls(no: string): Promise<CallLink[]> {
    return (await this.knex('ticket_calls').where({ ticket_no: no }).orderBy('linked_at')).map(mapCall);
  }

  async recordings(no: string): Promise<RecordingLink[]> {
    return (await this.knex('ticket_recordings').where({ ticket_no: no }).orderBy(['linked_at', 'recording_id'])).map(mapRecording);
  }

  async attachments(no: string): Promise<AttachmentRow[]> {
    return (await this.knex('ticket_attachments').where({ ticket_no: no }).orderBy('id')).map(mapAttachment);
  }

  /** The number of the ticket sent down from `centre` as its `no` (工单流转), or null. */
  async byOrigin(centre: string, no: string): Promise<string | null> {
    return ((await this.knex('tickets').where({ origin_centre: centre, origin_no: no }).first('no')) as { no: string } | undefined)?.no ?? null;
  }

  /** One attachment of a ticket (with its storage key), or undefined. */
  async attachment(no: string, id: number) {
    return (await this.attachments(no)).find((a) => a.id === id);
  }

  async visits(no: string): Promise<VisitRow[]> {
    return (await this.knex('ticket_visits').where({ ticket_no: no }).orderBy('id')).map(mapVisit);
  }

  async unitAssignments(no: string): Promise<UnitAssignment[]> {
    return (await this.knex('ticket_units').where({ ticket_no: no }).orderBy('id')).map(mapUnitAssignment);
  }

  /** Whether a unit is (currently) dispatched this ticket, as main or co-unit: what a unit_handler may see. */
  async unitSees(no: string, unitCode: string): Promise<boolean> {
    return !!(await this.knex('ticket_units').where({ ticket_no: no, unit_code: unitCode, active: true }).first());
  }
}
