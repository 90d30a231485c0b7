import { Knex } from 'knex';
import { AuditStore } from '../audit/store';
import { conflict, notFound, unprocessable } from '../http/errors';
import { PeriodKind, parsePeriod } from './periods';
import { ReportRepository } from './repository';
import { DEFAULT_SCHEMES, Indicator, METRICS, MANUAL_ITEM_LABELS, ManualItem, Scheme, TargetKind, schemeProblems } from './scheme';

export type AssessmentPeriodKind = Extract<PeriodKind, 'month' | 'year'>;

export interface IndicatorScore {
  code: string;
  name: string;
  weight: number;
  source: 'auto' | 'manual';
  metric: string | null;
  target: number | null;
  /** auto: the measured ratio (null when there was nothing to measure). */
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  score: number;
  /** Why the score is what it is, in Chinese. */
  note: string;
  manual: Array<{ id: number; item: ManualItem; score: number; evidence: string; enteredBy: string }>;
}

export interface Actor {
  username: string;
  userId: number | null;
  requestId?: string;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Scores counties (centres) and handling units against the scheme (第二十八、二十九条), stores every
 * indicator with the rows behind it, and freezes a run when it is published (通报).
 */
export class AssessmentService {
  constructor(private readonly knex: Knex, private readonly repo: ReportRepository, private readonly audit: AuditStore, private readonly now: () => Date) {}

  async scheme(kind: TargetKind): Promise<Scheme & { version: number; updatedBy: string; updatedAt: string | null }> {
    const r = await this.knex('assessment_schemes').where({ target_kind: kind }).first();
    if (!r) return { ...DEFAULT_SCHEMES[kind], version: 0, updatedBy: 'system', updatedAt: null };
    return { name: r.name, indicators: r.indicators, version: r.version, updatedBy: r.updated_by, updatedAt: new Date(r.updated_at).toISOString() };
  }

  async saveScheme(kind: TargetKind, s: Scheme, actor: Actor) {
    const problems = schemeProblems(s);
    if (problems.length) throw unprocessable('assessment.bad_scheme', problems.join('；'), { problems });
    await this.knex.transaction(async (trx) => {
      const cur = await trx('assessment_schemes').where({ target_kind: kind }).forUpdate().first();
      const row = { name: s.name, indicators: JSON.stringify(s.indicators), updated_by: actor.username, updated_at: this.now() };
      if (cur) await trx('assessment_schemes').where({ target_kind: kind }).update({ ...row, version: cur.version + 1 });
      else await trx('assessment_schemes').insert({ target_kind: kind, ...row, version: 1 });
      await this.audit.record({ actorUserId: actor.userId, actor: actor.username, action: 'assessment.scheme', targetType: 'assessment_scheme', targetId: kind, requestId: actor.requestId, details: { weights: s.indicators.map((i) => [i.code, i.weight]) } }, trx);
    });
    return this.scheme(kind);
  }

  async addManual(input: { targetKind: TargetKind; targetCode: string; periodKey: string; indicatorCode: string; item: ManualItem; score: number; evidence: string; evidenceRefs: string[] }, actor: Actor) {
    const scheme = await this.scheme(input.targetKind);
    const ind = scheme.indicators.find((i) => i.code === input.indicatorCode);
    if (!ind || ind.source !== 'manual') throw unprocessable('assessment.not_manual_indicator', `“${input.indicatorCode}”不是人工考核指标`, { indicatorCode: input.indicatorCode });
    if (!ind.manualItems?.includes(input.item)) throw unprocessable('assessment.item_not_allowed', `指标“${ind.name}”不采用${MANUAL_ITEM_LABELS[input.item]}`, { allowed: ind.manualItems ?? [] });
    if (input.score > ind.weight) throw unprocessable('assessment.score_above_weight', `得分不能超过该指标分值${ind.weight}分`, { weight: ind.weight });
    const run = await this.knex('assessment_runs').where({ target_kind: input.targetKind, period_key: input.periodKey, status: 'published' }).first('id');
    if (run) throw conflict('assessment.frozen', `${input.periodKey}考核已通报，不能再录入`, { runId: Number(run.id) });
    const [row] = await this.knex('assessment_manual_items')
      .insert({ target_kind: input.targetKind, target_code: input.targetCode, period_key: input.periodKey, indicator_code: input.indicatorCode, item: input.item, score: input.score, evidence: input.evidence, evidence_refs: JSON.stringify(input.evidenceRefs), entered_by: actor.username, entered_at: this.now() })
      .returning('id');
    await this.audit.record({ actorUserId: actor.userId, actor: actor.username, action: 'assessment.manual_item', targetType: input.targetKind, targetId: input.targetCode, requestId: actor.requestId, details: { periodKey: input.periodKey, indicator: input.indicatorCode, item: input.item, score: input.score } });
    return { id: Number(row.id ?? row) };
  }

