import { AuthUser, hasAnyRole } from '../../auth/roles';
import { conflict, forbidden, notFound, unprocessable } from '../../http/errors';
import { TelephonyEvent } from '../../telephony';
import { LinkageDeps, LiveCalls, SUPERVISING, actorOf } from './live';

export interface ConferenceRow {
  id: number;
  call_id: number;
  server_id: string;
  linkedid: string;
  room: string;
  line_code: string;
  emergency: boolean;
  ticket_no: string | null;
  operator_user_id: number | null;
  state: 'active' | 'ended';
}

export interface LegRow {
  id: number;
  conference_id: number;
  role: 'caller' | 'operator' | 'expert' | 'emergency';
  channel_id: string;
  channel: string | null;
  recording_name: string | null;
  joined_at: Date | null;
  left_at: Date | null;
  /** Why the leg left or never joined (Asterisk's hangup cause, a failed origination). */
  left_reason: string | null;
}

const conf = (r: Record<string, unknown>): ConferenceRow => ({ ...(r as unknown as ConferenceRow), id: Number(r.id), call_id: Number(r.call_id), operator_user_id: r.operator_user_id === null ? null : Number(r.operator_user_id) });
const leg = (r: Record<string, unknown>): LegRow => ({ ...(r as unknown as LegRow), id: Number(r.id), conference_id: Number(r.conference_id) });

/**
 * Three-way calls (第二十条(三) 三方通话、专家座席联动; 第十条(六) expert seats; 国办发〔2022〕12号 three-way
 * calls with 110 when responsibility is unclear). The caller and the operator are moved together into a
 * ConfBridge room with a dual Redirect (capture 11), the expert or emergency line is originated into the
 * same room. The operator may leave (caller and expert carry on) and be rung back in. Every leg except
 * the caller's (whose whole-call recording runs from [hotline-entry]) gets its own MixMonitor segment,
 * and every segment is linked to the ticket. A caller left alone goes back to the head of the queue.
 */
export class ConferenceService {
  private seq = 0;
  private readonly originates = new Map<string, number>();
  /** Whether any conference is active, re-read at most once a second: most channel events are not ours. */
  private activity = { at: 0, any: false };

  private async anyActive(): Promise<boolean> {
    if (Date.now() - this.activity.at > 1000) {
      const any = !!(await this.d.knex('call_conferences').where({ state: 'active' }).first('id'));
      this.activity = { at: Date.now(), any };
    }
    return this.activity.any;
  }

  constructor(private readonly d: LinkageDeps, private readonly live: LiveCalls) {}

  async get(id: number): Promise<ConferenceRow & { legs: LegRow[] }> {
    const r = await this.d.knex('call_conferences').where({ id }).first();
    if (!r) throw notFound('conference.not_found', '三方通话不存在', { id });
    return { ...conf(r), legs: (await this.d.knex('call_conference_legs').where({ conference_id: id }).orderBy('id')).map(leg) };
  }

  /**
   * The expert seat's own three-way calls of the last `hours` (default 12), newest first, with their
   * answers so far: what the 专家答复 panel lists so the expert can write the answer on the ticket
   * during or just after the call. Only conferences the expert's seat took part in.
   */
  async mine(user: AuthUser, hours = 12): Promise<Array<ConferenceRow & { legs: LegRow[]; answers: number }>> {
    if (!user.extension || !hasAnyRole(user, ['expert'])) return [];
    const since = new Date(Date.now() - hours * 3600_000);
    const rows = (await this.d.knex('call_conferences').where('started_at', '>=', since).orderBy('id', 'desc').limit(50)).map(conf);
    const out: Array<ConferenceRow & { legs: LegRow[]; answers: number }> = [];
    for (const c of rows) {
      if (!(await this.expertTookPart(user, c))) continue;
      const full = await this.get(c.id);
      const n = await this.d.knex('call_expert_answers').where({ conference_id: c.id }).count({ n: '*' }).first();
      out.push({ ...full, answers: Number(n?.n ?? 0) });
    }
    return out;
  }

  private async active(id: number, user: AuthUser): Promise<ConferenceRow> {
    const c = await this.get(id);
    if (c.state !== 'active') throw conflict('conference.ended', '三方通话已结束', { id });
    const mine = hasAnyRole(user, SUPERVISING) || c.operator_user_id === user.id || hasAnyRole(user, ['expert']);
    if (!mine) throw forbidden({ reason: 'not your conference', id });
    return c;
  }

