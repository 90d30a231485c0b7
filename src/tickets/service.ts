import { Knex } from 'knex';
import { AuditEntry, AuditStore } from '../audit/store';
import { AuthUser, HOTLINE_STAFF } from '../auth/roles';
import { AppError, notFound, unprocessable } from '../http/errors';
import { Logger } from '../logging/logger';
import { localDay } from './calendar/calendar';
import { subdomainKnown, unknownUnits } from './catalogue';
import { CreatedTicket, planCreation, writeCreation } from './create';
import { LockedTicket, isVersionConflict, lockTicket, planEffects, readTicket, writeAction } from './act';
import { Deadlines } from './deadlines';
import { Category, Channel, Domain, NOT_ACCEPTED_REASONS } from './model';
import { SlaClock } from './sla/clock';
import { LIMITS } from './sla/policy';
import { ActorKind, TicketEvent, TicketSnapshot, allowedEvents, transition } from './state';
import { NewEvent, TicketRecord, TicketStore, mapTicket } from './store';
import { TicketOutbox } from './outbox';
import { DetailParts, callerReads, callerView } from './view';
import { normalizePhone, searchTerms, similarity } from './text';

/** The audit entry of callers' contact shown unmasked (第二十七条). */
function callerReadEntry(actor: Actor, nos: string[], via: string): AuditEntry {
  return {
    actorUserId: actor.userId, actor: actor.username, action: 'ticket.caller_read', targetType: 'ticket', targetId: nos.length === 1 ? nos[0] : `${nos.length} tickets`,
    requestId: actor.requestId, details: { via, tickets: nos.slice(0, 500) },
  };
}

/** Who acts: a logged-in user, or the service itself (timers, SMS webhook). */
export interface Actor {
  userId: number | null;
  username: string;
  roles: AuthUser['roles'];
  unitCode: string | null;
  centre?: string | null;
  requestId?: string;
}
/**
 * How many times an action is read and written without a lock before it locks the ticket: a race
 * lost three times running means others are acting on the ticket at that moment (issue #13).
 */
const OPTIMISTIC_TRIES = 3;

export const SYSTEM_ACTOR: Actor = { userId: null, username: 'system:tickets', roles: [], unitCode: null };
export const actorOf = (u: AuthUser, requestId?: string): Actor => ({ userId: u.id, username: u.username, roles: u.roles, unitCode: u.unitCode, centre: u.centre, requestId });

type Distribute<T> = T extends unknown ? Omit<T, 'at' | 'actor'> : never;
/** An action as the API receives it: a lifecycle event without time and actor kind, plus a free-text reason. */
export type ActionInput = (Exclude<Distribute<TicketEvent>, { type: 'merge_into' }> | { type: 'merge_into'; into: string }) & { reason?: string | null };

/** A ticket just acted on, and (when asked for) its detail rows as the action left them. */
export interface ActedTicket {
  ticket: TicketRecord;
  detail: DetailParts | null;
}

export interface CreateTicketInput {
  channel: Channel;
  callerName?: string | null;
  callerPhone?: string | null;
  confidential?: boolean;
  content: string;
  category: Category;
  domain: Domain;
  subdomain?: string | null;
  matterTime?: Date | null;
  matterPlace?: string | null;
  emergency?: boolean;
  /** Asterisk linkedid of the call this ticket is made during or after. */
  linkedid?: string | null;
  /** Decide acceptance now (默认): repeat detection, then 受理 or 不予受理 (第十七条(七)). */
  accept?: boolean;
  /** A ticket the city sent down (工单流转): its centre and number there. Not accepted from API clients. */
  origin?: { centre: string; no: string } | null;
}

export interface TicketServiceDeps {
  knex: Knex;
  audit: AuditStore;
  log: Logger;
  clock: () => SlaClock;
  now: () => Date;
  /** Side effects after commit: SMS, live events. */
  afterCommit: { resultSms(t: TicketRecord): Promise<void>; publish(event: Record<string, unknown>): Promise<void> };
  centrePrefix: string;
  /** Bigram similarity at or above which the same caller's matter counts as the same (第十七条(七)). */
  repeatSimilarity?: number;
}

