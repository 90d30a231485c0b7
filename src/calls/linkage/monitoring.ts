import { AuthUser } from '../../auth/roles';
import { conflict, notFound, unprocessable } from '../../http/errors';
import { TelephonyEvent } from '../../telephony';
import { SpyMode } from '../../telephony/ami-client';
import { LinkageDeps, LiveCalls } from './live';

export interface MonitorRow {
  id: number;
  call_id: number;
  supervisor_user_id: number;
  supervisor_interface: string;
  mode: SpyMode;
  target_channel: string;
  spy_channel_id: string;
  started_at: Date;
  ended_at: Date | null;
}

const row = (r: Record<string, unknown>): MonitorRow => ({ ...(r as unknown as MonitorRow), id: Number(r.id), call_id: Number(r.call_id), supervisor_user_id: Number(r.supervisor_user_id) });

/** ChanSpy options per mode: q quiet; w whisper to the spied channel (the operator) only; B barge. */
/**
 * ChanSpy options: q quiet, w whisper, B barge; E exits when the spied-on channel hangs up (without
 * it app_chanspy keeps scanning and the supervisor's leg stays up after the call); u: the spec is the
 * full channel name, not a prefix.
 */
const FLAGS: Record<SpyMode, string> = { listen: 'qEu', whisper: 'qwEu', barge: 'qBEu' };
const MODE_TEXT: Record<SpyMode, string> = { listen: '监听', whisper: '耳语', barge: '强插' };

/**
 * Supervisors (值班长) listen to, whisper to (heard by the operator only) or barge into any live call:
 * their phone is rung and runs ChanSpy on the operator's channel (capture 10). Asterisk's ChanSpy
 * events do not say the mode, so the mode is kept here. Every start, switch and stop is audited
 * and shown in the live feed; switching mode replaces the running session.
 */
export class MonitoringService {
  /** Spy channels Asterisk has now (from the event stream every instance reads), by channel id. */
  private readonly spies = new Set<string>();
  /** Whether any session was open at `at` (ms): the check is made at most once a second. */
  private open = { at: 0, any: false };

  constructor(private readonly d: LinkageDeps, private readonly live: LiveCalls) {}

  /**
   * Whether a hangup may end a session: a spy channel is up (one is created for every session, by
   * whichever instance started it), or a session is open in the records (one from before a restart).
   * Saves a database look-up per hangup on every instance when nobody listens in, the usual case.
   */
  private async mayBeSpiedOn(): Promise<boolean> {
    if (this.spies.size) return true;
    if (Date.now() - this.open.at > 1000) {
      const any = !!(await this.d.knex('call_monitor_sessions').whereNull('ended_at').first('id'));
      this.open = { at: Date.now(), any };
    }
    return this.open.any;
  }

  async forCall(callId: number): Promise<MonitorRow[]> {
    return (await this.d.knex('call_monitor_sessions').where({ call_id: callId }).orderBy('id')).map(row);
  }

  /**
   * `seat` is the phone the supervisor sits at this shift (their console names it); without it, the
   * extension on their account. Either way it is audited with the session.
   */
  async start(user: AuthUser, callId: number, mode: SpyMode, requestId?: string, seat?: string | null): Promise<MonitorRow> {
    const phone = seat || user.extension;
    if (!phone) throw unprocessable('monitor.no_extension', '您的账号未绑定用于监听的话机分机，请在工作台选择所坐席位', {});
    const seatUser: AuthUser & { extension: string } = { ...user, extension: phone };
    return this.startAt(seatUser, callId, mode, requestId);
  }

  private async startAt(user: AuthUser & { extension: string }, callId: number, mode: SpyMode, requestId?: string): Promise<MonitorRow> {
    const lc = await this.live.locate(callId, user);
    const operator = lc.operator!;
    const running = await this.d.knex('call_monitor_sessions').where({ call_id: callId, supervisor_user_id: user.id }).whereNull('ended_at');
    for (const r of running) await this.end(user, row(r), 'switched', requestId);
    const spyChannelId = `spy${callId}-${user.id}-${Date.now().toString(36)}`;
    const [inserted] = await this.d.knex('call_monitor_sessions').insert({
      call_id: callId, supervisor_user_id: user.id, supervisor_interface: user.extension, mode, target_channel: operator.channel, spy_channel_id: spyChannelId,
    }).returning('*');
    const s = row(inserted);
    // Audited before the supervisor can hear anything: no listening without a record of it (第二十七条).
    await this.d.audit.record({ actorUserId: user.id, actor: user.username, action: `call.monitor.${mode}`, targetType: 'call', targetId: String(callId), requestId, details: { sessionId: s.id, mode, target: operator.channel, supervisor: user.extension } });
    try {
      // AmiClient.chanSpy does the same Originate; here with our own channel id, so the session can be stopped.
      await lc.ami.originate({ channel: user.extension, application: 'ChanSpy', data: `${operator.channel},${FLAGS[mode]}`, callerId: `"${MODE_TEXT[mode]}" <${user.extension.replace(/^[A-Za-z]+\//, '')}>`, channelId: spyChannelId, timeoutMs: 20_000 });
    } catch (err) {
      await this.d.knex('call_monitor_sessions').where({ id: s.id }).update({ ended_at: new Date() });
      await this.d.audit.record({ actorUserId: user.id, actor: user.username, action: 'call.monitor.failed', targetType: 'call', targetId: String(callId), requestId, details: { sessionId: s.id, mode, error: (err as Error).message } });
      throw LiveCalls.amiFailure(err, callId);
    }
    this.notify(s, 'monitor.started', `值班长开始${MODE_TEXT[mode]}`);
    return s;
  }

