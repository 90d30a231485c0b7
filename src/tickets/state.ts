import {
  Category, Channel, DeadlineKind, DissatisfactionCause, NotAcceptedReason, SatisfactionLevel, TicketStatus, UNANSWERED, isSatisfied, STATUS_LABELS,
} from './model';
import { Limit, parseLimit, formatLimit } from './sla/clock';
import { LIMITS, handleLimit, returnLimit } from './sla/policy';

/**
 * The ticket lifecycle as an explicit, pure state machine: `transition(snapshot, event)` returns the
 * next snapshot plus the effects to persist (deadlines, unit assignments, SMS, visits), or a typed
 * refusal. No I/O, no clock reads: the event carries its time. The service persists every accepted
 * transition as an audited event and turns refusals into 409s.
 */

export type ActorKind = 'hotline' | 'unit_main' | 'unit_co' | 'system';

export interface Flow {
  /** 延期: a pending request and the total extra already granted (≤ 1× the original, 第二十一条(一)). */
  extensionPending?: { extra: string; reason: string; requestedAt: string } | null;
  extensionGranted?: number;
  /** 退单 request under review (第二十一条(二)); `late` = requested after the return limit (counts as overdue). */
  returnPending?: { reason: string; basis: string; suggestedUnit: string | null; requestedAt: string; late: boolean } | null;
  lateReturns?: number;
  redoCount?: number;
  urgeCount?: number;
  escalationLevel?: number;
  signed?: { at: string; deemed: boolean } | null;
  /** A dissatisfied SMS rating awaiting the manual callback (第二十二条(三) 评价为不满意的,及时人工回访). */
  smsDissatisfied?: SatisfactionLevel | null;
}

export interface TicketSnapshot {
  status: TicketStatus;
  emergency: boolean;
  category: Category;
  channel: Channel;
  mainUnit: string | null;
  coUnits: string[];
  /** The handling limit in force (policy, or a legal limit given at dispatch), e.g. "5wd". */
  handleLimit: string | null;
  flow: Flow;
  /** Due times of the open deadlines. */
  deadlines: Partial<Record<DeadlineKind, Date>>;
}

interface Base { at: Date; actor: ActorKind }
export type TicketEvent = Base &
  (
    | { type: 'accept' }
    | { type: 'not_accept'; reasonCode: NotAcceptedReason }
    | { type: 'close_immediately'; resolution: string }
    | { type: 'dispatch'; mainUnit: string; coUnits: string[]; legalLimit?: string | null }
    | { type: 'sign' }
    | { type: 'deem_signed' }
    | { type: 'feedback'; text: string }
    | { type: 'progress'; text: string }
    | { type: 'co_opinion'; text: string }
    | { type: 'request_extension'; extra: string; reason: string }
    | { type: 'approve_extension' }
    | { type: 'reject_extension'; reason: string }
    | { type: 'request_return'; reason: string; basis: string; suggestedUnit: string | null }
    | { type: 'approve_return' }
    | { type: 'reject_return'; reason: string }
    | { type: 'reply'; text: string }
    | { type: 'visit'; level: SatisfactionLevel; cause?: DissatisfactionCause | null }
    | { type: 'sms_rating'; level: SatisfactionLevel }
    /** A key pressed on the IVR satisfaction callback call ("非常满意请按1 …"), same rules as an SMS rating. */
    | { type: 'ivr_rating'; level: SatisfactionLevel }
    | { type: 'visit_timeout' }
    | { type: 'withdraw'; reason: string }
    | { type: 'urge'; note: string }
    | { type: 'escalate'; note: string }
    | { type: 'merge_into'; targetStatus: TicketStatus }
    /** One-key handover to 110/119/120/122: the matter is theirs, whatever state it was registered in (第十七条(四)). */
    | { type: 'emergency_handover'; line: string }
  );
export type EventType = TicketEvent['type'];

export type Effect =
  | { type: 'start_deadline'; kind: DeadlineKind; limit: Limit; from: Date }
  | { type: 'extend_deadline'; kind: DeadlineKind; extra: Limit }
  | { type: 'meet_deadline'; kind: DeadlineKind }
  | { type: 'cancel_deadlines'; kinds: DeadlineKind[] | 'all' }
  | { type: 'assign_units'; main: string; co: string[] }
  | { type: 'release_units' }
  | { type: 'send_result_sms' }
  | { type: 'record_visit'; level: SatisfactionLevel; channel: 'phone' | 'sms' | 'ivr' | 'default'; cause: DissatisfactionCause | null };

