import { AuthUser } from '../../auth/roles';
import { conflict, notFound } from '../../http/errors';
import { TelephonyEvent } from '../../telephony';
import { Line, dialDevice } from './lines';
import { LinkageDeps, LiveCalls, actorOf, exten } from './live';

export type TransferMode = 'blind' | 'consult';
export type TransferStatus = 'dialing' | 'consulting' | 'answered' | 'completed' | 'cancelled' | 'failed';
const ACTIVE: TransferStatus[] = ['dialing', 'consulting', 'answered'];

export interface TransferRow {
  id: number;
  call_id: number;
  server_id: string;
  linkedid: string;
  line_code: string;
  mode: TransferMode;
  emergency: boolean;
  ticket_no: string | null;
  summary: string | null;
  operator_user_id: number | null;
  operator_interface: string | null;
  caller_channel_id: string | null;
  target_channel_id: string | null;
  status: TransferStatus;
  result: string | null;
  /** Set when the operator hung up a consultation while the target still rang (Asterisk's blond transfer). */
  operator_left_at: Date | null;
}

export interface TransferRequest {
  line: string;
  mode: TransferMode;
  ticketNo?: string | null;
  summary?: string | null;
  /** Emergency linkage (第十二条): the line is tried whatever its hours or reachable flag say. */
  emergency?: boolean;
}

/** What the caller hears about as the operator sees it (Chinese, shown in the operator console). */
const RESULT_TEXT: Record<string, string> = {
  BUSY: '对方忙', NOANSWER: '对方无人接听', CONGESTION: '线路拥塞', CHANUNAVAIL: '线路不可用', CANCEL: '已取消', HANGUP: '对方已挂机', CALLER_HANGUP: '来电人已挂机',
};

const normalise = (r: Record<string, unknown>): TransferRow => ({ ...(r as unknown as TransferRow), id: Number(r.id), call_id: Number(r.call_id), operator_user_id: r.operator_user_id === null ? null : Number(r.operator_user_id) });

/**
 * One-key transfer (第十九条): `blind` redirects the caller into dialplan [hotline-transfer] with the
 * target's dial string; `consult` puts the caller on hold with AMI Atxfer into [hotline-consult] so the
 * operator talks to the target first, then completes (operator leg hangs up: Asterisk merges the
 * bridges) or cancels. The ticket number and summary travel as channel variables and SIP headers;
 * when the transfer lands the ticket is linked to the call and dispatched to the receiving line's unit
 * (工单流转). A busy, unanswered or congested target never drops the caller: the dialplan rings the
 * operator again, then the head of the queue (blind), or Asterisk returns the operator to the caller
 * (consult). Every attempt is a row in call_transfers.
 */
export class TransferService {
  /**
   * Longest an attempt may stay `dialing` without an outcome Asterisk confirmed (target channel up,
   * HOTLINE_TRANSFER_RESULT, AttendedTransfer). Asterisk accepts an Atxfer it then drops (missing
   * `pbx-transfer` sound, a leg without transfer rights) and says nothing more: without this the
   * attempt would block every later transfer of the call.
   */
  attemptTimeoutMs = 40_000;
  private readonly users = new Map<number, AuthUser>();
  /**
   * Operators Asterisk is ringing back after a consultation they left failed, by server and
   * interface: the answered ring-back puts them on the call again. Bounded by the recall cycle
   * (atxfernoanswertimeout × atxfercallbackretries plus the loop delays), here 3 minutes.
   */
  private readonly recalls = new Map<string, { t: TransferRow; until: number }>();
  /** Whether any attempt is open, re-read at most once a second: most channel events are not ours. */
  private dialing = { at: 0, any: false };

  constructor(private readonly d: LinkageDeps, private readonly live: LiveCalls) {}

  async get(id: number): Promise<TransferRow> {
    const r = await this.d.knex('call_transfers').where({ id }).first();
    if (!r) throw notFound('transfer.not_found', '转接记录不存在', { id });
    return normalise(r);
  }

  async forCall(callId: number): Promise<TransferRow[]> {
    return (await this.d.knex('call_transfers').where({ call_id: callId }).orderBy('id')).map(normalise);
  }

