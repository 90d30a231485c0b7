import fs from 'node:fs';
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { Browser, Page } from 'playwright-core';
import { startTestService, TestService } from '../support/service';
import { generateTraffic } from '../support/report-traffic';
import { createTicketsFeature } from '../../src/tickets/feature';
import { createReportsFeature } from '../../src/reports/feature';
import { FIGURES } from '../../src/reports/figures';
import { lastFinished } from '../../src/reports/periods';
import { SUMMARY_SHEET } from '../../src/reports/xlsx';
import { launch, newPage, login, screens, textOf, choose, until, axeViolations } from './browser';

/**
 * Issue 14: the 统计报表 and 考核评分 pages in headless Chromium, on the embedded default (PGlite,
 * the in-process live store). The service runs on the real clock, so the month the pages offer
 * first (the last finished one) is the month the traffic is generated for.
 */
describe('reports and assessment pages in headless Chromium', function () {
  this.timeout(240_000);
  let t: TestService;
  let browser: Browser;
  let page: Page;
  let supervisor: string;
  const period = lastFinished('month', new Date());

  before(async () => {
    browser = await launch();
    t = await startTestService({ database: 'pglite', redis: false, features: [createTicketsFeature(), createReportsFeature({ schedule: false })] });
    supervisor = await t.userToken(['supervisor'], { username: 'banzhang' });
    await t.userToken(['admin'], { username: 'chief' });
    await t.userToken(['auditor'], { username: 'shenji' });
    // Given a month of traffic (calls, tickets with their events, deadlines and visits).
    await generateTraffic(t.db.knex, { from: period.from, days: Math.round((period.to.getTime() - period.from.getTime()) / 86_400_000), callsPerDay: 24, ticketsPerDay: 10, seed: 14 });
  });
  beforeEach(async () => {
    page = (await newPage(browser)).page;
  });
  afterEach(async () => {
    await page.context().close();
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  /** The figure on its tile, as the page shows it. */
  const tile = async (id: string) => Number(await textOf(page, `[data-test=fig-${id}] .value`));

  it('given a supervisor, when they generate the monthly report, then the figures are the API’s and the raw rows’, drill down to rows, download as xlsx and draw charts; an auditor opens the stored report', async () => {
    await login(page, t.baseUrl, 'banzhang', '/supervisor');
    await page.click('nav a:has-text("统计报表")');
    await page.waitForURL('**/reports');
    await choose(page, '[data-test=rp-kind]', '月报');
    await choose(page, '[data-test=rp-key]', period.label);
    await page.click('[data-test=rp-generate]');
    await until(async () => (await textOf(page, '[data-test=rp-title]')).includes(`${period.label}受理分析报告`), { timeoutMs: 60_000, what: 'the generated report' });

    // Then every figure on the page is what the API reports for the same request.
    const r = await t.http('POST', '/api/reports', { token: supervisor, body: { kind: 'month', key: period.key } });
    const job = await until(async () => {
      const j = await t.http('GET', `/api/reports/jobs/${r.body.id}`, { token: supervisor });
      return j.body.status === 'done' ? j.body : null;
    }, { timeoutMs: 60_000, what: 'the API report' });
    const shown = FIGURES.filter((f) => !f.id.startsWith('notAccepted') || job.report.total.figures[f.id] > 0).map((f) => f.id);
    let compared = 0;
    for (const id of shown) {
      if (!(await page.$(`[data-test=fig-${id}]`))) continue;
      expect(await tile(id), id).to.equal(job.report.total.figures[id]);
      compared++;
    }
    expect(compared).to.be.greaterThan(25);
    expect(await textOf(page, '[data-test=rate-serviceLevel15s] .value')).to.equal(`${(job.report.total.rates.serviceLevel15s * 100).toFixed(2)}%`);

    // The 24-hour connection rate against GB/T 33358's target of at least 95%: the target as legend and tooltip, red only below it.
    const rate24 = job.report.total.rates.connectionRate24h;
    expect(await textOf(page, '[data-test=rate-connectionRate24h] .value')).to.equal(`${(rate24 * 100).toFixed(2)}%`);
    expect(await page.getAttribute('[data-test=rate-connectionRate24h]', 'title')).to.equal('24小时接通率目标 ≥95%（GB/T 33358）');
    expect(await textOf(page, '[data-test=target-connectionRate24h]')).to.equal(rate24 < 0.95 ? '目标 ≥95%，未达标' : '目标 ≥95%');
    expect(await page.$$eval('.tile.below-target', (els) => els.map((e) => e.getAttribute('data-test')))).to.deep.equal(rate24 < 0.95 ? ['rate-connectionRate24h'] : []);

    // And two of them are the raw rows counted in SQL.
    const offered = await t.db.knex.raw(
      `select count(*) as n from calls where started_at >= ? and started_at < ? and outcome in ('answered','transferred','abandoned','fallback','fallback-sms','fallback-message')`,
      [period.from, period.to],
    );
    expect(await tile('callsOffered')).to.equal(Number(offered.rows[0].n)).and.to.be.greaterThan(0);
    const accepted = await t.db.knex.raw(`select count(distinct ticket_no) as n from ticket_events where event = 'accept' and at >= ? and at < ?`, [period.from, period.to]);
    expect(await tile('ticketsAccepted')).to.equal(Number(accepted.rows[0].n)).and.to.be.greaterThan(0);

    // When a figure is drilled into, then its rows are listed: the same as the API's drill-down.
    await page.click('[data-test=fig-ticketsOverdue]');
    const overdue = await tile('ticketsOverdue');
    await until(async () => (await textOf(page, '[data-test=drill-total]')).startsWith(`共 ${overdue} 条`), { what: 'the drill-down total' });
    await until(async () => (await page.$$('[data-test=drill-rows] .el-table__body tr')).length === overdue, { what: 'the drill-down rows' });
    const drill = await t.http('GET', `/api/reports/drilldown?kind=month&key=${period.key}&figure=ticketsOverdue&asOf=${encodeURIComponent(job.report.asOf)}`, { token: supervisor });
    expect(drill.body.refs[0]).to.be.a('string');
    expect(await textOf(page, '[data-test=drill-rows] .el-table__body tr:first-child')).to.contain(drill.body.refs[0]);
    await page.keyboard.press('Escape');
    await page.locator('[data-test=drill-dialog]').waitFor({ state: 'hidden' });

    // A group of a breakdown drills to its own rows (转派 is by the unit dispatched to).
    await page.click('[data-test=rp-dimension] label:has-text("单位")');
    const water = job.report.breakdowns.unit.find((x: { key: string }) => x.key === 'RPT-WATER');
    await page.click('[data-test=cell-RPT-WATER-ticketsDispatched]');
    await until(async () => (await textOf(page, '[data-test=drill-total]')).startsWith(`共 ${water.figures.ticketsDispatched} 条`), { what: 'the unit’s drill-down' });
    expect(await textOf(page, '.el-dialog__title')).to.contain('市供水公司');
    await page.keyboard.press('Escape');
    await page.locator('[data-test=drill-dialog]').waitFor({ state: 'hidden' });

    // Then the charts are drawn.
    for (const chart of ['chart-rates', 'chart-breakdown', 'chart-hot']) expect(await page.$(`[data-test=${chart}] canvas`), chart).to.not.equal(null);

    // When downloaded, then the xlsx has the Chinese headings and the page's numbers.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-test=rp-xlsx]')]);
    expect(download.suggestedFilename()).to.equal(`${period.label}受理分析报告.xlsx`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(fs.readFileSync((await download.path())!) as unknown as ArrayBuffer);
    const summary = wb.getWorksheet(SUMMARY_SHEET)!;
    const headings = (summary.getRow(1).values as unknown[]).slice(1);
    for (const h of ['报告期', '话务量', '接通量', '15秒接通率', '放弃量', '24小时接通率', '忙时分流量', '受理量', '逾期量', '满意率']) expect(headings, h).to.include(h);
    expect(summary.getRow(2).getCell(1).value).to.equal(period.label);
    expect(summary.getRow(2).getCell(headings.indexOf('话务量') + 1).value).to.equal(await tile('callsOffered'));
    expect(wb.worksheets.map((w) => w.name)).to.include.members(['按热线中心', '按承办单位', '按诉求类别', '按领域', '按区域', '热点问题']);

    // A hot topic opens the tickets that use its term.
    const hot = job.report.hotTopics.terms[0];
    await page.click('[data-test=rp-hot] .el-table__body tr:first-child');
    await until(async () => (await textOf(page, '[data-test=drill-total]')).startsWith(`共 ${hot.current} 条`), { what: 'the hot topic’s tickets' });
    expect(await textOf(page, '.el-dialog__title')).to.contain(hot.term);
    expect((await page.$$('[data-test=drill-rows] .el-table__body tr')).length).to.equal(hot.ticketNos.length);
    await page.keyboard.press('Escape');
    await page.locator('[data-test=drill-dialog]').waitFor({ state: 'hidden' });

    await screens(page, 'reports-monthly');
    expect(await axeViolations(page)).to.deep.equal([]);

    // An auditor opens the stored report without generating one.
    const auditor = (await newPage(browser)).page;
    await login(auditor, t.baseUrl, 'shenji', '/audit');
    await auditor.click('nav a:has-text("统计报表")');
    await choose(auditor, '[data-test=rp-key]', period.label);
    expect(await auditor.$('[data-test=rp-generate]')).to.equal(null);
    await until(async () => (await textOf(auditor, '[data-test=rp-jobs]')).includes('已完成'), { what: 'the stored reports' });
    await auditor.click('[data-test=rp-jobs] .el-table__body tr:first-child');
    await until(async () => (await textOf(auditor, '[data-test=fig-callsOffered] .value')) === String(job.report.total.figures.callsOffered), { what: 'the stored report' });
    await auditor.context().close();
  });

  it('given the city (admin), when the monthly county assessment is scored, explained, given a manual check and published, then it is frozen; the scheme’s weights are edited; an auditor only reads', async () => {
    await login(page, t.baseUrl, 'chief', '/admin');
    await page.click('nav a:has-text("考核评分")');
    await page.waitForURL('**/assessment');
    await choose(page, '[data-test=as-target-kind]', '县(区)热线');
    await choose(page, '[data-test=as-period]', period.label);
    await page.click('[data-test=as-compute]');
    await until(async () => (await textOf(page, '[data-test=as-scores]')).includes('西峰区12345热线') && (await textOf(page, '[data-test=as-status]')) === '草稿', { timeoutMs: 60_000, what: 'the scored run' });
    const runs = await t.http('GET', '/api/assessment/runs?targetKind=county', { token: supervisor });
    const runId = runs.body.items[0].id;
    const run = (await t.http('GET', `/api/assessment/runs/${runId}`, { token: supervisor })).body;
    const xf = run.scores.find((s: { targetCode: string }) => s.targetCode === 'rpt-xf');
    expect(await textOf(page, '[data-test=score-rpt-xf-callConnection]')).to.equal(String(xf.indicators.find((i: { code: string }) => i.code === 'callConnection').score));

    // When a score is explained, then the calls behind its numerator and denominator are listed.
    await page.click('[data-test=score-rpt-xf-callConnection]');
    const ex = (await t.http('GET', `/api/assessment/runs/${runId}/explain?target=rpt-xf&indicator=callConnection`, { token: supervisor })).body;
    expect(ex.denominator.length).to.be.greaterThan(0);
    await until(async () => (await textOf(page, '[data-test=explain-note]')) === ex.indicator.note, { what: 'the explanation' });
    await until(async () => (await page.$$('[data-test=explain-denominator] .el-table__body tr')).length === ex.denominator.length, { what: 'the denominator rows' });
    expect((await page.$$('[data-test=explain-numerator] .el-table__body tr')).length).to.equal(ex.numerator.length);
    await screens(page, 'assessment-explain');
    await page.keyboard.press('Escape');
    await page.locator('[data-test=explain-dialog]').waitFor({ state: 'hidden' });

    // When the city enters a manual check with its evidence, then the draft is rescored with it.
    await page.click('[data-test=as-manual]');
    await choose(page, '[data-test=m-target]', '西峰区12345热线');
    await choose(page, '[data-test=m-indicator]', '数据报送');
    await choose(page, '[data-test=m-item]', '台账记录');
    await page.fill('[data-test=m-score] input', '8');
    await page.keyboard.press('Tab');
    await page.fill('#m-evidence', '月度报送台账齐全，见第3页');
    await page.click('[data-test=m-submit]');
    await until(async () => (await textOf(page, '[data-test=score-rpt-xf-dataReporting]')) === '8', { what: 'the manual score' });
    await page.click('[data-test=score-rpt-xf-dataReporting]');
    await until(async () => (await textOf(page, '[data-test=explain-manual]')).includes('月度报送台账齐全'), { what: 'the evidence' });
    expect(await textOf(page, '[data-test=explain-manual]')).to.contain('台账记录');
    await page.keyboard.press('Escape');
    await page.locator('[data-test=explain-dialog]').waitFor({ state: 'hidden' });
    await until(async () => (await page.$('.el-message')) === null, { what: 'the message to fade' });

    // When published (通报), then the run is frozen: no more publishing or rescoring.
    await page.click('[data-test=as-publish]');
    await page.click('.el-message-box__btns button:has-text("通报")');
    await until(async () => (await textOf(page, '[data-test=as-status]')) === '已通报', { what: 'the published state' });
    expect(await page.$('[data-test=as-publish]')).to.equal(null);
    expect(await page.$('[data-test=as-recompute]')).to.equal(null);
    expect(await t.db.knex('assessment_runs').where({ id: runId }).first('status', 'published_by')).to.deep.equal({ status: 'published', published_by: 'chief' });
    await until(async () => (await page.$('.el-message')) === null, { what: 'the success message to fade' });
    await screens(page, 'assessment-run');
    expect(await axeViolations(page)).to.deep.equal([]);
    await page.click('[data-test=as-compute]');
    await until(async () => (await textOf(page, '.el-message--error')).includes('已通报'), { what: 'the refusal to rescore' });

    // When the city moves 5 points of the units' scheme from 工单处理 to 满意率测评, then the new weights are stored (still 100).
    await page.click('.el-tabs__item:has-text("考核方案")');
    await page.click('[data-test=scheme-kind] label:has-text("承办单位")');
    await until(async () => (await textOf(page, '[data-test=scheme]')).includes('知识库更新维护'), { what: 'the units’ scheme' });
    await page.fill('input[aria-label="工单处理权重"]', '35');
    await page.keyboard.press('Tab');
    await until(async () => (await textOf(page, '[data-test=scheme-total]')) === '权重合计 95 分', { what: 'the running total' });
    expect(await page.isDisabled('[data-test=scheme-save]')).to.equal(true);
    await page.fill('input[aria-label="满意率测评权重"]', '35');
    await page.keyboard.press('Tab');
    await until(async () => (await textOf(page, '[data-test=scheme-total]')) === '权重合计 100 分', { what: 'the total back at 100' });
    await page.click('[data-test=scheme-save]');
    await until(async () => (await t.http('GET', '/api/assessment/schemes/unit', { token: supervisor })).body.version === 1, { what: 'the saved scheme' });
    const unitScheme = (await t.http('GET', '/api/assessment/schemes/unit', { token: supervisor })).body;
    expect(unitScheme.indicators.map((i: { code: string; weight: number }) => [i.code, i.weight])).to.deep.equal([['ticketHandling', 35], ['satisfaction', 35], ['knowledgeBase', 15], ['rules', 15]]);
    expect(unitScheme.updatedBy).to.equal('chief');

    // An auditor sees the published run and its scheme, without the city's buttons.
    const auditor = (await newPage(browser)).page;
    await login(auditor, t.baseUrl, 'shenji', '/audit');
    await auditor.goto(`${t.baseUrl}/assessment`);
    await until(async () => (await textOf(auditor, '[data-test=as-status]')) === '已通报', { what: 'the auditor’s view' });
    expect(await auditor.$('[data-test=as-compute]')).to.equal(null);
    await auditor.click('.el-tabs__item:has-text("考核方案")');
    await until(async () => (await textOf(auditor, '[data-test=scheme]')).includes('话务接通'), { what: 'the scheme' });
    expect(await textOf(auditor, '[data-test=scheme-total]')).to.equal('权重合计 100 分');
    expect(await auditor.$('[data-test=scheme-save]')).to.equal(null);
    await auditor.context().close();
  });
  it('given a month whose 24-hour connection rate falls below 95% (GB/T 33358), when its report is generated, then the rate is shown red as 未达标 and only that rate', async () => {
    // Given calls abandoned by callers who never got through within 24 hours (no answered call, no callback), enough to fall below the target.
    const before = await t.http('POST', '/api/reports', { token: supervisor, body: { kind: 'month', key: period.key } });
    const was = await until(async () => {
      const j = await t.http('GET', `/api/reports/jobs/${before.body.id}`, { token: supervisor });
      return j.body.status === 'done' ? j.body.report.total.figures : null;
    }, { timeoutMs: 60_000, what: 'the report before' });
    const extra = Math.ceil(was.callsConnected24h / 0.95 - was.callsOffered) + 5;
    await t.db.knex('calls').insert(Array.from({ length: extra }, (_, i) => {
      const started = new Date(period.from.getTime() + 3_600_000 + i * 60_000);
      return { server_id: 'rpt', linkedid: `rpt-low-${i}`, caller_number: `1381111${String(i).padStart(4, '0')}`, centre: 'rpt-city', queue: 'q', state: 'ended', started_at: started, ended_at: new Date(started.getTime() + 60_000), fallback: 'none', outcome: 'abandoned', queue_entered_at: new Date(started.getTime() + 8000), wait_seconds: 50 };
    }));
    // When the supervisor generates the month's report.
    await login(page, t.baseUrl, 'banzhang', '/supervisor');
    await page.click('nav a:has-text("统计报表")');
    await page.waitForURL('**/reports');
    await choose(page, '[data-test=rp-kind]', '月报');
    await choose(page, '[data-test=rp-key]', period.label);
    await page.click('[data-test=rp-generate]');
    await until(async () => (await textOf(page, '[data-test=fig-callsOffered] .value')) === String(was.callsOffered + extra), { timeoutMs: 60_000, what: 'the report with the abandoned calls' });
    // Then the rate is below the target, red, and says so in text as well as colour.
    const rate = was.callsConnected24h / (was.callsOffered + extra);
    expect(rate).to.be.lessThan(0.95);
    expect(await textOf(page, '[data-test=rate-connectionRate24h] .value')).to.equal(`${(rate * 100).toFixed(2)}%`);
    expect(await page.getAttribute('[data-test=rate-connectionRate24h]', 'class')).to.match(/\bbelow-target\b/);
    expect(await page.getAttribute('[data-test=rate-connectionRate24h]', 'title')).to.equal('24小时接通率目标 ≥95%（GB/T 33358）');
    expect(await textOf(page, '[data-test=target-connectionRate24h]')).to.equal('目标 ≥95%，未达标');
    expect(await page.evaluate(`getComputedStyle(document.querySelector('[data-test=rate-connectionRate24h] .value')).color`)).to.equal('rgb(179, 38, 30)');
    // Rates without a national target are never marked.
    expect(await page.$$eval('.tile.below-target', (els) => els.map((e) => e.getAttribute('data-test')))).to.deep.equal(['rate-connectionRate24h']);
    expect(await axeViolations(page)).to.deep.equal([]);
  });
});
