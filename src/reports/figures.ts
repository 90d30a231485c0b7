import { latestVisitsSql, SATISFACTION_PREDICATES } from '../tickets/satisfaction';
import { LOCAL_SOURCES, ReportSources } from './sources';
import { NOT_ACCEPTED_REASON_CODES, NotAcceptedReason } from '../tickets/model';

/**
 * Every figure of a report is the number of distinct rows (call ids, ticket numbers, knowledge
 * question ids) in a set of "facts" defined here in SQL, so the same definition gives the count,
 * the breakdown by centre / unit / category / domain / region, and the drill-down to the rows
 * behind it (第二十六条 统计分析). Facts belong to the period by the time of the fact itself (the
 * call's start, the event, the deadline's end), in [from, to).
 */
export type FigureSource = 'calls' | 'tickets' | 'knowledge';

export interface FigureDef {
  id: string;
  /** The Chinese heading (report pages, xlsx). */
  label: string;
  source: FigureSource;
}

export interface RateDef {
  id: string;
  label: string;
  numerator: string;
  /** Summed figures. */
  denominator: string[];
}

export interface FactWindow {
  from: Date;
  to: Date;
  /** Open deadlines past due by this time count as overdue. */
  asOf: Date;
  /** Only this centre's calls and tickets. */
  centre?: string | null;
  /** The tables to read (the city reads its own rows and its counties' pushed ones); its own by default. */
  sources?: ReportSources;
}

const NOT_ACCEPTED_SHORT: Record<NotAcceptedReason, string> = {
  outside_jurisdiction: '非本市管辖', legal_procedure: '须经法定程序', secrets_or_privacy: '涉密或个人隐私', emergency_line: '属紧急热线',
  abuse_or_repeated_after_closure: '违背公序良俗或办结后重复', unclear_matter: '诉求不清', duplicate_in_progress: '同一事项办理中', other_legal: '其他依法不予受理',
};

interface Part {
  figure: FigureDef;
  /** Columns: ref, centre, unit, category, domain. Binds in order. */
  sql: string;
  binds: Array<Date | string>;
  /** A ticket fact before its ticket is joined (columns ticket_no, unit): factsSql joins the tickets once for all of them. */
  ticket?: { sql: string; binds: Array<Date | string> };
}

/**
 * The main handling unit of a ticket at an instant: the assignment that covers it. An assignment
 * released at that very instant still counts (an approved return is the released unit's fact).
 */
const unitAt = (S: ReportSources, ticket: string, at: string) =>
  `(select u.unit_code from ${S.units} u where u.ticket_no = ${ticket} and u.role = 'main' and u.assigned_at <= ${at} and (u.released_at is null or u.released_at >= ${at}) order by u.assigned_at desc, u.id desc limit 1)`;

const F = (id: string, label: string, source: FigureSource): FigureDef => ({ id, label, source });

export const CALL_FIGURES = {
  offered: F('callsOffered', '话务量', 'calls'),
  answered: F('callsAnswered', '接通量', 'calls'),
  in15s: F('callsAnsweredIn15s', '15秒内接通量', 'calls'),
  abandoned: F('callsAbandoned', '放弃量', 'calls'),
  deflected: F('callsDeflected', '忙时分流量', 'calls'),
  connected24h: F('callsConnected24h', '24小时内接通量', 'calls'),
};

/**
 * Calls offered (呼入话务量): finished calls that asked for an operator — answered, transferred,
 * abandoned in the queue, or sent to the busy fallback (提示/短信/留言). Calls refused as restricted
 * (第三十三条) and calls that ended in the IVR before queueing are not offered.
 */
const OFFERED = `c.outcome in ('answered','transferred','abandoned','fallback','fallback-sms','fallback-message')`;

/**
 * 24-hour connection rate (24小时接通率, GB/T 33358 target ≥ 95%): the share of offered calls whose
 * caller reached a person within 24 hours of calling — the call itself was answered; or the same
 * number called again and was answered within 24 h of this call's start; or the missed-call
 * callback (漏接回拨) for this call was completed (status done) within 24 h of the miss.
 * Numerator callsConnected24h, denominator callsOffered.
 */
const connected24h = (S: ReportSources) => `(c.answered_at is not null
  or exists (select 1 from ${S.calls} c2 where c2.caller_number = c.caller_number and c2.answered_at is not null and c2.started_at > c.started_at and c2.started_at <= c.started_at + interval '24 hours')
  or exists (select 1 from ${S.missedCalls} m where m.call_id = c.id and m.status = 'done' and m.last_attempt_at <= m.missed_at + interval '24 hours'))`;

