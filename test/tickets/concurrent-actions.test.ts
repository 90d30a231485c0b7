import { expect } from 'chai';
import { lockTicket } from '../../src/tickets/act';
import { DATABASE_KINDS } from '../support/service';
import { until } from '../support/until';
import { startTickets, TicketsHarness } from './helpers';

/**
 * An action reads the ticket without a lock and writes in one statement that goes through only if
 * the ticket's version is still the one read (act.ts, TicketService.actDetailed, issue #13). When
 * another change comes first, the action is read, checked and planned again, and its first write
 * leaves nothing behind. 并案 and a network's outbox lock the ticket instead (lockTicket).
 */
const waitingForLock = async (h: TicketsHarness, what: string) =>
  until(async () => Number((await h.t.db.knex.raw(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0].n) > 0, { what });

describe('tickets: an action whose ticket changed while it was being written [postgres]', function () {
  this.timeout(60_000);
  let h: TicketsHarness;
  before(async () => {
    h = await startTickets({ database: 'postgres', at: '2026-11-30T10:00:00+08:00' });
  });
  after(async () => h?.stop());

  it('given a unit\'s 签收 whose write waits while another change gives the ticket a new sign deadline, then the 签收 is planned again: it meets the new deadline and its first write left no row', async () => {
    const created = await h.create({ callerPhone: '13900001111' });
    const dispatched = await h.ok(created.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
    const knex = h.t.db.knex;
    const at = new Date('2026-11-30T10:05:00+08:00');
    const first = await knex('ticket_deadlines').where({ ticket_no: created.no, kind: 'sign', state: 'open' }).first();

    // given another transaction changing the ticket: its sign deadline replaced, a new version
    const holder = await knex.transaction();
    await holder('tickets').where({ no: created.no }).update({ version: dispatched.version + 1, updated_at: at });
    await holder('ticket_deadlines').where({ id: first.id }).update({ state: 'cancelled', ended_at: at });
    const [second] = await holder('ticket_deadlines')
      .insert({ ticket_no: created.no, kind: 'sign', limit_spec: '3wh', started_at: at, due_at: new Date('2026-11-30T13:05:00+08:00'), remind_at: new Date('2026-11-30T12:05:00+08:00'), state: 'open' })
      .returning('id');
    // when the unit signs meanwhile: it reads the ticket as committed, and its write waits for the change
    const signing = h.act(created.no, 'sign', {}, h.tokens.zjj);
    await waitingForLock(h, 'the 签收\'s write to wait for the ticket');
    await holder.commit();

    // then the 签收 went through against the ticket as changed
    const r = await signing;
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.status).to.equal('in_progress');
    expect(r.body.version).to.equal(dispatched.version + 2);
    expect(await knex('ticket_deadlines').where({ id: second.id }).first()).to.include({ state: 'met', missed: false });
    expect(await knex('ticket_deadlines').where({ id: first.id }).first()).to.include({ state: 'cancelled' });
    // and the first write, refused, kept none of its rows: one 签收 event, one audit entry
    expect(Number((await knex('ticket_events').where({ ticket_no: created.no, event: 'sign' }).count({ n: '*' }).first())!.n)).to.equal(1);
    expect(Number((await knex('audit_log').where({ target_id: created.no, action: 'ticket.sign' }).count({ n: '*' }).first())!.n)).to.equal(1);
  });

  it('given a transaction holding the ticket\'s lock while it dispatches it, when lockTicket waits for that lock, then it reads the units and deadlines the holder committed', async () => {
    const created = await h.create({ callerPhone: '13900002222' });
    const knex = h.t.db.knex;
    const at = new Date('2026-11-30T10:00:00+08:00');

    // given another transaction holding the ticket's lock (a 转办 in progress)
    const holder = await knex.transaction();
    const locked = await holder('tickets').where({ no: created.no }).forUpdate().first();
    // when an action that locks the ticket (并案, a network's outbox) reads it meanwhile
    const reading = knex.transaction((trx) => lockTicket(trx, created.no, ['QY-ZJJ']));
    await waitingForLock(h, 'lockTicket to wait for the lock');
    // and the 转办 commits: ticket, unit, deadlines and a new version, as an action writes them
    await holder('tickets').where({ no: created.no }).update({
      status: 'dispatched', main_unit: 'QY-ZJJ', handle_limit: '5wd', version: locked.version + 1, updated_at: at, next_due_at: new Date('2026-11-30T13:00:00+08:00'),
    });
    await holder('ticket_units').insert({ ticket_no: created.no, unit_code: 'QY-ZJJ', role: 'main', active: true, assigned_at: at, ticket_status: 'dispatched' });
    await holder('ticket_deadlines').where({ ticket_no: created.no, kind: 'dispatch', state: 'open' }).update({ state: 'met', ended_at: at, missed: false });
    const [sign] = await holder('ticket_deadlines')
      .insert({ ticket_no: created.no, kind: 'sign', limit_spec: '3wh', started_at: at, due_at: new Date('2026-11-30T13:00:00+08:00'), remind_at: new Date('2026-11-30T12:00:00+08:00'), state: 'open' })
      .returning('id');
    await holder.commit();

    // then what it read is the ticket as the 转办 left it
    const read = await reading;
    expect(read!.ticket).to.include({ status: 'dispatched', mainUnit: 'QY-ZJJ', version: locked.version + 1 });
    expect(read!.units.map((u) => [u.unitCode, u.role])).to.deep.equal([['QY-ZJJ', 'main']]);
    expect(read!.open.map((d) => [d.id, d.kind])).to.deep.include([Number(sign.id), 'sign']);
    expect(read!.open.map((d) => d.kind)).to.not.include('dispatch');
    expect([...read!.knownUnits]).to.deep.equal(['QY-ZJJ']);
  });
});

for (const database of DATABASE_KINDS) {
  describe(`tickets: two actions on one ticket at the same moment [${database}]`, function () {
    this.timeout(60_000);
    let h: TicketsHarness;
    before(async () => {
      h = await startTickets({ database, at: '2026-11-30T10:00:00+08:00' });
    });
    after(async () => h?.stop());

    it('given a dispatched ticket, when its unit sends 签收 twice at once, then one is taken and the other refused as the ticket now stands, with one event and one audit entry', async () => {
      const created = await h.create({ callerPhone: '13900003333' });
      await h.ok(created.no, 'dispatch', { mainUnit: 'QY-ZJJ' });

      const answers = await Promise.all([h.act(created.no, 'sign', {}, h.tokens.zjj), h.act(created.no, 'sign', {}, h.tokens.zjj)]);

      expect(answers.map((a) => a.status).sort(), JSON.stringify(answers.map((a) => a.body))).to.deep.equal([200, 409]);
      const refused = answers.find((a) => a.status === 409)!;
      expect(refused.body.error.details).to.include({ state: 'in_progress', event: 'sign' });
      const knex = h.t.db.knex;
      expect(Number((await knex('ticket_events').where({ ticket_no: created.no, event: 'sign' }).count({ n: '*' }).first())!.n)).to.equal(1);
      expect(Number((await knex('audit_log').where({ target_id: created.no, action: 'ticket.sign' }).count({ n: '*' }).first())!.n)).to.equal(1);
      expect((await h.get(created.no)).status).to.equal('in_progress');
    });

    it('given a ticket whose write is refused as changed three times running, then the action locks the ticket and goes through, and the refused writes kept nothing', async () => {
      const created = await h.create({ callerPhone: '13900004444' });
      const dispatched = await h.ok(created.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
      const knex = h.t.db.knex;
      // given the first three updates of this ticket refused as a version conflict (what a lost race
      // looks like to the service: SQLSTATE 40001 'changed since version'), counted by a sequence, which
      // a rollback does not undo
      await knex.raw(`create sequence ticket_writes`);
      await knex.raw(`create function refuse_three() returns trigger language plpgsql as $$
        begin
          if nextval('ticket_writes') <= 3 then
            raise exception using errcode = 'serialization_failure', message = 'ticket ' || new.no || ' changed since version ' || old.version;
          end if;
          return new;
        end $$`);
      await knex.raw(`create trigger refuse_three before update on tickets for each row when (new.no = '${created.no}') execute function refuse_three()`);
      try {
        // when the unit signs
        const r = await h.act(created.no, 'sign', {}, h.tokens.zjj);

        // then it went through at the fourth write, which only the locked path makes (three tries on their own)
        expect(r.status, JSON.stringify(r.body)).to.equal(200);
        expect(r.body).to.include({ status: 'in_progress', version: dispatched.version + 1 });
        expect(Number((await knex.raw(`select last_value from ticket_writes`)).rows[0].last_value)).to.equal(4);
        expect(Number((await knex('ticket_events').where({ ticket_no: created.no, event: 'sign' }).count({ n: '*' }).first())!.n)).to.equal(1);
        expect(Number((await knex('audit_log').where({ target_id: created.no, action: 'ticket.sign' }).count({ n: '*' }).first())!.n)).to.equal(1);
      } finally {
        await knex.raw(`drop trigger refuse_three on tickets`);
        await knex.raw(`drop function refuse_three()`);
        await knex.raw(`drop sequence ticket_writes`);
      }
    });
  });
}
