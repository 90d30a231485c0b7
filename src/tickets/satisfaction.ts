import { Knex } from 'knex';
import { insertText, preparedNative } from '../db/prepared';
import { AuditStore } from '../audit/store';
import { AppError, notFound, unprocessable } from '../http/errors';
import { Logger } from '../logging/logger';
import { maskPhone } from '../logging/mask';
import { SmsGateway } from '../sms/gateway';
import { SATISFACTION_LEVELS, SatisfactionExclusion, SatisfactionLevel, isSatisfied } from './model';
import { Actor, SYSTEM_ACTOR, TicketService } from './service';
import { TicketRecord } from './store';
import { normalizePhone } from './text';

const SIGNATURE = '【庆阳12345】';
export const RATING_PROMPT = '请回复数字评价:1非常满意 2满意 3基本满意 4不满意 5非常不满意。24小时内未回复视为满意。';

/** 第二十一条(四): 办理结果通过手机短信回复诉求人; 第二十二条(三): 短信回访征求满意度. */
export function resultSmsText(t: Pick<TicketRecord, 'no' | 'replyText'>): string {
  const reply = (t.replyText ?? '').trim();
  const clipped = Array.from(reply).length > 300 ? Array.from(reply).slice(0, 300).join('') + '…' : reply;
  return `${SIGNATURE}您反映的诉求(工单号${t.no})已办理,答复如下:${clipped} ${RATING_PROMPT}`;
}

const WORDS: Array<[RegExp, SatisfactionLevel]> = [
  [/非常不满意/, 'very_dissatisfied'], [/不满意/, 'dissatisfied'], [/基本满意/, 'basically_satisfied'], [/非常满意/, 'very_satisfied'], [/满意/, 'satisfied'],
];

/** A caller's SMS answer: a digit 1–5 or the words themselves. */
export function parseRating(body: string): SatisfactionLevel | null {
  const s = body.trim();
  const digit = /^[1-5]$/.exec(s.replace(/[。.!!\s]/g, ''));
  if (digit) return SATISFACTION_LEVELS[Number(digit[0]) - 1];
  for (const [re, level] of WORDS) if (re.test(s)) return level;
  return null;
}

export interface RateFilter {
  from: Date;
  to: Date;
  unitCode?: string;
}

export interface SatisfactionRate {
  visits: number;
  satisfied: number;
  dissatisfied: number;
  excluded: Record<SatisfactionExclusion, number>;
  counted: number;
  /** satisfied / counted, null when nothing is counted. */
  rate: number | null;
}

/**
 * The visits a satisfaction rate is taken over: each ticket's latest visit in [from, to) (binds:
 * from, to). Shared with the reports and the assessment so the 第二十二条(四) screening has one definition.
 */
/** The latest visit of each ticket visited in [from, to), from `table` (the reports may read a view with the same columns). */
export const latestVisitsSql = (table = 'ticket_visits') =>
  `select distinct on (ticket_no) id, ticket_no, level, category, exclusion, main_unit, at from ${table} where at >= ? and at < ? order by ticket_no, id desc`;
export const LATEST_VISITS_SQL = latestVisitsSql();

const DISSATISFIED = "level in ('dissatisfied','very_dissatisfied')";
/** Conditions over a LATEST_VISITS_SQL row. Counted = all − the three exclusions; rate = satisfied / counted. */
export const SATISFACTION_PREDICATES = {
  satisfied: "level in ('very_satisfied','satisfied','basically_satisfied')",
  dissatisfied: DISSATISFIED,
  /** 1. 建议类工单 */
  excludedSuggestion: `${DISSATISFIED} and category = 'suggestion'`,
  /** 2. 行政调解类、执法办案类事项,部门依法依规尽职尽责全力处置的 */
  excludedMediation: `${DISSATISFIED} and category <> 'suggestion' and exclusion = 'mediation_or_enforcement'`,
  /** 3. 诉求无相关政策、法律法规支撑…已进行详细解释答复的 */
  excludedNoPolicy: `${DISSATISFIED} and category <> 'suggestion' and exclusion = 'no_policy_basis'`,
} as const;

/** SMS replies, screening (甄别) and the satisfaction rate of 第二十二条(四). */
export class Satisfaction {
  constructor(
    private readonly knex: Knex,
    private readonly tickets: TicketService,
    private readonly sms: SmsGateway,
    private readonly audit: AuditStore,
    private readonly log: Logger,
  ) {}

  async sendResult(t: TicketRecord): Promise<void> {
    if (!t.callerPhone) return; // web/app matters without a number are answered on their channel
    const body = resultSmsText(t);
    const at = this.tickets.now();
    try {
      const r = await this.sms.send({ to: t.callerPhone, body });
      // Every 答复 sends one: SQL text, not a builder compiled each time (issue #13).
      const values: unknown[] = [];
      await preparedNative(this.knex, insertText('ticket_sms', [{ ticket_no: t.no, direction: 'out', phone: t.callerPhone, body, purpose: 'result', provider_id: r.id, status: r.status, at }], values), values);
    } catch (err) {
      await this.knex('ticket_sms').insert({ ticket_no: t.no, direction: 'out', phone: t.callerPhone, body, purpose: 'result', status: 'failed', at });
      this.log.warn({ ticketNo: t.no, to: maskPhone(t.callerPhone), err: (err as Error).message }, 'result SMS failed');
    }
  }

