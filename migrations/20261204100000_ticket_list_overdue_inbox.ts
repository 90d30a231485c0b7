import { Knex } from 'knex';

/**
 * The two lists that stayed over 50 ms at a million tickets (issue #13), each given a short way in.
 *
 * 超期 filter: "has an open deadline past due" was asked of every ticket, newest first, until a page
 * was found (22,518 ticket look-ups for 200 rows). Each ticket now carries the earliest due time of
 * its open deadlines that can make it overdue (`next_due_at`; windows such as 退单时限 are not among
 * them, 第二十一条(二)), written with the deadlines by the same statement. Only tickets with an open
 * deadline are in the new index, newest first, with that time: the page comes from the index alone.
 *
 * A unit's 待办 (dispatched, in handling): the unit's assignments were all read (135,000 for the
 * busiest unit, nearly all closed) and merged with every ticket in those states. An active
 * assignment now carries its ticket's status (`ticket_status`), changed with the ticket's status by
 * the same statement, so the unit's tickets in a state are one index range.
 *
 * Windows: the kinds listed in src/tickets/model.ts WINDOW_KINDS ('return').
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table tickets add column next_due_at timestamptz`);
  await knex.raw(`update tickets t set next_due_at = d.due from (
      select ticket_no, min(due_at) as due from ticket_deadlines where state = 'open' and kind <> 'return' group by ticket_no
    ) d where d.ticket_no = t.no`);
  await knex.raw(`create index tickets_open_deadline_created on tickets (created_at, no) include (next_due_at) where next_due_at is not null`);
  await knex.raw(`alter table ticket_units add column ticket_status text`);
  await knex.raw(`update ticket_units u set ticket_status = t.status from tickets t where t.no = u.ticket_no and u.active`);
  await knex.raw(`create index ticket_units_unit_status on ticket_units (unit_code, ticket_status, ticket_no) where active`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop index ticket_units_unit_status`);
  await knex.raw(`alter table ticket_units drop column ticket_status`);
  await knex.raw(`drop index tickets_open_deadline_created`);
  await knex.raw(`alter table tickets drop column next_due_at`);
}
