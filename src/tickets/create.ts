import { Knex } from 'knex';
import { AuditEntry, AuditStore } from '../audit/store';
import { AppError } from '../http/errors';
import { insertText, preparedNative } from '../db/prepared';
import { Deadlines } from './deadlines';
import { DEADLINE_KINDS } from './model';
import { LIMITS } from './sla/policy';
import { ActorKind, Effect, TicketEvent, TicketSnapshot, allowedEvents, transition } from './state';
import { DeadlineRow, EventRow, NewEvent, TICKET_DATES, TicketRecord, eventRow, mapTicket, parseJson, revive } from './store';

/**
 * Ticket registration as one statement (issue #13: it took 23 queries, and saturated near 90/s).
 *
 * Everything a new ticket's first moments write is known before touching the database: the number
 * (taken just before), the repeat decision (read just before), the dispatch deadline (the SLA clock
 * is in memory) and the outcome of 受理/不予受理 (the state machine is pure). So the rows are planned
 * here and written by one INSERT … WITH statement — ticket, events, audit rows, deadlines, call link —
 * which PostgreSQL applies atomically like the transaction it replaces; what the answer needs (ids,
 * stored event data) comes back from the same statement instead of being read again.
 */

type Row = Record<string, unknown>;

export interface CreatedTicket {
  ticket: TicketRecord;
  deadlines: DeadlineRow[];
  events: EventRow[];
  calls: Array<{ linkedid: string; linkedAt: Date }>;
}

export interface CreationPlan {
  ticket: Row;
  events: NewEvent[];
  audits: AuditEntry[];
  deadlines: Array<ReturnType<Deadlines['plan']> & { ended_at: Date | null; missed: boolean | null }>;
  linkedid: string | null;
  at: Date;
  /** The lifecycle event applied at creation (accept / not_accept), for the live feed. */
  transition: { event: string; to: string; units: string[] } | null;
}

export interface PlanInput {
  no: string;
  at: Date;
  /** Columns of the ticket as registered (status received, version 0). */
  row: Row;
  actor: { userId: number | null; username: string; unitCode: string | null; requestId?: string };
  kind: ActorKind | null;
  /** The lifecycle event to apply now, or null to leave the ticket received. */
  decision: ({ type: 'accept' } | { type: 'not_accept'; reasonCode: 'duplicate_in_progress' }) & { reason?: string | null; repeatOf?: string } | null;
  linkedid: string | null;
  createData: Record<string, unknown>;
  reasonText: (event: TicketEvent, reason: string | null) => string | null;
}

/** Plan the rows of a creation: the same rows, in the same order, as registering then applying the decision one statement at a time. */
export function planCreation(deadlines: Deadlines, p: PlanInput): CreationPlan {
  const { no, at, actor } = p;
  const row: Row = { ...p.row };
  const dl: CreationPlan['deadlines'] = [{ ...deadlines.plan(no, 'dispatch', LIMITS.dispatch, at), ended_at: null, missed: null }];
  const events: NewEvent[] = [{ ticketNo: no, at, event: 'create', fromStatus: null, toStatus: 'received', actor: actor.username, actorUserId: actor.userId, actorUnit: null, reason: null, data: p.createData }];
  const audits: AuditEntry[] = [{ actorUserId: actor.userId, actor: actor.username, action: 'ticket.create', targetType: 'ticket', targetId: no, requestId: actor.requestId, details: { channel: row.channel } }];
  let trans: CreationPlan['transition'] = null;
  if (p.decision && p.kind) {
    const t = mapTicket({ ...row, flow: {} }, []);
    const snap: TicketSnapshot = {
      status: t.status, emergency: t.emergency, category: t.category, channel: t.channel, mainUnit: null, coUnits: [], handleLimit: null, flow: t.flow,
      deadlines: { dispatch: dl[0].due_at },
    };
    const { reason: inputReason, repeatOf, ...ev } = p.decision;
    const event = { ...ev, at, actor: p.kind } as TicketEvent;
    const r = transition(snap, event);
    if (!r.ok) throw new AppError(r.refusal.status, r.refusal.id, r.refusal.message, { no, state: r.refusal.state, event: r.refusal.event, allowed: allowedEvents(r.refusal.state) });
    for (const fx of r.effects) applyEffect(deadlines, dl, no, fx, at);
    const next = r.next;
    Object.assign(row, { status: next.status, main_unit: next.mainUnit, handle_limit: next.handleLimit, flow: JSON.stringify(next.flow), version: 1, updated_at: at });
    if (repeatOf) row.repeat_of = repeatOf;
    if (event.type === 'not_accept') row.not_accepted_reason = event.reasonCode;
    const reasonText = p.reasonText(event, inputReason ?? null);
    const { at: _at, actor: _k, type, ...data } = event as TicketEvent & { reason?: unknown };
    events.push({ ticketNo: no, at, event: type, fromStatus: t.status, toStatus: next.status, actor: actor.username, actorUserId: actor.userId, actorUnit: p.kind.startsWith('unit') ? actor.unitCode : null, reason: reasonText, data });
    audits.push({ actorUserId: actor.userId, actor: actor.username, action: `ticket.${type}`, targetType: 'ticket', targetId: no, requestId: actor.requestId, details: { from: t.status, to: next.status, reason: reasonText } });
    trans = { event: type, to: next.status, units: [...new Set([next.mainUnit, ...next.coUnits].filter((u): u is string => !!u))] };
  }
  row.next_due_at = Deadlines.nextDue(dl);
  return { ticket: row, events, audits, deadlines: dl, linkedid: p.linkedid, at, transition: trans };
}

