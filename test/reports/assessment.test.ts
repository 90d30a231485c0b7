import { expect } from 'chai';
import { createReportsFeature, ReportsFeature } from '../../src/reports/feature';
import { DEFAULT_SCHEMES, METRICS } from '../../src/reports/scheme';
import { parsePeriod } from '../../src/reports/periods';
import { TestService, startTestService } from '../support/service';
import { generateTraffic, TRAFFIC_UNITS } from '../support/report-traffic';
import { Grouping, RawFigures } from './raw';

const DAY = 86_400_000;
const period = parsePeriod('month', '2026-10');
const AS_OF = new Date(period.to.getTime() + 3 * DAY);
const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Every automatic indicator of every target in a run against the raw rows (第二十八条 以平台数据为主):
 * its numerator is the raw rows of the metric's numerator figure, its denominator the union of the raw
 * rows of its denominator figures, the score follows from the two, and the explanation lists exactly
 * those rows. Returns, per indicator, how many targets had something to measure.
 */
async function autosAgree(t: TestService, token: string, run: any, raw: RawFigures, dim: Extract<Grouping, 'unit' | 'centre'>): Promise<Record<string, number>> {
  const cache = new Map<string, Map<string, Set<string>>>();
  const rows = async (figure: string, code: string) => {
    if (!cache.has(figure)) cache.set(figure, await raw.grouped(figure, dim));
    return [...(cache.get(figure)!.get(code) ?? [])];
  };
  const measured: Record<string, number> = {};
  for (const s of run.scores) {
    for (const ind of s.indicators) {
      if (ind.source !== 'auto') continue;
      const what = `${run.periodKey} ${s.targetCode} ${ind.code}`;
      const def = run.scheme.indicators.find((i: any) => i.code === ind.code);
      expect(ind.metric, what).to.equal(def.metric);
      const m = METRICS[ind.metric];
      const n = [...new Set(await rows(m.numerator, s.targetCode))].sort();
      const d = [...new Set((await Promise.all(m.denominator.map((f) => rows(f, s.targetCode)))).flat())].sort();
      expect([ind.numerator, ind.denominator], what).to.deep.equal([n.length, d.length]);
      const ratio = d.length ? n.length / d.length : 0;
      const value = Math.max(0, Math.min(1, m.complement ? 1 - ratio : ratio));
      expect(ind.score, what).to.equal(d.length ? round2(def.weight * Math.min(1, value / (def.target ?? 1))) : def.weight);
      expect(ind.value, what).to.equal(d.length ? value : null);
      const ex = (await t.http('GET', `/api/assessment/runs/${run.id}/explain?target=${s.targetCode}&indicator=${ind.code}`, { token })).body;
      expect([ex.numerator.slice().sort(), ex.denominator.slice().sort()], what).to.deep.equal([n, d]);
      measured[ind.code] = (measured[ind.code] ?? 0) + (d.length > 0 ? 1 : 0);
    }
    expect(s.total).to.equal(round2(s.indicators.reduce((a: number, i: any) => a + i.score, 0)));
  }
  return measured;
}

