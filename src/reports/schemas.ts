import { z } from '../http/zod';
import { MANUAL_ITEMS, METRIC_IDS, Scheme, TARGET_KINDS } from './scheme';
import { PERIOD_KINDS } from './periods';
import { DIMENSIONS } from './repository';

export const PeriodKindSchema = z.enum(PERIOD_KINDS).openapi({ description: 'week | month | quarter | year (Asia/Shanghai)' });
export const PeriodKey = z.string().max(16).openapi({ description: '2026-W48 | 2026-11 | 2026-Q4 | 2026', example: '2026-11' });
export const DimensionSchema = z.enum(DIMENSIONS).openapi({ description: 'centre | unit | category | domain | region' });

const Figures = z.record(z.number().int()).openapi({ description: 'figure id → count (see GET /api/reports/figures)' });
const Rates = z.record(z.number().nullable()).openapi({ description: 'rate id → ratio 0..1, null when its denominator is 0' });

export const ReportRowSchema = z.object({ key: z.string(), label: z.string(), figures: Figures, rates: Rates }).openapi('ReportRow');
const HotTerm = z.object({ term: z.string(), current: z.number().int(), previous: z.number().int(), change: z.number().int(), ticketNos: z.array(z.string()) }).openapi('HotTerm');

export const ReportSchema = z
  .object({
    period: z.object({ kind: PeriodKindSchema, key: z.string(), label: z.string(), from: z.string(), to: z.string() }),
    centre: z.string().nullable(),
    asOf: z.string(),
    generatedAt: z.string(),
    total: z.object({ figures: Figures, rates: Rates }),
    breakdowns: z.object(Object.fromEntries(DIMENSIONS.map((d) => [d, z.array(ReportRowSchema)])) as Record<(typeof DIMENSIONS)[number], z.ZodArray<typeof ReportRowSchema>>),
    hotTopics: z.object({ currentFrom: z.string(), currentTo: z.string(), previousFrom: z.string(), terms: z.array(HotTerm), places: z.array(HotTerm) }),
  })
  .openapi('Report');

export const ReportJobSchema = z
  .object({
    id: z.number().int(),
    periodKind: z.string(),
    periodKey: z.string(),
    centre: z.string().nullable(),
    scheduled: z.boolean(),
    status: z.enum(['queued', 'running', 'done', 'failed']),
    progress: z.number().int().openapi({ description: '0–100' }),
    step: z.string().nullable(),
    error: z.string().nullable(),
    requestedBy: z.string(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    report: ReportSchema.nullable().optional().openapi({ description: 'when done' }),
  })
  .openapi('ReportJob');

export const ReportJobListSchema = z.object({ items: z.array(ReportJobSchema) }).openapi('ReportJobList');

export const FigureCatalogue = z
  .object({
    figures: z.array(z.object({ id: z.string(), label: z.string(), source: z.enum(['calls', 'tickets', 'knowledge']) })),
    rates: z.array(z.object({ id: z.string(), label: z.string(), numerator: z.string(), denominator: z.array(z.string()) })),
    dimensions: z.array(z.object({ id: DimensionSchema, label: z.string() })),
  })
  .openapi('ReportFigureCatalogue');

export const DrillQuery = z.object({
  kind: PeriodKindSchema,
  key: PeriodKey,
  figure: z.string().max(64),
  centre: z.string().max(32).optional().openapi({ description: 'scope of the report (a centre), as requested' }),
  dimension: DimensionSchema.optional(),
  group: z.string().max(64).optional().openapi({ description: "the row's key in that dimension; '' for 未指定" }),
  asOf: z.string().datetime({ offset: true }).optional().openapi({ description: 'the report’s asOf (overdue is judged at that time)' }),
  limit: z.coerce.number().int().min(1).max(50_000).default(5000),
});
export const DrillResponse = z
  .object({ figure: z.string(), label: z.string(), source: z.string(), total: z.number().int(), refs: z.array(z.string()).openapi({ description: 'call ids, ticket numbers, or kbq:<id>' }) })
  .openapi('ReportDrillDown');

const IndicatorScoreSchema = z
  .object({
    code: z.string(), name: z.string(), weight: z.number(), source: z.enum(['auto', 'manual']), metric: z.string().nullable(), target: z.number().nullable(),
    value: z.number().nullable(), numerator: z.number().int().nullable(), denominator: z.number().int().nullable(), score: z.number(), note: z.string(),
    manual: z.array(z.object({ id: z.number().int(), item: z.enum(MANUAL_ITEMS), score: z.number(), evidence: z.string(), enteredBy: z.string() })),
  })
  .openapi('AssessmentIndicatorScore');

export const AssessmentRunSchema = z
  .object({
    id: z.number().int(), targetKind: z.enum(TARGET_KINDS), periodKind: z.enum(['month', 'year']), periodKey: z.string(), status: z.enum(['draft', 'published']),
    scheme: Scheme, asOf: z.string(), computedAt: z.string(), publishedAt: z.string().nullable(), publishedBy: z.string().nullable(),
    scores: z.array(z.object({ targetCode: z.string(), targetName: z.string(), total: z.number(), indicators: z.array(IndicatorScoreSchema) })),
  })
  .openapi('AssessmentRun');

export const AssessmentExplainSchema = z
  .object({ indicator: IndicatorScoreSchema, numeratorFigure: z.string().nullable(), denominatorFigures: z.array(z.string()), numerator: z.array(z.string()), denominator: z.array(z.string()) })
  .openapi('AssessmentExplanation');

export const SchemeResponse = Scheme.extend({ version: z.number().int(), updatedBy: z.string(), updatedAt: z.string().nullable(), metrics: z.array(z.object({ id: z.enum(METRIC_IDS), label: z.string() })).optional() }).openapi('AssessmentSchemeStored');

export const ManualItemBody = z
  .object({
    targetKind: z.enum(TARGET_KINDS),
    targetCode: z.string().min(1).max(64),
    periodKey: z.string().regex(/^\d{4}(-\d{2})?$/).openapi({ description: '2026-11 (month) or 2026 (year)' }),
    indicatorCode: z.string().min(1).max(48),
    item: z.enum(MANUAL_ITEMS).openapi({ description: 'material_review 材料审核 | ledger 台账记录 | test_call 人工拨测' }),
    score: z.number().min(0).max(100),
    evidence: z.string().trim().min(1).max(2000).openapi({ description: '证据说明 (required)' }),
    evidenceRefs: z.array(z.string().max(200)).max(100).default([]).openapi({ description: 'ticket numbers, call ids, file references' }),
  })
  .openapi('AssessmentManualItem');

export const AssessmentRunListSchema = z
  .object({ items: z.array(z.object({ id: z.number().int(), targetKind: z.string(), periodKind: z.string(), periodKey: z.string(), status: z.string(), computedAt: z.string(), publishedAt: z.string().nullable() })) })
  .openapi('AssessmentRunList');
