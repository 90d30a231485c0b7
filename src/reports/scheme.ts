import { z } from '../http/zod';

/**
 * The 100-point scheme (第二十八、二十九条 百分制) as data: weighted indicators an admin edits.
 * Auto indicators score platform data (以市级平台采集和各热线推送数据为主); manual ones the
 * city's checks (人工考核:材料审核、台账记录、人工拨测) entered with evidence.
 */
export const TARGET_KINDS = ['county', 'unit'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];
export const MANUAL_ITEMS = ['material_review', 'ledger', 'test_call'] as const;
export type ManualItem = (typeof MANUAL_ITEMS)[number];
export const MANUAL_ITEM_LABELS: Record<ManualItem, string> = { material_review: '材料审核', ledger: '台账记录', test_call: '人工拨测' };

export interface MetricDef {
  label: string;
  numerator: string;
  denominator: string[];
  /** value = 1 − numerator / denominator (a share of faults). */
  complement?: boolean;
}

/** What an auto indicator can measure: ratios of report figures, so every score drills down to rows. */
export const METRICS: Record<string, MetricDef> = {
  connectionRate24h: { label: '24小时接通率', numerator: 'callsConnected24h', denominator: ['callsOffered'] },
  serviceLevel15s: { label: '15秒接通率', numerator: 'callsAnsweredIn15s', denominator: ['callsOffered'] },
  closedOnlineRate: { label: '直接办结率', numerator: 'ticketsClosedOnline', denominator: ['ticketsAccepted'] },
  dispatchOnTimeRate: { label: '按时转派率', numerator: 'dispatchedOnTime', denominator: ['dispatchedOnTime', 'dispatchedLate'] },
  signOnTimeRate: { label: '按时签收率', numerator: 'signedOnTime', denominator: ['signedOnTime', 'signedLate'] },
  /** 工单处理 of a unit: 1 − (逾期 ∪ 超期退单) / (承办量 ∪ 超期退单); approved returns are not handled volume. */
  handlingOnTimeRate: { label: '按期办理率', numerator: 'unitOverdue', denominator: ['unitAssessed'], complement: true },
  satisfactionRate: { label: '满意率', numerator: 'visitsSatisfied', denominator: ['visitsCounted'] },
  kbOnTimeRate: { label: '知识提问按时补充率', numerator: 'kbAnsweredOnTime', denominator: ['kbQuestionsDue'] },
};
export const METRIC_IDS = Object.keys(METRICS) as [string, ...string[]];

export const Indicator = z
  .object({
    code: z.string().regex(/^[a-z][a-zA-Z0-9]{1,47}$/),
    name: z.string().min(1).max(64),
    weight: z.number().positive().max(100),
    source: z.enum(['auto', 'manual']),
    metric: z.enum(METRIC_IDS).optional().openapi({ description: 'auto indicators: the measured ratio' }),
    target: z.number().positive().max(1).optional().openapi({ description: 'auto: full marks at or above this value; score = weight × min(1, value / target)' }),
    manualItems: z.array(z.enum(MANUAL_ITEMS)).optional().openapi({ description: 'manual: which checks may score it' }),
  })
  .openapi('AssessmentIndicator');
export type Indicator = z.infer<typeof Indicator>;

export const Scheme = z
  .object({ name: z.string().min(1).max(128), indicators: z.array(Indicator).min(1).max(30) })
  .openapi('AssessmentScheme');
export type Scheme = z.infer<typeof Scheme>;

/** Problems that make a scheme unusable, in Chinese; empty when it is valid. */
export function schemeProblems(s: Scheme): string[] {
  const out: string[] = [];
  const total = Math.round(s.indicators.reduce((a, i) => a + i.weight, 0) * 100) / 100;
  if (total !== 100) out.push(`各指标权重之和须为100分（现为${total}分）(第二十九条 百分制)`);
  const codes = new Set<string>();
  for (const i of s.indicators) {
    if (codes.has(i.code)) out.push(`指标代码重复：${i.code}`);
    codes.add(i.code);
    if (i.source === 'auto' && !i.metric) out.push(`自动指标“${i.name}”须指定计算口径(metric)`);
    if (i.source === 'manual' && !i.manualItems?.length) out.push(`人工指标“${i.name}”须指定人工考核方式(manualItems)`);
  }
  return out;
}

/**
 * The defaults, from 第二十八条's lists; the weights are a starting point the city edits.
 *
 * 数据报送 (第二十五条 实时推送全量数据, 第二十六条 周、月、年度报送) stays manual (材料审核、台账记录), although
 * 第二十九条 puts platform data first: the network's figures cannot score a period yet, for three reasons.
 * - network_centres holds each county's last heartbeat (lag, backlog) only, not their history: a score
 *   from it would depend on when the run is computed, and would have no rows behind it to explain or freeze.
 * - The per-fact delay (network_facts.received_at − occurred_at) does exist per period, but it measures
 *   timeliness only as seen by the city: a fact never pushed is invisible (no completeness, 全量), a city-side
 *   outage's catch-up would count against the county, and a county that pushed nothing would have no
 *   denominator and so full marks (an empty denominator scores full, see AssessmentService.score).
 * - Every auto metric is a ratio of report figures (METRICS above), so the delay would first have to be a
 *   figure in figures.ts, with the county's own count of facts per period (from its outbox, sent in the
 *   heartbeat) as the denominator. Until then the city scores it from the ledgers and the reports received.
 */
export const DEFAULT_SCHEMES: Record<TargetKind, Scheme> = {
  county: {
    name: '县(区)12345热线考核',
    indicators: [
      { code: 'callConnection', name: '话务接通(转接)', weight: 25, source: 'auto', metric: 'connectionRate24h', target: 0.95 },
      { code: 'onlineResolution', name: '在线办结', weight: 15, source: 'auto', metric: 'closedOnlineRate', target: 0.5 },
      { code: 'ticketHandling', name: '工单处理', weight: 20, source: 'auto', metric: 'dispatchOnTimeRate', target: 1 },
      { code: 'serviceQuality', name: '服务质量', weight: 20, source: 'auto', metric: 'satisfactionRate', target: 0.95 },
      { code: 'dataReporting', name: '数据报送', weight: 10, source: 'manual', manualItems: ['material_review', 'ledger'] },
      { code: 'specialWork', name: '专项工作', weight: 10, source: 'manual', manualItems: ['material_review', 'ledger', 'test_call'] },
    ],
  },
  unit: {
    name: '承办单位考核',
    indicators: [
      { code: 'ticketHandling', name: '工单处理', weight: 40, source: 'auto', metric: 'handlingOnTimeRate', target: 1 },
      { code: 'satisfaction', name: '满意率测评', weight: 30, source: 'auto', metric: 'satisfactionRate', target: 0.95 },
      { code: 'knowledgeBase', name: '知识库更新维护', weight: 15, source: 'auto', metric: 'kbOnTimeRate', target: 1 },
      { code: 'rules', name: '制度建设', weight: 15, source: 'manual', manualItems: ['material_review', 'ledger'] },
    ],
  },
};
