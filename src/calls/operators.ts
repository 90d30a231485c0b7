import { Knex } from 'knex';
import { AuthUser } from '../auth/roles';
import { badRequest, conflict } from '../http/errors';
import { Logger } from '../logging/logger';
import { LiveStore } from '../live/store';
import { maskPhone } from '../logging/mask';
import { TelephonyEvent } from '../telephony';
import { CentreDirectory } from './centres';
import { OperatorEvent, OperatorState, PAUSE_REASONS, PauseReason, allowedEvents, nextOperatorState } from './operator-state';
import { PbxControl } from './pbx';

export interface OperatorView {
  userId: number;
  username: string;
  displayName: string;
  interface: string;
  serverId: string;
  queues: string[];
  state: OperatorState;
  reason: PauseReason | null;
  reasonLabel: string | null;
  /** Epoch ms of the last state change. */
  since: number;
  /** A pause asked for during a call, applied when the call ends. */
  pendingPause: PauseReason | null;
  /** The operator's own channel in the call they answered, and that call's linkedid (state follows this leg). */
  callChannelId?: string | null;
  callLinkedId?: string | null;
  /** The call ringing or answered at this operator's phone (for the screen pop, 来电弹屏), if any. */
  call?: OperatorCall | null;
}

/** The call at an operator's phone, as Asterisk reported it (AgentCalled / AgentConnect). No personal data. */
export interface OperatorCall {
  serverId: string;
  linkedid: string;
  channelId: string;
  queue: string;
  state: 'ringing' | 'answered';
  /**
   * The caller's number as Asterisk named it when the phone began ringing (AgentCalled). The screen
   * pop shows it until the call record, written by another consumer of the same events, has it.
   */
  callerNumber?: string | null;
  /** Epoch ms: when it began ringing at this phone, then when it was answered. */
  since: number;
}

/**
 * The operator as the wallboard (supervisors, admins) sees them: the caller's number at their phone
 * masked, as for the waiting callers (第二十七条). Only the operator's own feed carries it unmasked.
 */
export function boardView(op: OperatorView): OperatorView {
  return op.call?.callerNumber ? { ...op, call: { ...op.call, callerNumber: maskPhone(op.call.callerNumber) } } : op;
}

const KEY = (userId: number) => `op:${userId}`;
const IFACE = (serverId: string, iface: string) => `opif:${serverId}:${iface}`;
/** An operator's answered leg → the operator, so the leg's own hangup ends their call. */
const LEG = (serverId: string, channelId: string) => `opleg:${serverId}:${channelId}`;
// Kept apart from the operator's state so concurrent updates of the two never overwrite each other.
const CALL = (userId: number) => `opcall:${userId}`;

/**
 * Operators on softphones: login/logout/ready/pause through REST and WebSocket, mirrored into
 * Asterisk queue membership (QueueAdd/QueuePause with the reason), and kept in the live store so a
 * restarted service (or another instance) knows every operator's state. Asterisk's member status
 * drives ringing / on call; wrap-up (话后处理) follows each call.
 */
export class OperatorService {
  private readonly wrapupTimers = new Map<number, NodeJS.Timeout>();
  private stopped = false;
  private readonly listeners: Array<(op: OperatorView) => void> = [];

  constructor(
    private readonly knex: Knex,
    private readonly live: LiveStore,
    private readonly pbx: PbxControl,
    private readonly centres: CentreDirectory,
    private readonly log: Logger,
    readonly wrapupSeconds: number,
  ) {}

  onChange(fn: (op: OperatorView) => void) {
    this.listeners.push(fn);
  }

  async get(userId: number): Promise<OperatorView | null> {
    const h = await this.live.hgetall(KEY(userId));
    return h.userId ? this.withCall(JSON.parse(h.json) as OperatorView) : null;
  }

  async list(): Promise<OperatorView[]> {
    const keys = await this.live.keys('op:*');
    const ops = await Promise.all(keys.map(async (k) => JSON.parse((await this.live.hgetall(k)).json ?? 'null') as OperatorView | null));
    return Promise.all(ops.filter((o): o is OperatorView => !!o).sort((a, b) => a.userId - b.userId).map((o) => this.withCall(o)));
  }

  /** The call at the operator's phone, if any (see OperatorCall). */
  async currentCall(userId: number): Promise<OperatorCall | null> {
    const raw = await this.live.get(CALL(userId));
    return raw ? (JSON.parse(raw) as OperatorCall) : null;
  }

  private async withCall(op: OperatorView): Promise<OperatorView> {
    op.call = await this.currentCall(op.userId);
    return op;
  }

  private async setCall(userId: number, call: OperatorCall | null) {
    if (call) await this.live.set(CALL(userId), JSON.stringify(call));
    else await this.live.del(CALL(userId));
    const op = await this.get(userId);
    if (op) for (const l of this.listeners) l(op);
  }

