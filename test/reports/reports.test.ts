import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { createReportsFeature, ReportsFeature } from '../../src/reports/feature';
import { FIGURES, RATES } from '../../src/reports/figures';
import { PeriodKind, parsePeriod } from '../../src/reports/periods';
import { DIMENSIONS } from '../../src/reports/repository';
import { Report } from '../../src/reports/service';
import { DIMENSION_SHEETS, SUMMARY_SHEET } from '../../src/reports/xlsx';
import { Satisfaction } from '../../src/tickets/satisfaction';
import { silentLogger } from '../../src/logging/logger';
import { DATABASE_KINDS, TestService, startTestService } from '../support/service';
import { generateTraffic, TRAFFIC_UNITS } from '../support/report-traffic';
import { until } from '../support/until';
import { RawFigures } from './raw';

const DAY = 86_400_000;
const period = parsePeriod('month', '2026-10');
/** Generation time: after the month, so open handling deadlines past due are overdue. */
const AS_OF = new Date(period.to.getTime() + 3 * DAY);

const toPlain = (m: Map<string, Set<string>>) => Object.fromEntries([...m].map(([k, v]) => [k, v.size]));

/**
 * The other report periods of 第二十六条 (周、季、年) over the same traffic: a week across the month's end
 * (it holds the days after), a week across its start (the days before), the quarters on either side and the year.
 */
const OTHER_PERIODS: Array<[PeriodKind, string]> = [['week', '2026-W44'], ['week', '2026-W40'], ['quarter', '2026-Q3'], ['quarter', '2026-Q4'], ['year', '2026']];

/** Every figure of every breakdown of `report` equals the raw recomputation grouped the same way. */
async function breakdownsAgree(report: Report, raw: RawFigures, what = report.period.key): Promise<void> {
  for (const dim of ['centre', 'unit', 'category', 'domain', 'region'] as const) {
    for (const f of FIGURES) {
      if (f.source === 'calls' && dim !== 'centre') continue;
      const expected = toPlain(await raw.grouped(f.id, dim));
      const actual = Object.fromEntries(report.breakdowns[dim].filter((r) => (r.figures[f.id] ?? 0) > 0).map((r) => [r.key, r.figures[f.id]]));
      expect(actual, `${what}: ${f.id} by ${dim}`).to.deep.equal(expected);
    }
  }
}

