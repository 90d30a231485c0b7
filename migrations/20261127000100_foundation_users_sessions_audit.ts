import { Knex } from 'knex';

/** Users and their roles, login sessions, and the audit trail every later feature writes to. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.bigIncrements('id').primary();
    t.string('username', 64).notNullable().unique();
    t.string('display_name', 128).notNullable();
    t.text('password_hash').notNullable();
    // operator, expert, supervisor, unit_handler, admin, auditor
    t.specificType('roles', 'text[]').notNullable();
    t.string('centre', 64).nullable().comment('centre code for hotline staff, e.g. QY (city), QY-XF (西峰区)');
    t.string('unit_code', 64).nullable().comment('handling unit for unit_handler accounts');
    t.string('extension', 64).nullable().comment('softphone endpoint / dial string bound to an operator');
    t.boolean('active').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('sessions', (t) => {
    t.string('token_hash', 64).primary().comment('sha256 of the bearer token; the token itself is never stored');
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true }).nullable();
    t.index(['user_id']);
  });
  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.bigInteger('actor_user_id').nullable();
    t.string('actor', 128).notNullable().comment('username, or system:<component>');
    t.string('action', 96).notNullable();
    t.string('target_type', 64).nullable();
    t.string('target_id', 128).nullable();
    t.string('request_id', 64).nullable();
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['target_type', 'target_id']);
    t.index(['at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_log');
  await knex.schema.dropTable('sessions');
  await knex.schema.dropTable('users');
}