  private async targets(kind: TargetKind): Promise<Array<{ code: string; name: string }>> {
    if (kind === 'county') return this.knex('centres').select('code', 'name').orderBy('code');
    return this.knex('units').where({ active: true }).select('code', 'name').orderBy('code');
  }

  /** Scores the period afresh (a draft); refused once the period is published. */
  async compute(kind: TargetKind, periodKind: AssessmentPeriodKind, periodKey: string, actor: Actor) {
    const period = parsePeriod(periodKind, periodKey);
    const existing = await this.knex('assessment_runs').where({ target_kind: kind, period_kind: periodKind, period_key: period.key }).first();
    if (existing?.status === 'published') throw conflict('assessment.frozen', `${period.label}考核已通报，结果已冻结`, { runId: Number(existing.id) });
    const scheme = await this.scheme(kind);
    const asOf = this.now();
    const autos = scheme.indicators.filter((i) => i.source === 'auto');
    const figures = [...new Set(autos.flatMap((i) => [METRICS[i.metric!].numerator, ...METRICS[i.metric!].denominator]))];
    const refs = await this.repo.refs({ from: period.from, to: period.to, asOf }, figures, kind === 'county' ? 'centre' : 'unit');
    const manual = await this.knex('assessment_manual_items').where({ target_kind: kind, period_key: period.key }).orderBy('id');
    const targets = await this.targets(kind);
    const scores = targets.map((t) => {
      const mine = refs.get(t.code) ?? new Map<string, string[]>();
      const explained: Record<string, { numerator: string[]; denominator: string[] }> = {};
      const indicators = scheme.indicators.map((ind) => {
        const s = this.score(ind, mine, manual.filter((m) => m.target_code === t.code && m.indicator_code === ind.code));
        if (s.refs) explained[ind.code] = s.refs;
        return s.score;
      });
      const total = round2(indicators.reduce((a, i) => a + i.score, 0));
      return { target_code: t.code, target_name: t.name, total, indicators: JSON.stringify(indicators), refs: JSON.stringify(explained) };
    });
    const runId = await this.knex.transaction(async (trx) => {
      const row = { scheme: JSON.stringify(scheme), status: 'draft', as_of: asOf, computed_at: this.now() };
      let id: number;
      if (existing) {
        id = Number(existing.id);
        await trx('assessment_runs').where({ id }).update(row);
        await trx('assessment_scores').where({ run_id: id }).delete();
      } else {
        const [r] = await trx('assessment_runs').insert({ target_kind: kind, period_kind: periodKind, period_key: period.key, ...row }).returning('id');
        id = Number(r.id ?? r);
      }
      for (let i = 0; i < scores.length; i += 500) await trx('assessment_scores').insert(scores.slice(i, i + 500).map((s) => ({ run_id: id, ...s })));
      return id;
    });
    return this.run(runId);
  }

  private score(ind: Indicator, refs: Map<string, string[]>, manual: Array<Record<string, any>>): { score: IndicatorScore; refs?: { numerator: string[]; denominator: string[] } } {
    const base = { code: ind.code, name: ind.name, weight: ind.weight, source: ind.source, metric: ind.metric ?? null, target: ind.target ?? null };
    if (ind.source === 'manual') {
      const items = manual.map((m) => ({ id: Number(m.id), item: m.item as ManualItem, score: Number(m.score), evidence: m.evidence as string, enteredBy: m.entered_by as string }));
      const sum = items.reduce((a, m) => a + m.score, 0);
      const score = round2(Math.max(0, Math.min(ind.weight, sum)));
      const note = items.length ? `人工考核${items.length}项，合计${round2(sum)}分（上限${ind.weight}分）` : '人工考核未录入，暂计0分';
      return { score: { ...base, value: null, numerator: null, denominator: null, score, note, manual: items } };
    }
    const m = METRICS[ind.metric!];
    const numerator = refs.get(m.numerator) ?? [];
    // A ticket or call in several denominator figures (按时 + 超时 of one kind are disjoint; the union guards the rest) counts once.
    const denominator = [...new Set(m.denominator.flatMap((f) => refs.get(f) ?? []))].sort();
    const target = ind.target ?? 1;
    if (denominator.length === 0) {
      return { score: { ...base, value: null, numerator: 0, denominator: 0, score: ind.weight, note: `本期无${m.label}考核数据，按满分计`, manual: [] }, refs: { numerator, denominator } };
    }
    const ratio = numerator.length / denominator.length;
    const value = Math.max(0, Math.min(1, m.complement ? 1 - ratio : ratio));
    const score = round2(ind.weight * Math.min(1, value / target));
    const note = `${m.label}${(value * 100).toFixed(2)}%（${m.complement ? `${denominator.length}件中${numerator.length}件逾期` : `${numerator.length}/${denominator.length}`}），目标${(target * 100).toFixed(0)}%，得${score}分`;
    return { score: { ...base, value, numerator: numerator.length, denominator: denominator.length, score, note, manual: [] }, refs: { numerator, denominator } };
  }

