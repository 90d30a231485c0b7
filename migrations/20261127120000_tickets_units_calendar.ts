import { Knex } from 'knex';

/** Handling units (承办单位) and the working-day calendar overrides the SLA clock loads at start. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('units', (t) => {
    t.string('code', 64).primary();
    t.string('name', 128).notNullable();
    // department (市直部门), county (县区政府), town (乡镇/街道), enterprise (公共服务企业), central (中省驻庆单位)
    t.string('kind', 32).notNullable();
    t.string('parent_code', 64).nullable().comment('the unit above it (a town under its county)');
    t.string('county_code', 64).nullable().comment('the county it belongs to, null for city-level units');
    t.boolean('active').notNullable().defaultTo(true);
    t.index(['parent_code']);
  });
  await knex.schema.createTable('calendar_days', (t) => {
    t.date('day').primary();
    t.string('kind', 16).notNullable().comment('holiday (放假) or workday (调休上班)');
    t.string('name', 64).notNullable();
    t.string('source', 128).notNullable().defaultTo('');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`alter table calendar_days add constraint calendar_days_kind check (kind in ('holiday','workday'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('calendar_days');
  await knex.schema.dropTable('units');
}
