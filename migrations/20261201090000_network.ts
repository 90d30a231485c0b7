import { Knex } from 'knex';

/**
 * The city–county hotline network (第四、十九、二十五条). On a county: where a ticket came from when the
 * city sent it down (工单流转). On the city: every fact a county pushed (applied exactly once, in order
 * per ticket), the county tickets as they stand after those facts, and each county's last heartbeat
 * (live queues, backlog) for the city's views.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tickets', (t) => {
    t.string('origin_centre', 16).nullable();
    t.string('origin_no', 32).nullable();
    // County: the sequence number of the first event pushed for this ticket (events before the network was on stay local).
    t.integer('network_from_seq').nullable();
    t.unique(['origin_centre', 'origin_no']);
  });
  await knex.schema.createTable('network_facts', (t) => {
    t.bigIncrements('id').primary();
    t.string('centre', 16).notNullable();
    t.string('fact_id', 96).notNullable();
    t.string('kind', 32).notNullable();
    t.string('ticket_no', 32).nullable();
    t.integer('seq').nullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable();
    t.jsonb('payload').notNullable();
    t.unique(['centre', 'fact_id']);
    t.index(['centre', 'ticket_no', 'seq']);
  });
  await knex.schema.createTable('network_tickets', (t) => {
    t.string('centre', 16).notNullable();
    t.string('no', 32).notNullable();
    t.integer('last_seq').notNullable();
    t.string('status', 24).notNullable();
    t.string('category', 24).nullable();
    t.string('domain', 48).nullable();
    t.text('content').nullable();
    t.string('main_unit', 64).nullable();
    t.string('origin_no', 32).nullable();
    t.jsonb('ticket').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.primary(['centre', 'no']);
    t.index(['origin_no']);
  });
  await knex.schema.createTable('network_centres', (t) => {
    t.string('code', 16).primary();
    t.timestamp('last_seen_at', { useTz: true }).nullable();
    t.timestamp('last_fact_at', { useTz: true }).nullable();
    t.float('last_lag_seconds').nullable();
    t.integer('backlog').nullable();
    t.float('oldest_pending_seconds').nullable();
    t.jsonb('live').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('network_centres');
  await knex.schema.dropTable('network_tickets');
  await knex.schema.dropTable('network_facts');
  await knex.schema.alterTable('tickets', (t) => {
    t.dropUnique(['origin_centre', 'origin_no']);
    t.dropColumn('network_from_seq');
    t.dropColumn('origin_no');
    t.dropColumn('origin_centre');
  });
}