  private serverFor(user: AuthUser): string {
    const centre = this.centres.byCode(user.centre);
    const id = centre?.serverId ?? this.pbx.serverIds()[0];
    if (!id) throw conflict('telephony.not_configured', '未配置 Asterisk 服务器（ASTERISK_SERVERS）');
    return id;
  }

  async login(user: AuthUser, opts: { queues?: string[] } = {}): Promise<OperatorView> {
    if (!user.extension) throw badRequest('operator.no_extension', '该账号未绑定软电话分机', { userId: user.id });
    const existing = await this.get(user.id);
    if (existing && existing.state !== 'logged_out') throw conflict('operator.already_logged_in', '已签入', { state: existing.state });
    const centre = this.centres.byCode(user.centre);
    // An operator takes the calls of their own centre (its queue and the backup it overflows to); an
    // expert seat also its expert queue. Without a centre, any centre queue.
    const allowed = centre ? [centre.queue, ...(centre.backupQueue ? [centre.backupQueue] : [])] : this.centres.queues();
    if (user.roles.includes('expert')) allowed.push('q-expert-12333', 'q-expert-12348');
    const queues = opts.queues?.length ? [...new Set(opts.queues)] : centre ? [centre.queue] : [];
    const refused = queues.filter((q) => !allowed.includes(q));
    if (!queues.length || refused.length) throw badRequest('operator.bad_queues', '队列不存在或属于其他中心', { refused, allowed });
    const serverId = this.serverFor(user);
    for (const queue of queues) await this.pbx.queueAdd(serverId, { queue, memberInterface: user.extension, memberName: user.displayName });
    const op: OperatorView = { userId: user.id, username: user.username, displayName: user.displayName, interface: user.extension, serverId, queues, state: 'logged_out', reason: null, reasonLabel: null, since: Date.now(), pendingPause: null };
    await this.live.set(IFACE(serverId, user.extension), String(user.id));
    return this.apply(op, 'login');
  }

  async logout(user: AuthUser): Promise<OperatorView> {
    const op = await this.require(user.id, 'logout');
    for (const queue of op.queues) await this.pbx.queueRemove(op.serverId, { queue, memberInterface: op.interface }).catch((err) => this.log.warn({ err: (err as Error).message, queue }, 'queue remove failed'));
    await this.live.del(IFACE(op.serverId, op.interface));
    await this.live.del(CALL(op.userId));
    return this.apply(op, 'logout', null);
  }

  async pause(user: AuthUser, reason: PauseReason): Promise<OperatorView> {
    if (typeof reason !== 'string' || !Object.prototype.hasOwnProperty.call(PAUSE_REASONS, reason)) throw badRequest('operator.bad_reason', '未知的小休原因', { allowed: Object.keys(PAUSE_REASONS) });
    const op = await this.require(user.id, 'pause');
    if (op.state === 'on_call') {
      // Asterisk would pause at once; the caller stays connected and the pause starts after the call.
      op.pendingPause = reason;
      await this.save(op);
      return op;
    }
    await this.pbx.queuePause(op.serverId, { memberInterface: op.interface, paused: true, reason: PAUSE_REASONS[reason] });
    return this.apply(op, 'pause', reason);
  }

  async ready(user: AuthUser): Promise<OperatorView> {
    const op = await this.require(user.id, 'ready');
    await this.pbx.queuePause(op.serverId, { memberInterface: op.interface, paused: false });
    op.pendingPause = null;
    return this.apply(op, 'ready', null);
  }

  private async require(userId: number, event: OperatorEvent): Promise<OperatorView> {
    const op = await this.get(userId);
    if (!op || op.state === 'logged_out') throw conflict('operator.not_logged_in', '请先签入', { state: 'logged_out' });
    if (!nextOperatorState(op.state, event)) throw conflict('operator.illegal_transition', `当前状态（${op.state}）不能执行 ${event}`, { state: op.state, allowed: allowedEvents(op.state) });
    return op;
  }

  private async save(op: OperatorView) {
    // The current call has a key of its own (CALL); it is joined in on read.
    const { call: _call, ...state } = op;
    await this.live.hset(KEY(op.userId), { userId: String(op.userId), json: JSON.stringify(state) });
  }

