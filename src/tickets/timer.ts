import { Knex } from 'knex';
import { EventEmitter } from 'node:events';
import { AppError } from '../http/errors';
import { Logger } from '../logging/logger';
import { Deadlines } from './deadlines';
import { DEADLINE_LABELS } from './model';
import { SYSTEM_ACTOR, TicketService } from './service';
import { DeadlineRow } from './store';

export interface TimerDeps {
  knex: Knex;
  tickets: TicketService;
  log: Logger;
  /** Elected/demoted events and isLeader: only the leader instance runs the timer. */
  leader: EventEmitter & { isLeader: boolean; owner: string };
  publish(event: Record<string, unknown>): Promise<void>;
  intervalMs: number;
  batch?: number;
}

export interface TickResult {
  reminders: number;
  alerts: number;
  actions: number;
}

/**
 * The SLA timer (第二十一条, 第二十二条): on the leader instance only, it raises a reminder before and an
 * alert after each deadline, deems unsigned tickets signed after 3 working hours, closes visits
 * unanswered for 24 hours as 满意, and urges units past their handling limit (催办, 第二十二条(一)).
 * "Once" is guaranteed by the database (unique deadline+type), not by the lock alone, so a brief
 * overlap of two leaders still raises each reminder once.
 */
export class TicketTimer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<TickResult> | null = null;
  private readonly onElected = () => this.startLoop();
  private readonly onDemoted = () => this.stopLoop();

  constructor(private readonly d: TimerDeps) {}

  start(): void {
    this.d.leader.on('elected', this.onElected);
    this.d.leader.on('demoted', this.onDemoted);
    if (this.d.leader.isLeader) this.startLoop();
  }

  async stop(): Promise<void> {
    this.d.leader.off('elected', this.onElected);
    this.d.leader.off('demoted', this.onDemoted);
    this.stopLoop();
    await this.running?.catch(() => undefined);
  }

  get active(): boolean {
    return this.timer !== null;
  }

  private startLoop() {
    if (this.timer) return;
    this.d.log.info({ owner: this.d.leader.owner }, 'ticket SLA timer running on this instance (leader)');
    this.timer = setInterval(() => void this.tick().catch((err) => this.d.log.warn({ err: (err as Error).message }, 'ticket timer tick failed')), this.d.intervalMs);
    this.timer.unref();
    void this.tick().catch(() => undefined);
  }

  private stopLoop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass; overlapping calls share the pass in progress. */
  tick(): Promise<TickResult> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<TickResult> {
    const now = this.d.tickets.now();
    const batch = this.d.batch ?? 500;
    const out: TickResult = { reminders: 0, alerts: 0, actions: 0 };
    for (const dl of await Deadlines.dueForReminder(this.d.knex, now, batch)) {
      if (await this.raise(dl, 'reminder', now)) out.reminders++;
    }
    for (const dl of await Deadlines.dueForAlert(this.d.knex, now, batch)) {
      if (await this.raise(dl, 'alert', now)) {
        out.alerts++;
        if (dl.kind === 'handle') out.actions += await this.act(dl, { type: 'urge', note: '办理时限已到,系统催办', reason: '逾期未办结,系统自动催办 (第二十二条(一))' });
      }
    }
    // Deemed signing and the default visit result do not depend on the alert having been raised
    // (a crash between the two must not leave a ticket unsigned forever).
    for (const dl of await Deadlines.overdue(this.d.knex, now, { kinds: ['sign', 'callback'], limit: batch })) {
      if (dl.kind === 'sign') out.actions += await this.act(dl, { type: 'deem_signed', reason: '工作日3小时内未签收,视为受理 (第二十一条(一))' });
      else out.actions += await this.act(dl, { type: 'visit_timeout', reason: '诉求人24小时内未回复,默认满意 (第二十二条(三))' });
    }
    return out;
  }

  private async act(dl: DeadlineRow, input: Parameters<TicketService['act']>[1]): Promise<number> {
    try {
      await this.d.tickets.act(dl.ticketNo, input, SYSTEM_ACTOR);
      return 1;
    } catch (err) {
      if (err instanceof AppError && (err.status === 409 || err.status === 404)) {
        this.d.log.debug({ ticketNo: dl.ticketNo, id: err.id }, 'timer action no longer applies');
        // A deadline whose step no longer applies must not be retried forever.
        if (dl.kind === 'callback' || dl.kind === 'sign') {
          // Under the ticket's row lock and with a new version, as every change to its deadlines: an
          // action planned on the deadlines as they were must not be written over this (act.ts).
          await this.d.knex.transaction(async (trx) => {
            await trx('tickets').where({ no: dl.ticketNo }).increment('version', 1);
            await trx('ticket_deadlines').where({ id: dl.id, state: 'open' }).update({ state: 'cancelled', ended_at: this.d.tickets.now() });
            await Deadlines.refreshNextDue(trx, dl.ticketNo);
          });
        }
        return 0;
      }
      throw err;
    }
  }

  private async raise(dl: DeadlineRow, type: 'reminder' | 'alert', now: Date): Promise<boolean> {
    const inserted = await this.d.knex.transaction(async (trx) => {
      const r = await trx('ticket_reminders')
        .insert({ deadline_id: dl.id, ticket_no: dl.ticketNo, kind: dl.kind, type, due_at: dl.dueAt, raised_by: this.d.leader.owner, created_at: now })
        .onConflict(['deadline_id', 'type'])
        .ignore()
        .returning('id');
      if (type === 'reminder') await trx('ticket_deadlines').where({ id: dl.id }).update({ reminded_at: now });
      else await trx('ticket_deadlines').where({ id: dl.id }).update({ alerted_at: now, reminded_at: trx.raw('coalesce(reminded_at, ?)', [now]) });
      return r.length > 0 ? Number(r[0].id ?? r[0]) : null;
    });
    if (inserted === null) return false;
    const units = (await this.d.knex('ticket_units').where({ ticket_no: dl.ticketNo, active: true }).select('unit_code')).map((u: { unit_code: string }) => u.unit_code);
    const label = DEADLINE_LABELS[dl.kind];
    await this.d.publish({
      type, id: inserted, ticketNo: dl.ticketNo, kind: dl.kind, dueAt: dl.dueAt.toISOString(), units,
      message: type === 'reminder' ? `工单${dl.ticketNo}${label}即将到期` : `工单${dl.ticketNo}已超过${label}`,
    });
    return true;
  }
}