describe('assessment, 100-point scheme (第二十八、二十九条)', function () {
  this.timeout(120_000);
  let t: TestService;
  let feature: ReportsFeature;
  let admin: string;
  let raw: RawFigures;
  let now = AS_OF;

  before(async () => {
    feature = createReportsFeature({ now: () => now, schedule: false });
    t = await startTestService({ features: [feature] });
    admin = await t.userToken(['admin']);
    // Given a generated month of traffic and a little of the months around it.
    await generateTraffic(t.db.knex, { from: period.from, days: 31, callsPerDay: 30, ticketsPerDay: 16, seed: 21 });
    await generateTraffic(t.db.knex, { from: period.to, days: 3, callsPerDay: 10, ticketsPerDay: 8, seed: 22, tag: 'N' });
    raw = new RawFigures(t.db.knex, { from: period.from, to: period.to, asOf: AS_OF });
  });
  after(async () => t?.stop());

  const run = (targetKind: 'unit' | 'county', periodKey = '2026-10') => t.http('POST', '/api/assessment/runs', { token: admin, body: { targetKind, periodKind: 'month', periodKey } });

  it('when units are scored, then 工单处理 counts late returns against their month and leaves approved returns out of the handled volume', async () => {
    const r = await run('unit');
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.status).to.equal('draft');
    const assessed = await raw.grouped('unitAssessed', 'unit');
    const overdue = await raw.grouped('unitOverdue', 'unit');
    for (const u of TRAFFIC_UNITS) {
      const s = r.body.scores.find((x: any) => x.targetCode === u.code);
      const ind = s.indicators.find((i: any) => i.code === 'ticketHandling');
      const d = assessed.get(u.code)?.size ?? 0;
      const n = overdue.get(u.code)?.size ?? 0;
      expect([ind.numerator, ind.denominator], u.code).to.deep.equal([n, d]);
      expect(d).to.be.greaterThan(0);
      expect(ind.score).to.equal(round2(40 * (1 - n / d)));
      expect(s.total).to.equal(round2(s.indicators.reduce((a: number, i: any) => a + i.score, 0)));
    }
    // A late return made in October by a unit whose return was approved: overdue for that unit, not its handled volume.
    const late = await t.db.knex('ticket_deadlines as d').join('ticket_events as e', function () {
      this.on('e.ticket_no', 'd.ticket_no').andOnVal('e.event', 'approve_return');
    }).where({ 'd.kind': 'return', 'd.missed': true }).where('d.ended_at', '>=', period.from).where('d.ended_at', '<', period.to).first('d.ticket_no', 'd.started_at');
    expect(late, 'the generator makes late approved returns').to.not.equal(undefined);
    const first = await t.db.knex('ticket_units').where({ ticket_no: late.ticket_no, role: 'main', assigned_at: late.started_at }).first('unit_code');
    const ex = await t.http('GET', `/api/assessment/runs/${r.body.id}/explain?target=${first.unit_code}&indicator=ticketHandling`, { token: admin });
    expect(ex.body.numerator).to.include(late.ticket_no);
    expect(ex.body.denominator).to.include(late.ticket_no);
    const handled = await t.http('GET', `/api/reports/drilldown?kind=month&key=2026-10&figure=unitHandled&dimension=unit&group=${first.unit_code}&asOf=${encodeURIComponent(AS_OF.toISOString())}`, { token: admin });
    expect(handled.body.refs).to.not.include(late.ticket_no);
  });

  it('when counties are scored, then 话务接通 is the 24-hour connection rate behind the rows it lists', async () => {
    const r = await run('county');
    const s = r.body.scores.find((x: any) => x.targetCode === 'rpt-xf');
    const ind = s.indicators.find((i: any) => i.code === 'callConnection');
    const offered = [...((await raw.grouped('callsOffered', 'centre')).get('rpt-xf') ?? [])].sort();
    const connected = [...((await raw.grouped('callsConnected24h', 'centre')).get('rpt-xf') ?? [])].sort();
    expect([ind.numerator, ind.denominator]).to.deep.equal([connected.length, offered.length]);
    expect(ind.score).to.equal(round2(25 * Math.min(1, connected.length / offered.length / 0.95)));
    const ex = await t.http('GET', `/api/assessment/runs/${r.body.id}/explain?target=rpt-xf&indicator=callConnection`, { token: admin });
    expect(ex.body.numerator.slice().sort()).to.deep.equal(connected);
    expect(ex.body.denominator).to.deep.equal(offered);
    const manual = s.indicators.find((i: any) => i.code === 'dataReporting');
    expect([manual.score, manual.note]).to.deep.equal([0, '人工考核未录入，暂计0分']);
  });

  it('when units and counties are scored, then every automatic indicator of every target is its raw rows: numerator, denominator, score and explanation', async () => {
    for (const [kind, dim] of [['unit', 'unit'], ['county', 'centre']] as const) {
      const r = await run(kind);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      const measured = await autosAgree(t, admin, r.body, new RawFigures(t.db.knex, { from: period.from, to: period.to, asOf: new Date(r.body.asOf) }), dim);
      // Every automatic indicator of the scheme was compared, each with rows behind it for some target.
      const autos = DEFAULT_SCHEMES[kind].indicators.filter((i) => i.source === 'auto').map((i) => i.code);
      expect(Object.keys(measured).sort(), kind).to.deep.equal(autos.slice().sort());
      for (const code of autos) expect(measured[code], `${kind} ${code}`).to.be.greaterThan(0);
    }
  });

  it('when units and counties are scored for the year, then every automatic indicator is the raw rows of the whole year', async () => {
    const year = parsePeriod('year', '2026');
    const handledIn = (r: any) => r.scores.reduce((a: number, s: any) => a + s.indicators.find((i: any) => i.code === 'ticketHandling').denominator, 0);
    for (const [kind, dim] of [['unit', 'unit'], ['county', 'centre']] as const) {
      const r = await t.http('POST', '/api/assessment/runs', { token: admin, body: { targetKind: kind, periodKind: 'year', periodKey: '2026' } });
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      expect(r.body).to.include({ periodKind: 'year', periodKey: '2026', status: 'draft' });
      const measured = await autosAgree(t, admin, r.body, new RawFigures(t.db.knex, { from: year.from, to: year.to, asOf: new Date(r.body.asOf) }), dim);
      for (const i of DEFAULT_SCHEMES[kind].indicators.filter((x) => x.source === 'auto')) expect(measured[i.code], `${kind} ${i.code}`).to.be.greaterThan(0);
      // The year holds more than October: the days of November generated after it count too.
      const month = (await run(kind)).body;
      expect(handledIn(r.body), kind).to.be.greaterThan(handledIn(month));
    }
  });

  it('when the city enters a manual check with evidence, then it scores the manual indicator; without evidence it is refused', async () => {
    const body = { targetKind: 'unit', targetCode: 'RPT-HOUSING', periodKey: '2026-10', indicatorCode: 'rules', item: 'material_review', score: 12, evidence: '制度文件齐全,见附件', evidenceRefs: ['doc-1'] };
    expect((await t.http('POST', '/api/assessment/manual-items', { token: admin, body })).status).to.equal(201);
    const noEvidence = await t.http('POST', '/api/assessment/manual-items', { token: admin, body: { ...body, evidence: ' ' } });
    expect([noEvidence.status, noEvidence.body.error.id]).to.deep.equal([400, 'request.invalid']);
    const auto = await t.http('POST', '/api/assessment/manual-items', { token: admin, body: { ...body, indicatorCode: 'ticketHandling' } });
    expect([auto.status, auto.body.error.id]).to.deep.equal([422, 'assessment.not_manual_indicator']);
    const tooMuch = await t.http('POST', '/api/assessment/manual-items', { token: admin, body: { ...body, score: 16 } });
    expect(tooMuch.body.error.id).to.equal('assessment.score_above_weight');
    const r = await run('unit');
    const ind = r.body.scores.find((x: any) => x.targetCode === 'RPT-HOUSING').indicators.find((i: any) => i.code === 'rules');
    expect(ind.score).to.equal(12);
    expect(ind.manual).to.have.length(1);
    expect(ind.manual[0]).to.include({ item: 'material_review', evidence: '制度文件齐全,见附件' });
  });

  it('when a run is published (通报), then it is frozen: data changes, recomputation and manual entries do not move it', async () => {
    const before = (await run('unit')).body;
    const pub = await t.http('POST', `/api/assessment/runs/${before.id}/publish`, { token: admin });
    expect(pub.body.status).to.equal('published');
    const explainBefore = (await t.http('GET', `/api/assessment/runs/${before.id}/explain?target=RPT-WATER&indicator=satisfaction`, { token: admin })).body;
    // When the data changes afterwards: visits deleted, a late return added.
    await t.db.knex('ticket_visits').where({ main_unit: 'RPT-WATER' }).where('at', '<', period.to).delete();
    now = new Date(AS_OF.getTime() + DAY);
    const again = await run('unit');
    expect([again.status, again.body.error.id]).to.deep.equal([409, 'assessment.frozen']);
    expect(again.body.error.message).to.match(/已通报/);
    const after = (await t.http('GET', `/api/assessment/runs/${before.id}`, { token: admin })).body;
    expect(after.scores).to.deep.equal(before.scores);
    expect(after.publishedAt).to.be.a('string');
    const explainAfter = (await t.http('GET', `/api/assessment/runs/${before.id}/explain?target=RPT-WATER&indicator=satisfaction`, { token: admin })).body;
    expect(explainAfter).to.deep.equal(explainBefore);
    expect(explainBefore.denominator.length).to.be.greaterThan(0);
    const manual = await t.http('POST', '/api/assessment/manual-items', { token: admin, body: { targetKind: 'unit', targetCode: 'RPT-WATER', periodKey: '2026-10', indicatorCode: 'rules', item: 'ledger', score: 5, evidence: '台账' } });
    expect(manual.body.error.id).to.equal('assessment.frozen');
    const twice = await t.http('POST', `/api/assessment/runs/${before.id}/publish`, { token: admin });
    expect(twice.body.error.id).to.equal('assessment.already_published');
  });

  it('when an admin edits the scheme, then weights must sum to 100 and the new weights score the next run', async () => {
    const bad = { ...DEFAULT_SCHEMES.county, indicators: DEFAULT_SCHEMES.county.indicators.map((i) => (i.code === 'specialWork' ? { ...i, weight: 5 } : i)) };
    const r = await t.http('PUT', '/api/assessment/schemes/county', { token: admin, body: bad });
    expect([r.status, r.body.error.id]).to.deep.equal([422, 'assessment.bad_scheme']);
    expect(r.body.error.message).to.contain('100分');
    const good = { ...DEFAULT_SCHEMES.county, indicators: DEFAULT_SCHEMES.county.indicators.map((i) => (i.code === 'specialWork' ? { ...i, weight: 5 } : i.code === 'callConnection' ? { ...i, weight: 30 } : i)) };
    const ok = await t.http('PUT', '/api/assessment/schemes/county', { token: admin, body: good });
    expect([ok.status, ok.body.version]).to.deep.equal([200, 1]);
    const supervisor = await t.userToken(['supervisor']);
    expect((await t.http('PUT', '/api/assessment/schemes/county', { token: supervisor, body: good })).status).to.equal(403);
    const scored = await run('county');
    const ind = scored.body.scores.find((x: any) => x.targetCode === 'rpt-xf').indicators.find((i: any) => i.code === 'callConnection');
    expect(ind.weight).to.equal(30);
    expect(scored.body.scheme.indicators.find((i: any) => i.code === 'callConnection').weight).to.equal(30);
  });

  it('when the schedule runs on the leader, then each finished week, month, quarter and year is stored once', async () => {
    const reports = feature.internals!.reports;
    now = new Date('2026-11-03T02:00:00Z');
    expect(await reports.tick()).to.equal(4);
    expect(await reports.tick()).to.equal(0);
    const jobs = await t.db.knex('report_jobs').where({ scheduled: true }).orderBy('period_kind').select('period_kind', 'period_key', 'status');
    expect(jobs).to.deep.equal([
      { period_kind: 'month', period_key: '2026-10', status: 'done' },
      { period_kind: 'quarter', period_key: '2026-Q3', status: 'done' },
      { period_kind: 'week', period_key: '2026-W44', status: 'done' },
      { period_kind: 'year', period_key: '2025', status: 'done' },
    ]);
  });
});
