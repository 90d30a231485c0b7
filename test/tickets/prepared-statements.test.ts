import { expect } from 'chai';
import { startTickets, TicketsHarness } from './helpers';

/**
 * On a PostgreSQL server a creation's and an action's statements are prepared once per connection
 * (src/db/prepared.ts). A newer instance's migration may add a column to a table meanwhile (a rolling
 * upgrade on one database): the statements prepared before must keep working.
 */
describe('tickets: prepared statements outlive a column added by a newer instance [postgres]', function () {
  this.timeout(60_000);
  let h: TicketsHarness;
  before(async () => {
    h = await startTickets({ database: 'postgres', at: '2026-11-30T10:00:00+08:00' });
  });
  after(async () => h?.stop());

  it('given tickets created and acted on, when a column is added to the tables they write, then creating and acting go on as before', async () => {
    const first = await h.create({ callerPhone: '13900004444' });
    await h.ok(first.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
    await h.ok(first.no, 'sign', {}, h.tokens.zjj);

    for (const table of ['tickets', 'ticket_deadlines', 'ticket_events', 'ticket_units', 'audit_log']) {
      await h.t.db.knex.raw(`alter table ${table} add column added_later text`);
    }

    const second = await h.create({ callerPhone: '13900005555' });
    expect(second.status).to.equal('accepted');
    const dispatched = await h.ok(second.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
    expect(dispatched.status).to.equal('dispatched');
    const signed = await h.ok(second.no, 'sign', {}, h.tokens.zjj);
    expect(signed.status).to.equal('in_progress');
    const replied = await h.ok(first.no, 'reply', { text: '已处理' }, h.tokens.zjj);
    expect(replied.status).to.equal('replied');
    expect(replied).to.not.have.property('added_later');
  });
});
