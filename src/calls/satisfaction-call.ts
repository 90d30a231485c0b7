import crypto from 'node:crypto';
import { Knex } from 'knex';
import { AuditStore } from '../audit/store';
import { AuthUser } from '../auth/roles';
import { conflict, unavailable } from '../http/errors';
import { Logger } from '../logging/logger';
import { maskPhone } from '../logging/mask';
import { TelephonyEvent, TelephonyHub } from '../telephony';

/** Keys of the IVR prompt "非常满意请按1 … 非常不满意请按5" and the ticket levels they mean. */
export const KEY_LEVELS: Record<string, string> = {
  '1': 'very_satisfied',
  '2': 'satisfied',
  '3': 'basically_satisfied',
  '4': 'dissatisfied',
  '5': 'very_dissatisfied',
};

interface TicketsForVisit {
  get(no: string): Promise<{ no: string; status: string; callerPhone: string | null }>;
  act(no: string, input: Record<string, unknown>): Promise<unknown>;
}

/**
 * The IVR satisfaction visit (第二十二条(三)): a call placed to the citizen after the reply, into the
 * dialplan's `hotline-satisfaction`, which asks for a key and leaves it in HOTLINE_SATISFACTION.
 * The key becomes the ticket's rating with the same rules as an SMS rating; no key leaves the
 * 24-hour default (满意) to the tickets' timer.
 */
export class SatisfactionCalls {
  constructor(
    private readonly knex: Knex,
    private readonly hub: TelephonyHub | null,
    private readonly tickets: () => TicketsForVisit | undefined,
    private readonly audit: AuditStore,
    private readonly dialTemplate: string,
    private readonly log: Logger,
  ) {}

  async place(ticketNo: string, actor: AuthUser, requestId?: string) {
    const tickets = this.tickets();
    if (!tickets) throw unavailable('tickets.unavailable', '工单功能不可用');
    if (!this.hub || !this.hub.serverIds().length) throw unavailable('telephony.not_configured', '未配置 Asterisk 服务器（ASTERISK_SERVERS）');
    const t = await tickets.get(ticketNo);
    if (t.status !== 'replied') throw conflict('satisfaction.not_replied', '满意度回访须在答复之后进行', { state: t.status });
    if (!t.callerPhone) throw conflict('satisfaction.no_phone', '该工单没有来电号码', { no: ticketNo });
    // A call whose end we never heard of (the service was down) stops blocking after 10 minutes.
    await this.knex('satisfaction_calls').where({ ticket_no: ticketNo, result: 'calling' }).where('started_at', '<', new Date(Date.now() - 10 * 60_000)).update({ result: 'no_rating' });
    const serverId = this.hub.serverIds()[0];
    const channelId = `sat-${crypto.randomUUID()}`;
    const inserted = await this.knex('satisfaction_calls').insert({ ticket_no: ticketNo, server_id: serverId, channel_id: channelId, requested_by: actor.id }).onConflict(this.knex.raw(`(ticket_no) where result = 'calling'`)).ignore().returning('*');
    const row = inserted[0];
    if (!row) {
      const busy = await this.knex('satisfaction_calls').where({ ticket_no: ticketNo, result: 'calling' }).first('id');
      throw conflict('satisfaction.in_progress', '该工单的满意度回访电话正在进行', { id: busy ? Number(busy.id) : null });
    }
    try {
      await this.hub.ami(serverId).originate({
        channel: this.dialTemplate.replace('{number}', t.callerPhone),
        context: 'hotline-satisfaction',
        exten: 's',
        priority: 1,
        callerId: '"12345" <12345>',
        channelId,
        timeoutMs: 45_000,
        variables: { HOTLINE_TICKET: ticketNo },
      });
    } catch (err) {
      await this.knex('satisfaction_calls').where({ id: row.id }).update({ result: 'failed', ended_at: this.knex.fn.now() });
      throw err;
    }
    await this.audit.record({ actorUserId: actor.id, actor: actor.username, action: 'ticket.satisfaction_call', targetType: 'ticket', targetId: ticketNo, requestId, details: { caller: maskPhone(t.callerPhone) } });
    return { id: Number(row.id), ticketNo, channelId, result: 'calling' };
  }

  async forTicket(ticketNo: string) {
    return this.knex('satisfaction_calls').where({ ticket_no: ticketNo }).orderBy('id');
  }

  private readonly chains = new Map<string, Promise<void>>();

  /** The key pressed and the end of the call, applied in the order Asterisk sent them. */
  onTelephony(e: TelephonyEvent): Promise<void> {
    const id = 'channelId' in e && e.channelId ? e.channelId : '';
    const next = (this.chains.get(id) ?? Promise.resolve()).then(() => this.apply(e));
    const settled = next.catch(() => undefined);
    this.chains.set(id, settled);
    void settled.then(() => {
      if (this.chains.get(id) === settled) this.chains.delete(id);
    });
    return next;
  }

  private async apply(e: TelephonyEvent): Promise<void> {
    if (e.type === 'VariableSet' && e.name === 'HOTLINE_SATISFACTION') {
      const row = await this.knex('satisfaction_calls').where({ server_id: e.serverId, channel_id: e.channelId }).first();
      if (!row || row.result !== 'calling') return;
      const level = KEY_LEVELS[e.value];
      if (!level) {
        await this.knex('satisfaction_calls').where({ id: row.id, result: 'calling' }).update({ result: 'no_rating' });
        return;
      }
      // Claim the key (one rating per call, whichever instance gets there), rate the ticket, then mark it rated.
      const claimed = await this.knex('satisfaction_calls').where({ id: row.id, result: 'calling' }).update({ result: 'rating', key: e.value });
      if (!claimed) return;
      try {
        await this.tickets()!.act(row.ticket_no, { type: 'ivr_rating', level, reason: `电话语音回访按键 ${e.value}` });
        await this.knex('satisfaction_calls').where({ id: row.id }).update({ result: 'rated' });
        this.log.info({ ticketNo: row.ticket_no, level }, 'satisfaction rated on the IVR callback');
      } catch (err) {
        await this.knex('satisfaction_calls').where({ id: row.id }).update({ result: 'refused' });
        this.log.warn({ ticketNo: row.ticket_no, err: (err as Error).message }, 'IVR rating refused by the ticket');
      }
    } else if (e.type === 'ChannelHungUp' && e.channelId.startsWith('sat-')) {
      await this.knex('satisfaction_calls').where({ server_id: e.serverId, channel_id: e.channelId }).update({ ended_at: new Date(e.at) });
      await this.knex('satisfaction_calls').where({ server_id: e.serverId, channel_id: e.channelId, result: 'calling' }).update({ result: 'no_rating' });
    }
  }
}
