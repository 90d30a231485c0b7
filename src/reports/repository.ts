import { Knex } from 'knex';
import { FactWindow, allParts } from './figures';

/** The breakdowns every report carries (第二十六条: 按中心、承办单位、诉求类别、领域、区域). */
export const DIMENSIONS = ['centre', 'unit', 'category', 'domain', 'region'] as const;
export type Dimension = (typeof DIMENSIONS)[number];


export interface FigureCounts {
  total: Record<string, number>;
  /** dimension → group key → figure → count. */
  by: Record<Dimension, Map<string, Record<string, number>>>;
}

/** The facts of every figure, with the region of the fact's unit (its county, 'city' for city-level units). */
export function factsSql(w: FactWindow, figures?: string[]): { sql: string; binds: Knex.Value[] } {
  const parts = allParts(w).filter((p) => !figures || figures.includes(p.figure.id));
  const binds: Knex.Value[] = [];
  const union = parts
    .map((p) => {
      binds.push(...p.binds);
      return `select '${p.figure.id}' as figure, ref, centre, unit, category, domain from (${p.sql}) p`;
    })
    .join('\nunion all\n');
  const sql = `select f.figure, f.ref, f.centre, f.unit, f.category, f.domain,
      case when f.unit is null then null else coalesce(fu.county_code, case when fu.kind = 'county' then fu.code end, 'city') end as region
    from (${union}) f left join units fu on fu.code = f.unit`;
  return { sql, binds };
}

/**
 * Runs a facts query with JIT off: the union of every figure has a planner cost far above
 * jit_above_cost, and compiling it costs tens of seconds while the query itself runs in a few.
 */
async function withoutJit<T>(knex: Knex, sql: string, binds: readonly Knex.Value[]): Promise<T> {
  return knex.transaction(async (trx) => {
    await trx.raw('set local jit = off');
    // The hash aggregates over the materialised facts fit in memory instead of spilling to disk.
    await trx.raw(`set local work_mem = '64MB'`);
    return (await trx.raw(sql, binds)).rows as T;
  });
}

export class ReportRepository {
  constructor(private readonly knex: Knex) {}

  /**
   * Every figure's distinct count, in total and for each dimension's groups. The facts are
   * materialised once; each grouping counts distinct (figure, key, ref) triples by hashing, which
   * is several times faster than count(distinct) over grouping sets (one sort per set).
   */
  async counts(w: FactWindow): Promise<FigureCounts> {
    const { sql, binds } = factsSql(w);
    const per = (dim: Dimension | 'total') => {
      const key = dim === 'total' ? `cast(null as text)` : dim;
      return `select '${dim}' as dim, figure, ${key} as k, count(*) as n from (select distinct figure, ${key === dim ? `${dim}, ` : ''}ref from facts) x group by figure${dim === 'total' ? '' : `, ${dim}`}`;
    };
    const rows = await withoutJit<Array<{ dim: Dimension | 'total'; figure: string; k: string | null; n: string }>>(
      this.knex,
      `with facts as materialized (${sql})
       ${(['total', ...DIMENSIONS] as const).map(per).join('\nunion all\n')}`,
      binds,
    );
    const out: FigureCounts = { total: {}, by: { centre: new Map(), unit: new Map(), category: new Map(), domain: new Map(), region: new Map() } };
    for (const row of rows) {
      const n = Number(row.n);
      if (row.dim === 'total') {
        out.total[row.figure] = n;
        continue;
      }
      // Calls have no unit, category, domain or region: they only appear in the total and by centre.
      if (row.k === null && row.dim !== 'centre' && row.figure.startsWith('calls')) continue;
      const groups = out.by[row.dim];
      const k = row.k ?? '';
      if (!groups.has(k)) groups.set(k, {});
      groups.get(k)![row.figure] = n;
    }
    return out;
  }

  /** The rows behind a figure: call ids, ticket numbers or 'kbq:<id>', distinct and sorted. */
  async drill(w: FactWindow, figure: string, dimension: Dimension | null, key: string | null, limit: number): Promise<{ total: number; refs: string[] }> {
    const { sql, binds } = factsSql(w, [figure]);
    const filter = dimension ? (key ? ` and ${dimension} = ?` : ` and ${dimension} is null`) : '';
    const rows = await withoutJit<Array<{ ref: string; total: string }>>(
      this.knex,
      `with facts as (${sql}), refs as (select distinct ref from facts where figure = ?${filter})
       select ref, count(*) over () as total from refs order by ref limit ?`,
      [...binds, figure, ...(dimension && key ? [key] : []), limit],
    );
    return { total: rows.length ? Number(rows[0].total) : 0, refs: rows.map((x) => x.ref) };
  }