  async publish(id: number, actor: Actor) {
    const n = await this.knex('assessment_runs').where({ id, status: 'draft' }).update({ status: 'published', published_at: this.now(), published_by: actor.username });
    if (!n) {
      const r = await this.knex('assessment_runs').where({ id }).first('status');
      if (!r) throw notFound('assessment.run_not_found', `考核结果 ${id} 不存在`, { id });
      throw conflict('assessment.already_published', '该考核结果已通报', { id });
    }
    await this.audit.record({ actorUserId: actor.userId, actor: actor.username, action: 'assessment.publish', targetType: 'assessment_run', targetId: String(id), requestId: actor.requestId, details: {} });
    return this.run(id);
  }

  async run(id: number) {
    const r = await this.knex('assessment_runs').where({ id }).first();
    if (!r) throw notFound('assessment.run_not_found', `考核结果 ${id} 不存在`, { id });
    const scores = await this.knex('assessment_scores').where({ run_id: id }).select('target_code', 'target_name', 'total', 'indicators').orderBy([{ column: 'total', order: 'desc' }, 'target_code']);
    return {
      id: Number(r.id), targetKind: r.target_kind as TargetKind, periodKind: r.period_kind as AssessmentPeriodKind, periodKey: r.period_key as string,
      status: r.status as 'draft' | 'published', scheme: r.scheme as Scheme, asOf: new Date(r.as_of).toISOString(), computedAt: new Date(r.computed_at).toISOString(),
      publishedAt: r.published_at ? new Date(r.published_at).toISOString() : null, publishedBy: r.published_by as string | null,
      scores: scores.map((s) => ({ targetCode: s.target_code as string, targetName: s.target_name as string, total: Number(s.total), indicators: s.indicators as IndicatorScore[] })),
    };
  }

  async list(kind?: TargetKind) {
    const q = this.knex('assessment_runs').select('id', 'target_kind', 'period_kind', 'period_key', 'status', 'computed_at', 'published_at').orderBy('id', 'desc').limit(200);
    if (kind) q.where({ target_kind: kind });
    return (await q).map((r) => ({ id: Number(r.id), targetKind: r.target_kind, periodKind: r.period_kind, periodKey: r.period_key, status: r.status, computedAt: new Date(r.computed_at).toISOString(), publishedAt: r.published_at ? new Date(r.published_at).toISOString() : null }));
  }

  /** The rows behind one target's indicator, as stored when scored (frozen with the run). */
  async explain(id: number, targetCode: string, indicatorCode: string) {
    const s = await this.knex('assessment_scores').where({ run_id: id, target_code: targetCode }).first();
    if (!s) throw notFound('assessment.score_not_found', `考核结果 ${id} 中没有对象 ${targetCode}`, { id, targetCode });
    const ind = (s.indicators as IndicatorScore[]).find((i) => i.code === indicatorCode);
    if (!ind) throw notFound('assessment.indicator_not_found', `没有指标 ${indicatorCode}`, { indicatorCode });
    const refs = (s.refs as Record<string, { numerator: string[]; denominator: string[] }>)[indicatorCode] ?? { numerator: [], denominator: [] };
    const m = ind.metric ? METRICS[ind.metric] : null;
    return { indicator: ind, numeratorFigure: m?.numerator ?? null, denominatorFigures: m?.denominator ?? [], numerator: refs.numerator, denominator: refs.denominator };
  }
}
