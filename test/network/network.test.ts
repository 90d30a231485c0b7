import crypto from 'node:crypto';
import { expect } from 'chai';
import { startTestService, TestService } from '../support/service';
import { createTestDatabase, TestDatabase } from '../support/db';
import { CutProxy } from '../support/cut-proxy';
import { launch, newPage, login, screens, textOf, until, axeViolations } from '../e2e/browser';
import { createTicketsFeature } from '../../src/tickets/feature';
import { createNetworkFeature } from '../../src/network/feature';
import { signedHeaders } from '../../src/network/signing';
import { createLogger } from '../../src/logging/logger';

const log = process.env.NET_DEBUG ? createLogger({ level: 'info' } as never) : undefined;

/**
 * Issue 14 §1, the city–county network (第二十五条, 第十九条), with two real service instances on two
 * PostgreSQL databases and the link between them a proxy the test cuts and restores: every fact the
 * county writes reaches the city exactly once and in order per ticket, across a cut link, a city
 * restart and a county restart; a ticket the city dispatches to the county goes down to the county's
 * platform, and the county's handling comes back onto the city's ticket.
 */
describe('the city–county network: two instances, the link cut and restored', function () {
  this.timeout(240_000);
  const KEY = crypto.randomBytes(24).toString('hex');
  let cityDb: TestDatabase;
  let countyDb: TestDatabase;
  let city: TestService | null = null;
  let county: TestService | null = null;
  let countyNet: ReturnType<typeof createNetworkFeature>;
  const toCity = new CutProxy(() => city!.service.port);
  const toCounty = new CutProxy(() => county!.service.port);
  const tok: Record<string, string> = {};

  const startCity = async () => {
    city = await startTestService({
      db: cityDb,
      log,
      features: [createTicketsFeature(), createNetworkFeature({ heartbeatMs: 300 })],
      env: { CENTRE_CODE: 'QY', NETWORK_ROLE: 'city', NETWORK_PEERS: JSON.stringify([{ code: 'HX', url: toCounty.url, key: KEY, unitCode: 'QY-HX' }]) },
    });
  };
  const startCounty = async () => {
    county = await startTestService({
      db: countyDb,
      log,
      features: [createTicketsFeature(), (countyNet = createNetworkFeature({ heartbeatMs: 300 }))],
      env: { CENTRE_CODE: 'HX', NETWORK_ROLE: 'county', NETWORK_PARENT_URL: toCity.url, NETWORK_KEY: KEY },
    });
  };

  before(async () => {
    [cityDb, countyDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    await Promise.all([toCity.start(), toCounty.start()]);
    await startCity();
    await startCounty();
    tok.cityOp = await city!.userToken(['operator'], { centre: 'QY' });
    tok.citySup = await city!.userToken(['supervisor'], { centre: 'QY' });
    tok.op = await county!.userToken(['operator'], { centre: 'HX' });
    tok.unit = await county!.userToken(['unit_handler'], { unitCode: 'QY-HX-HCZ' });
  });
  after(async () => {
    await county?.stop();
    await city?.stop();
    await toCity.stop();
    await toCounty.stop();
    await Promise.all([cityDb?.destroy(), countyDb?.destroy()]);
  });

  /** One county ticket through its whole life: 登记受理 → 转办 → 签收 → 答复 → 回访 (6 events). */
  async function lifecycle(i: number): Promise<string> {
    const c = await county!.http('POST', '/api/tickets', { token: tok.op, body: { channel: 'phone', callerPhone: `1390000${String(i).padStart(4, '0')}`, content: `环城镇第${i}号路灯不亮，晚上出行不便`, category: 'help', domain: 'public_service' } });
    expect(c.status, JSON.stringify(c.body)).to.equal(201);
    const no = c.body.no as string;
    const act = async (action: string, body: Record<string, unknown>, token = tok.op) => {
      const r = await county!.http('POST', `/api/tickets/${no}/${action}`, { token, body });
      expect(r.status, `${action} ${JSON.stringify(r.body)}`).to.equal(200);
    };
    await act('dispatch', { mainUnit: 'QY-HX-HCZ' });
    await act('sign', {}, tok.unit);
    await act('reply', { text: '已安排电工更换灯泡，当晚恢复照明。' }, tok.unit);
    await act('visit', { level: 'satisfied' });
    return no;
  }

  const countyEvents = async () => (await county!.db.knex('ticket_events').orderBy('id')) as Array<{ id: string; ticket_no: string; event: string }>;
  const cityFacts = async () => (await city!.db.knex('network_facts').where({ centre: 'HX', kind: 'ticket_event' }).orderBy(['ticket_no', 'seq'])) as Array<{ fact_id: string; ticket_no: string; seq: number; payload: { event: { event: string } } }>;

  /** Exactly once and in order: the city holds one fact per county event, and each ticket's facts are its events in their order. */
  async function expectInSync() {
    const events = await countyEvents();
    const facts = await cityFacts();
    expect(facts.map((f) => f.fact_id).sort()).to.deep.equal(events.map((e) => `HX:te:${e.id}`).sort());
    const byTicket = new Map<string, string[]>();
    for (const e of events) byTicket.set(e.ticket_no, [...(byTicket.get(e.ticket_no) ?? []), e.event]);
    for (const [no, names] of byTicket) {
      const mine = facts.filter((f) => f.ticket_no === no);
      expect(mine.map((f) => f.seq), no).to.deep.equal(names.map((_, i) => i + 1));
      expect(mine.map((f) => (typeof f.payload === 'string' ? JSON.parse(f.payload) : f.payload).event.event), no).to.deep.equal(names);
    }
    const statuses = (await county!.db.knex('tickets').select('no', 'status')) as Array<{ no: string; status: string }>;
    const mirrored = (await city!.db.knex('network_tickets').where({ centre: 'HX' }).select('no', 'status')) as Array<{ no: string; status: string }>;
    expect(mirrored.map((t) => `${t.no}:${t.status}`).sort()).to.deep.equal(statuses.map((t) => `${t.no}:${t.status}`).sort());
  }
  const synced = async () => (await cityFacts()).length === (await countyEvents()).length && (await county!.db.knex.raw(`select count(*)::int as n from pgboss.job where name = 'network-up' and state < 'completed'`)).rows[0].n === 0;

  it('given a county handling tickets, when the link is up, then every event reaches the city once and in order, and the city sees the county from what it pushed', async () => {
    const nos = await Promise.all(Array.from({ length: 8 }, (_, i) => lifecycle(i)));
    await until(synced, { timeoutMs: 30_000, what: 'the city in step with the county' });
    await expectInSync();
    expect(nos.every((n) => n.startsWith('HX'))).to.equal(true);

    await until(async () => ((await city!.http('GET', '/api/network/centres', { token: tok.citySup })).body as Array<{ backlog: number | null }>)[0]?.backlog === 0, { what: 'a heartbeat' });
    const centres = (await city!.http('GET', '/api/network/centres', { token: tok.citySup })).body;
    expect(centres).to.have.length(1);
    expect(centres[0]).to.include({ code: 'HX', name: '环县12345热线', backlog: 0 });
    expect(centres[0].tickets).to.deep.equal({ total: 8, open: 0 });
    expect(centres[0].lagSeconds).to.be.a('number');
    const one = await city!.http('GET', `/api/network/tickets/HX/${nos[0]}`, { token: tok.citySup });
    expect(one.body.timeline.map((t: { event: string }) => t.event)).to.deep.equal(['create', 'accept', 'dispatch', 'sign', 'reply', 'visit']);
    expect(one.body.status).to.equal('closed');
    const metrics = await city!.http('GET', '/metrics');
    expect(String(metrics.body)).to.match(/hotline_network_lag_seconds\{centre="HX"\} [0-9.]+/);
    // The county's own data are not reachable from the city: only what was pushed is shown.
    expect((await city!.http('GET', `/api/tickets/${nos[0]}`, { token: tok.cityOp })).status).to.equal(404);
  });

  it('given traffic, when the link is cut mid-traffic and the city restarts during the cut, then nothing is lost or doubled after the link is back, and the catch-up is measured', async () => {
    const before = (await cityFacts()).length;
    const first = Promise.all(Array.from({ length: 6 }, (_, i) => lifecycle(100 + i)));
    // Cut while those tickets are being handled: some requests die in flight (delivered but not acknowledged, or not delivered).
    await until(async () => (await cityFacts()).length > before, { what: 'traffic flowing to the city' });
    await toCity.cut();
    await first;
    await Promise.all(Array.from({ length: 6 }, (_, i) => lifecycle(200 + i)));
    const behind = (await countyEvents()).length - (await cityFacts()).length;
    expect(behind, 'facts held back by the cut').to.be.greaterThan(0);
    // The city goes down and up again while cut off (an outage of the receiving side).
    await city!.stop();
    await startCity();

    const t0 = Date.now();
    await toCity.restore();
    await until(synced, { timeoutMs: 60_000, what: 'the city caught up' });
    const ms = Date.now() - t0;
    console.log(`      catch-up after the cut: ${behind} facts behind, in step ${ms} ms after the link came back`);
    await expectInSync();
  });

  it('given the county down with undelivered facts, when it starts again with the link back, then its backlog is delivered', async () => {
    await toCity.cut();
    await Promise.all(Array.from({ length: 3 }, (_, i) => lifecycle(300 + i)));
    expect(await synced()).to.equal(false);
    await county!.stop();
    await toCity.restore();
    await startCounty();
    await until(synced, { timeoutMs: 60_000, what: 'the restarted county\'s backlog delivered' });
    await expectInSync();
  });

  it('given a city ticket dispatched to 环县, then it goes down to the county platform once; the county\'s signing, handling, reply and visit come back onto the city\'s ticket', async () => {
    const c = await city!.http('POST', '/api/tickets', { token: tok.cityOp, body: { channel: 'phone', callerPhone: '13912340000', content: '环县曲子镇集市占道经营，车辆无法通行', category: 'complaint', domain: 'market_supervision' } });
    expect(c.status, JSON.stringify(c.body)).to.equal(201);
    const cityNo = c.body.no as string;
    const d = await city!.http('POST', `/api/tickets/${cityNo}/dispatch`, { token: tok.cityOp, body: { mainUnit: 'QY-HX' } });
    expect(d.status, JSON.stringify(d.body)).to.equal(200);

    const local = await until(async () => (await county!.db.knex('tickets').where({ origin_centre: 'QY', origin_no: cityNo }).first()) as { no: string; status: string } | undefined, { timeoutMs: 30_000, what: 'the ticket on the county platform' });
    expect(local.status).to.equal('accepted');
    const seen = await county!.http('GET', `/api/tickets/${local.no}`, { token: tok.op });
    expect(seen.body.origin).to.deep.equal({ centre: 'QY', no: cityNo });
    expect(seen.body.caller.phone).to.equal('13912340000');

    const act = async (action: string, body: Record<string, unknown>, token = tok.op) => expect((await county!.http('POST', `/api/tickets/${local.no}/${action}`, { token, body })).status, action).to.equal(200);
    await act('dispatch', { mainUnit: 'QY-HX-HCZ' });
    await act('sign', {}, tok.unit);
    await act('progress', { text: '已联系市场监管所现场劝离占道摊贩' }, tok.unit);
    await act('reply', { text: '占道摊贩已劝离，已设置临时摊位区域。' }, tok.unit);
    await act('visit', { level: 'satisfied' });

    await until(async () => (await city!.http('GET', `/api/tickets/${cityNo}`, { token: tok.cityOp })).body.status === 'closed', { timeoutMs: 30_000, what: 'the city ticket closed by the county\'s visit' });
    const t = (await city!.http('GET', `/api/tickets/${cityNo}`, { token: tok.cityOp })).body;
    expect(t.events.map((e: { event: string }) => e.event)).to.deep.equal(['create', 'accept', 'dispatch', 'sign', 'progress', 'progress', 'reply', 'visit']);
    expect(t.replyText).to.equal('占道摊贩已劝离，已设置临时摊位区域。');
    expect(t.events.find((e: { event: string }) => e.event === 'sign').actor).to.equal('network:HX');
    // Delivered once: a second delivery of the same ticket (a retry) is answered with the same county ticket.
    const again = JSON.stringify({ centre: 'QY', no: cityNo, ticket: { no: cityNo, status: 'dispatched', channel: 'phone', category: 'complaint', domain: 'market_supervision', content: 'x', createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() }, reason: null });
    const r = await fetch(`${county!.baseUrl}/api/network/tickets`, { method: 'POST', headers: signedHeaders(KEY, 'QY', again), body: again });
    expect(await r.json()).to.deep.equal({ no: local.no, duplicate: true });
    expect(await county!.db.knex('tickets').where({ origin_no: cityNo })).to.have.length(1);
  });

  it('given a dissatisfied visit screened (甄别) and a ticket from before the network was on, then both reach the city without a gap in the chain', async () => {
    tok.countySup = tok.countySup ?? (await county!.userToken(['supervisor'], { centre: 'HX' }));
    const api = county!.service.ctx.services.get('tickets') as import('../../src/tickets/feature').TicketsApi;
    // A ticket registered while the county ran standalone: its first two events stay local.
    api.setOutbox(null);
    const old = await county!.http('POST', '/api/tickets', { token: tok.op, body: { channel: 'phone', callerPhone: '13900009999', content: '联网前登记的工单：环城镇积水', category: 'help', domain: 'public_service' } });
    api.setOutbox(countyNet.internals!.ticketOutbox);
    const oldNo = old.body.no as string;
    const act = async (no: string, action: string, body: Record<string, unknown>, token = tok.op) => expect((await county!.http('POST', `/api/tickets/${no}/${action}`, { token, body })).status, action).to.equal(200);
    await act(oldNo, 'dispatch', { mainUnit: 'QY-HX-HCZ' });
    await act(oldNo, 'sign', {}, tok.unit);
    await act(oldNo, 'reply', { text: '已组织抽排积水。' }, tok.unit);
    await act(oldNo, 'visit', { level: 'dissatisfied', cause: 'beyond_policy' });
    await act(oldNo, 'screening', { exclusion: 'no_policy_basis', note: '诉求无政策依据，已详细解释' }, tok.countySup);
    await until(async () => ((await city!.db.knex('network_tickets').where({ centre: 'HX', no: oldNo }).first()) as { last_seq?: number } | undefined)?.last_seq === 7, { timeoutMs: 30_000, what: 'the pre-network ticket pushed from its third event on' });
    const facts = (await city!.db.knex('network_facts').where({ centre: 'HX', ticket_no: oldNo }).orderBy('seq')) as Array<{ seq: number; payload: unknown }>;
    expect(facts.map((f) => f.seq)).to.deep.equal([3, 4, 5, 6, 7]);
    expect(facts.map((f) => (typeof f.payload === 'string' ? JSON.parse(f.payload) : f.payload).event.event)).to.deep.equal(['dispatch', 'sign', 'reply', 'visit', 'screening']);
  });

  it('given the city\'s supervisor console in Chromium, then every county shows with its lag and backlog, and a county ticket opens with the timeline it pushed', async () => {
    await city!.userToken(['supervisor'], { username: 'citysup', centre: 'QY' });
    const browser = await launch();
    try {
      const page = (await newPage(browser, { width: 1920, height: 1080 })).page;
      await login(page, city!.baseUrl, 'citysup', '/supervisor');
      const row = '[data-test=network-centres] tr:has-text("环县12345热线")';
      await until(async () => (await textOf(page, row)).includes('秒'), { what: 'the county on the city\'s console' });
      expect(await textOf(page, `${row} [data-test=network-backlog]`)).to.equal('0');
      expect(await textOf(page, `${row} [data-test=network-lag]`)).to.match(/^\d+\.\d 秒$/);
      await page.click(row);
      const first = '[data-test=network-tickets] tbody tr';
      await until(async () => (await page.$$(first)).length > 0, { what: 'the county\'s tickets' });
      await page.click(`${first} >> nth=0`);
      await until(async () => (await textOf(page, '[data-test=network-timeline]')).includes('转办'), { what: 'the pushed timeline' });
      await screens(page, 'city-network');
      expect(await axeViolations(page)).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });

  it('given a request with a wrong key or an old timestamp, then it is refused in Chinese and nothing is applied', async () => {
    const body = JSON.stringify({ facts: [{ kind: 'call', factId: 'HX:call:999999', occurredAt: new Date().toISOString(), call: { id: 999999 } }] });
    const wrong = await fetch(`${city!.baseUrl}/api/network/facts`, { method: 'POST', headers: signedHeaders('x'.repeat(48), 'HX', body), body });
    expect(wrong.status).to.equal(401);
    const err = ((await wrong.json()) as { error: { id: string; message: string } }).error;
    expect(err.id).to.equal('network.bad_signature');
    expect(err.message).to.match(/[\u4e00-\u9fff]/);
    const stale = await fetch(`${city!.baseUrl}/api/network/facts`, { method: 'POST', headers: signedHeaders(KEY, 'HX', body, Date.now() - 10 * 60_000), body });
    expect(stale.status).to.equal(401);
    const other = await fetch(`${city!.baseUrl}/api/network/facts`, { method: 'POST', headers: signedHeaders(KEY, 'XF', body), body });
    expect(other.status, 'a centre the city does not know').to.equal(401);
    expect(await city!.db.knex('network_facts').where({ fact_id: 'HX:call:999999' })).to.have.length(0);
    const ok = await fetch(`${city!.baseUrl}/api/network/facts`, { method: 'POST', headers: signedHeaders(KEY, 'HX', body), body });
    expect(((await ok.json()) as { applied: string[] }).applied).to.deep.equal(['HX:call:999999']);

    // A county's key proves who it is, not what it may touch: a fact naming a city ticket not dispatched to it writes nothing there.
    const own = await city!.http('POST', '/api/tickets', { token: tok.cityOp, body: { channel: 'phone', callerPhone: '13912348888', content: '市本级工单，未转县区', category: 'help', domain: 'public_service' } });
    const forged = JSON.stringify({ facts: [{ kind: 'ticket_event', factId: 'HX:te:forged-1', ticketNo: 'HX-FORGED', seq: 1, fromSeq: 1, occurredAt: new Date().toISOString(), event: { id: 1, event: 'create', fromStatus: null, toStatus: 'received', actor: 'x', actorUnit: null, reason: null, data: {} }, ticket: { no: 'HX-FORGED', status: 'received', channel: 'phone', category: 'help', domain: 'public_service', content: '伪造', createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), origin: { centre: 'QY', no: own.body.no } } }] });
    const r = await fetch(`${city!.baseUrl}/api/network/facts`, { method: 'POST', headers: signedHeaders(KEY, 'HX', forged), body: forged });
    expect(((await r.json()) as { applied: string[] }).applied).to.deep.equal(['HX:te:forged-1']);
    expect((await city!.http('GET', `/api/tickets/${own.body.no}`, { token: tok.cityOp })).body.events.map((e: { event: string }) => e.event)).to.deep.equal(['create', 'accept']);
  });
});
