import { Knex } from 'knex';
import { FIGURES, FactWindow, allParts, callConditions, offeredCalls } from './figures';
import { LOCAL_SOURCES, ReportSources } from './sources';

/** The breakdowns every report carries (第二十六条: 按中心、承办单位、诉求类别、领域、区域). */
export const DIMENSIONS = ['centre', 'unit', 'category', 'domain', 'region'] as const;
export type Dimension = (typeof DIMENSIONS)[number];


const NON_CALL_FIGURES = FIGURES.filter((f) => f.source !== 'calls').map((f) => f.id);

export interface FigureCounts {
  total: Record<string, number>;
  /** dimension → group key → figure → count. */
  by: Record<Dimension, Map<string, Record<string, number>>>;
}

/**
 * The facts of every figure, with the region of the fact's unit (its county, 'city' for city-level
 * units). The ticket facts are unioned first and joined to their tickets once (one hash of the
 * tickets instead of one per figure).
 */
export function factsSql(w: FactWindow, figures?: string[]): { sql: string; binds: Knex.Value[] } {
  const parts = allParts(w).filter((p) => !figures || figures.includes(p.figure.id));
  const binds: Knex.Value[] = [];
  const selects: string[] = [];
  for (const p of parts.filter((x) => !x.ticket)) {
    binds.push(...p.binds);
    selects.push(`select '${p.figure.id}' as figure, ref, centre, unit, category, domain from (${p.sql}) p`);
  }
  const tickets = parts.filter((x) => x.ticket);
  if (tickets.length) {
    const inner = tickets
      .map((p) => {
        binds.push(...p.ticket!.binds);
        return `select '${p.figure.id}' as figure, ticket_no, unit from (${p.ticket!.sql}) p`;
      })
      .join('\nunion all\n');
    if (w.centre) binds.push(w.centre);
    selects.push(`select x.figure, x.ticket_no as ref, t.centre, x.unit, t.category, t.domain from (${inner}) x join ${(w.sources ?? LOCAL_SOURCES).tickets} t on t.no = x.ticket_no${w.centre ? ' where t.centre = ?' : ''}`);
  }
  const sql = `select f.figure, f.ref, f.centre, f.unit, f.category, f.domain,
      case when f.unit is null then null else coalesce(fu.county_code, case when fu.kind = 'county' then fu.code end, 'city') end as region
    from (${selects.join('\nunion all\n')}) f left join units fu on fu.code = f.unit`;
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
  /** `sources`: the city reads its own rows and what its counties pushed (./sources.ts). */
  constructor(private readonly knex: Knex, private readonly sources: ReportSources = LOCAL_SOURCES) {}

  private scoped(w: FactWindow): FactWindow {
    return { ...w, sources: w.sources ?? this.sources };
  }

  /**
   * Every figure's distinct count, in total and for each dimension's groups. Call figures are one
   * pass over the period's offered calls (a call id is one row, so counting rows is counting
   * distinct calls), and calls only have a centre. The ticket and knowledge facts are materialised
   * once; each grouping counts distinct (figure, key, ref) triples by hashing, which is several
   * times faster than count(distinct) over grouping sets (one sort per set).
   */
  async counts(window: FactWindow): Promise<FigureCounts> {
    const w = this.scoped(window);
    const out: FigureCounts = { total: {}, by: { centre: new Map(), unit: new Map(), category: new Map(), domain: new Map(), region: new Map() } };
    const [calls, facts] = await Promise.all([this.callCounts(w), this.factCounts(w)]);
    const add = (groups: Map<string, Record<string, number>>, k: string, figure: string, n: number) => {
      if (!groups.has(k)) groups.set(k, {});
      groups.get(k)![figure] = n;
    };
    for (const row of calls) {
      for (const [figure] of callConditions(w.sources)) {
        const n = Number(row[figure.id]);
        // A figure without facts is absent, as for the ticket figures (the report fills in 0).
        if (n === 0) continue;
        out.total[figure.id] = (out.total[figure.id] ?? 0) + n;
        add(out.by.centre, (row.k as string | null) ?? '', figure.id, n);
      }
    }
    for (const row of facts) {
      const n = Number(row.n);
      if (row.dim === 'total') out.total[row.figure] = n;
      else add(out.by[row.dim], row.k ?? '', row.figure, n);
    }
    return out;
  }

  private async callCounts(w: FactWindow): Promise<Array<Record<string, string | null>>> {
    const calls = offeredCalls(w);
    const sql = `select c.centre as k, ${callConditions(w.sources).map(([f, cond]) => `count(*) filter (where ${cond}) as "${f.id}"`).join(', ')} from ${calls.sql} group by c.centre`;
    return withoutJit(this.knex, sql, calls.binds);
  }

  /**
   * The ticket and knowledge figures. A fact's centre, category and domain are its ticket's (null
   * for knowledge questions): one value per (figure, ref), so after one distinct pass over
   * (figure, ref) the total and those three breakdowns are plain counts in one grouping-sets hash
   * aggregate. The unit (and with it the region) varies between the facts of one ticket, so those
   * two are distinct passes of their own.
   */
  private async factCounts(w: FactWindow): Promise<Array<{ dim: Dimension | 'total'; figure: string; k: string | null; n: string }>> {
    const { sql, binds } = factsSql(w, NON_CALL_FIGURES);
    const byUnit = (dim: 'unit' | 'region') => `select '${dim}' as dim, figure, ${dim} as k, count(*) as n from (select distinct figure, ${dim}, ref from facts) x group by figure, ${dim}`;
    return withoutJit(
      this.knex,
      `with facts as materialized (${sql}),
       refs as (select distinct figure, ref, centre, category, domain from facts)
       select case grouping(centre, category, domain) when 7 then 'total' when 3 then 'centre' when 5 then 'category' else 'domain' end as dim,
         figure, case grouping(centre, category, domain) when 3 then centre when 5 then category when 6 then domain end as k, count(*) as n
       from refs group by grouping sets ((figure), (figure, centre), (figure, category), (figure, domain))
       union all ${byUnit('unit')}
       union all ${byUnit('region')}`,
      binds,
    );
  }

  /** The rows behind a figure: call ids, ticket numbers or 'kbq:<id>', distinct and sorted. */
  async drill(w: FactWindow, figure: string, dimension: Dimension | null, key: string | null, limit: number): Promise<{ total: number; refs: string[] }> {
    const { sql, binds } = factsSql(this.scoped(w), [figure]);
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
    const { sql, binds } = factsSql(this.scoped(w), figures);
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
