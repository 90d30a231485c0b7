import { Api } from '../http/api';
import { badRequest, conflict } from '../http/errors';
import { z } from '../http/zod';
import { Role } from '../auth/roles';
import { FIGURES, FIGURE_BY_ID, RATES } from './figures';
import { parsePeriod } from './periods';
import { DIMENSIONS, ReportJobRow } from './repository';
import { DrillQuery, DrillResponse, FigureCatalogue, PeriodKey, PeriodKindSchema, ReportJobListSchema, ReportJobSchema } from './schemas';
import { Report, ReportService } from './service';
import { DIMENSION_SHEETS, reportWorkbook } from './xlsx';

/** Reports are the centre's and the government's (第二十六条): supervisors and admins, auditors read. */
export const REPORT_READERS: Role[] = ['supervisor', 'admin', 'auditor'];
const REPORT_WRITERS: Role[] = ['supervisor', 'admin'];

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const jobDto = (j: ReportJobRow, report?: unknown) => ({
  ...j, createdAt: iso(j.createdAt)!, finishedAt: iso(j.finishedAt), ...(report !== undefined ? { report: (report ?? null) as Report | null } : {}),
});

export function registerReportRoutes(api: Api, d: { reports: ReportService; now: () => Date }) {
  api.route({
    method: 'get', path: '/api/reports/figures', summary: 'The figures, rates and breakdowns of a report, with their Chinese headings', tags: ['reports'], roles: REPORT_READERS,
    response: FigureCatalogue,
    handler: () => ({ figures: FIGURES, rates: RATES, dimensions: DIMENSIONS.map((id) => ({ id, label: DIMENSION_SHEETS[id].heading })) }),
  });

  api.route({
    method: 'post', path: '/api/reports', summary: 'Generate a report for a period on demand (第二十六条); poll the job for progress', tags: ['reports'], roles: REPORT_WRITERS, status: 202,
    body: z.object({ kind: PeriodKindSchema, key: PeriodKey, centre: z.string().max(32).nullable().optional() }).openapi('ReportRequest'),
    response: ReportJobSchema, errors: { 400: '报告期格式错误' },
    handler: async ({ body, user, res }) => {
      const job = await d.reports.request(body.kind, body.key, body.centre ?? null, user!.username);
      res.status(202);
      return jobDto(job);
    },
  });

  api.route({
    method: 'get', path: '/api/reports/jobs', summary: 'Report jobs, newest first (scheduled and on demand)', tags: ['reports'], roles: REPORT_READERS,
    query: z.object({ kind: PeriodKindSchema.optional(), key: PeriodKey.optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }),
    response: ReportJobListSchema,
    handler: async ({ query }) => ({ items: (await d.reports.jobs.list({ periodKind: query.kind, periodKey: query.key, limit: query.limit })).map((j) => jobDto(j)) }),
  });

  api.route({
    method: 'get', path: '/api/reports/jobs/:id', summary: 'A report job: its progress, and the report once done', tags: ['reports'], roles: REPORT_READERS,
    params: z.object({ id: z.coerce.number().int().positive() }), response: ReportJobSchema, errors: { 404: '报告任务不存在' },
    handler: async ({ params }) => {
      const j = await d.reports.job(params.id);
      const { result, ...row } = j;
      return jobDto(row, result ?? null);
    },
  });

  api.route({
    method: 'get', path: '/api/reports/jobs/:id/xlsx', summary: 'A finished report as an xlsx workbook with Chinese headings', tags: ['reports'], roles: REPORT_READERS,
    params: z.object({ id: z.coerce.number().int().positive() }), errors: { 404: '报告任务不存在', 409: '报告尚未生成完成' },
    handler: async ({ params, res }) => {
      const j = await d.reports.job(params.id);
      if (j.status !== 'done' || !j.result) throw conflict('report.not_ready', '报告尚未生成完成，请稍后再导出', { status: j.status, progress: j.progress });
      const report = j.result as Report;
      const buf = await reportWorkbook(report);
      const name = `${report.period.label}受理分析报告.xlsx`;
      res.setHeader('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      res.setHeader('content-disposition', `attachment; filename="report-${report.period.key}.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`);
      res.end(buf);
      return undefined;
    },
  });

  api.route({
    method: 'get', path: '/api/reports/drilldown', summary: 'The rows behind a figure: call ids, ticket numbers or knowledge questions', tags: ['reports'], roles: REPORT_READERS,
    query: DrillQuery, response: DrillResponse, errors: { 400: '指标或报告期无效' },
    handler: async ({ query }) => {
      const fig = FIGURE_BY_ID.get(query.figure);
      if (!fig) throw badRequest('report.unknown_figure', `没有这个统计指标：${query.figure}`, { figure: query.figure, known: FIGURES.map((f) => f.id) });
      if (query.group !== undefined && !query.dimension) throw badRequest('report.group_without_dimension', '指定分组时须同时指定维度(dimension)', {});
      const period = parsePeriod(query.kind, query.key);
      const asOf = query.asOf ? new Date(query.asOf) : d.now();
      const group = query.dimension ? (query.group ?? '') : null;
      const r = await d.reports.repo.drill({ from: period.from, to: period.to, asOf, centre: query.centre ?? null }, fig.id, query.dimension ?? null, group === '' ? null : group, query.limit);
      return { figure: fig.id, label: fig.label, source: fig.source, ...r };
    },
  });
}
