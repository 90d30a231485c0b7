import { expect } from 'chai';
import { startTickets, TicketsHarness, TestClock, HOUR, ticketsFeed as feed } from './helpers';
import { createTestDatabase, TestDatabase } from '../support/db';
import { testRedisPrefix } from '../support/redis';
import { until } from '../support/until';

describe('tickets: SLA timer on two instances and state across a restart', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  const running: TicketsHarness[] = [];
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const h of running.splice(0)) await h.stop().catch(() => undefined);
    await db.destroy();
  });

  it('given two instances on one database and Redis, when deadlines approach and pass, then each reminder and alert is raised and published once (leader only, DB-unique)', async () => {
    const prefix = testRedisPrefix('tickets-timer');
    const clock = new TestClock('2026-11-27T09:00:00+08:00');
    const a = await startTickets({ db, redisPrefix: prefix, clock, timerIntervalMs: 50 });
    running.push(a);
    const b = await startTickets({ db, redisPrefix: prefix, clock, timerIntervalMs: 50 });
    running.push(b);
    const leaders = [a, b].map((x) => x.t.service.ctx.leader.isLeader);
    expect(leaders.filter(Boolean)).to.have.length(1);
    expect([a, b].map((x) => x.feature.internals!.timer.active)).to.deep.equal(leaders);
    const feedA = await feed(a, a.tokens.supervisor);
    const feedB = await feed(b, b.tokens.supervisor);
    const unitFeed = await feed(a, a.tokens.rsj);
    try {
      const c = await a.create();
      await a.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' }); // sign due 12:00 (3 working hours), reminder 45 min before
      clock.set('2026-11-27T11:20:00+08:00');
      // Both timers at once, bypassing leadership: the database still lets only one raise it.
      await Promise.all([a.feature.internals!.timer.tick(), b.feature.internals!.timer.tick()]);
      const reminders = () => db.knex('ticket_reminders').where({ ticket_no: c.no });
      await until(async () => feedA.events.some((e) => e.type === 'reminder' && e.kind === 'sign'), { what: 'reminder on instance A' });
      clock.set('2026-11-27T12:01:00+08:00');
      await until(async () => feedB.events.some((e) => e.type === 'alert' && e.kind === 'sign'), { what: 'alert on instance B' });
      await Promise.all([a.feature.internals!.timer.tick(), b.feature.internals!.timer.tick(), a.feature.internals!.timer.tick()]);
      await until(async () => (await a.get(c.no)).status === 'in_progress', { what: 'deemed signing' });
      const rows = await reminders().select('kind', 'type');
      expect(rows.filter((r: any) => r.kind === 'sign').map((r: any) => r.type).sort()).to.deep.equal(['alert', 'reminder']);
      for (const f of [feedA, feedB]) {
        const mine = f.events.filter((e) => e.ticketNo === c.no && e.kind === 'sign');
        expect(mine.map((e) => e.type).sort()).to.deep.equal(['alert', 'reminder']);
        expect(mine.find((e) => e.type === 'alert').message).to.equal(`工单${c.no}已超过签收时限`);
      }
      expect((await a.get(c.no)).events.filter((e: any) => e.event === 'deem_signed')).to.have.length(1);
      expect(unitFeed.events.filter((e) => e.ticketNo === c.no)).to.deep.equal([]); // QY-RSJ hears nothing of QY-ZJJ's ticket
      const listed = await a.t.http('GET', '/api/tickets/reminders', { token: a.tokens.supervisor });
      expect(listed.body.items.filter((i: any) => i.ticketNo === c.no)).to.have.length(2);
    } finally {
      feedA.close();
      feedB.close();
      unitFeed.close();
    }
  });

  it('given a signed ticket whose 1-working-day return window (退单时限) passes, when the timer runs, then nobody is alerted as if it were overdue (第二十一条(二): a window only closes)', async () => {
    const clock = new TestClock('2026-11-27T09:00:00+08:00');
    const h = await startTickets({ db, clock });
    running.push(h);
    const c = await h.create();
    await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
    clock.set('2026-11-27T09:10:00+08:00');
    await h.ok(c.no, 'sign', {}, h.tokens.zjj);
    const window = await db.knex('ticket_deadlines').where({ ticket_no: c.no, kind: 'return', state: 'open' }).first();
    expect(window, 'the return window is open after signing').to.exist;
    // The next working day, past the window, well before the handling deadline.
    clock.set(new Date(new Date(window.due_at).getTime() + 2 * HOUR).toISOString());
    await h.feature.internals!.timer.tick();
    expect(await db.knex('ticket_reminders').where({ ticket_no: c.no, kind: 'return' }).pluck('type')).to.deep.equal([]);
    const detail = await h.get(c.no, h.tokens.supervisor);
    expect(detail.overdue ?? false).to.equal(false);
    const listed = await h.t.http('GET', '/api/tickets?overdue=true', { token: h.tokens.supervisor });
    expect(listed.body.items.map((i: { no: string }) => i.no)).to.not.include(c.no);
  });

  it('given tickets in many states, when the service restarts on the same database, then every ticket reads exactly the same and its timers carry on', async () => {
    const clock = new TestClock('2026-11-26T10:00:00+08:00');
    const first = await startTickets({ db, clock });
    const nos: string[] = [];
    const a = await first.create();
    nos.push(a.no);
    const b = await first.create({ callerPhone: '13500000001', content: '供暖温度不达标', domain: 'public_service', subdomain: 'heating', emergency: true });
    await first.ok(b.no, 'dispatch', { mainUnit: 'QY-ZJJ', coUnits: ['QY-XF'] });
    nos.push(b.no);
    const c = await first.create({ callerPhone: '13500000002', content: '咨询医保报销比例', category: 'consultation', domain: 'public_service', subdomain: 'medical_insurance' });
    await first.ok(c.no, 'dispatch', { mainUnit: 'QY-YBJ' });
    const yb = await first.t.userToken(['unit_handler'], { unitCode: 'QY-YBJ' });
    await first.ok(c.no, 'sign', {}, yb);
    await first.ok(c.no, 'extension', { extra: '1wd', reason: '需调取档案' }, yb);
    nos.push(c.no);
    const d = await first.create({ callerPhone: '13500000003', content: '感谢社区工作人员', category: 'thanks', domain: 'social_management', subdomain: 'community' });
    await first.ok(d.no, 'close-immediately', { resolution: '已转达感谢' });
    nos.push(d.no);
    const before = await Promise.all(nos.map((no) => first.get(no)));
    const reminders = await db.knex('ticket_reminders').count({ n: '*' }).first();
    await first.stop();

    const second = await startTickets({ db, clock });
    running.push(second);
    const after = await Promise.all(nos.map((no) => second.get(no)));
    expect(after).to.deep.equal(before);
    expect((await db.knex('ticket_reminders').count({ n: '*' }).first())!.n).to.equal(reminders!.n);
    const next = await second.create({ callerPhone: '13500000009', content: '新的诉求' });
    expect(Number(next.no.slice(-6))).to.equal(Number(d.no.slice(-6)) + 1); // the day's numbering continues
    clock.advance(24 * HOUR);
    await second.feature.internals!.timer.tick();
    expect((await second.get(d.no)).status).to.equal('closed'); // the 24 h visit default survived the restart
    expect((await second.get(b.no)).status).to.equal('in_progress'); // deemed signed by the new instance
    expect((await second.create({ callerPhone: '13500000010', content: '次日的诉求' })).no).to.match(/^QY20261127000001$/); // a new day starts at 1
  });
});