export interface Refusal {
  status: 403 | 409 | 422;
  id: string;
  message: string;
  state: TicketStatus;
  event: EventType;
}
export type TransitionResult = { ok: true; next: TicketSnapshot; effects: Effect[] } | { ok: false; refusal: Refusal };

/** Which states each event may leave, and who may send it. The table is the lifecycle. */
export const RULES: Record<EventType, { from: readonly TicketStatus[]; actors: readonly ActorKind[] }> = {
  accept: { from: ['received'], actors: ['hotline'] },
  not_accept: { from: ['received'], actors: ['hotline', 'system'] },
  close_immediately: { from: ['received', 'accepted'], actors: ['hotline'] },
  dispatch: { from: ['accepted'], actors: ['hotline'] },
  sign: { from: ['dispatched'], actors: ['unit_main', 'hotline'] },
  deem_signed: { from: ['dispatched'], actors: ['system'] },
  feedback: { from: ['dispatched', 'in_progress'], actors: ['unit_main'] },
  progress: { from: ['in_progress'], actors: ['unit_main', 'hotline'] },
  co_opinion: { from: ['dispatched', 'in_progress'], actors: ['unit_co'] },
  request_extension: { from: ['in_progress'], actors: ['unit_main'] },
  approve_extension: { from: ['in_progress'], actors: ['hotline'] },
  reject_extension: { from: ['in_progress'], actors: ['hotline'] },
  request_return: { from: ['dispatched', 'in_progress'], actors: ['unit_main'] },
  approve_return: { from: ['return_requested'], actors: ['hotline'] },
  reject_return: { from: ['return_requested'], actors: ['hotline'] },
  reply: { from: ['in_progress'], actors: ['unit_main'] },
  visit: { from: ['replied'], actors: ['hotline'] },
  sms_rating: { from: ['replied'], actors: ['system'] },
  ivr_rating: { from: ['replied'], actors: ['system'] },
  visit_timeout: { from: ['replied'], actors: ['system'] },
  withdraw: { from: ['received', 'accepted', 'dispatched', 'in_progress', 'return_requested'], actors: ['hotline'] },
  urge: { from: ['dispatched', 'in_progress', 'return_requested'], actors: ['hotline', 'system'] },
  escalate: { from: ['dispatched', 'in_progress', 'return_requested'], actors: ['hotline'] },
  // 第二十一条(一): 在未向诉求人回复办理结果之前 … 工单承办单位可作并案处理 — the hotline and the main unit.
  merge_into: { from: ['received', 'accepted', 'dispatched', 'in_progress'], actors: ['hotline', 'unit_main'] },
  emergency_handover: { from: ['received', 'accepted', 'dispatched', 'in_progress', 'return_requested'], actors: ['hotline'] },
};

const UNIT_DEADLINES: DeadlineKind[] = ['sign', 'feedback', 'return', 'handle'];

function refuse(s: TicketSnapshot, e: TicketEvent, id: string, message: string, status: Refusal['status'] = 409): TransitionResult {
  return { ok: false, refusal: { status, id, message, state: s.status, event: e.type } };
}

export function allowedEvents(status: TicketStatus): EventType[] {
  return (Object.keys(RULES) as EventType[]).filter((k) => RULES[k].from.includes(status));
}