  async start(user: AuthUser, callId: number, req: { line: string; ticketNo?: string | null; emergency?: boolean }, requestId?: string): Promise<ConferenceRow & { legs: LegRow[] }> {
    const lc = await this.live.locate(callId, user);
    const line = await this.d.lines.get(req.line);
    const emergency = !!req.emergency || line.kind === 'emergency';
    if (!emergency && !line.reachable) throw conflict('line.unreachable', `${line.name}当前不可达`, { code: line.code });
    if (!emergency && line.hours === 'office' && !this.d.isOpen(new Date())) throw conflict('line.closed', `${line.name}当前不在服务时间`, { code: line.code });
    if (await this.d.knex('call_conferences').where({ call_id: callId, state: 'active' }).first('id')) throw conflict('conference.active', '该来电已在三方通话中', { id: callId });
    const tickets = this.d.tickets();
    if (req.ticketNo && tickets) await tickets.get(req.ticketNo);
    const ticketNo = req.ticketNo ?? (tickets ? (await tickets.ticketsForCall(lc.call.linkedid))[0] ?? null : null);
    if (ticketNo && tickets) await tickets.linkCall(ticketNo, lc.call.linkedid);
    const [row] = await this.d.knex('call_conferences').insert({
      call_id: callId, server_id: lc.call.server_id, linkedid: lc.call.linkedid, room: 'pending', line_code: line.code, emergency, ticket_no: ticketNo, operator_user_id: user.id,
    }).returning('*');
    const c = conf(row);
    this.activity.at = 0;
    c.room = `8${String(c.id).padStart(5, '0')}`;
    await this.d.knex('call_conferences').where({ id: c.id }).update({ room: c.room });
    const operator = lc.operator!;
    await this.d.knex('call_conference_legs').insert([
      { conference_id: c.id, role: 'caller', channel_id: lc.caller.channelId, channel: lc.caller.channel },
      { conference_id: c.id, role: 'operator', channel_id: operator.channelId, channel: operator.channel },
    ]).onConflict('channel_id').merge(['conference_id', 'role', 'left_at']);
    try {
      await lc.ami.redirect({ channel: lc.caller.channel, extraChannel: operator.channel, context: 'hotline-conference', exten: c.room, priority: 1 });
    } catch (err) {
      await this.d.knex('call_conferences').where({ id: c.id }).update({ state: 'ended', ended_at: new Date() });
      throw LiveCalls.amiFailure(err, callId);
    }
    await this.ring(c, line.dial, emergency ? 'emergency' : 'expert', { HOTLINE_TICKET: ticketNo ?? '', HOTLINE_CONFERENCE: c.room });
    await this.d.audit.record({ actorUserId: user.id, actor: user.username, action: emergency ? 'call.emergency_conference' : 'call.conference', targetType: 'call', targetId: String(callId), requestId, details: { conferenceId: c.id, line: line.code, ticketNo } });
    this.notify(c, 'conference.started', `正在邀请${line.name}加入三方通话`);
    return this.get(c.id);
  }

  /** Originate a party into the room; its channel id is ours, so its events are matched at once. */
  private async ring(c: ConferenceRow, dial: string, role: LegRow['role'], variables: Record<string, string>): Promise<string> {
    const channelId = `conf${c.id}-${role}-${Date.now().toString(36)}${++this.seq}`;
    await this.d.knex('call_conference_legs').insert({ conference_id: c.id, role, channel_id: channelId, channel: null });
    const ami = this.live.ami(c.server_id);
    try {
      const { actionId } = await ami.originate({ channel: dial, context: 'hotline-conference', exten: c.room, priority: 1, callerId: '"12345热线" <12345>', variables, channelId, otherChannelId: dial.startsWith('Local/') ? `${channelId};2` : undefined, timeoutMs: 30_000 });
      this.originates.set(actionId, c.id);
    } catch (err) {
      await this.d.knex('call_conference_legs').where({ channel_id: channelId }).update({ left_at: new Date() });
      this.notify(c, 'conference.leg_failed', role === 'operator' ? '话务员回拨失败' : '专家座席未接通', { role });
      throw LiveCalls.amiFailure(err, c.call_id);
    }
    return channelId;
  }