/** The ticket lifecycle with persistence: every accepted transition is one transaction, one event row, one audit entry. */
export class TicketService {
  readonly store: TicketStore;
  readonly deadlines: Deadlines;

  private outbox: TicketOutbox | null = null;

  constructor(private readonly d: TicketServiceDeps) {
    this.store = new TicketStore(d.knex);
    this.deadlines = new Deadlines(d.clock);
  }

  /** The network's outbox (第二十五条): from now on every ticket event is also queued for the city, in its own transaction. */
  setOutbox(outbox: TicketOutbox | null): void {
    this.outbox = outbox;
  }

  /** Write one event row, and queue it for the network in the same transaction (every event row goes through here). */
  async logEvent(trx: Knex.Transaction, e: NewEvent): Promise<void> {
    const id = await this.store.insertEvent(trx, e);
    if (this.outbox) await this.outbox.ticketEvents(trx, e.ticketNo, [{ id, at: e.at, event: e.event, fromStatus: e.fromStatus, toStatus: e.toStatus, actor: e.actor, actorUserId: e.actorUserId, actorUnit: e.actorUnit, reason: e.reason, data: e.data }]);
  }

  now(): Date {
    return this.d.now();
  }

  /** The SLA clock (working-day calendar + office hours). */
  clock(): SlaClock {
    return this.d.clock();
  }

  /** The actor's role toward this ticket, or null when a unit handler may not see it. */
  actorKind(actor: Actor, t: Pick<TicketRecord, 'mainUnit' | 'coUnits'>): ActorKind | null {
    if (actor.username.startsWith('system:')) return 'system';
    if (actor.roles.some((r) => HOTLINE_STAFF.includes(r))) return 'hotline';
    if (actor.unitCode && actor.unitCode === t.mainUnit) return 'unit_main';
    if (actor.unitCode && t.coUnits.includes(actor.unitCode)) return 'unit_co';
    return null;
  }

  async get(no: string): Promise<TicketRecord> {
    const t = await this.store.get(no);
    if (!t) throw notFound('ticket.not_found', `工单 ${no} 不存在`, { no });
    return t;
  }

  async create(input: CreateTicketInput, actor: Actor): Promise<TicketRecord> {
    return (await this.createDetailed(input, actor)).ticket;
  }

