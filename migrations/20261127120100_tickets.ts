import { Knex } from 'knex';

/**
 * Work tickets (工单), their audited lifecycle events, unit assignments, deadlines with reminders,
 * links to calls and recordings, attachments, satisfaction visits and SMS.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ticket_sequences', (t) => {
    t.string('prefix', 16).notNullable();
    t.string('day', 8).notNullable();
    t.integer('last').notNullable();
    t.primary(['prefix', 'day']);
  });
  await knex.schema.createTable('tickets', (t) => {
    t.string('no', 32).primary();
    t.string('centre', 64).notNullable();
    t.string('status', 24).notNullable();
    t.string('channel', 32).notNullable();
    t.text('caller_name').nullable();
    t.string('caller_phone', 32).nullable();
    t.boolean('confidential').notNullable().defaultTo(false).comment('caller asked that their identity be kept confidential');
    t.text('content').notNullable();
    t.string('category', 24).notNullable();
    t.string('domain', 32).notNullable();
    t.string('subdomain', 64).nullable();
    t.timestamp('matter_time', { useTz: true }).nullable();
    t.text('matter_place').nullable();
    t.boolean('emergency').notNullable().defaultTo(false);
    t.string('main_unit', 64).nullable().references('units.code');
    t.string('handle_limit', 16).nullable();
    t.string('not_accepted_reason', 48).nullable();
    t.string('repeat_of', 32).nullable().references('tickets.no');
    t.string('merged_into', 32).nullable().references('tickets.no');
    t.text('reply_text').nullable();
    t.timestamp('replied_at', { useTz: true }).nullable();
    t.timestamp('closed_at', { useTz: true }).nullable();
    t.jsonb('flow').notNullable().defaultTo('{}');
    t.integer('version').notNullable().defaultTo(0);
    t.bigInteger('created_by').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.text('search_terms').notNullable().defaultTo('');
    t.index(['status', 'created_at']);
    t.index(['caller_phone', 'created_at']);
    t.index(['main_unit', 'status']);
    t.index(['created_at']);
  });
  // Chinese full text: the app writes space-separated character bigrams; 'simple' keeps them as they are.
  await knex.raw(`alter table tickets add column search tsvector generated always as (to_tsvector('simple', search_terms)) stored`);
  await knex.raw(`create index tickets_search_gin on tickets using gin (search)`);

  await knex.schema.createTable('ticket_units', (t) => {
    t.bigIncrements('id').primary();
    t.string('ticket_no', 32).notNullable().references('tickets.no').onDelete('CASCADE');
    t.string('unit_code', 64).notNullable().references('units.code');
    t.string('role', 8).notNullable().comment('main (首接负责/主办) or co (协办)');
    t.boolean('active').notNullable().defaultTo(true);
    t.timestamp('assigned_at', { useTz: true }).notNullable();
    t.timestamp('released_at', { useTz: true }).nullable();
    t.index(['ticket_no']);
  });
  await knex.raw(`create index ticket_units_unit_active on ticket_units (unit_code, ticket_no) where active`);

  await knex.schema.createTable('ticket_events', (t) => {
    t.bigIncrements('id').primary();
    t.string('ticket_no', 32).notNullable().references('tickets.no').onDelete('CASCADE');
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('event', 32).notNullable();
    t.string('from_status', 24).nullable();
    t.string('to_status', 24).notNullable();
    t.string('actor', 128).notNullable();
    t.bigInteger('actor_user_id').nullable();
    t.string('actor_unit', 64).nullable();
    t.text('reason').nullable();
    t.jsonb('data').notNullable().defaultTo('{}');
    t.index(['ticket_no', 'id']);
  });

  await knex.schema.createTable('ticket_deadlines', (t) => {
    t.bigIncrements('id').primary();
    t.string('ticket_no', 32).notNullable().references('tickets.no').onDelete('CASCADE');
    t.string('kind', 16).notNullable();
    t.string('limit_spec', 16).notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('due_at', { useTz: true }).notNullable();
    t.timestamp('remind_at', { useTz: true }).notNullable();
    t.string('state', 12).notNullable().defaultTo('open').comment('open, met, cancelled');
    t.timestamp('ended_at', { useTz: true }).nullable();
    t.boolean('missed').nullable().comment('ended after due_at (逾期)');
    t.timestamp('reminded_at', { useTz: true }).nullable();
    t.timestamp('alerted_at', { useTz: true }).nullable();
    t.index(['ticket_no']);
  });
  // The overdue look-ups the timer and the API make: all by index, all partial on open deadlines.
  await knex.raw(`create unique index ticket_deadlines_one_open on ticket_deadlines (ticket_no, kind) where state = 'open'`);
  await knex.raw(`create index ticket_deadlines_open_due on ticket_deadlines (due_at) where state = 'open'`);
  await knex.raw(`create index ticket_deadlines_to_remind on ticket_deadlines (remind_at) where state = 'open' and reminded_at is null`);
  await knex.raw(`create index ticket_deadlines_to_alert on ticket_deadlines (due_at) where state = 'open' and alerted_at is null`);

  await knex.schema.createTable('ticket_reminders', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('deadline_id').notNullable().references('ticket_deadlines.id').onDelete('CASCADE');
    t.string('ticket_no', 32).notNullable().references('tickets.no').onDelete('CASCADE');
    t.string('kind', 16).notNullable();
    t.string('type', 12).notNullable().comment('reminder (before) or alert (after)');
    t.timestamp('due_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.string('raised_by', 128).notNullable();
    t.unique(['deadline_id', 'type']); // once, whatever the number of instances
    t.index(['created_at']);
  });

  await knex.schema.createTable('ticket_calls', (t) => {
    t.string('ticket_no', 32).notNullable().references('tickets.no').onDelete('CASCADE');
    t.string('linkedid', 64).notNullable().comment('Asterisk linkedid of the call');
    t.timestamp('linked_at', { useTz: true }).notNullable();
    t.primary(['ticket_no', 'linkedid']);
    t.index(['linkedid']);
  });
  await knex.schema.createTable('ticket_recordings', (t) => {
    t.string('ticket_no', 32).notNullable().references('tickets.no').onDelete('CASCADE');
    t.string('recording_id', 128).notNullable();
    t.string('linkedid', 64).nullable();
    t.jsonb('meta').notNullable().defaultTo('{}');
    t.timestamp('linked_at', { useTz: true }).notNullable();
    t.primary(['ticket_no', 'recording_id']);
    t.index(['linkedid']);
  });
  await knex.schema.createTable('ticket_attachments', (t) => {
    t.bigIncrements('id').primary();
    t.string('ticket_no', 32).notNullable().references('tickets.no').onDelete('CASCADE');
    t.text('file_name').notNullable();
    t.string('content_type', 128).notNullable();
    t.bigInteger('size_bytes').notNullable();
    t.text('storage_key').notNullable();
    t.string('sha256', 64).nullable();
    t.string('uploaded_by', 128).notNullable();
    t.timestamp('uploaded_at', { useTz: true }).notNullable();
    t.index(['ticket_no']);
  });
  await knex.schema.createTable('ticket_visits', (t) => {
    t.bigIncrements('id').primary();
    t.string('ticket_no', 32).notNullable().references('tickets.no').onDelete('CASCADE');
    t.integer('round').notNullable();
    t.string('level', 24).notNullable();
    t.string('channel', 12).notNullable().comment('phone, sms, ivr, default (no answer in 24 h)');
    t.string('cause', 24).nullable();
    t.string('exclusion', 32).nullable().comment('第二十二条(四) screening: not counted in the satisfaction rate');
    t.text('exclusion_note').nullable();
    t.string('category', 24).notNullable();
    t.string('main_unit', 64).nullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.index(['at']);
    t.index(['ticket_no']);
  });
  await knex.schema.createTable('ticket_sms', (t) => {
    t.bigIncrements('id').primary();
    t.string('ticket_no', 32).nullable().references('tickets.no').onDelete('CASCADE');
    t.string('direction', 8).notNullable();
    t.string('phone', 32).notNullable();
    t.text('body').notNullable();
    t.string('purpose', 24).notNullable();
    t.string('provider_id', 64).nullable();
    t.string('status', 24).notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.index(['ticket_no']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['ticket_sms', 'ticket_visits', 'ticket_attachments', 'ticket_recordings', 'ticket_calls', 'ticket_reminders', 'ticket_deadlines', 'ticket_events', 'ticket_units', 'tickets', 'ticket_sequences']) {
    await knex.schema.dropTable(t);
  }
}