/** Each call figure's condition on an offered call `c` of the period (call ids are unique: one row, one fact). */
export const callConditions = (S: ReportSources = LOCAL_SOURCES): Array<[FigureDef, string]> => [
  [CALL_FIGURES.offered, 'true'],
  [CALL_FIGURES.answered, 'c.answered_at is not null'],
  // 15秒接通: answered within 15 s of joining the queue (of the call's start when it never queued).
  [CALL_FIGURES.in15s, `c.answered_at is not null and c.answered_at <= coalesce(c.queue_entered_at, c.started_at) + interval '15 seconds'`],
  // Abandoned in the queue; busy-fallback deflections are not abandons and are counted apart.
  [CALL_FIGURES.abandoned, `c.outcome = 'abandoned'`],
  [CALL_FIGURES.deflected, `c.outcome in ('fallback','fallback-sms','fallback-message')`],
  [CALL_FIGURES.connected24h, connected24h(S)],
];
export const CALL_CONDITIONS = callConditions();

/** The offered calls of the window, as `c` (binds in order). */
export function offeredCalls(w: FactWindow): { sql: string; binds: Array<Date | string> } {
  return {
    sql: `${(w.sources ?? LOCAL_SOURCES).calls} c where c.started_at >= ? and c.started_at < ?${w.centre ? ' and c.centre = ?' : ''} and ${OFFERED}`,
    binds: w.centre ? [w.from, w.to, w.centre] : [w.from, w.to],
  };
}

function callParts(w: FactWindow): Part[] {
  const calls = offeredCalls(w);
  return callConditions(w.sources).map(([figure, cond]) => ({
    figure,
    sql: `select cast(c.id as text) as ref, c.centre, cast(null as text) as unit, cast(null as text) as category, cast(null as text) as domain
          from ${calls.sql} and ${cond}`,
    binds: calls.binds,
  }));
}

export const TICKET_FIGURES = {
  received: F('ticketsReceived', '登记量', 'tickets'),
  accepted: F('ticketsAccepted', '受理量', 'tickets'),
  notAccepted: F('ticketsNotAccepted', '不予受理量', 'tickets'),
  closedOnline: F('ticketsClosedOnline', '直接办结量', 'tickets'),
  dispatched: F('ticketsDispatched', '转派量', 'tickets'),
  dispatchedOnTime: F('dispatchedOnTime', '按时转派量', 'tickets'),
  dispatchedLate: F('dispatchedLate', '超时转派量', 'tickets'),
  signedOnTime: F('signedOnTime', '按时签收量', 'tickets'),
  signedLate: F('signedLate', '超时签收量', 'tickets'),
  repliedOnTime: F('repliedOnTime', '按时办结量', 'tickets'),
  repliedLate: F('repliedLate', '超时办结量', 'tickets'),
  overdue: F('ticketsOverdue', '逾期量', 'tickets'),
  extensionsRequested: F('extensionsRequested', '延期申请量', 'tickets'),
  extensionsApproved: F('extensionsApproved', '延期批准量', 'tickets'),
  returnsRequested: F('returnsRequested', '退单申请量', 'tickets'),
  returnsLate: F('returnsLate', '超期退单量', 'tickets'),
  returnsApproved: F('returnsApproved', '退单通过量', 'tickets'),
  redo: F('ticketsRedo', '重办量', 'tickets'),
  merged: F('ticketsMerged', '并案量', 'tickets'),
  unitHandled: F('unitHandled', '承办量(不含退回)', 'tickets'),
  unitAssessed: F('unitAssessed', '考核办件量', 'tickets'),
  unitOverdue: F('unitOverdue', '考核逾期量', 'tickets'),
};
/** notAcceptedOutsideJurisdiction …: camelCase, as every API key. */
export const notAcceptedFigureId = (r: NotAcceptedReason) => `notAccepted${r.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase())}`;
export const notAcceptedFigure = (r: NotAcceptedReason) => F(notAcceptedFigureId(r), `不予受理-${NOT_ACCEPTED_SHORT[r]}`, 'tickets');

export const SATISFACTION_FIGURES = {
  visits: F('visits', '回访量', 'tickets'),
  satisfied: F('visitsSatisfied', '满意量', 'tickets'),
  dissatisfied: F('visitsDissatisfied', '不满意量', 'tickets'),
  excludedSuggestion: F('excludedSuggestion', '甄别不计-建议类', 'tickets'),
  excludedMediation: F('excludedMediation', '甄别不计-调解执法类', 'tickets'),
  excludedNoPolicy: F('excludedNoPolicy', '甄别不计-无政策依据', 'tickets'),
  counted: F('visitsCounted', '计入满意率回访量', 'tickets'),
};

export const KB_FIGURES = {
  due: F('kbQuestionsDue', '知识提问应答量', 'knowledge'),
  onTime: F('kbAnsweredOnTime', '知识提问按时补充量', 'knowledge'),
};