  /**
   * 登记 (and by default 受理 / 不予受理): the repeat check and the number are read first, then every
   * row is written by one statement (see create.ts); answers the ticket with what its detail view shows.
   */
  async createDetailed(input: CreateTicketInput, actor: Actor, opts: { viewer?: AuthUser; via?: string } = {}): Promise<CreatedTicket> {
    if (input.subdomain && !subdomainKnown(input.domain, input.subdomain)) {
      throw unprocessable('ticket.unknown_subdomain', `${input.domain} 下没有子类 ${input.subdomain}`, { domain: input.domain, subdomain: input.subdomain });
    }
    const at = this.now();
    const centre = actor.centre || this.d.centrePrefix;
    const prefix = centre.replace(/[^A-Za-z0-9]/g, '').toUpperCase() || this.d.centrePrefix;
    const accept = input.accept !== false;
    const kind = this.actorKind(actor, { mainUnit: null, coUnits: [] });
    if (accept && !kind) throw notFound('ticket.not_found', '工单不存在');
    const callerPhone = normalizePhone(input.callerPhone);
    // 第十七条(七): the same caller's same matter in progress; a ticket not yet written cannot match itself.
    // A ticket the city sent down is the city's decision to hand over, not a new call to screen for repeats.
    const candidates = accept && !input.origin && callerPhone ? this.repeatQuery(callerPhone, '') : undefined;
    // The number is taken in its own statement, so the sequence row is locked only for that instant and
    // creations do not queue behind each other (a failed creation leaves a gap, never a duplicate). The
    // repeat check's read runs in it too, before the row is locked.
    const numbered = await this.store.nextNumber(this.d.knex, prefix, localDay(at).replace(/-/g, ''), candidates);
    const no = numbered.no;
    const repeat = candidates ? this.bestRepeat(numbered.alongside as Array<{ no: string; content: string }>, input.content) : null;
    const plan = planCreation(this.deadlines, {
      no, at, actor, kind, linkedid: input.linkedid ?? null,
      row: {
        no, centre, status: 'received', channel: input.channel, caller_name: input.callerName ?? null, caller_phone: callerPhone,
        confidential: input.confidential ?? false, content: input.content, category: input.category, domain: input.domain, subdomain: input.subdomain ?? null,
        matter_time: input.matterTime ?? null, matter_place: input.matterPlace ?? null, emergency: input.emergency ?? false, flow: JSON.stringify({}),
        version: 0, created_by: actor.userId, created_at: at, updated_at: at, search_terms: searchTerms(no, input.content, input.matterPlace),
        ...(input.origin ? { origin_centre: input.origin.centre, origin_no: input.origin.no } : {}),
      },
      createData: { channel: input.channel, category: input.category, emergency: input.emergency ?? false },
      decision: !accept ? null : repeat
        ? { type: 'not_accept', reasonCode: 'duplicate_in_progress', reason: `同一诉求人同一事项,已由工单 ${repeat.no} 办理中`, repeatOf: repeat.no }
        : { type: 'accept' },
      reasonText: (event, reason) => reason ?? (event.type === 'not_accept' ? NOT_ACCEPTED_REASONS[event.reasonCode].text : null),
    });
    if (opts.viewer) {
      // The answer shows the viewer the caller's contact: audited with the creation (第二十七条), as auditCallerReads would after it.
      const t = mapTicket({ ...plan.ticket, flow: JSON.parse(plan.ticket.flow as string) }, []);
      if (callerReads([{ no, caller: callerView(t, opts.viewer) }]).length) plan.audits.push(callerReadEntry(actor, [no], opts.via ?? 'create'));
    }
    const outbox = this.outbox;
    // On a network, the creation and its facts for the city commit together (one more round trip).
    const created = outbox
      ? await this.d.knex.transaction(async (trx) => {
          const c = await writeCreation(trx, plan);
          await outbox.ticketEvents(trx, no, c.events);
          return c;
        })
      : await writeCreation(this.d.knex, plan);
    const post: Array<() => Promise<void>> = [];
    if (plan.transition) {
      const tr = plan.transition;
      post.push(() => this.d.afterCommit.publish({ type: 'transition', ticketNo: no, event: tr.event, from: 'received', to: tr.to, at: at.toISOString(), units: tr.units }));
    }
    post.push(() => this.d.afterCommit.publish({ type: 'created', ticketNo: no, at: at.toISOString(), units: [] }));
    // Only live-feed publishes: issued in order on one connection, they keep their order and go out
    // in one write, answered in one round trip instead of one each (issue #13).
    await this.runPost(post, true);
    return created;
  }

  /**
   * 第十七条(七): the same caller's same matter, already dispatched and still within its handling
   * limit (or accepted and awaiting dispatch), is not accepted again but linked to the first ticket.
   */
  async findRepeat(q: { callerPhone: string | null; content: string; excludeNo?: string }, trx?: Knex.Transaction): Promise<{ no: string; similarity: number } | null> {
    const phone = normalizePhone(q.callerPhone);
    if (!phone) return null;
    const rows = (await this.repeatCandidates(trx ?? this.d.knex, phone, q.excludeNo ?? '')).rows as Array<{ candidate: unknown }>;
    return this.bestRepeat(rows.map((r) => (typeof r.candidate === 'string' ? JSON.parse(r.candidate) : r.candidate)), q.content);
  }

  /**
   * The same caller's matters in progress, newest first: one column, {no, content} as JSON. Written
   * as SQL text, not built, as it runs with every creation (a statement of constant text costs no
   * compilation; issue #13).
   */
  private repeatCandidates(db: Knex | Knex.Transaction, phone: string, excludeNo: string): Knex.Raw {
    const q = this.repeatQuery(phone, excludeNo);
    return db.raw(q.sql, q.bindings as Knex.RawBinding[]);
  }

