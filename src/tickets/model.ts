/**
 * The vocabulary of a work ticket (工单). API fields and codes are English; every label a citizen
 * or staff member reads is Chinese.
 */

/** 第二十条(一): 诉求类别. */
export const CATEGORIES = ['consultation', 'help', 'complaint', 'report', 'suggestion', 'thanks', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];
export const CATEGORY_LABELS: Record<Category, string> = {
  consultation: '咨询', help: '求助', complaint: '投诉', report: '举报', suggestion: '建议', thanks: '致谢', other: '其他',
};

/** 第十六条 / 第十九条(二): the channels a matter reaches the hotline through. */
export const CHANNELS = [
  'phone', 'wechat', 'website', 'app', 'sms', 'national_platform', 'gov_cn', 'people_cn', 'provincial_12345', 'good_bad_review', 'qy_gov_service', 'other',
] as const;
export type Channel = (typeof CHANNELS)[number];
export const CHANNEL_LABELS: Record<Channel, string> = {
  phone: '电话', wechat: '微信公众号', website: '网站', app: 'APP', sms: '短信',
  national_platform: '国家政务服务平台', gov_cn: '中国政府网留言办理系统', people_cn: '人民网领导留言板',
  provincial_12345: '甘肃省12345热线', good_bad_review: '政务服务“好差评”系统', qy_gov_service: '庆阳政务服务网', other: '其他渠道',
};

/** 第十六条: the five domains; the finer catalogue is data (data/domains.json). */
export const DOMAINS = ['economic_regulation', 'market_supervision', 'social_management', 'public_service', 'ecological_environment'] as const;
export type Domain = (typeof DOMAINS)[number];

export const STATUSES = [
  'received', 'not_accepted', 'accepted', 'dispatched', 'in_progress', 'return_requested', 'replied', 'closed', 'withdrawn', 'merged',
] as const;
export type TicketStatus = (typeof STATUSES)[number];
export const STATUS_LABELS: Record<TicketStatus, string> = {
  received: '已登记', not_accepted: '不予受理', accepted: '已受理待转办', dispatched: '已转办待签收', in_progress: '办理中',
  return_requested: '退单审核中', replied: '已答复待回访', closed: '已办结', withdrawn: '已撤单', merged: '已并案',
};
export const TERMINAL: readonly TicketStatus[] = ['not_accepted', 'closed', 'withdrawn', 'merged'];
/** Not yet answered to the caller (未向诉求人回复办理结果): a related matter may be merged into these (第二十一条(一)). */
export const UNANSWERED: readonly TicketStatus[] = ['received', 'accepted', 'dispatched', 'in_progress', 'return_requested'];

/** 第十七条: coded reasons for not accepting a matter, each with the explanation given to the caller. */
export const NOT_ACCEPTED_REASONS = {
  outside_jurisdiction: { article: '第十七条(一)', text: '您反映的事项不属于庆阳市行政管辖范围,建议您向事项所在地的12345热线或有关部门反映。' },
  legal_procedure: { article: '第十七条(二)', text: '您反映的事项须通过诉讼、仲裁、纪检监察、行政复议、政府信息公开等法定程序解决,或已进入信访渠道,请通过相应渠道依法反映。' },
  secrets_or_privacy: { article: '第十七条(三)', text: '您反映的事项涉及国家秘密、商业秘密或个人隐私,12345热线不予受理,请通过依法设立的渠道反映。' },
  emergency_line: { article: '第十七条(四)', text: '您反映的事项属于110、119、120、122等紧急热线受理范围,已为您转接或请您立即拨打相应紧急电话。' },
  abuse_or_repeated_after_closure: { article: '第十七条(五)', text: '您反映的事项含有侮辱、诽谤他人或违反公序良俗的内容,或已依法依规办结后以同一事实和理由重复提出,12345热线不再受理。' },
  unclear_matter: { article: '第十七条(六)', text: '您反映的诉求事项不清、无具体诉求内容或责任主体不明,暂无法调查处理,欢迎补充具体情况后再次反映。' },
  duplicate_in_progress: { article: '第十七条(七)', text: '您反映的同一事项12345热线已转办,承办单位正在办理期限内,不重复受理,办理结果将及时答复您。' },
  other_legal: { article: '第十七条(八)', text: '根据有关法律法规规定,您反映的事项不属于12345热线受理范围。' },
} as const;
export type NotAcceptedReason = keyof typeof NOT_ACCEPTED_REASONS;
export const NOT_ACCEPTED_REASON_CODES = Object.keys(NOT_ACCEPTED_REASONS) as NotAcceptedReason[];

/** 第二十二条(三): the five satisfaction levels. */
export const SATISFACTION_LEVELS = ['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied'] as const;
export type SatisfactionLevel = (typeof SATISFACTION_LEVELS)[number];
export const SATISFACTION_LABELS: Record<SatisfactionLevel, string> = {
  very_satisfied: '非常满意', satisfied: '满意', basically_satisfied: '基本满意', dissatisfied: '不满意', very_dissatisfied: '非常不满意',
};
export const isSatisfied = (l: SatisfactionLevel) => l === 'very_satisfied' || l === 'satisfied' || l === 'basically_satisfied';

/** Why a caller was dissatisfied: only a unit's failure sends the ticket back (重办, 第二十二条(三)). */
export const DISSATISFACTION_CAUSES = ['unit', 'beyond_policy', 'expectation'] as const;
export type DissatisfactionCause = (typeof DISSATISFACTION_CAUSES)[number];

/** 第二十二条(四): dissatisfied visits not counted in the satisfaction rate. */
export const SATISFACTION_EXCLUSIONS = ['suggestion', 'mediation_or_enforcement', 'no_policy_basis'] as const;
export type SatisfactionExclusion = (typeof SATISFACTION_EXCLUSIONS)[number];

export const VISIT_CHANNELS = ['phone', 'sms', 'ivr', 'default'] as const;
export type VisitChannel = (typeof VISIT_CHANNELS)[number];

/** The deadlines a ticket runs on (第二十一条, 第二十二条(三)). */
export const DEADLINE_KINDS = ['dispatch', 'sign', 'feedback', 'return', 'handle', 'callback'] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];
/**
 * Deadlines that are windows, not obligations: 1 working day to return a ticket (第二十一条(二)).
 * Passing one closes it (a later return is counted late, 超期退回的视为逾期办件); the ticket is not
 * overdue for it, so it is not listed, coloured or filtered as overdue.
 */
export const WINDOW_KINDS: readonly DeadlineKind[] = ['return'];
export const DEADLINE_LABELS: Record<DeadlineKind, string> = {
  dispatch: '转派时限', sign: '签收时限', feedback: '紧急件反馈时限', return: '退单时限', handle: '办理时限', callback: '回访时限',
};
