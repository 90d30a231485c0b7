import { Knex } from 'knex';

/** Why a three-way call's leg left or never joined (hangup cause, failed origination): shown to the operator. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('call_conference_legs', (t) => {
    t.string('left_reason', 255).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('call_conference_legs', (t) => {
    t.dropColumn('left_reason');
  });
}