/** Wraps a ticket fact (ticket_no, unit) with the ticket's centre, category and domain. */
function ticketPart(figure: FigureDef, inner: string, binds: Array<Date | string>, w: FactWindow): Part {
  return {
    figure,
    sql: `select x.ticket_no as ref, t.centre, x.unit, t.category, t.domain from (${inner}) x join ${(w.sources ?? LOCAL_SOURCES).tickets} t on t.no = x.ticket_no${w.centre ? ' where t.centre = ?' : ''}`,
    binds: w.centre ? [...binds, w.centre] : binds,
    ticket: { sql: inner, binds },
  };
}

function ticketParts(w: FactWindow): Part[] {
  const S = w.sources ?? LOCAL_SOURCES;
  const p = [w.from, w.to];
  const T = TICKET_FIGURES;
  const event = (figure: FigureDef, cond: string, unit = unitAt(S, 'e.ticket_no', 'e.at')) =>
    ticketPart(figure, `select e.ticket_no, ${unit} as unit from ${S.events} e where e.at >= ? and e.at < ? and ${cond}`, p, w);
  const deadline = (figure: FigureDef, cond: string) =>
    ticketPart(figure, `select d.ticket_no, ${unitAt(S, 'd.ticket_no', 'd.started_at')} as unit from ${S.deadlines} d where ${cond}`, p, w);
  const ended = (kind: string, missed: boolean) => `d.kind = '${kind}' and d.state = 'met' and d.missed = ${missed} and d.ended_at >= ? and d.ended_at < ?`;
  // 逾期: a handling deadline falling due in the period that was missed, or is still open past due.
  const overdueInner = `select d.ticket_no, ${unitAt(S, 'd.ticket_no', 'd.started_at')} as unit from ${S.deadlines} d
    where d.kind = 'handle' and d.due_at >= ? and d.due_at < ? and (d.missed = true or (d.state = 'open' and d.due_at < ?))`;
  const lateReturnInner = `select d.ticket_no, ${unitAt(S, 'd.ticket_no', 'd.started_at')} as unit from ${S.deadlines} d where ${ended('return', true)}`;
  // 退回工单不计入该单位承办量 (第二十一条(二)): an assignment ended by an approved return is not handled volume.
  const handledInner = `select u.ticket_no, u.unit_code as unit from ${S.units} u where u.role = 'main' and u.assigned_at >= ? and u.assigned_at < ?
    and not (u.released_at is not null and exists (select 1 from ${S.events} r where r.ticket_no = u.ticket_no and r.event = 'approve_return' and r.at = u.released_at))`;
  return [
    ticketPart(T.received, `select t0.no as ticket_no, t0.main_unit as unit from ${S.tickets} t0 where t0.created_at >= ? and t0.created_at < ?`, p, w),
    event(T.accepted, `e.event = 'accept'`),
    event(T.notAccepted, `e.event in ('not_accept','emergency_handover')`),
    ...NOT_ACCEPTED_REASON_CODES.map((r) =>
      ticketPart(notAcceptedFigure(r), `select e.ticket_no, ${unitAt(S, 'e.ticket_no', 'e.at')} as unit from ${S.events} e join ${S.tickets} t1 on t1.no = e.ticket_no
        where e.at >= ? and e.at < ? and e.event in ('not_accept','emergency_handover') and t1.not_accepted_reason = '${r}'`, p, w)),
    event(T.closedOnline, `e.event = 'close_immediately'`),
    event(T.dispatched, `e.event = 'dispatch'`, `e.data->>'mainUnit'`),
    deadline(T.dispatchedOnTime, ended('dispatch', false)),
    deadline(T.dispatchedLate, ended('dispatch', true)),
    deadline(T.signedOnTime, ended('sign', false)),
    deadline(T.signedLate, ended('sign', true)),
    deadline(T.repliedOnTime, ended('handle', false)),
    deadline(T.repliedLate, ended('handle', true)),
    ticketPart(T.overdue, overdueInner, [...p, w.asOf], w),
    event(T.extensionsRequested, `e.event = 'request_extension'`),
    event(T.extensionsApproved, `e.event = 'approve_extension'`),
    event(T.returnsRequested, `e.event = 'request_return'`),
    // 超期退回的视为逾期办件,计入当月 (第二十一条(二)): by the month the late return was made.
    ticketPart(T.returnsLate, lateReturnInner, p, w),
    event(T.returnsApproved, `e.event = 'approve_return'`),
    // 发回重办 (第二十二条(三)): a dissatisfied visit blamed on the unit.
    event(T.redo, `e.event = 'visit' and e.data->>'cause' = 'unit'`),
    event(T.merged, `e.event = 'merge_into'`),
    ticketPart(T.unitHandled, handledInner, p, w),
    ticketPart(T.unitAssessed, handledInner, p, w),
    ticketPart(T.unitAssessed, lateReturnInner, p, w),
    ticketPart(T.unitOverdue, overdueInner, [...p, w.asOf], w),
    ticketPart(T.unitOverdue, lateReturnInner, p, w),
  ];
}

