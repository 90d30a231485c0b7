import { Knex } from 'knex';
import { Logger } from '../logging/logger';
import { TicketsApi } from '../tickets/feature';
import { ActionInput, Actor } from '../tickets/service';
import { Fact, TicketEventFact } from './facts';
import { AppError } from '../http/errors';
import { reportCallRow, reportCallbackRow, reportTicketRows } from './reports';

export interface ApplyResult {
  applied: string[];
  duplicates: string[];
  /** Facts whose ticket still misses an earlier one: the sender offers them again later. */
  deferred: string[];
}

/**
 * The city's side of the upward push (第二十五条). Each batch is applied in one transaction: a fact
 * already stored is a duplicate (answered as delivered), a ticket's fact is applied only right after
 * its predecessor (seq n after n-1), so whatever the network does, each fact lands exactly once and
 * each ticket's facts in order. A county ticket that the city sent down carries its city number: its
 * progress, reply and visit are also written onto the city's own ticket, so both show one timeline.
 */
export class FactReceiver {
  constructor(
    private readonly knex: Knex,
    private readonly tickets: () => TicketsApi | null,
    private readonly self: string,
    /** A county's centre code → the unit code city tickets are dispatched to for it. */
    private readonly unitOf: (centre: string) => string | null,
    private readonly log: Logger,
  ) {}

  async apply(centre: string, facts: Fact[], now = new Date()): Promise<ApplyResult> {
    const res: ApplyResult = { applied: [], duplicates: [], deferred: [] };
    // Within a batch a ticket's facts are taken in their order, whatever order the sender read them in.
    // Tickets are locked in one fixed order (by number), so two batches never wait on each other crosswise.
    const tickets = facts.filter((f): f is TicketEventFact => f.kind === 'ticket_event').sort((a, b) => (a.ticketNo < b.ticketNo ? -1 : a.ticketNo > b.ticketNo ? 1 : a.seq - b.seq));
    const sorted: Fact[] = [...tickets, ...facts.filter((f) => f.kind !== 'ticket_event')];
    let lastOccurred: Date | null = null;
    await this.knex.transaction(async (trx) => {
      const blocked = new Set<string>();
      for (const f of sorted) {
        if (await trx('network_facts').where({ centre, fact_id: f.factId }).first('id')) {
          res.duplicates.push(f.factId);
          continue;
        }
        if (f.kind === 'ticket_event') {
          const head = (await trx('network_tickets').where({ centre, no: f.ticketNo }).forUpdate().first('last_seq')) as { last_seq: number } | undefined;
          if (blocked.has(f.ticketNo) || f.seq !== (head ? head.last_seq + 1 : (f.fromSeq ?? 1))) {
            blocked.add(f.ticketNo);
            res.deferred.push(f.factId);
            continue;
          }
          await this.store(trx, centre, f, now);
          await this.upsertTicket(trx, centre, f, now, !!head);
          await reportTicketRows(trx, this.self, centre, f);
          await this.mirror(centre, f);
        } else {
          await this.store(trx, centre, f, now);
          if (f.kind === 'call') await reportCallRow(trx, centre, f);
          else await reportCallbackRow(trx, centre, f);
        }
        res.applied.push(f.factId);
        const at = new Date(f.occurredAt);
        if (!lastOccurred || at > lastOccurred) lastOccurred = at;
      }
      if (lastOccurred) {
        const lag = Math.max(0, (now.getTime() - (lastOccurred as Date).getTime()) / 1000);
        await trx('network_centres').insert({ code: centre, last_seen_at: now, last_fact_at: lastOccurred, last_lag_seconds: lag }).onConflict('code').merge(['last_seen_at', 'last_fact_at', 'last_lag_seconds']);
      }
    });
    return res;
  }

  /** A county's heartbeat: its backlog of unsent facts and its live queues, for the city's views. */
  async heartbeat(centre: string, beat: { backlog: number; oldestPendingSeconds: number | null; live?: unknown }, now = new Date()): Promise<void> {
    await this.knex('network_centres')
      .insert({ code: centre, last_seen_at: now, backlog: beat.backlog, oldest_pending_seconds: beat.oldestPendingSeconds, live: JSON.stringify(beat.live ?? null) })
      .onConflict('code')
      .merge(['last_seen_at', 'backlog', 'oldest_pending_seconds', 'live']);
  }