/** The deadline effects a fresh ticket can meet, applied to the planned rows (Deadlines.start/end do the same in SQL). */
function applyEffect(deadlines: Deadlines, dl: CreationPlan['deadlines'], no: string, fx: Effect, at: Date) {
  const end = (kinds: readonly string[], how: 'met' | 'cancelled') => {
    for (const d of dl) {
      if (d.state !== 'open' || !kinds.includes(d.kind)) continue;
      Object.assign(d, { state: how, ended_at: at, missed: how === 'met' ? at.getTime() > d.due_at.getTime() : null });
    }
  };
  switch (fx.type) {
    case 'start_deadline':
      end([fx.kind], 'cancelled');
      dl.push({ ...deadlines.plan(no, fx.kind, fx.limit, fx.from), ended_at: null, missed: null });
      return;
    case 'meet_deadline':
      end([fx.kind], 'met');
      return;
    case 'cancel_deadlines':
      end(fx.kinds === 'all' ? DEADLINE_KINDS : fx.kinds, 'cancelled');
      return;
    default:
      // The state machine gives a received ticket's accept/not_accept no other effect; a new one must be added here.
      throw new Error(`ticket creation does not apply effect ${fx.type}`);
  }
}

/** Write a planned creation in one statement; answer what a reader of the new ticket would see. */
export async function writeCreation(knex: Knex, plan: CreationPlan): Promise<CreatedTicket> {
  // SQL text built here, not by knex's builders (issue #13: compiling four inserts at every creation).
  const values: unknown[] = [];
  const parts = [
    `t as (${insertText('tickets', [plan.ticket], values)} returning *)`,
    `e as (${insertText('ticket_events', plan.events.map(eventRow), values)} returning "id", "data")`,
    `a as (${insertText('audit_log', plan.audits.map(AuditStore.row), values)})`,
    `d as (${insertText('ticket_deadlines', plan.deadlines, values)} returning "id")`,
  ];
  if (plan.linkedid) {
    parts.push(`c as (${insertText('ticket_calls', [{ ticket_no: plan.ticket.no, linkedid: plan.linkedid, linked_at: plan.at }], values)} on conflict ("ticket_no", "linkedid") do nothing)`);
  }
  const r = await preparedNative(
    knex,
    `with ${parts.join(', ')}
     select row_to_json(t) as ticket, (select json_agg(json_build_object('id', e.id, 'data', e.data) order by e.id) from e) as _events,
            (select json_agg(d.id order by d.id) from d) as _deadlines
     from t`,
    values,
  );
  const { ticket, _events, _deadlines } = r.rows[0];
  const evs = parseJson<Array<{ id: number; data: Record<string, unknown> }>>(_events);
  const dls = parseJson<number[]>(_deadlines);
  return {
    ticket: mapTicket(revive(parseJson<Row>(ticket), TICKET_DATES), []),
    events: plan.events.map((e, i) => ({
      id: Number(evs[i].id), at: e.at, event: e.event, fromStatus: e.fromStatus, toStatus: e.toStatus, actor: e.actor, actorUserId: e.actorUserId, actorUnit: e.actorUnit, reason: e.reason, data: evs[i].data,
    })),
    deadlines: plan.deadlines.map((d, i) => ({
      id: Number(dls[i]), ticketNo: d.ticket_no, kind: d.kind, limit: d.limit_spec, startedAt: d.started_at, dueAt: d.due_at, remindAt: d.remind_at, state: d.state,
      endedAt: d.ended_at, missed: d.missed, remindedAt: null, alertedAt: null,
    })),
    calls: plan.linkedid ? [{ linkedid: plan.linkedid, linkedAt: plan.at }] : [],
  };
}