  /** Apply a transition: log it, persist it, mirror it to the live store, tell listeners. */
  private async apply(op: OperatorView, event: OperatorEvent, reason?: PauseReason | null): Promise<OperatorView> {
    const to = nextOperatorState(op.state, event);
    if (!to) return op;
    const from = op.state;
    op.state = to;
    if (reason !== undefined) {
      op.reason = reason;
      op.reasonLabel = reason ? PAUSE_REASONS[reason] : null;
    }
    if (to !== 'paused' && to !== 'on_call' && to !== 'wrapup') {
      op.reason = null;
      op.reasonLabel = null;
    }
    op.since = Date.now();
    if (to !== 'on_call') { op.callChannelId = null; op.callLinkedId = null; }
    if (to === 'logged_out') await this.live.del(KEY(op.userId));
    else await this.save(op);
    await this.knex('operator_states').insert({ user_id: op.userId, from_state: from, event, to_state: to, reason: op.reason });
    this.log.info({ userId: op.userId, transition: `${from} -[${event}]-> ${to}`, reason: op.reason }, 'operator transition');
    this.scheduleWrapup(op);
    for (const l of this.listeners) l(op);
    return op;
  }

  private scheduleWrapup(op: OperatorView) {
    const t = this.wrapupTimers.get(op.userId);
    if (t) clearTimeout(t);
    this.wrapupTimers.delete(op.userId);
    // A transition still finishing as the service stops arms nothing: the next start re-arms it (rebuild).
    if (op.state !== 'wrapup' || this.stopped) return;
    const timer = setTimeout(() => this.endWrapup(op.userId).catch((err) => this.log.warn({ err: (err as Error).message, userId: op.userId }, 'end of wrap-up failed')), Math.max(0, op.since + this.wrapupSeconds * 1000 - Date.now()));
    timer.unref();
    this.wrapupTimers.set(op.userId, timer);
  }

  private async endWrapup(userId: number) {
    this.wrapupTimers.delete(userId);
    const op = await this.get(userId);
    if (!op || op.state !== 'wrapup') return;
    if (op.pendingPause) {
      const reason = op.pendingPause;
      op.pendingPause = null;
      await this.pbx.queuePause(op.serverId, { memberInterface: op.interface, paused: true, reason: PAUSE_REASONS[reason] }).catch(() => undefined);
      await this.apply(op, 'pause', reason);
    } else await this.apply(op, 'wrapup_done');
  }

  private telephonyChain: Promise<unknown> = Promise.resolve();

  /**
   * Asterisk's view of a member moves the operator: ringing, answered, call over. Applied one event
   * after another in Asterisk's order: a ring and its answer 50 ms apart must not land swapped.
   *
   * The call is over for the operator when their own leg ends (hangup after a transfer, a Redirect,
   * or the caller's hangup): Asterisk sends the member's AgentComplete only when the *caller* finally
   * hangs up (capture 13), so waiting for it would keep a transferring operator on_call. A late
   * AgentComplete of an earlier call never ends the call the operator is in now.
   */
  onTelephony(e: TelephonyEvent): Promise<void> {
    // Only a leg's hangup and the member events move an operator: the others skip the queue.
    if (e.type !== 'ChannelHungUp' && !('memberInterface' in e && e.memberInterface)) return Promise.resolve();
    const next = this.telephonyChain.then(() => this.applyTelephony(e));
    this.telephonyChain = next.catch(() => undefined);
    return next;
  }

  private async applyTelephony(e: TelephonyEvent): Promise<void> {
    if (e.type === 'ChannelHungUp') return this.legEnded(e.serverId, e.channelId);
    if (!('memberInterface' in e) || !e.memberInterface) return;
    const id = await this.live.get(IFACE(e.serverId, e.memberInterface));
    if (!id) return;
    const op = await this.get(Number(id));
    if (!op) return;
    if (e.type === 'MemberRinging') {
      // AgentCalled: the member's phone is being rung. With device_state_busy_at=1 the member's
      // status says 3 (busy) while it rings, never 6, so this is where ringing shows. The screen pop
      // (来电弹屏) starts here too: Asterisk names the caller's channel ringing this phone.
      if (e.linkedId) {
        const call: OperatorCall = { serverId: e.serverId, linkedid: e.linkedId, channelId: e.channelId, queue: e.queue, state: 'ringing', since: e.at, callerNumber: e.callerNumber ?? null };
        await this.setCall(op.userId, call);
        op.call = call; // the state change below is published with the call it is about
      }
      await this.apply(op, 'ring');
    } else if (e.type === 'QueueMemberStatusChanged') {
      if (e.status === 6 || e.status === 7) await this.apply(op, 'ring');
      else if (e.status === 1 && op.state === 'ringing') {
        // The caller went to another operator or hung up before anyone answered.
        if (op.call?.state === 'ringing') {
          await this.live.del(CALL(op.userId));
          op.call = null;
        }
        await this.apply(op, 'ring_stopped');
      }
    } else if (e.type === 'OperatorAnswered') {
      op.callChannelId = e.memberChannelId ?? null;
      op.callLinkedId = e.linkedId ?? null;
      // Expires on its own: a leg whose hangup we missed (service down) must not linger in Redis.
      if (e.memberChannelId) await this.live.set(LEG(e.serverId, e.memberChannelId), String(op.userId), 12 * 3600);
      const linkedid = e.linkedId ?? op.call?.linkedid;
      if (linkedid) {
        const call: OperatorCall = { serverId: e.serverId, linkedid, channelId: e.channelId, queue: e.queue, state: 'answered', since: e.at, callerNumber: op.call?.linkedid === linkedid ? op.call.callerNumber ?? null : null };
        await this.setCall(op.userId, call);
        op.call = call;
      }
      const before = op.state;
      await this.apply(op, 'answer');
      if (op.state === before) await this.save(op); // keep the leg even when the state did not move
    } else if (e.type === 'CallCompleted') {
      const sameCall = (!op.callChannelId && !op.callLinkedId)
        || (!!e.memberChannelId && e.memberChannelId === op.callChannelId)
        || (!e.memberChannelId && !!e.linkedId && e.linkedId === op.callLinkedId);
      if (sameCall) {
        await this.live.del(CALL(op.userId));
        op.call = null;
        if (op.state === 'on_call') await this.apply(op, 'call_ended');
      }
    } else if (e.type === 'QueueMemberPaused' && !e.paused && op.state === 'paused') await this.apply(op, 'ready', null);
  }

