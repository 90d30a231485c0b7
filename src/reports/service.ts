import { EventEmitter } from 'node:events';
import { Knex } from 'knex';
import { notFound } from '../http/errors';
import { Logger } from '../logging/logger';
import { DOMAIN_CATALOGUE } from '../tickets/catalogue';
import { CATEGORY_LABELS } from '../tickets/model';
import { FIGURES, RATES, rateOf } from './figures';
import { HotTopics, hotTopics } from './hot-topics';
import { PERIOD_KINDS, Period, PeriodKind, lastFinished, parsePeriod } from './periods';
import { DIMENSIONS, Dimension, ReportJobRow, ReportJobStore, ReportRepository } from './repository';
import { NETWORK_SOURCES, ReportSources } from './sources';

export interface ReportRow {
  key: string;
  label: string;
  figures: Record<string, number>;
  rates: Record<string, number | null>;
}

/** A finished report (第二十六条 受理分析报告): stored as the job's result. */
export interface Report {
  period: { kind: PeriodKind; key: string; label: string; from: string; to: string };
  centre: string | null;
  /** Open deadlines past due at this time count as overdue. */
  asOf: string;
  generatedAt: string;
  total: { figures: Record<string, number>; rates: Record<string, number | null> };
  breakdowns: Record<Dimension, ReportRow[]>;
  hotTopics: HotTopics;
}

const UNSPECIFIED = '未指定';
const DOMAIN_LABELS = new Map<string, string>(DOMAIN_CATALOGUE.map((d) => [d.code, d.label]));

function withRates(figures: Record<string, number>): { figures: Record<string, number>; rates: Record<string, number | null> } {
  const full: Record<string, number> = {};
  for (const f of FIGURES) full[f.id] = figures[f.id] ?? 0;
  const rates: Record<string, number | null> = {};
  for (const r of RATES) rates[r.id] = rateOf(r, full);
  return { figures: full, rates };
}

export interface ReportServiceDeps {
  knex: Knex;
  log: Logger;
  now: () => Date;
  leader: EventEmitter & { isLeader: boolean };
  scheduleIntervalMs: number;
  /** The tables the figures read (the city adds what its counties pushed). */
  sources?: ReportSources;
}

/**
 * Reports on demand (a job polled for its progress) and on schedule: on the leader instance only,
 * every finished week, month, quarter and year gets its report generated and stored once.
 */
export class ReportService {
  readonly repo: ReportRepository;
  readonly jobs: ReportJobStore;
  private timer: NodeJS.Timeout | null = null;
  private running = new Set<Promise<void>>();
  private ticking = false;

  constructor(private readonly d: ReportServiceDeps) {
    this.repo = new ReportRepository(d.knex, d.sources);
    this.jobs = new ReportJobStore(d.knex);
  }

  /** Computes a report; `progress` hears each step (the slow parts: the figures and the hot topics). */
  async build(period: Period, centre: string | null, progress: (pct: number, step: string) => Promise<void> = async () => {}, asOf = this.d.now()): Promise<Report> {
    await progress(5, 'figures');
    // The hot topics' word segmentation is JavaScript: it runs while the database counts the figures.
    const [counts, topics] = await Promise.all([
      this.repo.counts({ from: period.from, to: period.to, asOf, centre }).then(async (c) => {
        await progress(60, 'hot_topics');
        return c;
      }),
      hotTopics(this.d.knex, period.to, { centre, network: this.d.sources === NETWORK_SOURCES }),
    ]);
    await progress(90, 'labels');
    const { centres, units } = await this.repo.labels();
    const label = (dim: Dimension, key: string): string => {
      if (key === '') return UNSPECIFIED;
      if (dim === 'centre') return centres.get(key) ?? key;
      if (dim === 'unit') return units.get(key) ?? key;
      if (dim === 'category') return CATEGORY_LABELS[key as keyof typeof CATEGORY_LABELS] ?? key;
      if (dim === 'domain') return DOMAIN_LABELS.get(key) ?? key;
      return key === 'city' ? '市本级' : (units.get(key) ?? key);
    };
    const breakdowns = {} as Record<Dimension, ReportRow[]>;
    for (const dim of DIMENSIONS) {
      breakdowns[dim] = [...counts.by[dim].entries()]
        .map(([key, figures]) => ({ key, label: label(dim, key), ...withRates(figures) }))
        .sort((a, b) => (a.key === '' ? 1 : b.key === '' ? -1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    return {
      period: { kind: period.kind, key: period.key, label: period.label, from: period.from.toISOString(), to: period.to.toISOString() },
      centre,
      asOf: asOf.toISOString(),
      generatedAt: this.d.now().toISOString(),
      total: withRates(counts.total),
      breakdowns,
      hotTopics: topics,
    };
  }

  /** Starts a job and returns at once; the caller polls the job for progress and the result. */
  async request(kind: PeriodKind, key: string, centre: string | null, requestedBy: string): Promise<ReportJobRow> {
    const period = parsePeriod(kind, key);
    const job = (await this.jobs.create({ periodKind: kind, periodKey: period.key, centre, scheduled: false, requestedBy }))!;
    this.track(this.run(job.id, period, centre));
    return job;
  }

  async job(id: number) {
    const j = await this.jobs.get(id);
    if (!j) throw notFound('report.job_not_found', `报告任务 ${id} 不存在`, { id });
    return j;
  }

  private track(p: Promise<void>) {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private async run(id: number, period: Period, centre: string | null): Promise<void> {
    try {
      const report = await this.build(period, centre, (pct, step) => this.jobs.progress(id, pct, step));
      await this.jobs.finish(id, report);
    } catch (err) {
      this.d.log.error({ err: (err as Error).message, jobId: id }, 'report generation failed');
      await this.jobs.fail(id, (err as Error).message).catch(() => {});
    }
  }

  /** The schedule's pass: each kind's last finished period, stored once (the unique index makes a racing instance's insert a no-op). */
  async tick(): Promise<number> {
    if (this.ticking) return 0;
    this.ticking = true;
    let started = 0;
    try {
      for (const kind of PERIOD_KINDS) {
        const period = lastFinished(kind, this.d.now());
        if (await this.jobs.scheduledExists(kind, period.key)) continue;
        const job = await this.jobs.create({ periodKind: kind, periodKey: period.key, centre: null, scheduled: true, requestedBy: 'system' });
        if (!job) continue;
        started++;
        await this.run(job.id, period, null);
      }
    } finally {
      this.ticking = false;
    }
    return started;
  }

  private readonly onElected = () => this.startLoop();
  private readonly onDemoted = () => this.stopLoop();

  start(): void {
    this.d.leader.on('elected', this.onElected);
    this.d.leader.on('demoted', this.onDemoted);
    if (this.d.leader.isLeader) this.startLoop();
  }

  private startLoop() {
    if (this.timer) return;
    const loop = () => this.track(this.tick().then(() => undefined, (err) => this.d.log.warn({ err: (err as Error).message }, 'report schedule pass failed')));
    this.timer = setInterval(loop, this.d.scheduleIntervalMs);
    this.timer.unref();
    loop();
  }

  private stopLoop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async stop(): Promise<void> {
    this.d.leader.off('elected', this.onElected);
    this.d.leader.off('demoted', this.onDemoted);
    this.stopLoop();
    await Promise.allSettled([...this.running]);
  }
}
