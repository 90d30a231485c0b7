import { Knex } from 'knex';

/**
 * One-key transfer and linkage (第十九条, 第十条(六), 第十二条, 第二十条(三)): the directory of lines
 * the hotline transfers to, every transfer attempt (kept even when it fails: a failed transfer must
 * still reach the caller, and the record shows it), three-way conferences with their legs, expert
 * answers, and supervisor monitoring sessions.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('call_lines', (t) => {
    t.string('code', 32).primary();
    t.string('name', 64).notNullable();
    t.string('kind', 16).notNullable().comment('city | county | branch | parallel (双号并行) | expert | emergency | utility');
    t.string('centre', 32).nullable().comment('centres.code when the line is one of our centres');
    t.string('dial', 128).notNullable().comment('Asterisk dial string, e.g. PJSIP/trunk-hx or PJSIP/95598@carrier');
    t.string('hours', 16).notNullable().defaultTo('24x7').comment('24x7 | office (working days, office hours)');
    t.boolean('reachable').notNullable().defaultTo(true);
    t.string('ticket_unit', 32).nullable().comment('units.code the ticket is dispatched to when a transfer lands (工单流转)');
    t.integer('sort').notNullable().defaultTo(0);
    t.text('note').nullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('call_transfers', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('call_id').notNullable().references('calls.id').onDelete('CASCADE');
    t.string('server_id', 64).notNullable();
    t.string('linkedid', 64).notNullable();
    t.string('line_code', 32).notNullable();
    t.string('mode', 16).notNullable().comment('blind | consult');
    t.boolean('emergency').notNullable().defaultTo(false);
    t.string('ticket_no', 32).nullable();
    t.string('summary', 200).nullable();
    t.bigInteger('operator_user_id').nullable();
    t.string('operator_interface', 128).nullable();
    t.string('caller_channel_id', 64).nullable();
    t.string('target_channel_id', 64).nullable();
    t.string('status', 16).notNullable().comment('dialing | consulting | answered | completed | cancelled | failed');
    t.string('result', 16).nullable().comment('Asterisk DIALSTATUS of the target leg');
    t.text('error').nullable();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('answered_at', { useTz: true }).nullable();
    t.timestamp('ended_at', { useTz: true }).nullable();
    t.index(['call_id']);
    t.index(['line_code', 'started_at']);
  });

  await knex.schema.createTable('call_conferences', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('call_id').notNullable().references('calls.id').onDelete('CASCADE');
    t.string('server_id', 64).notNullable();
    t.string('linkedid', 64).notNullable();
    t.string('room', 16).notNullable();
    t.string('line_code', 32).notNullable();
    t.boolean('emergency').notNullable().defaultTo(false);
    t.string('ticket_no', 32).nullable();
    t.bigInteger('operator_user_id').nullable();
    t.string('state', 16).notNullable().defaultTo('active').comment('active | ended');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('ended_at', { useTz: true }).nullable();
    t.index(['call_id']);
  });

  await knex.schema.createTable('call_conference_legs', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('conference_id').notNullable().references('call_conferences.id').onDelete('CASCADE');
    t.string('role', 16).notNullable().comment('caller | operator | expert | emergency');
    t.string('channel_id', 64).notNullable();
    t.string('channel', 128).nullable();
    t.string('recording_name', 255).nullable();
    t.timestamp('joined_at', { useTz: true }).nullable();
    t.timestamp('left_at', { useTz: true }).nullable();
    t.unique(['channel_id']);
  });

  await knex.schema.createTable('call_expert_answers', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('conference_id').notNullable().references('call_conferences.id').onDelete('CASCADE');
    t.string('ticket_no', 32).notNullable();
    t.bigInteger('user_id').notNullable();
    t.text('text').notNullable();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['ticket_no']);
  });

  await knex.schema.createTable('call_monitor_sessions', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('call_id').notNullable().references('calls.id').onDelete('CASCADE');
    t.bigInteger('supervisor_user_id').notNullable();
    t.string('supervisor_interface', 128).notNullable();
    t.string('mode', 16).notNullable().comment('listen | whisper | barge');
    t.string('target_channel', 128).notNullable();
    t.string('spy_channel_id', 64).notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('ended_at', { useTz: true }).nullable();
    t.index(['call_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['call_monitor_sessions', 'call_expert_answers', 'call_conference_legs', 'call_conferences', 'call_transfers', 'call_lines']) {
    await knex.schema.dropTableIfExists(table);
  }
}
