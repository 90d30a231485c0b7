import { Knex } from 'knex';
import { AuditEntry, AuditStore } from '../audit/store';
import { insertText, preparedNative, updateText } from '../db/prepared';
import { Deadlines } from './deadlines';
import { DEADLINE_KINDS, DeadlineKind } from './model';
import { Effect } from './state';
import {
  DEADLINE_DATES, DeadlineRow, NewEvent, TICKET_DATES, TicketRecord, eventRow, mapAttachment, mapCall, mapDeadline, mapEvent, mapRecording, mapTicket, mapUnitAssignment, mapVisit,
  parseJson, revive,
} from './store';
import { DetailParts } from './view';

/**
 * A ticket action in two statements (issue #13: a 转办 took 29 round trips, one per deadline, unit
 * row, event, audit row, then ten to read the answer back).
 *
 *   1. readTicket / lockTicket: the ticket row, with what the state machine and the checks need — its
 *      active unit assignments, its open deadlines, and which of the units named by the action exist;
 *   2. writeAction: the effects, planned in memory exactly as applying them one statement at a time
 *      would (planEffects), written with the ticket's update, its event and audit rows by one
 *      statement that also answers the rows of the ticket's detail view.
 *
 * Most actions run the two on their own, with no transaction around them: the write goes through
 * only if the ticket's version is the one read, and is planned again if not (TicketService.act).
 * Those that write more in the same transaction (并案, a network's outbox) lock the ticket first.
 */

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What an action reads under the ticket's row lock. */
export interface LockedTicket {
  ticket: TicketRecord;
  /** Active unit assignments, in id order. */
  units: Array<{ id: number; unitCode: string; role: string }>;
  /** Open deadlines, in id order. */
  open: DeadlineRow[];
  /** Of the unit codes asked about, those that exist and are active. */
  knownUnits: Set<string>;
}

/**
 * Lock ticket `no` and read what an action on it needs, in one statement; null when there is none.
 *
 * The lock may wait for another transaction on the same ticket. The locked row is then that
 * transaction's version, but the statement's other reads still see the database as it was when the
 * statement began: the ticket's version seen by that older snapshot tells, and the statement is run
 * once more (the lock is held by then, so it sees everything committed). Every change to a ticket's
 * units or deadlines is made under its row lock together with a new version.
 */
export async function lockTicket(trx: Knex.Transaction, no: string, unitCodes: string[]): Promise<LockedTicket | null> {
  let r = await readRow(trx, no, unitCodes, true);
  if (r && Number(r._seen_version) !== Number(r.version)) r = await readRow(trx, no, unitCodes, true);
  return r ? toLocked(r) : null;
}

/**
 * Read what an action on ticket `no` needs, without a lock, in one statement (one snapshot, so the
 * ticket's version and its units and deadlines agree); null when there is none. For an action written
 * by writeAction with `expectVersion`: every change to a ticket's units or deadlines comes with a new
 * version, so an unchanged version means these rows are still the ticket's (issue #13).
 */
export async function readTicket(knex: Knex, no: string, unitCodes: string[]): Promise<LockedTicket | null> {
  const r = await readRow(knex, no, unitCodes, false);
  return r ? toLocked(r) : null;
}

async function readRow(db: Knex | Knex.Transaction, no: string, unitCodes: string[], lock: boolean): Promise<Row | undefined> {
  return (
    await preparedNative(
      db,
      `select row_to_json(t) as ticket, t.version${lock ? ', (select s.version from tickets s where s.no = t.no) as _seen_version' : ''},
         (select coalesce(json_agg(json_build_object('id', u.id, 'unit_code', u.unit_code, 'role', u.role) order by u.id), '[]') from ticket_units u where u.ticket_no = t.no and u.active) as _units,
         (select coalesce(json_agg(d order by d.id), '[]') from ticket_deadlines d where d.ticket_no = t.no and d.state = 'open') as _open,
         (select coalesce(json_agg(c.code), '[]') from units c where c.code in (select json_array_elements_text($1::json)) and c.active) as _known
       from tickets t where t.no = $2${lock ? ' for update' : ''}`,
      [JSON.stringify(unitCodes), no],
    )
  ).rows[0] as Row | undefined;
}

