import { expect } from 'chai';
import { DATABASE_KINDS } from '../support/service';
import { HOUR, startTickets, TicketsHarness } from './helpers';
import { ListFilter, ListLimits, LIST_LIMITS, listTickets } from '../../src/tickets/query';

/**
 * The list finds a page one of two ways (src/tickets/query.ts): small results are gathered and
 * counted, large ones read in time order with an estimated total. At a million tickets the second
 * is what most lists take; here the limits are lowered so that a dozen tickets take it too, and
 * both ways must give the same pages.
 */
const GATHER: ListLimits = { exact: 1_000, exactSearch: 1_000, gatherBelowEstimate: 1_000_000 };
const TIME_ORDER: ListLimits = { exact: 3, exactSearch: 3, gatherBelowEstimate: 0 };
const FELL_BACK: ListLimits = { exact: 3, exactSearch: 3, gatherBelowEstimate: 1_000_000 };

for (const database of DATABASE_KINDS) {
  describe(`tickets: list pages and totals, gathered or in time order [${database}]`, function () {
    this.timeout(120_000);
    let h: TicketsHarness;
    const made: string[] = [];
    before(async () => {
      h = await startTickets({ database, at: '2026-11-27T09:30:00+08:00' });
      // Twelve tickets, three to a minute (equal times are ordered by number), every third dispatched to 住建局.
      for (let i = 0; i < 12; i++) {
        if (i % 3 === 0) h.clock.advance(60_000);
        const c = await h.create({ callerPhone: `1391000${String(i).padStart(4, '0')}`, content: i % 2 ? `小区供暖温度不达标 第${i}户` : `路灯损坏无人维修 第${i}处` });
        if (i % 3 === 0) await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
        made.push(c.no);
      }
    });
    after(async () => h?.stop());

    const list = (f: ListFilter, limits: ListLimits) => listTickets(h.t.service.ctx.knex, f, h.clock.now(), limits);
    const nos = (p: { items: Array<{ ticket: { no: string } }> }) => p.items.map((i) => i.ticket.no);
    const newestFirst = () => [...made].reverse();

    it('given a dozen tickets, when listed over HTTP, then newest first with an exact total, and pages follow one another', async () => {
      const all = await h.t.http('GET', '/api/tickets?limit=200', { token: h.tokens.operator });
      expect(all.body).to.include({ total: 12, totalExact: true });
      expect(all.body.items.map((i: any) => i.no)).to.deep.equal(newestFirst());
      const pages = await Promise.all([0, 5, 10].map((offset) => h.t.http('GET', `/api/tickets?limit=5&offset=${offset}`, { token: h.tokens.operator })));
      expect(pages.flatMap((p) => p.body.items.map((i: any) => i.no))).to.deep.equal(newestFirst());
      expect(pages.map((p) => p.body.totalExact)).to.deep.equal([true, true, true]);
    });

    it('given the limits lowered, when the same lists are read in time order, then the pages are the same and a total beyond the limit is an estimate', async () => {
      for (const [offset, limit] of [[0, 5], [5, 5], [10, 5], [3, 4]]) {
        const gathered = await list({ offset, limit }, GATHER);
        expect(nos(await list({ offset, limit }, TIME_ORDER)), `offset ${offset}`).to.deep.equal(nos(gathered));
        expect(nos(await list({ offset, limit }, FELL_BACK)), `offset ${offset}`).to.deep.equal(nos(gathered));
      }
      const first = await list({ limit: 5 }, TIME_ORDER);
      expect(first.totalExact).to.equal(false);
      expect(first.total).to.be.at.least(5);
      // A page that is not full is the last: its total is known.
      expect(await list({ limit: 5, offset: 10 }, TIME_ORDER)).to.include({ total: 12, totalExact: true });
      expect(await list({ limit: 5 }, LIST_LIMITS)).to.include({ total: 12, totalExact: true });
    });

    it('given filters, when read either way, then units, words and numbers find the same tickets', async () => {
      const dispatched = made.filter((_, i) => i % 3 === 0).reverse();
      const heating = made.filter((_, i) => i % 2 === 1).reverse();
      const filters: Array<[ListFilter, string[]]> = [
        [{ visibleToUnit: 'QY-ZJJ' }, dispatched],
        [{ visibleToUnit: 'QY-RSJ' }, []],
        [{ status: ['dispatched'] }, dispatched],
        [{ q: '供暖温度' }, heating],
        [{ q: made[4]! }, [made[4]!]],
        [{ callerPhone: '13910000007' }, [made[7]!]],
        [{ q: '供暖', status: ['dispatched'] }, made.filter((_, i) => i % 6 === 3).reverse()],
      ];
      for (const [f, expected] of filters) {
        for (const limits of [GATHER, TIME_ORDER, FELL_BACK, LIST_LIMITS]) {
          expect(nos(await list({ ...f, limit: 200 }, limits)), JSON.stringify(f)).to.deep.equal(expected);
        }
        expect(await list({ ...f, limit: 200 }, GATHER)).to.include({ total: expected.length, totalExact: true });
      }
    });

    // Runs last: it signs a ticket and moves the clock. The filters read keys kept on the rows
    // (ticket_units.ticket_status, tickets.next_due_at; issue #13), so they must follow every action,
    // and a deadline that passes with no write at all.
    it('given 住建局\'s tickets, when one is signed and days pass with no action, then its 待办 by state and the 超期 filter find the right ones either way (第二十一条(一)(二))', async () => {
      const dispatched = made.filter((_, i) => i % 3 === 0);
      const signed = made[3]!;
      await h.ok(signed, 'sign', {}, h.tokens.zjj);
      const waiting = dispatched.filter((no) => no !== signed).reverse();
      const check = async (cases: Array<[ListFilter, string[]]>) => {
        for (const [f, expected] of cases) {
          for (const limits of [GATHER, TIME_ORDER, FELL_BACK, LIST_LIMITS]) {
            expect(nos(await list({ ...f, limit: 200 }, limits)), `${JSON.stringify(f)} at ${h.clock.now().toISOString()}`).to.deep.equal(expected);
          }
        }
      };
      await check([
        [{ visibleToUnit: 'QY-ZJJ', status: ['dispatched'] }, waiting],
        [{ visibleToUnit: 'QY-ZJJ', status: ['in_progress'] }, [signed]],
        [{ visibleToUnit: 'QY-ZJJ', status: ['dispatched', 'in_progress'] }, [...dispatched].reverse()],
        [{ visibleToUnit: 'QY-RSJ', status: ['dispatched', 'in_progress'] }, []],
        [{ overdue: true }, []],
      ]);
      // Friday morning to Tuesday morning, the timer not run: the unsigned tickets are past their 3
      // working hours to sign and the undispatched ones past their 2 hours to dispatch (overdue); the
      // signed one's 1-working-day return window (退单时限) has passed too, which only closes it (not
      // overdue), and its 5 working days to handle have not.
      h.clock.advance(4 * 24 * HOUR);
      await check([
        [{ overdue: true }, newestFirst().filter((no) => no !== signed)],
        [{ overdue: true, visibleToUnit: 'QY-ZJJ' }, waiting],
        [{ overdue: true, status: ['in_progress'] }, []],
        [{ visibleToUnit: 'QY-ZJJ', status: ['in_progress'] }, [signed]],
      ]);
    });
  });
}