  /** The statement of repeatCandidates(), with `?` placeholders, for a statement that runs it inside its own. */
  private repeatQuery(phone: string, excludeNo: string): { sql: string; bindings: unknown[] } {
    return {
      sql: `select json_build_object('no', t.no, 'content', t.content) as candidate from tickets as t
       where t.caller_phone = ? and t.status in ('accepted', 'dispatched', 'in_progress', 'return_requested') and not t.no = ?
         and (t.status = 'accepted' or exists (select * from ticket_deadlines as d where d.ticket_no = t.no and d.kind = 'handle' and d.state = 'open' and d.due_at > ?))
       order by t.created_at desc limit 50`,
      bindings: [phone, excludeNo, this.now()],
    };
  }

  /** The most similar candidate at or above the repeat threshold (the newest among equals). */
  private bestRepeat(rows: Array<{ no: string; content: string }>, content: string): { no: string; similarity: number } | null {
    let best: { no: string; similarity: number } | null = null;
    for (const r of rows) {
      const s = similarity(r.content, content);
      if (s >= (this.d.repeatSimilarity ?? 0.5) && (!best || s > best.similarity)) best = { no: r.no, similarity: s };
    }
    return best;
  }

  /**
   * Audit that a reader was shown callers' contact unmasked (第二十七条: every access to unmasked
   * personal data leaves a trace). One audit row per response; `nos` = the tickets concerned.
   */
  async auditCallerReads(actor: Actor, nos: string[], via: string): Promise<void> {
    if (!nos.length) return;
    await this.d.audit.record(callerReadEntry(actor, nos, via));
  }

  /**
   * Apply one lifecycle action. `quiet`: no result SMS to the caller (a step mirrored from the county
   * platform, which has told the caller already).
   */
  async act(no: string, input: ActionInput, actor: Actor, opts: { quiet?: boolean } = {}): Promise<TicketRecord> {
    return (await this.actDetailed(no, input, actor, opts)).ticket;
  }

  /**
   * Apply one lifecycle action: the ticket read with what the action needs in one statement, every
   * row it writes in another (see act.ts). With a `viewer`, answers the ticket's detail rows as well,
   * and audits the caller contact that detail shows them (第二十七条) with the action, as
   * auditCallerReads would after it.
   *
   * Without a transaction around them (issue #13: BEGIN, the row lock and COMMIT were half the round
   * trips): the write goes through only if the ticket is still at the version read; if another
   * action came first, this one is read, checked and planned again against the ticket as it now
   * stands — it may then be refused as the state machine refuses it. After OPTIMISTIC_TRIES such
   * races (a ticket acted on by many at once), for the actions that write more in the same
   * transaction (并案, a network's outbox, 第二十五条), and inside a caller's transaction, the ticket
   * is locked for the whole action.
   */
  async actDetailed(no: string, input: ActionInput, actor: Actor, opts: { quiet?: boolean; viewer?: AuthUser; via?: string } = {}): Promise<ActedTicket> {
    const at = this.now();
    const units = input.type === 'dispatch' ? [input.mainUnit, ...input.coUnits] : input.type === 'request_return' && input.suggestedUnit ? [input.suggestedUnit] : [];
    const missing = () => notFound('ticket.not_found', `工单 ${no} 不存在`, { no });
    // Inside a caller's transaction (the scoped knex hands it out, src/db/scoped.ts) a refused write
    // would abort that transaction: there the ticket is locked, in a savepoint.
    const inTransaction = !!(this.d.knex as { inTransaction?: boolean }).inTransaction;
    if (!this.outbox && input.type !== 'merge_into' && !inTransaction) {
      for (let tries = 0; tries < OPTIMISTIC_TRIES; tries++) {
        const post: Array<() => Promise<void>> = [];
        const read = await readTicket(this.d.knex, no, units);
        if (!read) throw missing();
        try {
          const done = await this.apply(this.d.knex, read, input, actor, at, post, { ...opts, expectVersion: read.ticket.version });
          await this.runPost(post);
          return done;
        } catch (err) {
          if (!isVersionConflict(err)) throw err;
          this.d.log.debug({ ticketNo: no, version: read.ticket.version }, 'ticket changed while acting on it: read again');
        }
      }
    }
    const post: Array<() => Promise<void>> = [];
    const done = await this.d.knex.transaction(async (trx) => {
      const locked = await lockTicket(trx, no, units);
      if (!locked) throw missing();
      return this.apply(trx, locked, input, actor, at, post, opts);
    });
    await this.runPost(post);
    return done;
  }