function toLocked(r: Row): LockedTicket {
  const { ticket, _units, _open, _known } = r;
  const units = parseJson<Row[]>(_units).map((u) => ({ id: Number(u.id), unitCode: String(u.unit_code), role: String(u.role) }));
  return {
    ticket: mapTicket(revive(parseJson<Row>(ticket), TICKET_DATES), units.filter((u) => u.role === 'co').map((u) => u.unitCode)),
    units,
    open: parseJson<Row[]>(_open).map((d) => mapDeadline(revive(d, DEADLINE_DATES))),
    knownUnits: new Set(parseJson<string[]>(_known)),
  };
}

/** A write refused because the ticket changed since it was read (SQLSTATE 40001 from ticket_version_conflict): read and plan again. */
export function isVersionConflict(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return !!e && e.code === '40001' && typeof e.message === 'string' && e.message.includes('changed since version');
}

/** The rows an action's effects change, planned in memory (what Deadlines, units and visits statements did one by one). */
export interface EffectPlan {
  /** Open deadlines ended: id and how. */
  ends: Array<{ id: number; state: 'met' | 'cancelled' }>;
  /** New deadline rows, in the order they were started (with their final state, if ended again by a later effect). */
  deadlines: Row[];
  /** Active unit assignments released (ids). */
  release: number[];
  /** New unit assignment rows. */
  assign: Row[];
  /** New visit rows (their round is counted by the statement). */
  visits: Row[];
  /** The ticket's next_due_at afterwards: the earliest due time of its open deadlines that can make it overdue (Deadlines.nextDue). */
  nextDueAt: Date | null;
  /** The co-units actively assigned afterwards, in assignment order. */
  coUnits: string[];
  /** A result SMS is due after commit. */
  resultSms: boolean;
}

interface SimDeadline {
  id: number | null;
  row: Row;
}

/** Apply the effects, in order, to the rows read under the lock: what each effect's own statement would have found and changed. */
export function planEffects(deadlines: Deadlines, locked: LockedTicket, effects: Effect[], at: Date): EffectPlan {
  const t = locked.ticket;
  const dl: SimDeadline[] = locked.open.map((d) => ({
    id: d.id,
    row: { ticket_no: d.ticketNo, kind: d.kind, limit_spec: d.limit, started_at: d.startedAt, due_at: d.dueAt, remind_at: d.remindAt, state: d.state, ended_at: null, missed: null },
  }));
  const units: Array<{ id: number | null; row: Row }> = locked.units.map((u) => ({ id: u.id, row: { ticket_no: t.no, unit_code: u.unitCode, role: u.role, active: true } }));
  const visits: Row[] = [];
  let resultSms = false;
  const end = (kinds: readonly DeadlineKind[] | 'all', how: 'met' | 'cancelled') => {
    const ks: readonly string[] = kinds === 'all' ? DEADLINE_KINDS : kinds;
    for (const d of dl) {
      if (d.row.state !== 'open' || !ks.includes(d.row.kind)) continue;
      Object.assign(d.row, { state: how, ended_at: at, missed: how === 'met' ? at.getTime() > (d.row.due_at as Date).getTime() : null });
    }
  };
  const release = () => {
    for (const u of units) if (u.row.active) Object.assign(u.row, { active: false, released_at: at });
  };
  for (const fx of effects) {
    switch (fx.type) {
      case 'start_deadline':
        end([fx.kind], 'cancelled');
        dl.push({ id: null, row: { ...deadlines.plan(t.no, fx.kind, fx.limit, fx.from), ended_at: null, missed: null } });
        break;
      case 'extend_deadline': {
        const open = dl.find((d) => d.row.state === 'open' && d.row.kind === fx.kind);
        if (!open) break;
        const old = { ticketNo: t.no, kind: fx.kind, limit: open.row.limit_spec as string, dueAt: open.row.due_at as Date, startedAt: open.row.started_at as Date };
        end([fx.kind], 'cancelled');
        dl.push({ id: null, row: { ...deadlines.planExtension(old, fx.extra), ended_at: null, missed: null } });
        break;
      }
      case 'meet_deadline':
        end([fx.kind], 'met');
        break;
      case 'cancel_deadlines':
        end(fx.kinds, 'cancelled');
        break;
      case 'assign_units':
        release();
        units.push(
          { id: null, row: { ticket_no: t.no, unit_code: fx.main, role: 'main', active: true, assigned_at: at } },
          ...fx.co.map((c) => ({ id: null, row: { ticket_no: t.no, unit_code: c, role: 'co', active: true, assigned_at: at } })),
        );
        break;
      case 'release_units':
        release();
        break;
      case 'send_result_sms':
        resultSms = true;
        break;
      case 'record_visit':
        visits.push({ ticket_no: t.no, level: fx.level, channel: fx.channel, cause: fx.cause, category: t.category, main_unit: t.mainUnit, at });
        break;
    }
  }
  return {
    ends: dl.filter((d) => d.id !== null && d.row.state !== 'open').map((d) => ({ id: d.id!, state: d.row.state })),
    // A row started and ended by the same action is written as it ends (Deadlines.start then end did the same in two statements).
    deadlines: dl.filter((d) => d.id === null).map((d) => (d.row.state === 'open' ? omitEnd(d.row) : d.row)),
    release: units.filter((u) => u.id !== null && !u.row.active).map((u) => u.id!),
    assign: units.filter((u) => u.id === null).map((u) => u.row),
    nextDueAt: Deadlines.nextDue(dl.map((d) => d.row as { kind: string; state: string; due_at: Date })),
    visits,
    coUnits: units.filter((u) => u.row.active && u.row.role === 'co').map((u) => u.row.unit_code as string),
    resultSms,
  };
}

