import { Knex } from 'knex';

/**
 * The call path's records: one row per call keyed by Asterisk's linkedid, its legs keyed by
 * uniqueid, its recordings, the state transitions, the missed-call callback list (漏接回拨) and
 * restricted callers (第三十三条). Every write from Asterisk events is an upsert on these keys, so
 * replayed or resynced events never make duplicates.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('centres', (t) => {
    t.string('code', 32).primary();
    t.string('name', 64).notNullable();
    t.string('kind', 16).notNullable().comment('city | county | branch | parallel (双号并行)');
    t.string('queue', 64).notNullable();
    t.string('backup_queue', 64).nullable();
    t.string('server_id', 64).nullable().comment('the Asterisk serving this centre; null = the first configured');
    t.string('inbound_number', 32).nullable().comment('the number dialled to reach this centre');
    t.integer('fallback_wait_seconds').notNullable().defaultTo(120);
    t.integer('max_waiting').notNullable().defaultTo(60);
    t.jsonb('shift_profiles').notNullable().defaultTo('[]').comment('[{name, days, from, to, targetStaff}] day/night/holiday staffing');
  });

  await knex.schema.createTable('calls', (t) => {
    t.bigIncrements('id').primary();
    t.string('server_id', 64).notNullable();
    t.string('linkedid', 64).notNullable();
    t.string('caller_channel_id', 64).nullable();
    t.string('caller_number', 64).nullable();
    t.string('caller_name', 128).nullable();
    t.string('dialled', 64).nullable();
    t.string('centre', 32).nullable();
    t.string('queue', 64).nullable();
    t.string('state', 24).notNullable().defaultTo('new');
    t.string('outcome', 32).nullable().comment('answered | abandoned | fallback | fallback-sms | fallback-message | transferred | restricted | unanswered');
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('queue_entered_at', { useTz: true }).nullable();
    t.timestamp('queue_left_at', { useTz: true }).nullable();
    t.integer('wait_seconds').nullable();
    t.timestamp('answered_at', { useTz: true }).nullable();
    t.string('operator_interface', 128).nullable();
    t.bigInteger('operator_user_id').nullable();
    t.integer('talk_seconds').nullable();
    t.timestamp('ended_at', { useTz: true }).nullable();
    t.integer('hangup_cause').nullable();
    t.boolean('transferred').notNullable().defaultTo(false);
    t.boolean('restricted').notNullable().defaultTo(false);
    t.string('fallback', 16).notNullable().defaultTo('none').comment('none | prompt | sms | message');
    t.string('ticket_no', 32).nullable();
    t.boolean('reconciled').notNullable().defaultTo(false).comment('completed from a resync rather than live events');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['server_id', 'linkedid']);
    t.index(['started_at']);
    t.index(['caller_number']);
    t.index(['state']);
  });

  await knex.schema.createTable('call_legs', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('call_id').notNullable().references('calls.id').onDelete('CASCADE');
    t.string('server_id', 64).notNullable();
    t.string('channel_id', 64).notNullable();
    t.string('channel', 128).notNullable();
    t.string('role', 24).notNullable().comment('caller | operator | expert | transfer | supervisor | other');
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('answered_at', { useTz: true }).nullable();
    t.timestamp('ended_at', { useTz: true }).nullable();
    t.integer('hangup_cause').nullable();
    t.unique(['server_id', 'channel_id']);
    t.index(['call_id']);
  });

  await knex.schema.createTable('call_transitions', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('call_id').notNullable().references('calls.id').onDelete('CASCADE');
    t.string('from_state', 24).notNullable();
    t.string('event', 48).notNullable();
    t.string('to_state', 24).notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('event_key', 160).notNullable().comment('idempotency key of the Asterisk event that caused it');
    t.unique(['call_id', 'event_key']);
  });

  await knex.schema.createTable('recordings', (t) => {
    t.bigIncrements('id').primary();
    t.string('server_id', 64).notNullable();
    t.string('name', 255).notNullable().comment('file name as Asterisk wrote it (unique per server)');
    t.bigInteger('call_id').nullable().references('calls.id').onDelete('SET NULL');
    t.string('linkedid', 64).nullable();
    t.string('kind', 24).notNullable().comment('call | message | conference | transfer | segment');
    t.string('path', 512).nullable().comment('relative to RECORDINGS_DIR once collected');
    t.string('format', 16).notNullable().defaultTo('wav');
    t.decimal('duration_seconds', 10, 2).nullable();
    t.bigInteger('size_bytes').nullable();
    t.string('sha256', 64).nullable();
    t.timestamp('started_at', { useTz: true }).nullable();
    t.timestamp('finished_at', { useTz: true }).nullable();
    t.string('state', 16).notNullable().defaultTo('recording').comment('recording | finished | collected | missing');
    t.unique(['server_id', 'name']);
    t.index(['linkedid']);
    t.index(['call_id']);
  });

  await knex.schema.createTable('missed_calls', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('call_id').notNullable().unique().references('calls.id').onDelete('CASCADE');
    t.string('caller_number', 64).notNullable();
    t.string('centre', 32).nullable();
    t.string('queue', 64).nullable();
    t.timestamp('missed_at', { useTz: true }).notNullable();
    t.integer('wait_seconds').nullable();
    t.string('reason', 24).notNullable().comment('abandoned | fallback | fallback-sms | fallback-message');
    t.string('status', 16).notNullable().defaultTo('pending').comment('pending | claimed | done | unreachable');
    t.bigInteger('claimed_by').nullable();
    t.timestamp('claimed_at', { useTz: true }).nullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('last_attempt_at', { useTz: true }).nullable();
    t.text('note').nullable();
    t.index(['status', 'missed_at']);
  });

  await knex.schema.createTable('restricted_callers', (t) => {
    t.bigIncrements('id').primary();
    t.string('number', 64).notNullable();
    t.text('reason').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.bigInteger('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true }).nullable();
    t.bigInteger('revoked_by').nullable();
    t.index(['number']);
  });

  await knex.schema.createTable('restricted_hits', (t) => {
    t.bigIncrements('id').primary();
    t.string('number', 64).notNullable();
    t.string('server_id', 64).notNullable();
    t.string('linkedid', 64).notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.unique(['server_id', 'linkedid']);
    t.index(['number']);
  });

  await knex.schema.createTable('operator_states', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('user_id').notNullable();
    t.string('from_state', 24).notNullable();
    t.string('event', 32).notNullable();
    t.string('to_state', 24).notNullable();
    t.string('reason', 32).nullable();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'at']);
  });

  await knex.schema.createTable('sms_outbox', (t) => {
    t.bigIncrements('id').primary();
    t.string('purpose', 32).notNullable();
    t.string('to_number', 64).notNullable();
    t.text('body').notNullable();
    t.string('dedupe_key', 160).notNullable().unique();
    t.string('status', 16).notNullable().defaultTo('pending');
    t.string('provider_id', 128).nullable();
    t.text('error').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['sms_outbox', 'operator_states', 'restricted_hits', 'restricted_callers', 'missed_calls', 'recordings', 'call_transitions', 'call_legs', 'calls', 'centres']) {
    await knex.schema.dropTableIfExists(table);
  }
}
