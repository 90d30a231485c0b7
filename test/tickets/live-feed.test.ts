import { expect } from 'chai';
import { startTickets, TicketsHarness, ticketsFeed as feed } from './helpers';
import { DATABASE_KINDS } from '../support/service';
import { until } from '../support/until';

for (const database of DATABASE_KINDS) {
  describe(`tickets: live feed of a creation (${database})`, function () {
    this.timeout(60_000);
    let h: TicketsHarness;
    before(async () => {
      h = await startTickets({ database });
    });
    after(async () => {
      await h?.stop();
    });

    it('given a supervisor on the live feed, when tickets are registered (accepted, and one a repeat), then each one\'s decision is heard before its creation, in order', async () => {
      const f = await feed(h, h.tokens.supervisor);
      try {
        const first = await h.create({ callerPhone: '13900001111', content: '小区楼下烧烤店油烟扰民，夜间影响休息' });
        const repeat = await h.create({ callerPhone: '13900001111', content: '小区楼下烧烤店油烟扰民，夜间影响休息' });
        const kept = await h.create({ accept: false });
        expect(repeat.status).to.equal('not_accepted');
        await until(() => f.events.filter((e) => e.type === 'created').length === 3, { what: 'three creations heard' });
        const heard = f.events.filter((e) => [first.no, repeat.no, kept.no].includes(e.ticketNo)).map((e) => `${e.ticketNo} ${e.type} ${e.event ?? ''}`.trim());
        expect(heard).to.deep.equal([
          `${first.no} transition accept`, `${first.no} created`,
          `${repeat.no} transition not_accept`, `${repeat.no} created`,
          `${kept.no} created`,
        ]);
      } finally {
        f.close();
      }
    });
  });
}