function omitEnd(r: Row): Row {
  const { ended_at: _e, missed: _m, ...rest } = r;
  return rest;
}

export interface ActionWrite {
  no: string;
  at: Date;
  /** Columns of the ticket's update. */
  update: Row;
  effects: EffectPlan;
  event: NewEvent;
  /** The action's audit row first, then any other (the caller read of the answer). */
  audits: AuditEntry[];
}

export interface ActionWritten {
  ticket: TicketRecord;
  eventId: number;
  /** The ticket's detail rows as of the end of the statement (when asked for). */
  detail: DetailParts | null;
}

/**
 * Write a planned action in one statement: in the transaction holding the ticket's lock, or on its
 * own with `expectVersion`, the version the plan was read at. Then the ticket's update goes through
 * only if its version is still that one; if not, the statement fails with SQLSTATE 40001 and keeps
 * none of its rows (migration 20261205100000; isVersionConflict tells such an error).
 */
export async function writeAction(db: Knex | Knex.Transaction, w: ActionWrite, opts: { detail: boolean; expectVersion?: number }): Promise<ActionWritten> {
  const fx = w.effects;
  // SQL text built here part by part, in PostgreSQL's $n form, not by knex's builders (issue #13:
  // building and compiling the eight parts cost more service CPU than running the statement).
  const values: unknown[] = [];
  const $ = (v: unknown) => `$${values.push(v)}`;
  const none = (table: string) => `select * from ${table} where false`;
  const ends = () => fx.ends.length
    ? `update ticket_deadlines as d set state = v.state, ended_at = ${$(w.at)}, missed = case when v.state = 'met' then ${$(w.at)}::timestamptz > d.due_at end
         from (values ${fx.ends.map((e) => `(${$(e.id)}::bigint, ${$(e.state)}::text)`).join(', ')}) as v(id, state)
         where d.id = v.id and d.state = 'open' returning d.*`
    : none('ticket_deadlines');
  const visits = () => fx.visits.length
    ? `insert into ticket_visits (ticket_no, round, level, channel, cause, category, main_unit, at) values ${fx.visits
        .map((v, i) => `(${$(v.ticket_no)}, (select count(*) from ticket_visits where ticket_no = ${$(v.ticket_no)}) + ${$(i + 1)}, ${$(v.level)}, ${$(v.channel)}, ${$(v.cause)}, ${$(v.category)}, ${$(v.main_unit)}, ${$(v.at)}::timestamptz)`)
        .join(', ')} returning *`
    : none('ticket_visits');
  // Each part's text is made in the statement's order, so its placeholders are numbered in that order
  // (the embedded database takes them positionally).
  // The unit inbox's index (issue #13): an active assignment carries its ticket's status. The ones the
  // action keeps take the new status (us), the new ones are written with it (un), the released ones
  // leave the index (ur). The ticket's next_due_at is written with its deadlines (Deadlines.nextDue).
  const status = String(w.update.status);
  const ctes: Array<[string, string]> = [];
  const checked = opts.expectVersion !== undefined;
  ctes.push(['t', `${updateText('tickets', { ...w.update, next_due_at: fx.nextDueAt }, values)} where "no" = ${$(w.no)}${checked ? ` and "version" = ${$(opts.expectVersion)}` : ''} returning *`]);
  ctes.push(['de', ends()]);
  ctes.push(['dn', fx.deadlines.length ? `${insertText('ticket_deadlines', fx.deadlines, values)} returning *` : none('ticket_deadlines')]);
  ctes.push([
    'ur',
    fx.release.length
      ? `${updateText('ticket_units', { active: false, released_at: w.at }, values)} where "id" in (${fx.release.map($).join(', ')}) and "active" = ${$(true)} returning *`
      : none('ticket_units'),
  ]);
  ctes.push([
    'us',
    `${updateText('ticket_units', { ticket_status: status }, values)} where "ticket_no" = ${$(w.no)} and "active" and "ticket_status" is distinct from ${$(status)}${
      fx.release.length ? ` and "id" not in (${fx.release.map($).join(', ')})` : ''
    } returning "id"`,
  ]);
  ctes.push(['un', fx.assign.length ? `${insertText('ticket_units', fx.assign.map((r) => ({ ...r, ticket_status: status })), values)} returning *` : none('ticket_units')]);
  ctes.push(['vn', visits()]);
  ctes.push(['e', `${insertText('ticket_events', [eventRow(w.event)], values)} returning *`]);
  ctes.push(['a', insertText('audit_log', w.audits.map(AuditStore.row), values)]);
  const detail = opts.detail
    ? `,
      (select coalesce(json_agg(x order by x.id), '[]') from (select * from ticket_deadlines where ticket_no = t.no and id not in (select id from de) union all select * from de union all select * from dn) x) as _deadlines,
      (select coalesce(json_agg(x order by x.id), '[]') from (select * from ticket_events where ticket_no = t.no union all select * from e) x) as _events,
      (select coalesce(json_agg(x order by x.linked_at), '[]') from ticket_calls x where x.ticket_no = t.no) as _calls,
      (select coalesce(json_agg(x order by x.linked_at, x.recording_id), '[]') from ticket_recordings x where x.ticket_no = t.no) as _recordings,
      (select coalesce(json_agg(x order by x.id), '[]') from ticket_attachments x where x.ticket_no = t.no) as _attachments,
      (select coalesce(json_agg(x order by x.id), '[]') from (select * from ticket_visits where ticket_no = t.no union all select * from vn) x) as _visits,
      (select coalesce(json_agg(x order by x.id), '[]') from (select * from ticket_units where ticket_no = t.no and id not in (select id from ur) union all select * from ur union all select * from un) x) as _units`
    : '';
  // Unchecked, the lock makes the update certain. Checked, no updated row fails the whole statement
  // (the CASE makes sure the function runs only then); these placeholders come last in the text.
  const from = checked ? `(select) as one left join t on true where case when t.no is null then ticket_version_conflict(${$(w.no)}, ${$(opts.expectVersion)}) else true end` : 't';
  const r = await preparedNative(db, `with ${ctes.map(([name, q]) => `${name} as (${q})`).join(', ')} select row_to_json(t) as ticket, (select e.id from e) as _event_id${detail} from ${from}`, values);
  const { ticket, _event_id, _deadlines, _events, _calls, _recordings, _attachments, _visits, _units } = r.rows[0] as Row;
  const rows = (v: unknown, dates: readonly string[]) => parseJson<Row[]>(v).map((x) => revive(x, dates));
  return {
    ticket: mapTicket(revive(parseJson<Row>(ticket), TICKET_DATES), fx.coUnits),
    eventId: Number(_event_id),
    detail: opts.detail
      ? {
          deadlines: rows(_deadlines, DEADLINE_DATES).map(mapDeadline),
          events: rows(_events, ['at']).map(mapEvent),
          calls: rows(_calls, ['linked_at']).map(mapCall),
          recordings: rows(_recordings, ['linked_at']).map(mapRecording),
          attachments: rows(_attachments, ['uploaded_at']).map(mapAttachment),
          visits: rows(_visits, ['at']).map(mapVisit),
          units: rows(_units, ['assigned_at', 'released_at']).map(mapUnitAssignment),
        }
      : null,
  };
}
