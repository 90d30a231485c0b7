import crypto from 'node:crypto';
import { expect } from 'chai';
import { startTestService, TestService } from '../support/service';
import { until } from '../support/until';
import { CutProxy } from '../support/cut-proxy';
import { startCallHarness, CallHarness } from '../calls/harness';
import { answeredCall, readyOperator, waitReady } from '../calls/transfer-support';
import { createTicketsFeature } from '../../src/tickets/feature';
import { createNetworkFeature, NetworkFeature } from '../../src/network/feature';
import { downQueue } from '../../src/network/outbox';
import { createReportsFeature, ReportsFeature } from '../../src/reports/feature';
import { FIGURES, FactWindow } from '../../src/reports/figures';
import { ReportRepository } from '../../src/reports/repository';
import { METRICS } from '../../src/reports/scheme';
import { parsePeriod } from '../../src/reports/periods';
import { hotTopics } from '../../src/reports/hot-topics';
import { CentreDirectory } from '../../src/calls/centres';

/**
 * Issue 14 with a county on the call path (the simulator running dialplan/) and the city on its own
 * database, each link between them a proxy the test cuts and restores:
 * - call records ended while the link is cut reach the city exactly once after it is back (第二十五条),
 *   and a missed call's callback (漏接回拨) follows its call;
 * - the city's report for the county's centre is the county's own report (第二十六条: the city sums
 *   the counties' reports), and the city's county scores are computed from those rows (第二十八条);
 * - a ticket the city dispatches to the county while the link down is cut reaches the county exactly
 *   once after it is back (工单流转), and is counted once at the city, as the city's own ticket.
 */
