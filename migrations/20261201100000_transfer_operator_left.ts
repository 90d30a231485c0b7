import { Knex } from 'knex';

/**
 * When the operator left a consultation before the target answered (Asterisk's "blond" attended
 * transfer, main/bridge_basic.c BLOND_NONFINAL): the caller now hears the target ringing and the
 * attempt is decided by the target alone (answer → completed, busy/no answer → failed and Asterisk
 * rings the operator back).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('call_transfers', (t) => {
    t.timestamp('operator_left_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('call_transfers', (t) => {
    t.dropColumn('operator_left_at');
  });
}