  async operatorLeave(user: AuthUser, id: number): Promise<ConferenceRow & { legs: LegRow[] }> {
    const c = await this.active(id, user);
    const op = (await this.d.knex('call_conference_legs').where({ conference_id: id, role: 'operator' }).whereNull('left_at').whereNotNull('joined_at').orderBy('id', 'desc').first()) as LegRow | undefined;
    if (!op) throw conflict('conference.operator_absent', '话务员不在三方通话中', { id });
    await this.hangupLeg(c, op);
    this.notify(c, 'conference.operator_left', '话务员已退出,来电与专家继续通话');
    return this.get(id);
  }

  async operatorRejoin(user: AuthUser, id: number): Promise<ConferenceRow & { legs: LegRow[] }> {
    const c = await this.active(id, user);
    if (!user.extension) throw unprocessable('operator.no_extension', '您的账号未绑定话机分机', {});
    const present = await this.d.knex('call_conference_legs').where({ conference_id: id, role: 'operator' }).whereNull('left_at').first('id');
    if (present) throw conflict('conference.operator_present', '话务员已在三方通话中', { id });
    await this.ring(c, user.extension, 'operator', { HOTLINE_CONFERENCE: c.room });
    this.notify(c, 'conference.operator_rejoining', '正在回拨话务员加入三方通话');
    return this.get(id);
  }

  async hangupLegById(user: AuthUser, id: number, legId: number): Promise<ConferenceRow & { legs: LegRow[] }> {
    const c = await this.active(id, user);
    const l = await this.d.knex('call_conference_legs').where({ id: legId, conference_id: id }).first();
    if (!l) throw notFound('conference.leg_not_found', '该通话方不存在', { id, legId });
    if (l.left_at) throw conflict('conference.leg_gone', '该方已离开', { id, legId });
    if (l.role === 'caller') throw conflict('conference.caller_leg', '不能挂断来电方', { id, legId });
    await this.hangupLeg(c, leg(l));
    return this.get(id);
  }

  private async hangupLeg(c: ConferenceRow, l: LegRow) {
    const ami = this.live.ami(c.server_id);
    const ch = ami.view.channels.get(l.channel_id);
    if (!ch) {
      await this.d.knex('call_conference_legs').where({ id: l.id }).whereNull('left_at').update({ left_at: new Date() });
      throw conflict('call.gone', '该方通话已结束', { legId: l.id });
    }
    try {
      await ami.hangup(ch.channel);
    } catch (err) {
      throw LiveCalls.amiFailure(err, c.call_id);
    }
  }

