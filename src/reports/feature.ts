import { Feature, ServiceContext } from '../app/context';
import { AssessmentService } from './assessment';
import { registerAssessmentRoutes } from './routes-assessment';
import { registerReportRoutes } from './routes';
import { ReportService } from './service';
import { LOCAL_SOURCES, NETWORK_SOURCES } from './sources';

export const REPORTS_SERVICE_KEY = 'reports';

export interface ReportsFeatureOptions {
  /** The service's notion of now (tests drive the clock). */
  now?: () => Date;
  /** How often the leader looks for finished periods without a stored report (default 10 min). */
  scheduleIntervalMs?: number;
  /** Tests that drive generation themselves turn the schedule off. */
  schedule?: boolean;
}

export interface ReportsFeature extends Feature {
  internals?: { reports: ReportService; assessment: AssessmentService };
}

/** Reports (第九条(五), 第二十六条) and the 100-point assessment (第二十八、二十九条). */
export function createReportsFeature(opts: ReportsFeatureOptions = {}): ReportsFeature {
  let reports: ReportService | null = null;
  const feature: ReportsFeature = {
    name: 'reports',
    register(ctx: ServiceContext) {
      const now = opts.now ?? (() => new Date());
      const log = ctx.log.child({ component: 'reports' });
      // The city sums its counties (第二十六条) and scores them (第二十八条) from its own rows and what they pushed.
      const sources = ctx.config.networkRole === 'city' ? NETWORK_SOURCES : LOCAL_SOURCES;
      reports = new ReportService({ knex: ctx.knex, log, now, leader: ctx.leader, scheduleIntervalMs: opts.scheduleIntervalMs ?? 600_000, sources });
      const assessment = new AssessmentService(ctx.knex, reports.repo, ctx.audit, now);
      registerReportRoutes(ctx.api, { reports, now });
      registerAssessmentRoutes(ctx.api, { assessment });
      ctx.services.set(REPORTS_SERVICE_KEY, { reports, assessment });
      feature.internals = { reports, assessment };
    },
    async start() {
      // Jobs a stopped instance left half done would poll forever: mark them failed (the schedule retries its own).
      await reports!.jobs.failAbandoned(new Date(Date.now() - 3_600_000));
      if (opts.schedule !== false) reports!.start();
    },
    async stop() {
      await reports?.stop();
    },
  };
  return feature;
}
