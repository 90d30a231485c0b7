import { Knex } from 'knex';

/**
 * The ticket list at a million tickets (issue #13): every list is ordered by (created_at, no) and
 * finds its page by key before it reads any ticket row. So the ordering indexes carry the number
 * (the page's keys come from the index alone), the time index also carries the status and category
 * the search screen filters on (filtered without reading the row), a ticket's number leads to its
 * time and status (a unit's or the overdue tickets, found from their side, ordered without reading
 * their rows), and the open deadlines by due time carry their ticket (the overdue filter from the
 * index alone). Two replace the narrower index they extend. Plain PostgreSQL indexes: the same on
 * the embedded PGlite.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create index tickets_created_no on tickets (created_at, no) include (status, category)`);
  await knex.raw(`drop index tickets_created_at_index`);
  await knex.raw(`create index tickets_status_created_no on tickets (status, created_at, no)`);
  await knex.raw(`drop index tickets_status_created_at_index`);
  await knex.raw(`create index tickets_no_cover on tickets (no) include (created_at, status)`);
  await knex.raw(`create index ticket_deadlines_open_due_no on ticket_deadlines (due_at, ticket_no) where state = 'open'`);
  await knex.raw(`drop index ticket_deadlines_open_due`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`create index ticket_deadlines_open_due on ticket_deadlines (due_at) where state = 'open'`);
  await knex.raw(`drop index ticket_deadlines_open_due_no`);
  await knex.raw(`drop index tickets_no_cover`);
  await knex.raw(`create index tickets_status_created_at_index on tickets (status, created_at)`);
  await knex.raw(`drop index tickets_status_created_no`);
  await knex.raw(`create index tickets_created_at_index on tickets (created_at)`);
  await knex.raw(`drop index tickets_created_no`);
}