for (const database of DATABASE_KINDS) {
  describe(`reports (第二十六条) on ${database}`, function () {
    this.timeout(180_000);
    let t: TestService;
    let feature: ReportsFeature;
    let token: string;
    let report: Report;
    let jobId: number;
    let raw: RawFigures;

    before(async () => {
      feature = createReportsFeature({ now: () => AS_OF, schedule: false });
      t = await startTestService({ database, features: [feature] });
      token = await t.userToken(['supervisor']);
      // Given a generated month of traffic, with a few days either side that must not be counted.
      await generateTraffic(t.db.knex, { from: period.from, days: 31, callsPerDay: 40, ticketsPerDay: 16, seed: 7 });
      await generateTraffic(t.db.knex, { from: new Date(period.from.getTime() - 3 * DAY), days: 3, callsPerDay: 20, ticketsPerDay: 8, seed: 8, tag: 'B' });
      await generateTraffic(t.db.knex, { from: period.to, days: 2, callsPerDay: 20, ticketsPerDay: 8, seed: 9, tag: 'A' });
      raw = new RawFigures(t.db.knex, { from: period.from, to: period.to, asOf: AS_OF });
      // When the monthly report is requested and its job polled until done.
      const r = await t.http('POST', '/api/reports', { token, body: { kind: 'month', key: '2026-10' } });
      expect(r.status).to.equal(202);
      expect(r.body.status).to.be.oneOf(['queued', 'running', 'done']);
      jobId = r.body.id;
      const done = await until(async () => {
        const j = await t.http('GET', `/api/reports/jobs/${jobId}`, { token });
        return j.body.status === 'done' ? j.body : j.body.status === 'failed' ? Promise.reject(new Error(j.body.error)) : null;
      }, { timeoutMs: 120_000, intervalMs: 100, what: 'the report job to finish' });
      expect(done.progress).to.equal(100);
      report = done.report;
    });
    after(async () => t?.stop());

    it('then every total figure equals its raw-SQL recomputation', async () => {
      expect(report.period).to.include({ kind: 'month', key: '2026-10', label: '2026年10月', from: '2026-09-30T16:00:00.000Z', to: '2026-10-31T16:00:00.000Z' });
      for (const f of FIGURES) {
        const expected = (await raw.grouped(f.id, 'total')).get('')?.size ?? 0;
        expect(report.total.figures[f.id], f.id).to.equal(expected);
      }
      // The traffic is big enough that no figure is trivially zero (except the reasons the generator never uses).
      const zero = FIGURES.filter((f) => report.total.figures[f.id] === 0).map((f) => f.id);
      expect(zero.every((id) => /^notAccepted(SecretsOrPrivacy|EmergencyLine|AbuseOrRepeatedAfterClosure|OtherLegal)$/.test(id)), zero.join(',')).to.equal(true);
    });

    for (const [kind, key] of OTHER_PERIODS) {
      it(`when the ${kind} ${key} is generated, then its progress rises step by step to 100 and every total and breakdown equals the raw recomputation over its own window`, async () => {
        const p = parsePeriod(kind, key);
        // Each progress step the job passes through, as GET /api/reports/jobs/:id shows it at that moment (the build awaits the store, so the job is still running).
        const jobs = feature.internals!.reports.jobs;
        const seen: Array<{ pct: number; step: string; status: string; progress: number; shownStep: string | null }> = [];
        const store = jobs.progress.bind(jobs);
        jobs.progress = async (id, pct, step) => {
          await store(id, pct, step);
          const j = await t.http('GET', `/api/reports/jobs/${id}`, { token });
          seen.push({ pct, step, status: j.body.status, progress: j.body.progress, shownStep: j.body.step });
        };
        let done: { progress: number; report: Report };
        try {
          const r = await t.http('POST', '/api/reports', { token, body: { kind, key } });
          expect(r.status).to.equal(202);
          done = await until(async () => {
            const j = await t.http('GET', `/api/reports/jobs/${r.body.id}`, { token });
            return j.body.status === 'done' ? j.body : j.body.status === 'failed' ? Promise.reject(new Error(j.body.error)) : null;
          }, { timeoutMs: 120_000, intervalMs: 100, what: `the ${kind} report job to finish` });
        } finally {
          delete (jobs as { progress?: unknown }).progress; // the store's own method again
        }
        expect(seen.map((s) => s.step)).to.deep.equal(['figures', 'hot_topics', 'labels']);
        for (const s of seen) expect(s, s.step).to.deep.include({ status: 'running', progress: s.pct, shownStep: s.step });
        const steps = [...seen.map((s) => s.progress), done.progress];
        expect(steps.every((v, i) => i === 0 || v > steps[i - 1]), steps.join(' → ')).to.equal(true);
        expect(steps[0]).to.be.greaterThan(0);
        expect(steps.slice(0, -1).every((v) => v < 100)).to.equal(true);
        expect(done.progress).to.equal(100);

        expect(done.report.period).to.include({ kind, key, label: p.label, from: p.from.toISOString(), to: p.to.toISOString() });
        const rawP = new RawFigures(t.db.knex, { from: p.from, to: p.to, asOf: new Date(done.report.asOf) });
        for (const f of FIGURES) {
          const expected = (await rawP.grouped(f.id, 'total')).get('')?.size ?? 0;
          expect(done.report.total.figures[f.id], `${key} ${f.id}`).to.equal(expected);
        }
        expect(done.report.total.figures.callsOffered, 'the window holds traffic').to.be.greaterThan(0);
        expect(done.report.total.figures.ticketsReceived).to.be.greaterThan(0);
        await breakdownsAgree(done.report, rawP, key);
      });
    }

    it('then every breakdown by centre, unit, category, domain and region equals the raw recomputation', async () => {
      await breakdownsAgree(report, raw);
      expect(report.breakdowns.unit.find((r) => r.key === 'RPT-HOUSING')?.label).to.equal('市住建局');
      expect(report.breakdowns.region.find((r) => r.key === 'RPT-XF')?.label).to.equal('西峰区人民政府');
      expect(report.breakdowns.region.find((r) => r.key === 'city')?.label).to.equal('市本级');
    });

    it('then the rates are their figures divided, and satisfaction agrees with the tickets’ own 第二十二条(四) rate', async () => {
      for (const r of RATES) {
        const d = r.denominator.reduce((s, id) => s + report.total.figures[id], 0);
        expect(report.total.rates[r.id], r.id).to.equal(d ? report.total.figures[r.numerator] / d : null);
      }
      const sat = new Satisfaction(t.db.knex, undefined as never, undefined as never, undefined as never, silentLogger());
      const all = await sat.rate({ from: period.from, to: period.to });
      expect(report.total.figures.visits).to.equal(all.visits);
      expect(report.total.figures.visitsCounted).to.equal(all.counted);
      expect(report.total.rates.satisfactionRate).to.equal(all.rate);
      expect(report.total.figures.excludedMediation).to.equal(all.excluded.mediation_or_enforcement);
      for (const u of TRAFFIC_UNITS) {
        const mine = await sat.rate({ from: period.from, to: period.to, unitCode: u.code });
        const row = report.breakdowns.unit.find((r) => r.key === u.code);
        expect(row?.rates.satisfactionRate ?? null, u.code).to.equal(mine.rate);
      }
    });

    it('when a figure is drilled into, then the rows behind it are exactly the raw rows', async () => {
      const cases: Array<[string, 'unit' | 'centre' | null, string | null]> = [
        ['callsConnected24h', null, null], ['callsAbandoned', 'centre', 'rpt-xf'], ['ticketsOverdue', 'unit', 'RPT-WATER'],
        ['returnsLate', 'unit', 'RPT-XF-TOWN'], ['visitsCounted', 'unit', 'RPT-HOUSING'], ['ticketsNotAccepted', null, null],
      ];
      for (const [figure, dim, group] of cases) {
        const q = `kind=month&key=2026-10&figure=${figure}&asOf=${encodeURIComponent(report.asOf)}${dim ? `&dimension=${dim}&group=${group}` : ''}`;
        const r = await t.http('GET', `/api/reports/drilldown?${q}`, { token });
        expect(r.status, figure).to.equal(200);
        const expected = [...((await raw.grouped(figure, dim ?? 'total')).get(group ?? '') ?? [])].sort();
        expect(r.body.refs, figure).to.deep.equal(expected);
        expect(r.body.total).to.equal(expected.length).and.to.be.greaterThan(0);
        const row = dim ? report.breakdowns[dim].find((x) => x.key === group)! : report.total;
        expect(row.figures[figure]).to.equal(expected.length);
      }
    });

    it('then the hot topics hold the term and the place that rose in the last week', async () => {
      const hot = report.hotTopics;
      expect(hot.terms.length).to.be.greaterThan(0);
      const top = hot.terms[0];
      expect('燃气管道泄漏').to.include(top.term);
      const curFrom = new Date(hot.currentFrom);
      const prevFrom = new Date(hot.previousFrom);
      const count = async (col: string, a: Date, b: Date) =>
        Number((await t.db.knex('tickets').where('created_at', '>=', a).where('created_at', '<', b).where(col, 'like', `%${top.term}%`).count({ n: '*' }))[0].n);
      expect(top.current).to.equal(await count('content', curFrom, period.to));
      expect(top.previous).to.equal(await count('content', prevFrom, curFrom));
      expect(top.ticketNos.length).to.equal(Math.min(50, top.current));
      expect(hot.places.map((p) => p.term).some((p) => '西峰区九龙路'.includes(p) && p.length >= 2)).to.equal(true);
    });

    it('when exported, then the xlsx opens with the Chinese headings and the same numbers', async () => {
      const res = await fetch(`${t.baseUrl}/api/reports/jobs/${jobId}/xlsx`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.contain('spreadsheetml');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as unknown as ArrayBuffer);
      const summary = wb.getWorksheet(SUMMARY_SHEET)!;
      const headings = (summary.getRow(1).values as unknown[]).slice(1);
      for (const h of ['报告期', '话务量', '接通量', '15秒接通率', '放弃率', '24小时接通率', '忙时分流量', '受理量', '逾期量', '满意率']) expect(headings, h).to.include(h);
      expect(summary.getRow(2).getCell(1).value).to.equal('2026年10月');
      expect(summary.getRow(2).getCell(headings.indexOf('话务量') + 1).value).to.equal(report.total.figures.callsOffered);
      for (const dim of DIMENSIONS) {
        const ws = wb.getWorksheet(DIMENSION_SHEETS[dim].sheet)!;
        expect(ws.getRow(1).getCell(1).value).to.equal(DIMENSION_SHEETS[dim].heading);
        expect(ws.rowCount).to.equal(report.breakdowns[dim].length + 1);
      }
    });

    it('when the period or the figure is wrong, then 400 with a stable id and a Chinese message', async () => {
      const a = await t.http('POST', '/api/reports', { token, body: { kind: 'month', key: '2026-13' } });
      expect(a.status).to.equal(400);
      expect(a.body.error.id).to.equal('report.bad_period');
      expect(a.body.error.message).to.match(/报告期格式错误/);
      const b = await t.http('GET', '/api/reports/drilldown?kind=week&key=2026-W44&figure=nope', { token });
      expect(b.body.error.id).to.equal('report.unknown_figure');
      const c = await t.http('GET', '/api/reports/jobs/999999', { token });
      expect([c.status, c.body.error.id]).to.deep.equal([404, 'report.job_not_found']);
      const op = await t.userToken(['operator']);
      expect((await t.http('POST', '/api/reports', { token: op, body: { kind: 'month', key: '2026-10' } })).status).to.equal(403);
    });
  });
}