  /** Per figure and group key of one dimension (or the whole scope): the distinct refs (for the assessment's frozen explanations). */
  async refs(w: FactWindow, figures: string[], dimension: Dimension | null): Promise<Map<string, Map<string, string[]>>> {
    const { sql, binds } = factsSql(w, figures);
    const key = dimension ?? `cast('' as text)`;
    const rows = await withoutJit<Array<{ figure: string; k: string; refs: string[] }>>(
      this.knex,
      `with facts as (${sql}) select figure, ${key} as k, array_agg(distinct ref) as refs from facts where ${key} is not null group by figure, ${key}`,
      binds,
    );
    const out = new Map<string, Map<string, string[]>>();
    for (const row of rows) {
      if (!out.has(row.k)) out.set(row.k, new Map());
      out.get(row.k)!.set(row.figure, row.refs);
    }
    return out;
  }

  async labels(): Promise<{ centres: Map<string, string>; units: Map<string, string> }> {
    const [centres, units] = await Promise.all([this.knex('centres').select('code', 'name'), this.knex('units').select('code', 'name')]);
    return { centres: new Map(centres.map((c) => [c.code, c.name])), units: new Map(units.map((u) => [u.code, u.name])) };
  }
}

export interface ReportJobRow {
  id: number;
  periodKind: string;
  periodKey: string;
  centre: string | null;
  scheduled: boolean;
  status: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  step: string | null;
  error: string | null;
  requestedBy: string;
  createdAt: Date;
  finishedAt: Date | null;
}

const mapJob = (r: Record<string, any>): ReportJobRow => ({
  id: Number(r.id), periodKind: r.period_kind, periodKey: r.period_key, centre: r.centre, scheduled: r.scheduled, status: r.status,
  progress: r.progress, step: r.step, error: r.error, requestedBy: r.requested_by, createdAt: r.created_at, finishedAt: r.finished_at,
});

export class ReportJobStore {
  constructor(private readonly knex: Knex) {}

  async create(j: { periodKind: string; periodKey: string; centre: string | null; scheduled: boolean; requestedBy: string }): Promise<ReportJobRow | null> {
    const values = [j.periodKind, j.periodKey, j.centre, j.scheduled, j.requestedBy];
    // A scheduled period is stored once (unique partial index): a second instance's insert is a no-op.
    const r = await this.knex.raw(
      `insert into report_jobs (period_kind, period_key, centre, scheduled, requested_by) values (?, ?, ?, ?, ?)${j.scheduled ? ' on conflict do nothing' : ''} returning *`,
      values,
    );
    const rows = r.rows as Array<Record<string, unknown>>;
    return rows[0] ? mapJob(rows[0]) : null;
  }

  async progress(id: number, progress: number, step: string): Promise<void> {
    await this.knex('report_jobs').where({ id }).update({ status: 'running', progress, step });
  }

  async finish(id: number, result: unknown): Promise<void> {
    await this.knex('report_jobs').where({ id }).update({ status: 'done', progress: 100, step: null, result: JSON.stringify(result), finished_at: this.knex.fn.now() });
  }

  async fail(id: number, error: string): Promise<void> {
    await this.knex('report_jobs').where({ id }).update({ status: 'failed', error, finished_at: this.knex.fn.now() });
  }

  async get(id: number): Promise<(ReportJobRow & { result: unknown }) | null> {
    const r = await this.knex('report_jobs').where({ id }).first();
    return r ? { ...mapJob(r), result: r.result } : null;
  }

  async list(f: { periodKind?: string; periodKey?: string; limit: number }): Promise<ReportJobRow[]> {
    const q = this.knex('report_jobs').select('id', 'period_kind', 'period_key', 'centre', 'scheduled', 'status', 'progress', 'step', 'error', 'requested_by', 'created_at', 'finished_at').orderBy('id', 'desc').limit(f.limit);
    if (f.periodKind) q.where({ period_kind: f.periodKind });
    if (f.periodKey) q.where({ period_key: f.periodKey });
    return (await q).map(mapJob);
  }

  /** Whether the schedule already stored (or is storing) this period; a failed attempt is cleared so it is retried. */
  async scheduledExists(periodKind: string, periodKey: string): Promise<boolean> {
    await this.knex('report_jobs').where({ period_kind: periodKind, period_key: periodKey, scheduled: true, status: 'failed' }).whereNull('centre').delete();
    return !!(await this.knex('report_jobs').where({ period_kind: periodKind, period_key: periodKey, scheduled: true }).whereNull('centre').first('id'));
  }

  /** Jobs left queued/running by an instance that stopped: failed, so the schedule may retry. */
  async failAbandoned(olderThan: Date): Promise<number> {
    return this.knex('report_jobs').whereIn('status', ['queued', 'running']).where('created_at', '<', olderThan).update({ status: 'failed', error: '生成中断（服务重启）', finished_at: this.knex.fn.now() });
  }
}