  async stop(user: AuthUser, sessionId: number, requestId?: string): Promise<MonitorRow> {
    const r = await this.d.knex('call_monitor_sessions').where({ id: sessionId }).first();
    if (!r) throw notFound('monitor.not_found', '监听会话不存在', { id: sessionId });
    const s = row(r);
    if (s.ended_at) throw conflict('monitor.ended', '监听已结束', { id: sessionId });
    await this.end(user, s, 'stopped', requestId);
    return row(await this.d.knex('call_monitor_sessions').where({ id: sessionId }).first());
  }

  private async end(user: AuthUser, s: MonitorRow, why: string, requestId?: string) {
    // Closed first, so the spy's own hangup event does not report the same stop again.
    const n = await this.d.knex('call_monitor_sessions').where({ id: s.id }).whereNull('ended_at').update({ ended_at: new Date() });
    if (!n) return;
    const call = await this.live.call(s.call_id);
    const ami = this.live.ami(call.server_id);
    const spy = ami.view.channels.get(s.spy_channel_id);
    if (spy) await ami.hangup(spy.channel).catch((err) => this.d.log.warn({ err: (err as Error).message }, 'spy hangup failed'));
    await this.d.audit.record({ actorUserId: user.id, actor: user.username, action: 'call.monitor.stop', targetType: 'call', targetId: String(s.call_id), requestId, details: { sessionId: s.id, mode: s.mode, why } });
    this.notify(s, 'monitor.stopped', `值班长结束${MODE_TEXT[s.mode]}`);
  }

  /**
   * The spied-on channel hung up: the session ends now and the supervisor's leg is hung up, whatever
   * the ChanSpy options did (a spy started by an older service, or by hand, may lack E).
   */
  private async targetGone(serverId: string, channel: string): Promise<void> {
    if (!channel) return;
    const rows = await this.d.knex('call_monitor_sessions as m').join('calls as c', 'c.id', 'm.call_id')
      .where({ 'c.server_id': serverId, 'm.target_channel': channel }).whereNull('m.ended_at').select('m.*');
    for (const r of rows) {
      const s = row(r);
      if (!(await this.d.knex('call_monitor_sessions').where({ id: s.id }).whereNull('ended_at').update({ ended_at: new Date() }))) continue;
      const ami = this.live.ami(serverId);
      const spy = ami.view.channels.get(s.spy_channel_id);
      if (spy) await ami.hangup(spy.channel).catch((err) => this.d.log.warn({ err: (err as Error).message }, 'spy hangup failed'));
      await this.d.audit.record({ actorUserId: s.supervisor_user_id, actor: `user:${s.supervisor_user_id}`, action: 'call.monitor.stop', targetType: 'call', targetId: String(s.call_id), details: { sessionId: s.id, mode: s.mode, why: 'call_ended' } });
      this.notify(s, 'monitor.stopped', `通话已结束,${MODE_TEXT[s.mode]}结束`);
    }
  }

  private notify(s: MonitorRow, kind: string, message: string) {
    // The supervisors' live feed; operators are not told of a silent listen (that is its point).
    this.d.publish('queues', { kind: 'linkage', event: { kind, sessionId: s.id, callId: s.call_id, mode: s.mode, supervisorUserId: s.supervisor_user_id, message } });
  }

  async handle(e: TelephonyEvent): Promise<void> {
    if (e.type === 'ChannelCreated' && e.channelId.startsWith('spy')) this.spies.add(e.channelId);
    if (e.type !== 'ChannelHungUp') return;
    if (!e.channelId.startsWith('spy')) return (await this.mayBeSpiedOn()) ? this.targetGone(e.serverId, e.channel) : undefined;
    this.spies.delete(e.channelId);
    const r = await this.d.knex('call_monitor_sessions').where({ spy_channel_id: e.channelId }).whereNull('ended_at').first();
    if (!r) return;
    if (!(await this.d.knex('call_monitor_sessions').where({ id: r.id }).whereNull('ended_at').update({ ended_at: new Date() }))) return;
    await this.d.audit.record({ actorUserId: Number(r.supervisor_user_id), actor: `user:${r.supervisor_user_id}`, action: 'call.monitor.stop', targetType: 'call', targetId: String(r.call_id), details: { sessionId: Number(r.id), mode: r.mode, why: 'hangup' } });
    this.notify(row(r), 'monitor.stopped', `值班长结束${MODE_TEXT[r.mode as SpyMode]}`);
  }
}
