import { Knex } from 'knex';

/** IVR satisfaction callbacks (第二十二条(三)): one row per call placed to a citizen about a ticket. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('satisfaction_calls', (t) => {
    t.bigIncrements('id').primary();
    t.string('ticket_no', 32).notNullable();
    t.string('server_id', 64).notNullable();
    t.string('channel_id', 64).notNullable();
    t.bigInteger('requested_by').nullable();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('ended_at', { useTz: true }).nullable();
    t.string('key', 4).nullable().comment('the key pressed, 1..5');
    t.string('result', 24).notNullable().defaultTo('calling').comment('calling | rated | no_rating | failed');
    t.unique(['server_id', 'channel_id']);
    t.index(['ticket_no']);
  });
  // At most one call under way per ticket: two quick clicks never ring the citizen twice.
  await knex.raw(`create unique index satisfaction_calls_one_running on satisfaction_calls (ticket_no) where result = 'calling'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('satisfaction_calls');
}