  private async store(trx: Knex.Transaction, centre: string, f: Fact, now: Date) {
    await trx('network_facts').insert({
      centre, fact_id: f.factId, kind: f.kind, ticket_no: f.kind === 'ticket_event' ? f.ticketNo : null, seq: f.kind === 'ticket_event' ? f.seq : null,
      occurred_at: new Date(f.occurredAt), received_at: now, payload: JSON.stringify(f),
    });
  }

  private async upsertTicket(trx: Knex.Transaction, centre: string, f: TicketEventFact, now: Date, exists: boolean) {
    const t = f.ticket;
    const row = {
      last_seq: f.seq, status: t.status, category: t.category, domain: t.domain, content: t.content, main_unit: t.mainUnit, origin_no: t.origin?.no ?? null, ticket: JSON.stringify(t), updated_at: now,
      not_accepted_reason: t.report?.notAcceptedReason ?? null,
      // A ticket the city sent down is counted as the city's own ticket, not again as the county's (see reports.ts).
      counted: t.origin?.centre !== this.self,
    };
    if (exists) await trx('network_tickets').where({ centre, no: f.ticketNo }).update(row);
    else await trx('network_tickets').insert({ centre, no: f.ticketNo, created_at: new Date(t.createdAt), ...row });
  }

  /**
   * A county's handling of a ticket the city sent down, written onto the city's ticket as that
   * county's unit (its 签收, 进展, 答复), and its visit as the city's 回访. Best effort: a step the
   * city's ticket cannot take (already answered, withdrawn meanwhile) is logged, the fact still stands.
   */
  private async mirror(centre: string, f: TicketEventFact) {
    const origin = f.ticket.origin;
    const tickets = this.tickets();
    const unit = this.unitOf(centre);
    if (!tickets || !origin || origin.centre !== this.self || !unit) return;
    // A county writes only onto a city ticket that is dispatched to it (its key proves who it is, not what it may touch).
    const mine = await tickets.get(origin.no).then((t) => t.mainUnit === unit, () => false);
    if (!mine) {
      this.log.warn({ centre, ticketNo: f.ticketNo, cityNo: origin.no }, 'county fact names a city ticket not dispatched to it; not mirrored');
      return;
    }
    const unitActor: Actor = { userId: null, username: `network:${centre}`, roles: [], unitCode: unit, centre };
    const hotline: Actor = { userId: null, username: `network:${centre}`, roles: ['operator'], unitCode: null, centre };
    const e = f.event;
    const text = (e.data.text as string) ?? (e.data.resolution as string) ?? null;
    let step: { input: ActionInput; actor: Actor } | null = null;
    if (e.event === 'create') step = { input: { type: 'sign', reason: `${centre}县(区)热线平台已接收，编号 ${f.ticketNo}` }, actor: unitActor };
    else if (e.event === 'dispatch') step = { input: { type: 'progress', text: `${centre}县(区)平台已转办至 ${String(e.data.mainUnit ?? '')}`, reason: null }, actor: unitActor };
    else if (['progress', 'feedback', 'co_opinion'].includes(e.event)) step = { input: { type: 'progress', text: text ?? e.reason ?? '办理进展', reason: null }, actor: unitActor };
    else if (e.event === 'reply' || e.event === 'close_immediately') step = { input: { type: 'reply', text: text ?? '已办理', reason: null }, actor: unitActor };
    else if (e.event === 'visit') step = { input: { type: 'visit', level: e.data.level as never, cause: (e.data.cause as never) ?? null, reason: `${centre}县(区)平台回访` }, actor: hotline };
    if (!step) return;
    try {
      // Quiet: the county has already told the caller (result SMS); the city must not send it twice.
      await tickets.act(origin.no, step.input, step.actor, { quiet: true });
    } catch (err) {
      // A step the city ticket refuses (already answered, withdrawn) is logged; anything else (a lock
      // timeout, a lost connection) fails the batch so that it is delivered again.
      if (!(err instanceof AppError)) throw err;
      this.log.warn({ err: err.message, centre, ticketNo: f.ticketNo, cityNo: origin.no, event: e.event }, 'county step not written onto the city ticket');
    }
  }
}