  /** Side effects after commit, one after another, or all issued at once (`together`) and awaited. */
  private async runPost(post: Array<() => Promise<void>>, together = false) {
    if (together) {
      await Promise.all(post.map((p) => (async () => p())().catch((err) => this.d.log.warn({ err: (err as Error).message }, 'ticket side effect failed'))));
      return;
    }
    for (const p of post) {
      try {
        await p();
      } catch (err) {
        this.d.log.warn({ err: (err as Error).message }, 'ticket side effect failed');
      }
    }
  }

  /**
   * Check and write one action on the ticket as read: in `trx`, which holds its row lock (then
   * `expectVersion` is not given), or on the pool with `expectVersion`, the version read (the write
   * then fails with a version conflict if it changed). 并案 and the outbox need a transaction.
   */
  private async apply(
    db: Knex | Knex.Transaction, locked: LockedTicket, input: ActionInput, actor: Actor, at: Date, post: Array<() => Promise<void>>,
    opts: { quiet?: boolean; viewer?: AuthUser; via?: string; expectVersion?: number },
  ): Promise<ActedTicket> {
    const trx = opts.expectVersion === undefined ? (db as Knex.Transaction) : null;
    const t = locked.ticket;
    const kind = this.actorKind(actor, t);
    if (!kind) throw notFound('ticket.not_found', `工单 ${t.no} 不存在`, { no: t.no });
    // A unit acts only on tickets currently dispatched to it (a returned or withdrawn ticket is no longer its own).
    if ((kind === 'unit_main' || kind === 'unit_co') && !locked.units.some((u) => u.unitCode === actor.unitCode)) throw notFound('ticket.not_found', `工单 ${t.no} 不存在`, { no: t.no });
    const reason = input.reason ?? null;
    let event: TicketEvent;
    let target: TicketRecord | null = null;
    if (input.type === 'merge_into') {
      if (input.into === t.no) throw unprocessable('ticket.merge_into_itself', '工单不能并入自身');
      if (!trx) throw new Error('并案 is written in a transaction'); // actDetailed sends it there
      target = (await lockTicket(trx, input.into, []))?.ticket ?? null;
      if (!target) throw notFound('ticket.not_found', `工单 ${input.into} 不存在`, { no: input.into });
      // A unit merges only into a ticket it handles itself (第二十一条(一)).
      if (kind === 'unit_main' && target.mainUnit !== actor.unitCode) throw notFound('ticket.not_found', `工单 ${input.into} 不存在`, { no: input.into });
      event = { type: 'merge_into', targetStatus: target.status, at, actor: kind };
    } else {
      // Some events carry `reason` as their own field (退单理由, 撤单理由 …): it stays on the event.
      event = { ...input, at, actor: kind } as TicketEvent;
    }
    const unknown = (codes: string[]) => codes.filter((c) => !locked.knownUnits.has(c));
    if (event.type === 'dispatch') {
      const bad = unknown([event.mainUnit, ...event.coUnits]);
      if (bad.length) throw unprocessable('ticket.unknown_unit', `承办单位不存在或已停用：${bad.join('、')}`, { units: bad });
    }
    if (event.type === 'request_return' && event.suggestedUnit && unknown([event.suggestedUnit]).length) {
      throw unprocessable('ticket.unknown_unit', `承办单位 ${event.suggestedUnit} 不存在`, { units: [event.suggestedUnit] });
    }
    const deadlines: TicketSnapshot['deadlines'] = {};
    for (const d of locked.open) deadlines[d.kind] = d.dueAt;
    const snap: TicketSnapshot = {
      status: t.status, emergency: t.emergency, category: t.category, channel: t.channel, mainUnit: t.mainUnit, coUnits: t.coUnits, handleLimit: t.handleLimit, flow: t.flow, deadlines,
    };
    const r = transition(snap, event);
    if (!r.ok) {
      throw new AppError(r.refusal.status, r.refusal.id, r.refusal.message, { no: t.no, state: r.refusal.state, event: r.refusal.event, allowed: allowedEvents(r.refusal.state) });
    }
    const next = r.next;
    const effects = planEffects(this.deadlines, locked, r.effects.filter((fx) => !(opts.quiet && fx.type === 'send_result_sms')), at);
    let after: TicketRecord | null = null;
    if (effects.resultSms) post.push(async () => this.d.afterCommit.resultSms(after!));
    const update: Record<string, unknown> = {
      status: next.status, main_unit: next.mainUnit, handle_limit: next.handleLimit, flow: JSON.stringify(next.flow), version: t.version + 1, updated_at: at,
    };
    if (event.type === 'not_accept') update.not_accepted_reason = event.reasonCode;
    if (event.type === 'emergency_handover') update.not_accepted_reason = 'emergency_line';
    if (event.type === 'reply') Object.assign(update, { reply_text: event.text, replied_at: at });
    if (event.type === 'close_immediately') Object.assign(update, { reply_text: event.resolution, replied_at: at });
    if (next.status === 'closed') update.closed_at = at;
    if (target) update.merged_into = target.no;
    const reasonText = reason ?? (event.type === 'not_accept' ? NOT_ACCEPTED_REASONS[event.reasonCode].text : event.type === 'emergency_handover' ? NOT_ACCEPTED_REASONS.emergency_line.text : null);
    const { at: _at, actor: _k, type, ...rawData } = event as TicketEvent & { reason?: unknown };
    const { reason: _r, ...data } = rawData;
    const ev: NewEvent = { ticketNo: t.no, at, event: type, fromStatus: t.status, toStatus: next.status, actor: actor.username, actorUserId: actor.userId, actorUnit: kind.startsWith('unit') ? actor.unitCode : null, reason: reasonText, data: { ...data, ...(target ? { into: target.no } : {}) } };
    const audits: AuditEntry[] = [{ actorUserId: actor.userId, actor: actor.username, action: `ticket.${type}`, targetType: 'ticket', targetId: t.no, requestId: actor.requestId, details: { from: t.status, to: next.status, reason: reasonText } }];
    // The answer shows the viewer the caller's contact as the ticket now stands: audited with the action (第二十七条).
    if (opts.viewer && callerReads([{ no: t.no, caller: callerView({ ...t, status: next.status, flow: next.flow }, opts.viewer) }]).length) audits.push(callerReadEntry(actor, [t.no], opts.via ?? 'action'));
    const written = await writeAction(db, { no: t.no, at, update, effects, event: ev, audits }, { detail: !!opts.viewer, expectVersion: opts.expectVersion });
    if (this.outbox && trx) await this.outbox.ticketEvents(trx, t.no, [{ id: written.eventId, at, event: ev.event, fromStatus: ev.fromStatus, toStatus: ev.toStatus, actor: ev.actor, actorUserId: ev.actorUserId, actorUnit: ev.actorUnit, reason: ev.reason, data: ev.data }]);
    if (target && trx) await this.absorb(trx, t, target, actor, at);
    after = written.ticket;
    const units = [next.mainUnit, ...next.coUnits, t.mainUnit, ...t.coUnits].filter((u): u is string => !!u);
    post.push(() => this.d.afterCommit.publish({ type: 'transition', ticketNo: t.no, event: type, from: t.status, to: next.status, at: at.toISOString(), units: [...new Set(units)] }));
    return { ticket: written.ticket, detail: written.detail };
  }

  /** 并案: the merged ticket's calls and recordings follow it to the ticket that absorbs it. */
  private async absorb(trx: Knex.Transaction, from: TicketRecord, into: TicketRecord, actor: Actor, at: Date) {
    await trx.raw(`insert into ticket_calls (ticket_no, linkedid, linked_at) select ?, linkedid, ? from ticket_calls where ticket_no = ? on conflict do nothing`, [into.no, at, from.no]);
    await trx.raw(`insert into ticket_recordings (ticket_no, recording_id, linkedid, meta, linked_at) select ?, recording_id, linkedid, meta, ? from ticket_recordings where ticket_no = ? on conflict do nothing`, [into.no, at, from.no]);
    await this.logEvent(trx, { ticketNo: into.no, at, event: 'merged_from', fromStatus: into.status, toStatus: into.status, actor: actor.username, actorUserId: actor.userId, actorUnit: null, reason: null, data: { from: from.no } });
    await trx('tickets').where({ no: into.no }).update({ version: into.version + 1, updated_at: at });
  }
}