describe('the city\'s reports from what a county pushed, and calls and tickets across a cut link', function () {
  this.timeout(240_000);
  const KEY = crypto.randomBytes(24).toString('hex');
  let city: TestService;
  let h: CallHarness;
  let cityNet: NetworkFeature;
  let countyNet: NetworkFeature;
  let cityReports: ReportsFeature;
  const toCity = new CutProxy(() => city.service.port);
  const toCounty = new CutProxy(() => h.t.service.port);
  const tok: Record<string, string> = {};
  let t0: Date;

  before(async () => {
    await Promise.all([toCity.start(), toCounty.start()]);
    city = await startTestService({
      features: [createTicketsFeature(), (cityNet = createNetworkFeature({ heartbeatMs: 300 })), (cityReports = createReportsFeature({ schedule: false }))],
      env: { CENTRE_CODE: 'QY', NETWORK_ROLE: 'city', NETWORK_PEERS: JSON.stringify([{ code: 'HX', url: toCounty.url, key: KEY, unitCode: 'QY-HX' }]) },
    });
    // The city's centres (the assessment's county targets), as its call feature seeds them.
    await new CentreDirectory(city.db.knex).load();
    h = await startCallHarness({
      extraFeatures: () => [(countyNet = createNetworkFeature({ heartbeatMs: 300 }))],
      env: { NETWORK_ROLE: 'county', CENTRE_CODE: 'HX', NETWORK_PARENT_URL: toCity.url, NETWORK_KEY: KEY },
    });
    h.sim.setEndpointBehaviour('trunk-hx', { answerAfterMs: 20 });
    tok.op = await h.t.userToken(['operator'], { centre: 'HX' });
    tok.sup = await h.t.userToken(['supervisor'], { centre: 'HX' });
    tok.unit = await h.t.userToken(['unit_handler'], { unitCode: 'QY-HX-HCZ' });
    tok.cityOp = await city.userToken(['operator'], { centre: 'QY' });
    t0 = new Date();
  });
  after(async () => {
    await h?.stop();
    await city?.stop();
    await toCity.stop();
    await toCounty.stop();
  });

  const upBacklog = async () => Number((await h.db.knex.raw(`select count(*)::int as n from pgboss.job where name = 'network-up' and state < 'completed'`)).rows[0].n);
  const synced = async () =>
    (await upBacklog()) === 0 &&
    Number((await city.db.knex('network_facts').where({ centre: 'HX', kind: 'ticket_event' }).count({ n: '*' }).first())!.n) === Number((await h.db.knex('ticket_events').count({ n: '*' }).first())!.n);

  it('given the link to the city cut, when two county calls end, then after the link is back the city holds exactly one record of each', async () => {
    const op = (tok.callOp = await readyOperator(h));
    await toCity.cut();
    const ended: number[] = [];
    for (const from of ['13800138301', '13800138302']) {
      await waitReady(h, op);
      const { callerId, callId } = await answeredCall(h, from);
      h.sim.hangup(callerId);
      await until(async () => (await h.db.knex('calls').where({ id: callId }).first()).state === 'ended', { what: 'the call ended at the county' });
      ended.push(callId);
    }
    // Tried and failed while cut: the records wait in the county's outbox.
    await until(async () => countyNet.internals!.relays[0]!.failingSince !== null, { timeoutMs: 20_000, what: 'a delivery attempt failing on the cut link' });
    expect(await upBacklog()).to.be.greaterThanOrEqual(2);
    expect(await city.db.knex('network_facts').where({ centre: 'HX', kind: 'call' })).to.have.length(0);

    await toCity.restore();
    await until(async () => (await upBacklog()) === 0, { timeoutMs: 60_000, what: 'the county\'s outbox delivered' });
    for (const id of ended) {
      expect(await city.db.knex('network_facts').where({ centre: 'HX', fact_id: `HX:call:${id}` }), `call ${id}`).to.have.length(1);
      expect(await city.db.knex('network_calls').where({ centre: 'HX', call_id: id }), `call ${id}`).to.have.length(1);
    }
    const countyCalls = (await h.db.knex('calls').where({ state: 'ended' }).select('id')).map((c: { id: string }) => `HX:call:${c.id}`).sort();
    expect((await city.db.knex('network_facts').where({ centre: 'HX', kind: 'call' }).select('fact_id')).map((f: { fact_id: string }) => f.fact_id).sort()).to.deep.equal(countyCalls);
  });

  /** A county ticket through the given steps; returns its number. */
  async function countyTicket(i: number, steps: Array<[string, Record<string, unknown>, string?]>, accept = true): Promise<string> {
    const c = await h.t.http('POST', '/api/tickets', { token: tok.op, body: { channel: 'phone', callerPhone: `1390001${String(i).padStart(4, '0')}`, content: `环城镇第${i}号事项：路灯不亮，晚上出行不便`, category: i % 2 ? 'help' : 'complaint', domain: 'public_service', accept } });
    expect(c.status, JSON.stringify(c.body)).to.equal(201);
    for (const [action, body, who] of steps) {
      const r = await h.t.http('POST', `/api/tickets/${c.body.no}/${action}`, { token: tok[who ?? 'op'], body });
      expect(r.status, `${action} ${JSON.stringify(r.body)}`).to.equal(200);
    }
    return c.body.no as string;
  }
  const handled: Array<[string, Record<string, unknown>, string?]> = [['dispatch', { mainUnit: 'QY-HX-HCZ' }], ['sign', {}, 'unit'], ['reply', { text: '已安排电工更换灯泡，当晚恢复照明。' }, 'unit']];
  const figureIds = FIGURES.filter((f) => f.source !== 'knowledge').map((f) => f.id);
  const all = (counts: Record<string, number>) => Object.fromEntries(figureIds.map((id) => [id, counts[id] ?? 0]));
  let w: FactWindow;

  it('given county calls and tickets, then the city\'s report for the county\'s centre equals the county\'s own report, figure by figure and unit by unit', async () => {
    // A caller gives up in the queue, and is called back (漏接回拨): connected within 24 hours.
    h.sim.setEndpointBehaviour('1001', { noAnswer: true });
    await waitReady(h, tok.callOp!);
    const gaveUp = await h.sim.placeInboundCall({ from: '13800138303', to: '12345', trunk: 'carrier' });
    await until(async () => (await h.db.knex('calls').where({ linkedid: gaveUp }).first())?.state === 'queued', { timeoutMs: 15_000, what: 'queued' });
    h.sim.hangup(gaveUp);
    const abandoned = await until(async () => { const c = await h.db.knex('calls').where({ linkedid: gaveUp }).first(); return c?.state === 'ended' ? c : null; }, { what: 'the abandoned call ended' });
    expect(abandoned.outcome).to.equal('abandoned');
    const missed = await until(async () => h.db.knex('missed_calls').where({ call_id: abandoned.id }).first(), { what: 'on the callback list' });
    expect((await h.t.http('POST', `/api/missed-calls/${missed.id}/claim`, { token: tok.callOp })).status).to.equal(200);
    const done = await h.t.http('POST', `/api/missed-calls/${missed.id}/result`, { token: tok.callOp, body: { outcome: 'reached', note: '已回拨' } });
    expect(done.body).to.include({ status: 'done' });
    await until(async () => !!(await city.db.knex('network_missed_calls').where({ centre: 'HX', call_id: abandoned.id, status: 'done' }).first()), { timeoutMs: 30_000, what: 'the callback at the city' });

    const nos = [
      await countyTicket(1, [...handled, ['visit', { level: 'satisfied' }]]),
      await countyTicket(2, [...handled, ['visit', { level: 'dissatisfied', cause: 'beyond_policy' }], ['screening', { exclusion: 'no_policy_basis', note: '诉求无政策依据，已详细解释' }, 'sup']]),
      await countyTicket(3, [['dispatch', { mainUnit: 'QY-HX-HCZ' }], ['sign', {}, 'unit']]),
      await countyTicket(4, [['not-accept', { reasonCode: 'unclear_matter' }]], false),
      await countyTicket(5, [['close-immediately', { resolution: '已当场解答。' }]]),
    ];
    await until(synced, { timeoutMs: 60_000, what: 'the city in step with the county' });
    const t1 = new Date();
    w = { from: t0, to: t1, asOf: t1 };

    const county = await new ReportRepository(h.db.knex).counts(w);
    const atCity = await cityReports.internals!.reports.repo.counts({ ...w, centre: 'HX' });
    // Not a trivial match: the county's traffic is in it.
    expect(all(county.total)).to.include({ callsOffered: 3, callsAnswered: 2, callsAbandoned: 1, callsConnected24h: 3, ticketsReceived: 5, ticketsAccepted: 4, ticketsNotAccepted: 1, ticketsClosedOnline: 1, ticketsDispatched: 3, visits: 2, visitsCounted: 1, excludedNoPolicy: 1 });
    expect(all(atCity.total)).to.deep.equal(all(county.total));
    expect([...atCity.by.centre.keys()]).to.deep.equal(['HX']);
    for (const dim of ['unit', 'region', 'category', 'domain'] as const) {
      const norm = (m: Map<string, Record<string, number>>) => Object.fromEntries([...m.entries()].map(([k, v]) => [k, all(v)]).sort());
      expect(norm(atCity.by[dim]), dim).to.deep.equal(norm(county.by[dim]));
    }
    // Each figure at the city drills down to the county's rows, named centre:number.
    const drill = await cityReports.internals!.reports.repo.drill({ ...w, centre: 'HX' }, 'ticketsReceived', null, null, 100);
    expect(drill.refs).to.deep.equal(nos.map((n) => `HX:${n}`).sort());
    // The hot topics (热点) at the city are the county's, from the text it pushed.
    const own = await hotTopics(h.db.knex, t1);
    const city_ = await hotTopics(city.db.knex, t1, { centre: 'HX', network: true });
    expect(own.terms.length, 'the county has hot terms').to.be.greaterThan(0);
    expect(city_.terms).to.deep.equal(own.terms.map((t) => ({ ...t, ticketNos: t.ticketNos.map((n) => `HX:${n}`) })));
    expect(city_.places).to.deep.equal(own.places.map((t) => ({ ...t, ticketNos: t.ticketNos.map((n) => `HX:${n}`) })));
    // The city's own figures are not touched: nothing of the county is counted as the city's centre.
    expect((await cityReports.internals!.reports.repo.counts({ ...w, centre: 'QY' })).total).to.deep.equal({});
  });

  it('given the same traffic, then the city scores the county from it: every automatic indicator explains down to the county\'s calls and tickets', async () => {
    const period = parsePeriod('month', monthKey(new Date()));
    const run = await cityReports.internals!.assessment.compute('county', 'month', period.key, { username: 'test', userId: null });
    const hx = run.scores.find((s) => s.targetCode === 'HX')!;
    expect(hx, 'HX scored').to.not.equal(undefined);
    const autos = hx.indicators.filter((i) => i.source === 'auto');
    const figures = [...new Set(autos.flatMap((i) => [METRICS[i.metric!]!.numerator, ...METRICS[i.metric!]!.denominator]))];
    const own = (await new ReportRepository(h.db.knex).refs({ from: period.from, to: period.to, asOf: new Date(run.asOf) }, figures, null)).get('') ?? new Map<string, string[]>();
    // The city names a county's call and ticket `centre:id` and `centre:number`.
    const asCity = (refs: string[]) => refs.map((r) => `HX:${r}`).sort();
    let measured = 0;
    for (const ind of autos) {
      const m = METRICS[ind.metric!]!;
      const e = await cityReports.internals!.assessment.explain(run.id, 'HX', ind.code);
      const numerator = asCity(own.get(m.numerator) ?? []);
      const denominator = [...new Set(m.denominator.flatMap((f) => asCity(own.get(f) ?? [])))].sort();
      expect(e.numerator.slice().sort(), `${ind.code} numerator`).to.deep.equal(numerator);
      expect(e.denominator.slice().sort(), `${ind.code} denominator`).to.deep.equal(denominator);
      if (denominator.length) measured++;
    }
    // The calls (话务接通) and the tickets (在线办结, 工单处理, 服务质量) were measured, not scored full for want of data.
    expect(measured).to.be.greaterThanOrEqual(3);
    expect(autos.find((i) => i.metric === 'connectionRate24h')).to.include({ numerator: 3, denominator: 3 });
  });

  it('given the link down to the county cut, when the city dispatches a ticket to it, then after the link is back the county holds exactly one copy; the city counts it once, as its own', async () => {
    await toCounty.cut();
    const from = new Date();
    const c = await city.http('POST', '/api/tickets', { token: tok.cityOp, body: { channel: 'phone', callerPhone: '13912340001', content: '环县曲子镇集市占道经营，车辆无法通行', category: 'complaint', domain: 'market_supervision' } });
    expect(c.status, JSON.stringify(c.body)).to.equal(201);
    const cityNo = c.body.no as string;
    const d = await city.http('POST', `/api/tickets/${cityNo}/dispatch`, { token: tok.cityOp, body: { mainUnit: 'QY-HX' } });
    expect(d.status, JSON.stringify(d.body)).to.equal(200);
    const relay = cityNet.internals!.relays.find((r) => r.queue === downQueue('HX'))!;
    await until(async () => relay.failingSince !== null, { timeoutMs: 20_000, what: 'a delivery attempt failing on the cut link' });
    expect(await h.db.knex('tickets').where({ origin_centre: 'QY', origin_no: cityNo })).to.have.length(0);

    await toCounty.restore();
    await until(async () => (await cityNet.internals!.backlog(downQueue('HX'))) === 0, { timeoutMs: 60_000, what: 'the city\'s down queue delivered' });
    const copies = (await h.db.knex('tickets').where({ origin_centre: 'QY', origin_no: cityNo })) as Array<{ no: string; status: string }>;
    expect(copies).to.have.length(1);
    expect(copies[0]!.status).to.equal('accepted');

    // The county handles it; its steps come back onto the city's ticket.
    const act = async (action: string, body: Record<string, unknown>, who = 'op') => expect((await h.t.http('POST', `/api/tickets/${copies[0]!.no}/${action}`, { token: tok[who], body })).status, action).to.equal(200);
    await act('dispatch', { mainUnit: 'QY-HX-HCZ' });
    await act('sign', {}, 'unit');
    await act('reply', { text: '占道摊贩已劝离。' }, 'unit');
    await until(async () => (await city.db.knex('tickets').where({ no: cityNo }).first()).status === 'replied' && (await synced()), { timeoutMs: 60_000, what: 'the county\'s reply on the city ticket' });

    const to = new Date();
    const repo = cityReports.internals!.reports.repo;
    const sent = { from, to, asOf: to };
    // Counted once at the city: as the city's ticket (QY), handled by the county's unit (QY-HX); the county's copy adds nothing.
    expect((await repo.counts({ ...sent, centre: 'HX' })).total).to.deep.equal({});
    const qy = await repo.counts({ ...sent, centre: 'QY' });
    expect(qy.total).to.include({ ticketsReceived: 1, ticketsAccepted: 1, ticketsDispatched: 1, signedOnTime: 1 });
    expect(qy.by.unit.get('QY-HX')).to.include({ ticketsDispatched: 1, signedOnTime: 1 });
    expect((await repo.drill(sent, 'ticketsReceived', null, null, 10)).refs).to.deep.equal([cityNo]);
    expect(await city.db.knex('network_tickets').where({ centre: 'HX', no: copies[0]!.no, counted: false })).to.have.length(1);
    expect(await city.db.knex('network_ticket_events').where({ centre: 'HX', ticket_no: copies[0]!.no }), 'no report rows of the copy').to.have.length(0);
  });
});

/** The Shanghai month of an instant, as a period key (2026-12). */
function monthKey(at: Date): string {
  const s = new Date(at.getTime() + 8 * 3_600_000);
  return `${s.getUTCFullYear()}-${String(s.getUTCMonth() + 1).padStart(2, '0')}`;
}
