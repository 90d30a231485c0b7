import { Knex } from 'knex';

/** One ticket draft per voice message (busy fallback, key 2): claimed before the ticket is made, so two drains never make two. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('fallback_drafts', (t) => {
    t.string('server_id', 64).notNullable();
    t.string('linkedid', 64).notNullable();
    t.string('ticket_no', 32).nullable();
    t.timestamp('claimed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['server_id', 'linkedid']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('fallback_drafts');
}