  /**
   * Asterisk rang the operator's phone back and it was answered (a consultation they left failed:
   * bridge_basic.c RECALLING): they are on that call again, on the new leg `legChannelId`, until it
   * ends (then wrap-up). Applied in the order of the telephony events. Unknown interface: nothing.
   */
  recalled(serverId: string, iface: string, legChannelId: string, call: Omit<OperatorCall, 'state' | 'since'>, at: number): Promise<void> {
    const next = this.telephonyChain.then(async () => {
      const id = await this.live.get(IFACE(serverId, iface));
      const op = id ? await this.get(Number(id)) : null;
      if (!op || op.state === 'logged_out') return;
      op.callChannelId = legChannelId;
      op.callLinkedId = call.linkedid;
      await this.live.set(LEG(serverId, legChannelId), String(op.userId), 12 * 3600);
      const current: OperatorCall = { ...call, state: 'answered', since: at };
      await this.setCall(op.userId, current);
      op.call = current;
      const before = op.state;
      await this.apply(op, 'answer');
      if (op.state === before) await this.save(op);
    });
    this.telephonyChain = next.catch(() => undefined);
    return next;
  }

  private async legEnded(serverId: string, channelId: string): Promise<void> {
    const id = await this.live.get(LEG(serverId, channelId));
    if (!id) return;
    await this.live.del(LEG(serverId, channelId));
    const op = await this.get(Number(id));
    if (!op || op.callChannelId !== channelId) return;
    await this.live.del(CALL(op.userId));
    op.call = null;
    if (op.state === 'on_call') await this.apply(op, 'call_ended');
  }

  /**
   * After a (re)connect: what Asterisk says about each operator's membership wins over what we
   * remembered. A call that ended while we were away ends now (wrap-up follows); a member removed
   * elsewhere is logged out; a pause set on the phone is taken over.
   */
  async reconcileWithAsterisk(serverId: string): Promise<number> {
    const members = this.pbx.members(serverId);
    let changed = 0;
    for (const op of await this.list()) {
      if (op.serverId !== serverId) continue;
      const mine = members.filter((m) => m.memberInterface.toLowerCase() === op.interface.toLowerCase());
      const before = op.state;
      if (!mine.length) {
        await this.live.del(IFACE(op.serverId, op.interface));
        await this.apply(op, 'logout', null);
      } else {
        const inCall = mine.some((m) => m.inCall || m.status === 2);
        const ringing = mine.some((m) => m.status === 6 || m.status === 7);
        const paused = mine.every((m) => m.paused);
        if (!inCall && !ringing) await this.live.del(CALL(op.userId));
        if (op.state === 'on_call' && !inCall) await this.apply(op, 'call_ended');
        else if (op.state === 'ringing' && !ringing) await this.apply(op, inCall ? 'answer' : 'ring_stopped');
        else if ((op.state === 'ready' || op.state === 'wrapup') && inCall) await this.apply(op, 'answer');
        else if (op.state === 'ready' && paused) await this.apply(op, 'pause', 'other');
        else if (op.state === 'paused' && !paused) await this.apply(op, 'ready', null);
      }
      if (op.state !== before) changed++;
    }
    return changed;
  }

  /** After a restart: wrap-ups that ended while we were away end now; timers are re-armed. */
  async rebuild(): Promise<number> {
    const ops = await this.list();
    for (const op of ops) this.scheduleWrapup(op);
    return ops.length;
  }

  stop() {
    this.stopped = true;
    for (const t of this.wrapupTimers.values()) clearTimeout(t);
    this.wrapupTimers.clear();
  }
}
