import { Knex } from 'knex';

/**
 * A ticket action written without a transaction around it (issue #13: BEGIN, the row lock and
 * COMMIT were half of an action's round trips). The action reads the ticket, plans its effects in
 * memory and writes them all in one statement, whose ticket update goes through only if the ticket's
 * version is still the one read. When it is not, this function fails the statement with SQLSTATE
 * 40001 (serialization_failure, the standard "run it again"), so none of the statement's other rows
 * (event, audit, deadlines, units) is kept, and the service reads and plans once more.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create function ticket_version_conflict(ticket_no text, expected bigint) returns boolean language plpgsql as $$
    begin
      raise exception using errcode = 'serialization_failure', message = 'ticket ' || ticket_no || ' changed since version ' || expected;
    end
  $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop function ticket_version_conflict(text, bigint)`);
}
