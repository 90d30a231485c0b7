import { AuthUser, hasAnyRole, seesPersonalData } from '../auth/roles';
import { forbidden, notFound } from '../http/errors';
import { maskPhone } from '../logging/mask';
import { CallRow, CallStore } from './call-store';
import { CentreDirectory } from './centres';
import { OperatorCall, OperatorService } from './operators';
import { RestrictionService } from './restrictions';
import { normaliseNumber } from './pbx';

/** What the operator's screen pop (来电弹屏) shows of the call at their phone. */
export interface CurrentCallView {
  callId: number | null;
  linkedid: string;
  /** Masked for roles that do not see personal data (第二十七条); operators need it to register the ticket. */
  callerNumber: string | null;
  queue: string;
  centre: string | null;
  centreName: string | null;
  /** Seconds the caller waited in the queue: until now while ringing, as recorded once answered. */
  waitSeconds: number | null;
  state: OperatorCall['state'];
  since: number;
}

/** The part of the tickets capability the screen pop reads (ctx.services.get('tickets')). */
export interface CallerTickets {
  byCaller(phone: string, limit?: number): Promise<Array<Record<string, unknown>>>;
}

/**
 * The operator's current call for the screen pop, and the caller's history (earlier tickets,
 * restriction status, 第三十三条). Asterisk names the call (OperatorService keeps it); the call record
 * gives the number, the centre and the wait.
 */
export class CurrentCalls {
  constructor(
    private readonly store: CallStore,
    private readonly operators: OperatorService,
    private readonly centres: CentreDirectory,
    private readonly restrictions: RestrictionService,
    private readonly tickets: () => CallerTickets | null,
  ) {}

  async forOperator(userId: number, user: AuthUser | null): Promise<CurrentCallView | null> {
    const c = await this.operators.currentCall(userId);
    return c ? this.describe(c, user) : null;
  }

  async describe(c: OperatorCall, user: AuthUser | null): Promise<CurrentCallView> {
    const row = await this.store.findCall(c.serverId, c.linkedid);
    const centre = (row?.centre && this.centres.byCode(row.centre)) || this.centres.byQueue(c.queue);
    // The record may not have the number yet when the phone starts ringing (the recorder and this
    // feed consume the same events independently); Asterisk's AgentCalled already named it.
    const number = row?.caller_number ?? c.callerNumber ?? null;
    // Before the queue entry is recorded, the call's start stands in for it (a few hundred ms earlier).
    const enteredAt = row?.queue_entered_at ?? row?.started_at ?? null;
    const entered = enteredAt ? new Date(enteredAt).getTime() : null;
    const waitSeconds = c.state === 'answered' && row?.wait_seconds != null ? Number(row.wait_seconds) : entered ? Math.max(0, Math.round((Date.now() - entered) / 1000)) : null;
    return {
      callId: row ? Number(row.id) : null,
      linkedid: c.linkedid,
      callerNumber: number && !seesPersonalData(user) ? maskPhone(number) : number,
      queue: c.queue,
      centre: centre?.code ?? row?.centre ?? null,
      centreName: centre?.name ?? null,
      waitSeconds,
      state: c.state,
      since: c.since,
    };
  }

  /**
   * The caller's earlier tickets and whether they are restricted. An operator or expert sees this
   * only for a call they are taking or took; supervisors for any call.
   */
  async callerHistory(callId: number, user: AuthUser) {
    const call = await this.store.getCall(callId);
    if (!call) throw notFound('call.not_found', '通话不存在', { id: callId });
    if (!hasAnyRole(user, ['supervisor'])) await this.requireParty(call, user);
    const number = call.caller_number;
    const tickets = number ? ((await this.tickets()?.byCaller(number, 10)) ?? []) : [];
    const now = Date.now();
    const variants = number ? new Set([number, normaliseNumber(number)]) : new Set<string>();
    const restriction = number ? (await this.restrictions.listActive()).find((r) => variants.has(r.number) && r.expiresAt.getTime() > now) ?? null : null;
    const show = (n: string | null) => (n && !seesPersonalData(user) ? maskPhone(n) : n);
    return {
      callId: Number(call.id),
      callerNumber: show(number),
      tickets,
      restriction: restriction ? { id: restriction.id, reason: restriction.reason, expiresAt: restriction.expiresAt.toISOString() } : null,
    };
  }

  private async requireParty(call: CallRow, user: AuthUser) {
    const current = await this.operators.currentCall(user.id);
    if (current && current.linkedid === call.linkedid && current.serverId === call.server_id) return;
    if (user.extension && call.operator_interface === user.extension) return;
    throw forbidden({ reason: 'not your call', id: call.id });
  }
}