  /** Transfers to a line (the receiving centre's view), newest first. */
  async toLine(line: string, limit = 50): Promise<TransferRow[]> {
    return (await this.d.knex('call_transfers').where({ line_code: line }).orderBy('id', 'desc').limit(limit)).map(normalise);
  }

  private async usableLine(code: string, emergency: boolean): Promise<Line> {
    const line = await this.d.lines.get(code);
    if (emergency) return line;
    if (line.kind === 'emergency') return line; // emergencies are always tried (第十二条)
    if (!line.reachable) throw conflict('line.unreachable', `${line.name}当前不可达`, { code });
    if (line.hours === 'office' && !this.d.isOpen(new Date())) throw conflict('line.closed', `${line.name}当前不在服务时间`, { code });
    return line;
  }

  private async ticketFor(linkedid: string, given?: string | null): Promise<string | null> {
    const tickets = this.d.tickets();
    if (given) {
      if (tickets) await tickets.get(given); // 404 ticket.not_found when it does not exist
      return given;
    }
    return tickets ? (await tickets.ticketsForCall(linkedid))[0] ?? null : null;
  }

  async start(user: AuthUser, callId: number, req: TransferRequest, requestId?: string): Promise<TransferRow> {
    const lc = await this.live.locate(callId, user);
    const line = await this.usableLine(req.line, !!req.emergency);
    const busy = await this.d.knex('call_transfers').where({ call_id: callId }).whereIn('status', ['dialing', 'consulting']).first('id');
    if (busy) throw conflict('transfer.in_progress', '该来电已有进行中的转接', { id: callId, transferId: Number(busy.id) });
    const ticketNo = await this.ticketFor(lc.call.linkedid, req.ticketNo);
    const summary = (req.summary ?? '').replace(/[\r\n]+/g, ' ').trim().slice(0, 60) || null;
    const operator = lc.operator!;
    const iface = operator.channel.replace(/-[0-9a-f]+$/i, '');
    const [row] = await this.d.knex('call_transfers').insert({
      call_id: callId, server_id: lc.call.server_id, linkedid: lc.call.linkedid, line_code: line.code, mode: req.mode, emergency: !!req.emergency || line.kind === 'emergency',
      ticket_no: ticketNo, summary, operator_user_id: user.id, operator_interface: iface, caller_channel_id: lc.caller.channelId, status: 'dialing',
    }).returning('*');
    const t = normalise(row);
    this.dialing.at = 0;
    this.users.set(user.id, user);
    try {
      if (req.mode === 'blind') {
        // `__`: inherited by the target's channel, where the pre-dial handler turns them into SIP headers.
        const vars: Record<string, string> = { HOTLINE_TRANSFER_DIAL: line.dial, __HOTLINE_TICKET: ticketNo ?? '', __HOTLINE_TRANSFER_SUMMARY: summary ?? '', HOTLINE_TRANSFER_BACK: iface };
        for (const [variable, value] of Object.entries(vars)) await lc.ami.setVar({ channel: lc.caller.channel, variable, value });
        await lc.ami.redirect({ channel: lc.caller.channel, context: 'hotline-transfer', exten: exten(t.id), priority: 1 });
      } else {
        // The consultation leg reads (and deletes) these in [hotline-consult]: the Local leg inherits nothing.
        await lc.ami.dbPut('hotline-transfer', `${exten(t.id)}-dial`, line.dial);
        await lc.ami.dbPut('hotline-transfer', `${exten(t.id)}-ticket`, ticketNo ?? '');
        await lc.ami.dbPut('hotline-transfer', `${exten(t.id)}-summary`, summary ?? '');
        await lc.ami.atxfer({ channel: operator.channel, exten: exten(t.id), context: 'hotline-consult' });
      }
    } catch (err) {
      await this.finish(t.id, ['dialing'], 'failed', null, (err as Error).message);
      throw LiveCalls.amiFailure(err, callId);
    }
    await this.d.audit.record({ actorUserId: user.id, actor: user.username, action: t.emergency ? 'call.emergency_transfer' : 'call.transfer', targetType: 'call', targetId: String(callId), requestId, details: { transferId: t.id, line: line.code, mode: req.mode, ticketNo } });
    this.notify(t, 'transfer.started', `正在转接${line.name}`);
    return t;
  }