function satisfactionParts(w: FactWindow): Part[] {
  const visits = latestVisitsSql((w.sources ?? LOCAL_SOURCES).visits);
  const S = SATISFACTION_FIGURES;
  const P = SATISFACTION_PREDICATES;
  // The same latest-visit set and screening as Satisfaction.rate() (第二十二条(四)); the unit is the visit's.
  const part = (figure: FigureDef, cond: string) =>
    ticketPart(figure, `select v.ticket_no, v.main_unit as unit from (${visits}) v where ${cond}`, [w.from, w.to], w);
  return [
    part(S.visits, 'true'),
    part(S.satisfied, P.satisfied),
    part(S.dissatisfied, P.dissatisfied),
    part(S.excludedSuggestion, P.excludedSuggestion),
    part(S.excludedMediation, P.excludedMediation),
    part(S.excludedNoPolicy, P.excludedNoPolicy),
    part(S.counted, `not coalesce((${P.excludedSuggestion}) or (${P.excludedMediation}) or (${P.excludedNoPolicy}), false)`),
  ];
}

function kbParts(w: FactWindow): Part[] {
  if (w.centre) return []; // knowledge questions go to units from the city platform, not to a centre
  const part = (figure: FigureDef, cond: string): Part => ({
    figure,
    sql: `select 'kbq:' || cast(q.id as text) as ref, cast(null as text) as centre, q.unit_code as unit, cast(null as text) as category, cast(null as text) as domain
          from kb_questions q where q.due_at >= ? and q.due_at < ? and q.state <> 'cancelled' and ${cond}`,
    binds: [w.from, w.to],
  });
  // 第二十四条(二): 对知识提问,应在2个工作日内补充完善.
  return [part(KB_FIGURES.due, 'true'), part(KB_FIGURES.onTime, 'q.answered_at is not null and q.answered_at <= q.due_at')];
}

export function allParts(w: FactWindow): Part[] {
  return [...callParts(w), ...ticketParts(w), ...satisfactionParts(w), ...kbParts(w)];
}

/** Every figure, in report order (the xlsx columns). */
export const FIGURES: FigureDef[] = [
  ...Object.values(CALL_FIGURES),
  ...Object.values(TICKET_FIGURES).slice(0, 3),
  ...NOT_ACCEPTED_REASON_CODES.map(notAcceptedFigure),
  ...Object.values(TICKET_FIGURES).slice(3),
  ...Object.values(SATISFACTION_FIGURES),
  ...Object.values(KB_FIGURES),
];
export const FIGURE_BY_ID = new Map(FIGURES.map((f) => [f.id, f]));

const R = (id: string, label: string, numerator: string, ...denominator: string[]): RateDef => ({ id, label, numerator, denominator });
export const RATES: RateDef[] = [
  R('answerRate', '接通率', 'callsAnswered', 'callsOffered'),
  R('serviceLevel15s', '15秒接通率', 'callsAnsweredIn15s', 'callsOffered'),
  R('abandonRate', '放弃率', 'callsAbandoned', 'callsOffered'),
  R('deflectionRate', '忙时分流率', 'callsDeflected', 'callsOffered'),
  R('connectionRate24h', '24小时接通率', 'callsConnected24h', 'callsOffered'),
  R('closedOnlineRate', '直接办结率', 'ticketsClosedOnline', 'ticketsAccepted'),
  R('dispatchOnTimeRate', '按时转派率', 'dispatchedOnTime', 'dispatchedOnTime', 'dispatchedLate'),
  R('signOnTimeRate', '按时签收率', 'signedOnTime', 'signedOnTime', 'signedLate'),
  R('replyOnTimeRate', '按时办结率', 'repliedOnTime', 'repliedOnTime', 'repliedLate'),
  R('satisfactionRate', '满意率', 'visitsSatisfied', 'visitsCounted'),
  R('kbOnTimeRate', '知识提问按时补充率', 'kbAnsweredOnTime', 'kbQuestionsDue'),
];
export const RATE_BY_ID = new Map(RATES.map((r) => [r.id, r]));

export function rateOf(r: RateDef, figures: Record<string, number>): number | null {
  const d = r.denominator.reduce((s, id) => s + (figures[id] ?? 0), 0);
  return d > 0 ? (figures[r.numerator] ?? 0) / d : null;
}