  /** An inbound SMS (already signature-verified): rate the caller's latest answered ticket. Returns the text to answer with. */
  async inbound(from: string, body: string, providerId: string | null): Promise<{ ticketNo: string | null; reply: string }> {
    const phone = normalizePhone(from);
    const at = this.tickets.now();
    const t = phone ? await this.knex('tickets').where({ caller_phone: phone, status: 'replied' }).orderBy('replied_at', 'desc').first('no') : null;
    await this.knex('ticket_sms').insert({ ticket_no: t?.no ?? null, direction: 'in', phone: phone ?? from, body: body.slice(0, 1000), purpose: 'rating', provider_id: providerId, status: 'received', at });
    if (!t) return { ticketNo: null, reply: `${SIGNATURE}未找到待评价的工单。如需反映诉求,请拨打12345。` };
    const level = parseRating(body);
    if (!level) return { ticketNo: t.no, reply: `${SIGNATURE}未能识别您的评价。${RATING_PROMPT}` };
    try {
      await this.tickets.act(t.no, { type: 'sms_rating', level, reason: `短信评价:${body.trim().slice(0, 50)}` }, SYSTEM_ACTOR);
    } catch (err) {
      if (err instanceof AppError && err.status === 409) return { ticketNo: t.no, reply: `${SIGNATURE}该工单已完成评价,感谢您的支持。` };
      throw err;
    }
    return isSatisfied(level)
      ? { ticketNo: t.no, reply: `${SIGNATURE}感谢您的评价,工单${t.no}已办结。` }
      : { ticketNo: t.no, reply: `${SIGNATURE}已收到您的评价,工作人员将尽快回访了解情况。` };
  }

  /**
   * 甄别 (第二十二条(四)): a dissatisfied visit the hotline finds was 2. 行政调解/执法办案 handled duly,
   * or 3. without policy or legal basis and explained in detail, is not counted. Suggestions (1.) are
   * excluded automatically by category.
   */
  async screen(no: string, exclusion: Exclude<SatisfactionExclusion, 'suggestion'>, note: string, actor: Actor): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const v = await trx('ticket_visits').where({ ticket_no: no }).orderBy('id', 'desc').forUpdate().first();
      if (!v) throw notFound('ticket.no_visit', `工单 ${no} 没有满意度回访记录`, { no });
      if (isSatisfied(v.level)) throw unprocessable('ticket.screening_not_dissatisfied', '只有回访不满意的工单需要甄别 (第二十二条(四))', { level: v.level });
      await trx('ticket_visits').where({ id: v.id }).update({ exclusion, exclusion_note: note });
      const t = await trx('tickets').where({ no }).forUpdate().first('status');
      await this.tickets.logEvent(trx, { ticketNo: no, at: this.tickets.now(), event: 'screening', fromStatus: t.status, toStatus: t.status, actor: actor.username, actorUserId: actor.userId, actorUnit: null, reason: note, data: { exclusion, visitId: Number(v.id) } });
      await this.audit.record({ actorUserId: actor.userId, actor: actor.username, action: 'ticket.screening', targetType: 'ticket', targetId: no, requestId: actor.requestId, details: { exclusion } }, trx);
    });
  }

  /** The rate over each ticket's latest visit in [from, to), applying the exclusions of 第二十二条(四). */
  async rate(f: RateFilter): Promise<SatisfactionRate> {
    const p = SATISFACTION_PREDICATES;
    const r = await this.knex.raw(
      `with latest as (${LATEST_VISITS_SQL})
       select
         count(*)::int as visits,
         count(*) filter (where ${p.satisfied})::int as satisfied,
         count(*) filter (where ${p.dissatisfied})::int as dissatisfied,
         count(*) filter (where ${p.excludedSuggestion})::int as ex_suggestion,
         count(*) filter (where ${p.excludedMediation})::int as ex_mediation,
         count(*) filter (where ${p.excludedNoPolicy})::int as ex_policy
       from latest ${f.unitCode ? 'where main_unit = ?' : ''}`,
      f.unitCode ? [f.from, f.to, f.unitCode] : [f.from, f.to],
    );
    const x = r.rows[0];
    const excluded = { suggestion: x.ex_suggestion, mediation_or_enforcement: x.ex_mediation, no_policy_basis: x.ex_policy };
    const counted = x.visits - excluded.suggestion - excluded.mediation_or_enforcement - excluded.no_policy_basis;
    return { visits: x.visits, satisfied: x.satisfied, dissatisfied: x.dissatisfied, excluded, counted, rate: counted > 0 ? x.satisfied / counted : null };
  }
}