  async complete(user: AuthUser, id: number): Promise<TransferRow> {
    const t = await this.get(id);
    if (t.status !== 'consulting') throw conflict('transfer.not_consulting', '转接对象尚未接通,不能完成转接', { id, status: t.status });
    const lc = await this.live.locate(t.call_id, user, { needOperator: false });
    const op = [...lc.ami.view.channels.values()].find((c) => c.channel.startsWith(`${t.operator_interface}-`) && c.linkedId === t.linkedid);
    if (!op) throw conflict('call.gone', '话务员通话已结束', { id });
    try {
      // The operator leaving the consultation completes the attended transfer (capture 09 C).
      await lc.ami.hangup(op.channel);
    } catch (err) {
      throw LiveCalls.amiFailure(err, t.call_id);
    }
    const done = await this.finish(id, ['consulting'], 'completed', 'ANSWER');
    if (done) await this.landed(done);
    return this.get(id);
  }

  async cancel(user: AuthUser, id: number): Promise<TransferRow> {
    const t = await this.get(id);
    if (t.mode !== 'consult' || !['dialing', 'consulting'].includes(t.status)) throw conflict('transfer.not_cancellable', '该转接不能取消', { id, status: t.status, mode: t.mode });
    const lc = await this.live.locate(t.call_id, user, { needOperator: false });
    const leg = [...lc.ami.view.channels.values()].find((c) => c.channel.startsWith(`Local/${exten(id)}@hotline-consult-`) && c.channel.endsWith(';1'));
    // Cancelled before the leg is hung up: its hangup must not read as the target giving up.
    const row = await this.finish(id, ['dialing', 'consulting'], 'cancelled', 'CANCEL');
    if (leg && row) {
      try {
        await lc.ami.hangup(leg.channel);
      } catch (err) {
        throw LiveCalls.amiFailure(err, t.call_id);
      }
    }
    if (row) this.notify(row, 'transfer.cancelled', '已取消转接,已回到来电');
    return this.get(id);
  }

  /** Conditional update: only one instance (and one event) moves an attempt on. */
  private async finish(id: number, from: TransferStatus[], status: TransferStatus, result: string | null, error?: string, extra: Record<string, unknown> = {}): Promise<TransferRow | null> {
    const patch: Record<string, unknown> = { status, result, ...extra };
    if (status === 'answered' || status === 'consulting') patch.answered_at = new Date();
    else patch.ended_at = new Date();
    if (error) patch.error = error;
    const rows = await this.d.knex('call_transfers').where({ id }).whereIn('status', from).update(patch).returning('*');
    return rows.length ? normalise(rows[0]) : null;
  }