  /**
   * An expert answers only in a conference their seat took part in: an expert leg that joined the room
   * on their own phone (channel `PJSIP/12348-…`), or — for a remote seat reached through a trunk
   * (`PJSIP/12348@carrier`, `Local/12348@hotline-experts`) — on the line that dials their number.
   */
  private async expertTookPart(user: AuthUser, c: ConferenceRow): Promise<boolean> {
    if (!user.extension || !hasAnyRole(user, ['expert'])) return false;
    const legs = (await this.d.knex('call_conference_legs').where({ conference_id: c.id, role: 'expert' }).whereNotNull('joined_at')) as LegRow[];
    if (!legs.length) return false;
    if (legs.some((l) => l.channel?.startsWith(`${user.extension}-`))) return true;
    const line = await this.d.lines.get(c.line_code).catch(() => null);
    const number = (dial: string) => dial.replace(/^[A-Za-z]+\//, '').split('@')[0];
    return !!line && number(line.dial) === number(user.extension);
  }

  /** The expert's answer goes on the ticket; `close` settles a consultation on the spot (即时办结). */
  async answer(user: AuthUser, id: number, body: { text: string; close?: boolean }, requestId?: string) {
    const c = await this.get(id);
    if (!hasAnyRole(user, SUPERVISING) && c.operator_user_id !== user.id) {
      // An expert answers only in a conference they took part in (their seat was one of its legs).
      if (!(await this.expertTookPart(user, c))) throw forbidden({ reason: 'not your conference', id });
    }
    if (!c.ticket_no) throw conflict('conference.no_ticket', '该三方通话没有关联工单', { id });
    const [row] = await this.d.knex('call_expert_answers').insert({ conference_id: id, ticket_no: c.ticket_no, user_id: user.id, text: body.text }).returning('*');
    await this.d.audit.record({ actorUserId: user.id, actor: user.username, action: 'ticket.expert_answer', targetType: 'ticket', targetId: c.ticket_no, requestId, details: { conferenceId: id, answerId: Number(row.id), line: c.line_code } });
    if (body.close) {
      const tickets = this.d.tickets();
      if (tickets) await tickets.act(c.ticket_no, { type: 'close_immediately', resolution: body.text, reason: `专家座席(${c.line_code})解答` }, actorOf(user, requestId));
    }
    this.notify(c, 'conference.answer', '专家已在工单中补充答复');
    return { id: Number(row.id), conferenceId: id, ticketNo: c.ticket_no, text: body.text, at: new Date(row.at).toISOString() };
  }

  private notify(c: ConferenceRow, kind: string, message: string, extra: Record<string, unknown> = {}) {
    const event = { kind, conferenceId: c.id, callId: c.call_id, line: c.line_code, emergency: c.emergency, ticketNo: c.ticket_no, message, ...extra };
    this.d.publish('queues', { kind: 'linkage', event });
    if (c.operator_user_id !== null) this.d.publish('operator', { operator: { userId: c.operator_user_id }, kind: 'linkage', event });
  }

  async handle(e: TelephonyEvent): Promise<void> {
    if ((e.type === 'BridgeEntered' || e.type === 'ChannelHungUp') && !(await this.anyActive())) return;
    if (e.type === 'BridgeEntered') return this.onJoined(e.serverId, e.channelId, e.channel);
    if (e.type === 'ChannelHungUp') return this.onLeft(e.channelId, e.cause, e.causeText);
    if (e.type === 'OriginateResult' && !e.success) {
      const id = this.originates.get(e.actionId);
      this.originates.delete(e.actionId);
      if (id === undefined) return;
      const c = await this.get(id);
      const pending = await this.d.knex('call_conference_legs').where({ conference_id: id }).whereNull('joined_at').whereNull('left_at').whereNot('role', 'caller');
      const reason = `未接通（${originateReason(e.reasonCode)}）`;
      for (const l of pending) await this.d.knex('call_conference_legs').where({ id: l.id }).update({ left_at: new Date(), left_reason: reason });
      this.notify(c, 'conference.leg_failed', `对方${reason},来电仍与您通话`, { reasonCode: e.reasonCode, reason });
      await this.ifCallerAlone(c);
    } else if (e.type === 'OriginateResult') this.originates.delete(e.actionId);
  }

  private async onJoined(serverId: string, channelId: string, channel: string) {
    const l = await this.d.knex('call_conference_legs').where({ channel_id: channelId }).whereNull('left_at').first();
    if (!l) return;
    const c = conf(await this.d.knex('call_conferences').where({ id: l.conference_id }).first());
    if (c.state !== 'active' || c.server_id !== serverId) return;
    await this.d.knex('call_conference_legs').where({ id: l.id }).update({ channel, joined_at: l.joined_at ?? new Date() });
    if (l.role === 'caller' || l.recording_name) return;
    // A segment per leg: named by room, role and leg, linked to the call (not the leg's own linkedid).
    const file = `hotline-conf/${c.room}-${l.role}-${l.id}.wav`;
    await this.d.recordings.started({ serverId, file, linkedid: c.linkedid, kind: 'segment', at: new Date() });
    await this.d.knex('call_conference_legs').where({ id: l.id }).update({ recording_name: file });
    await this.d.store.upsertLeg(this.d.knex, { callId: c.call_id, serverId, channelId, channel, role: l.role === 'operator' ? 'operator' : 'expert', startedAt: new Date(), answeredAt: new Date() });
    try {
      await this.live.ami(serverId).mixMonitor({ channel, file });
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message, conferenceId: c.id }, 'segment recording did not start');
      return;
    }
    const rec = await this.d.knex('recordings').where({ server_id: serverId, name: file }).first('id');
    const tickets = this.d.tickets();
    if (rec && c.ticket_no && tickets) await tickets.linkRecording(c.ticket_no, { recordingId: String(rec.id), linkedid: c.linkedid, meta: { conferenceId: c.id, role: l.role, legId: Number(l.id) } });
    this.notify(c, 'conference.joined', l.role === 'operator' ? '话务员已加入三方通话' : '专家已加入三方通话', { role: l.role, legId: Number(l.id) });
  }

  private async onLeft(channelId: string, cause?: number, causeText?: string) {
    const l = await this.d.knex('call_conference_legs').where({ channel_id: channelId }).whereNull('left_at').first();
    if (!l) return;
    // A party that hangs up before it ever entered the room did not take part: that is a failed
    // invitation, told to the operator with Asterisk's cause — never a silent "left".
    const neverJoined = !l.joined_at && l.role !== 'caller';
    const causeLabel = hangupCauseLabel(cause, causeText);
    const reason = neverJoined ? `未接通（${causeLabel}）` : causeLabel;
    await this.d.knex('call_conference_legs').where({ id: l.id }).update({ left_at: new Date(), left_reason: reason });
    const c = conf(await this.d.knex('call_conferences').where({ id: l.conference_id }).first());
    if (c.state !== 'active') return;
    if (neverJoined) {
      this.notify(c, 'conference.leg_failed', l.role === 'operator' ? `话务员回拨${reason}` : `${l.role === 'emergency' ? '紧急热线' : '专家座席'}${reason},来电仍与您通话`, { role: l.role, legId: Number(l.id), reason, cause });
      await this.ifCallerAlone(c);
      return;
    }
    if (l.role === 'caller') {
      // The citizen hung up: nobody stays behind in the room.
      await this.d.knex('call_conferences').where({ id: c.id }).update({ state: 'ended', ended_at: new Date() });
      const ami = this.live.ami(c.server_id);
      const rest = await this.d.knex('call_conference_legs').where({ conference_id: c.id }).whereNull('left_at');
      for (const r of rest) {
        const ch = ami.view.channels.get(r.channel_id);
        if (ch) await ami.hangup(ch.channel).catch(() => undefined);
      }
      this.notify(c, 'conference.ended', '三方通话已结束');
      return;
    }
    this.notify(c, 'conference.left', l.role === 'operator' ? '话务员已退出三方通话' : '专家已退出三方通话', { role: l.role, legId: Number(l.id) });
    await this.ifCallerAlone(c);
  }

  /** Nobody but the caller left in the room (and nobody on the way): back to the head of the queue. */
  private async ifCallerAlone(c: ConferenceRow) {
    const others = await this.d.knex('call_conference_legs').where({ conference_id: c.id }).whereNot('role', 'caller').whereNull('left_at').first('id');
    if (others) return;
    const caller = await this.d.knex('call_conference_legs').where({ conference_id: c.id, role: 'caller' }).whereNull('left_at').first();
    if (!caller) return;
    const ami = this.live.ami(c.server_id);
    const ch = ami.view.channels.get(caller.channel_id);
    await this.d.knex('call_conferences').where({ id: c.id }).update({ state: 'ended', ended_at: new Date() });
    if (ch) await ami.redirect({ channel: ch.channel, context: 'hotline-requeue', exten: 's', priority: 1 }).catch((err) => this.d.log.warn({ err: (err as Error).message }, 'requeue after three-way call failed'));
    this.notify(c, 'conference.requeued', '三方通话只剩来电方,已转回队列优先接听');
  }
}