export function transition(s: TicketSnapshot, e: TicketEvent): TransitionResult {
  const rule = RULES[e.type];
  if (!rule.from.includes(s.status)) {
    return refuse(s, e, 'ticket.illegal_transition', `工单当前状态为${STATUS_LABELS[s.status]}（${s.status}），不能执行 ${e.type}`);
  }
  if (!rule.actors.includes(e.actor)) {
    return refuse(s, e, 'ticket.not_your_action', `${e.actor} 不能执行 ${e.type}`, 403);
  }
  const next: TicketSnapshot = { ...s, flow: { ...s.flow }, coUnits: [...s.coUnits], deadlines: { ...s.deadlines } };
  const fx: Effect[] = [];
  const go = (status: TicketStatus) => {
    next.status = status;
    return { ok: true as const, next, effects: fx };
  };
  const f = next.flow;
  switch (e.type) {
    case 'accept':
      return go('accepted');
    case 'not_accept':
      fx.push({ type: 'cancel_deadlines', kinds: 'all' });
      return go('not_accepted');
    case 'close_immediately':
      // 第二十条(四)2: answered without dispatch; the visit of 第二十二条(三) still follows.
      fx.push({ type: 'meet_deadline', kind: 'dispatch' }, { type: 'start_deadline', kind: 'callback', limit: LIMITS.callback, from: e.at }, { type: 'send_result_sms' });
      return go('replied');
    case 'dispatch': {
      if (e.coUnits.includes(e.mainUnit)) return refuse(s, e, 'ticket.main_unit_also_co_unit', '主办单位不能同时作为协办单位', 422);
      let limit: Limit;
      try {
        limit = e.legalLimit ? parseLimit(e.legalLimit) : handleLimit(s);
      } catch (err) {
        return refuse(s, e, 'ticket.bad_limit', `时限格式错误：${(err as Error).message}`, 422);
      }
      next.mainUnit = e.mainUnit;
      next.coUnits = [...e.coUnits];
      next.handleLimit = formatLimit(limit);
      f.signed = null;
      fx.push(
        { type: 'meet_deadline', kind: 'dispatch' },
        { type: 'assign_units', main: e.mainUnit, co: e.coUnits },
        { type: 'start_deadline', kind: 'sign', limit: LIMITS.sign, from: e.at },
        { type: 'start_deadline', kind: 'return', limit: returnLimit(s.emergency), from: e.at },
        { type: 'start_deadline', kind: 'handle', limit, from: e.at },
      );
      if (s.emergency) fx.push({ type: 'start_deadline', kind: 'feedback', limit: LIMITS.emergencyFeedback, from: e.at });
      return go('dispatched');
    }
    case 'sign':
    case 'deem_signed':
      // 第二十一条(一): 如未按时签收,视为受理该件.
      f.signed = { at: e.at.toISOString(), deemed: e.type === 'deem_signed' };
      fx.push({ type: 'meet_deadline', kind: 'sign' });
      return go('in_progress');
    case 'feedback':
      fx.push({ type: 'meet_deadline', kind: 'feedback' });
      return go(s.status);
    case 'progress':
    case 'co_opinion':
      return go(s.status);
    case 'request_extension': {
      if (f.extensionPending) return refuse(s, e, 'ticket.extension_pending', '已有延期申请等待审批');
      const due = s.deadlines.handle;
      if (!due || e.at >= due) return refuse(s, e, 'ticket.extension_after_deadline', '延期申请须在办理时限内提出 (第二十一条(一))');
      let extra: Limit;
      try {
        extra = parseLimit(e.extra);
      } catch (err) {
        return refuse(s, e, 'ticket.bad_limit', `时限格式错误：${(err as Error).message}`, 422);
      }
      const original = parseLimit(s.handleLimit ?? '5wd');
      if (extra.unit !== original.unit) return refuse(s, e, 'ticket.bad_limit', `延期时限的单位必须与原时限相同（${original.unit}）`, 422);
      if ((f.extensionGranted ?? 0) + extra.amount > original.amount) {
        return refuse(s, e, 'ticket.extension_too_long', `延长时限不得超过原办理时限的1倍 (${formatLimit(original)}) (第二十一条(一))`);
      }
      f.extensionPending = { extra: e.extra, reason: e.reason, requestedAt: e.at.toISOString() };
      return go(s.status);
    }
    case 'approve_extension':
    case 'reject_extension': {
      const p = f.extensionPending;
      if (!p) return refuse(s, e, 'ticket.no_pending_extension', '没有待审批的延期申请');
      f.extensionPending = null;
      if (e.type === 'approve_extension') {
        const extra = parseLimit(p.extra);
        f.extensionGranted = (f.extensionGranted ?? 0) + extra.amount;
        fx.push({ type: 'extend_deadline', kind: 'handle', extra });
      }
      return go(s.status);
    }
    case 'request_return': {
      if (!e.reason.trim() || !e.basis.trim()) return refuse(s, e, 'ticket.return_needs_reason', '退单应注明退回理由和依据 (第二十一条(二))', 422);
      // 第二十一条(二): 退单应注明退回理由和依据,并提出转送建议.
      if (!e.suggestedUnit?.trim()) return refuse(s, e, 'ticket.return_needs_suggestion', '退单应提出转送建议（建议转送的单位） (第二十一条(二))', 422);
      if (e.suggestedUnit === s.mainUnit) return refuse(s, e, 'ticket.return_suggests_itself', '转送建议不能是本单位 (第二十一条(二))', 422);
      const due = s.deadlines.return;
      // 第二十一条(二): 超期退回的视为逾期办件 — allowed, but counted as overdue.
      const late = !due || e.at > due;
      f.returnPending = { reason: e.reason, basis: e.basis, suggestedUnit: e.suggestedUnit, requestedAt: e.at.toISOString(), late };
      if (late) f.lateReturns = (f.lateReturns ?? 0) + 1;
      fx.push({ type: 'meet_deadline', kind: 'return' });
      return go('return_requested');
    }
    case 'approve_return':
      // 退回工单不计入该单位承办量: the unit is released and the hotline dispatches again within 2 hours.
      f.returnPending = null;
      next.mainUnit = null;
      next.coUnits = [];
      next.handleLimit = null;
      f.signed = null;
      f.extensionPending = null;
      f.extensionGranted = 0;
      fx.push({ type: 'cancel_deadlines', kinds: UNIT_DEADLINES }, { type: 'release_units' }, { type: 'start_deadline', kind: 'dispatch', limit: LIMITS.dispatch, from: e.at });
      return go('accepted');
    case 'reject_return':
      f.returnPending = null;
      if (!f.signed) f.signed = { at: e.at.toISOString(), deemed: true };
      fx.push({ type: 'meet_deadline', kind: 'sign' });
      return go('in_progress');
    case 'reply':
      if (!e.text.trim()) return refuse(s, e, 'ticket.reply_empty', '答复内容不能为空', 422);
      f.extensionPending = null;
      fx.push(
        { type: 'meet_deadline', kind: 'handle' },
        { type: 'meet_deadline', kind: 'feedback' },
        { type: 'cancel_deadlines', kinds: ['return', 'sign'] },
        { type: 'start_deadline', kind: 'callback', limit: LIMITS.callback, from: e.at },
        { type: 'send_result_sms' },
      );
      return go('replied');
    case 'visit': {
      if (isSatisfied(e.level)) {
        fx.push({ type: 'meet_deadline', kind: 'callback' }, { type: 'record_visit', level: e.level, channel: 'phone', cause: null });
        return go('closed');
      }
      if (!e.cause) return refuse(s, e, 'ticket.cause_required', '评价为不满意的,须注明不满意原因 (第二十二条(三))', 422);
      fx.push({ type: 'meet_deadline', kind: 'callback' }, { type: 'record_visit', level: e.level, channel: 'phone', cause: e.cause });
      f.smsDissatisfied = null;
      if (e.cause === 'unit') {
        // 第二十二条(三): 因承办单位未履职尽责…造成不满意的, 发回重办, 再次回访.
        f.redoCount = (f.redoCount ?? 0) + 1;
        fx.push({ type: 'start_deadline', kind: 'handle', limit: parseLimit(s.handleLimit ?? '5wd'), from: e.at });
        return go('in_progress');
      }
      return go('closed');
    }
    case 'sms_rating':
    case 'ivr_rating':
      fx.push({ type: 'meet_deadline', kind: 'callback' });
      if (isSatisfied(e.level)) {
        fx.push({ type: 'record_visit', level: e.level, channel: e.type === 'sms_rating' ? 'sms' : 'ivr', cause: null });
        return go('closed');
      }
      f.smsDissatisfied = e.level;
      return go('replied');
    case 'visit_timeout':
      // 第二十二条(三): 诉求人24小时内未回复的,默认为满意. Not when the caller did answer "dissatisfied".
      if (f.smsDissatisfied) return refuse(s, e, 'ticket.visit_answered', '来电人已答复，需人工回访');
      fx.push({ type: 'meet_deadline', kind: 'callback' }, { type: 'record_visit', level: 'satisfied', channel: 'default', cause: null });
      return go('closed');
    case 'withdraw':
      fx.push({ type: 'cancel_deadlines', kinds: 'all' }, { type: 'release_units' });
      return go('withdrawn');
    case 'emergency_handover':
      fx.push({ type: 'cancel_deadlines', kinds: 'all' });
      if (s.mainUnit || s.coUnits.length) fx.push({ type: 'release_units' });
      return go('not_accepted');
    case 'urge':
      f.urgeCount = (f.urgeCount ?? 0) + 1;
      return go(s.status);
    case 'escalate':
      f.escalationLevel = (f.escalationLevel ?? 0) + 1;
      return go(s.status);
    case 'merge_into':
      if (!UNANSWERED.includes(e.targetStatus) || e.targetStatus === 'received') {
        return refuse(s, e, 'ticket.merge_target_answered', `并案仅限尚未答复诉求人的已受理工单 (target is ${e.targetStatus}) (第二十一条(一))`);
      }
      fx.push({ type: 'cancel_deadlines', kinds: 'all' }, { type: 'release_units' });
      return go('merged');
  }
}