  /** The transfer reached its target: the call is transferred and the ticket follows (工单流转). */
  private async landed(t: TransferRow): Promise<void> {
    await this.d.knex('calls').where({ id: t.call_id }).update({ transferred: true, updated_at: this.d.knex.fn.now() });
    const line = await this.d.lines.find(t.line_code);
    this.notify(t, 'transfer.landed', `已转接${line?.name ?? t.line_code}`);
    const tickets = this.d.tickets();
    if (!tickets || !t.ticket_no) return;
    try {
      await tickets.linkCall(t.ticket_no, t.linkedid);
      if (!line?.ticketUnit || t.emergency) return;
      const user = t.operator_user_id !== null ? this.users.get(t.operator_user_id) : undefined;
      const actor = user ? actorOf(user) : { userId: t.operator_user_id, username: 'linkage', roles: ['operator'], unitCode: null };
      let ticket = await tickets.get(t.ticket_no);
      if (ticket.status === 'received') { await tickets.act(t.ticket_no, { type: 'accept', reason: `一键转接${line.name}` }, actor); ticket = await tickets.get(t.ticket_no); }
      if (ticket.status === 'accepted') await tickets.act(t.ticket_no, { type: 'dispatch', mainUnit: line.ticketUnit, coUnits: [], reason: `一键转接${line.name},工单同步流转(第十九条)` }, actor);
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message, transferId: t.id, ticketNo: t.ticket_no }, 'ticket did not follow the transfer');
    }
  }

  private notify(t: TransferRow, kind: string, message: string, extra: Record<string, unknown> = {}) {
    const event = { kind, transferId: t.id, callId: t.call_id, line: t.line_code, mode: t.mode, emergency: t.emergency, status: t.status, result: t.result, ticketNo: t.ticket_no, message, ...extra };
    this.d.publish('queues', { kind: 'linkage', event });
    if (t.operator_user_id !== null) this.d.publish('operator', { operator: { userId: t.operator_user_id }, kind: 'linkage', event });
  }

  /**
   * Attempts Asterisk never resolved within `attemptTimeoutMs` fail with result TIMEOUT, and the
   * operator is told. Conditional updates: any instance may run it, each attempt ends once.
   */
  async expire(now = Date.now()): Promise<number> {
    const rows = await this.d.knex('call_transfers').where({ status: 'dialing' }).where('started_at', '<', new Date(now - this.attemptTimeoutMs));
    let n = 0;
    for (const r of rows) {
      const t = await this.finish(Number(r.id), ['dialing'], 'failed', 'TIMEOUT', `no outcome from Asterisk within ${Math.round(this.attemptTimeoutMs / 1000)} s`);
      if (!t) continue;
      n++;
      this.d.log.warn({ transferId: t.id, callId: t.call_id, mode: t.mode }, 'transfer attempt got no outcome from Asterisk; ended');
      this.notify(t, 'transfer.failed', '转接未获线路确认(超时),已结束本次转接,请重试', { back: t.operator_interface });
    }
    return n;
  }

  /**
   * The operator hung up during a consultation (phone or softphone, not through us): Asterisk merged
   * the bridges and says so with AttendedTransfer. That lands exactly as `complete` does.
   */
  private async onAttendedTransfer(e: Extract<TelephonyEvent, { type: 'Transfer' }>): Promise<void> {
    if (e.kind !== 'attended' || e.result !== 'Success') return;
    const leg = [e.targetChannel, e.secondTransfererChannel].map((c) => /^Local\/(\d+)@hotline-consult-/.exec(c ?? '')).find(Boolean);
    // Without the Local leg in the event (its snapshot taken after the pair optimised away), the
    // attempt is the caller's open consultation.
    const open = leg ? null : e.transfereeChannelId ? await this.d.knex('call_transfers').where({ caller_channel_id: e.transfereeChannelId, mode: 'consult' }).whereIn('status', ['dialing', 'consulting']).orderBy('id', 'desc').first('id') : null;
    if (!leg && !open) return;
    const id = leg ? Number(leg[1]) : Number(open.id);
    const done = await this.finish(id, ['consulting'], 'completed', 'ANSWER');
    if (done) return this.landed(done);
    // Still ringing: Asterisk merged the caller with the ringing target (bridge_basic.c blond_enter
    // publishes a successful AttendedTransfer) but nobody has answered. The target alone decides now:
    // its answer completes the transfer (onTargetUp), busy/no answer fails it and Asterisk rings the
    // operator back (BLOND_NONFINAL → RECALLING).
    const rows = await this.d.knex('call_transfers').where({ id, status: 'dialing' }).whereNull('operator_left_at').update({ operator_left_at: new Date() }).returning('*');
    if (rows.length) this.notify(normalise(rows[0]), 'transfer.operator_left', '您已挂机,来电正在等待对方接听;对方未接通时系统将回呼您的话机');
  }

  /** Telephony events that move attempts on. */
  async handle(e: TelephonyEvent): Promise<void> {
    if (e.type === 'VariableSet' && e.name === 'HOTLINE_TRANSFER_RESULT') return this.onResult(e.channelId, e.channel, e.value);
    if (e.type === 'Transfer') return this.onAttendedTransfer(e);
    if (e.type === 'ChannelStateChanged' && e.state === 'Up' && this.recalls.size) await this.onRecallAnswered(e.serverId, e.channelId, e.channel, e.at);
    if ((e.type === 'ChannelCreated' || e.type === 'ChannelStateChanged' || e.type === 'ChannelHungUp') && !(await this.anyDialing())) return;
    if (e.type === 'ChannelCreated' && e.linkedId) return this.onTargetCreated(e.serverId, e.linkedId, e.channelId, e.channel);
    if (e.type === 'ChannelStateChanged' && e.state === 'Up') return this.onTargetUp(e.serverId, e.channelId);
    if (e.type === 'ChannelHungUp' && /^Local\/\d+@hotline-consult-[^;]+;1$/.test(e.channel ?? '')) await this.onConsultLegGone(e.channel!);
    if (e.type === 'ChannelHungUp') await this.onCallerGone(e.serverId, e.channelId);
    if (e.type === 'ChannelHungUp') {
      // A landed blind transfer is over when either end hangs up (the dialplan never reaches its Set then).
      const rows = await this.d.knex('call_transfers').where({ server_id: e.serverId, status: 'answered' }).where((q) => q.where({ caller_channel_id: e.channelId }).orWhere({ target_channel_id: e.channelId }));
      for (const r of rows) await this.finish(Number(r.id), ['answered'], 'completed', 'ANSWER');
    }
  }

  /**
   * The consultation leg ended with no outcome from the dialplan: Asterisk gave up on the target
   * itself (atxfernoanswertimeout, features.conf; bridge_basic.c CALLING_TARGET/BLOND_NONFINAL →
   * TIMEOUT hangs the target up, so [hotline-consult] never reaches its Set). That is a no-answer.
   */
  private async onConsultLegGone(channel: string) {
    const id = Number(/^Local\/(\d+)@/.exec(channel)![1]);
    const failed = await this.finish(id, ['dialing'], 'failed', 'NOANSWER');
    if (failed) return this.failedBack(failed, 'NOANSWER');
    const row = await this.d.knex('call_transfers').where({ id, status: 'consulting' }).first();
    if (!row) return;
    const t = normalise(row);
    // Asterisk delivers AttendedTransfer on another stasis topic than the channels' events: it can
    // reach AMI after the Local pair has optimised itself away (seen on Asterisk 22.10). The bridges
    // say what happened: caller and target bridged together means the transfer went through.
    const view = this.d.hub?.ami(t.server_id).view.channels;
    const caller = t.caller_channel_id ? view?.get(t.caller_channel_id) : undefined;
    const target = t.target_channel_id ? view?.get(t.target_channel_id) : undefined;
    if (caller?.bridgeId && caller.bridgeId === target?.bridgeId) {
      const done = await this.finish(id, ['consulting'], 'completed', 'ANSWER');
      if (done) await this.landed(done);
      return;
    }
    // The target hung up during the consultation: Asterisk puts the operator back with the caller
    // (CONSULTING → REBRIDGE); the attempt is over.
    const gone = await this.finish(id, ['consulting'], 'failed', 'HANGUP');
    if (gone) this.failedBack(gone, 'HANGUP');
  }

  /**
   * The citizen hung up while their transfer was ringing or in consultation. Asterisk ends the
   * attempt itself (bridge_basic.c: CALLING_TARGET → TRANSFER_FAIL hangs the target up; CONSULTING
   * leaves operator and target talking as a plain call), so the later end of the consultation leg
   * must not be read as the target's no-answer or hangup: the caller's hangup is the outcome.
   */
  private async onCallerGone(serverId: string, channelId: string) {
    const rows = await this.d.knex('call_transfers').where({ server_id: serverId, caller_channel_id: channelId }).whereIn('status', ['dialing', 'consulting']);
    for (const r of rows) {
      const gone = await this.finish(Number(r.id), ['dialing', 'consulting'], 'failed', 'CALLER_HANGUP');
      if (gone) this.notify(gone, 'transfer.failed', gone.mode === 'consult' && r.status === 'consulting' ? '来电人已挂机,转接未完成;您与对方的通话可继续' : '来电人已挂机,转接未完成');
    }
  }

  private async onRecallAnswered(serverId: string, channelId: string, channel: string, at: number) {
    for (const [key, r] of this.recalls) {
      if (r.until < Date.now()) { this.recalls.delete(key); continue; }
      if (r.t.server_id !== serverId || !channel.startsWith(`${r.t.operator_interface}-`)) continue;
      this.recalls.delete(key);
      const call = await this.d.knex('calls').where({ id: r.t.call_id }).first('linkedid', 'queue');
      await this.d.operatorRecalled?.(serverId, r.t.operator_interface!, channelId, { serverId, linkedid: r.t.linkedid, channelId: r.t.caller_channel_id ?? r.t.linkedid, queue: call?.queue ?? '' }, at);
      return;
    }
  }

  private async anyDialing(): Promise<boolean> {
    if (Date.now() - this.dialing.at > 1000) {
      const any = !!(await this.d.knex('call_transfers').whereIn('status', ['dialing', 'consulting', 'answered']).first('id'));
      this.dialing = { at: Date.now(), any };
    }
    return this.dialing.any;
  }

  private async onResult(channelId: string, channel: string, value: string) {
    const consult = /^Local\/(\d+)@hotline-consult-/.exec(channel);
    const q = this.d.knex('call_transfers').whereIn('status', ACTIVE).orderBy('id', 'desc');
    const row = consult ? await q.where({ id: Number(consult[1]) }).first() : await q.where({ caller_channel_id: channelId, mode: 'blind' }).first();
    if (!row) return;
    const t = normalise(row);
    if (value === 'ANSWER') {
      if (t.mode === 'blind') await this.finish(t.id, ['dialing', 'answered'], 'completed', 'ANSWER');
      return;
    }
    const failed = await this.finish(t.id, ['dialing', 'consulting'], 'failed', value || 'CHANUNAVAIL');
    if (!failed) return;
    this.failedBack(failed, value);
  }

  /** Asterisk puts the caller back with the operator: in the consultation, or by ringing their phone again after a blond transfer. */
  private failedBack(failed: TransferRow, value: string) {
    if (failed.operator_left_at && failed.operator_interface) this.recalls.set(`${failed.server_id}|${failed.operator_interface}`, { t: failed, until: Date.now() + 180_000 });
    const why = RESULT_TEXT[value] ?? value;
    const message = failed.operator_left_at ? `转接失败(${why}),系统正在回呼您的话机,请接听后继续为来电服务` : `转接失败(${why}),来电已转回您`;
    this.notify(failed, 'transfer.failed', message, { back: failed.operator_interface });
  }

  private async onTargetCreated(serverId: string, linkedid: string, channelId: string, channel: string) {
    const rows = await this.d.knex('call_transfers').where({ server_id: serverId, linkedid, status: 'dialing' }).whereNull('target_channel_id');
    for (const r of rows) {
      const line = await this.d.lines.find(r.line_code);
      if (line && channel.startsWith(`${dialDevice(line.dial)}-`)) {
        await this.d.knex('call_transfers').where({ id: r.id }).whereNull('target_channel_id').update({ target_channel_id: channelId });
        return;
      }
    }
  }

  private async onTargetUp(serverId: string, channelId: string) {
    const row = await this.d.knex('call_transfers').where({ server_id: serverId, target_channel_id: channelId, status: 'dialing' }).first();
    if (!row) return;
    const t = normalise(row);
    if (t.mode === 'consult' && t.operator_left_at) {
      // The target answered after the operator had left: Asterisk connects it to the caller (the
      // blond transfer is complete), exactly as if the operator had completed the consultation.
      const done = await this.finish(t.id, ['dialing'], 'completed', 'ANSWER', undefined, { answered_at: new Date() });
      if (done) await this.landed(done);
      return;
    }
    if (t.mode === 'consult') {
      const c = await this.finish(t.id, ['dialing'], 'consulting', 'ANSWER');
      if (c) this.notify(c, 'transfer.consulting', '对方已接通,可与对方沟通后完成转接');
      return;
    }
    const a = await this.finish(t.id, ['dialing'], 'answered', 'ANSWER');
    if (a) await this.landed(a);
  }
}