/** Q.850 hangup causes an operator meets, in Chinese (Asterisk's Cause / Cause-txt). */
const CAUSES: Record<number, string> = {
  1: '号码不存在', 3: '无路由', 16: '正常挂机', 17: '对方忙', 18: '无响应', 19: '无人接听', 20: '用户不在线', 21: '呼叫被拒绝',
  27: '目的地故障', 28: '号码格式错误', 31: '正常', 34: '无可用线路', 38: '网络故障', 41: '临时故障', 42: '设备拥塞', 58: '承载能力不可用',
  66: '通道类型不支持', 102: '超时', 127: '互通失败',
};
export function hangupCauseLabel(cause?: number, causeText?: string): string {
  if (cause !== undefined && CAUSES[cause]) return CAUSES[cause];
  if (cause === undefined || cause === 0) return causeText ? `挂机（${causeText}）` : '挂机';
  return `原因码 ${cause}${causeText ? ` ${causeText}` : ''}`;
}

/** AMI OriginateResponse Reason (the channel's last state): 0 no such channel, 1 no answer… (include/asterisk/channel.h AST_CONTROL_*). */
function originateReason(code?: number): string {
  switch (code) {
    case 0: return '无法呼出';
    case 1: return '挂机';
    case 3: return '无人接听';
    case 5: return '对方忙';
    case 8: return '线路拥塞';
    default: return code === undefined ? '呼叫失败' : `呼叫失败，原因 ${code}`;
  }
}
