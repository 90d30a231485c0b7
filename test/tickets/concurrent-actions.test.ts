import { expect } from 'chai';
import { until } from '../support/until';
import { startTickets, TicketsHarness } from './helpers';

/**
 * An action reads the ticket it locks, its units and its open deadlines in one statement (act.ts).
 * When that statement waits for the lock, another transaction's changes committed meanwhile must be
 * seen as if they had been read after the lock. Only a server has a second connection to hold the
 * lock with, so this runs on PostgreSQL (the embedded database runs one transaction at a time).
 */
describe('tickets: an action waiting for the ticket\'s lock sees what the holder committed [postgres]', function () {
  this.timeout(60_000);
  let h: TicketsHarness;
  before(async () => {
    h = await startTickets({ database: 'postgres', at: '2026-11-30T10:00:00+08:00' });
  });
  after(async () => h?.stop());

  it('given a unit\'s 签收 waiting while the ticket\'s 转办 to that unit commits, then the unit sees its ticket and meets the sign deadline the 转办 started', async () => {
    const created = await h.create({ callerPhone: '13900001111' });
    const knex = h.t.db.knex;
    const at = new Date('2026-11-30T10:00:00+08:00');

    // given another transaction holding the ticket's lock (a 转办 in progress)
    const holder = await knex.transaction();
    const locked = await holder('tickets').where({ no: created.no }).forUpdate().first();
    // when the unit signs meanwhile
    const signing = h.act(created.no, 'sign', {}, h.tokens.zjj);
    await until(async () => Number((await knex.raw(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0].n) > 0, { what: 'the 签收 to wait for the lock' });
    // and the 转办 commits: ticket, unit, deadlines and a new version, as an action writes them
    await holder('tickets').where({ no: created.no }).update({ status: 'dispatched', main_unit: 'QY-ZJJ', handle_limit: '5wd', version: locked.version + 1, updated_at: at });
    await holder('ticket_units').insert({ ticket_no: created.no, unit_code: 'QY-ZJJ', role: 'main', active: true, assigned_at: at });
    await holder('ticket_deadlines').where({ ticket_no: created.no, kind: 'dispatch', state: 'open' }).update({ state: 'met', ended_at: at, missed: false });
    const [sign] = await holder('ticket_deadlines')
      .insert({ ticket_no: created.no, kind: 'sign', limit_spec: '3wh', started_at: at, due_at: new Date('2026-11-30T13:00:00+08:00'), remind_at: new Date('2026-11-30T12:00:00+08:00'), state: 'open' })
      .returning('id');
    await holder.commit();

    // then the 签收 is the unit's, on the dispatched ticket, and meets the sign deadline just started
    const r = await signing;
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.status).to.equal('in_progress');
    expect(r.body.deadlines.map((d: { kind: string }) => d.kind)).to.not.include('sign');
    const row = await knex('ticket_deadlines').where({ id: sign.id }).first();
    expect(row).to.include({ state: 'met', missed: false });
    expect(r.body.deadlineHistory.find((d: { kind: string }) => d.kind === 'sign')).to.include({ state: 'met', missed: false });
    expect(r.body.version).to.equal(locked.version + 2);
  });
});
