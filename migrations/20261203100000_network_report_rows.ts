import { Knex } from 'knex';

/**
 * The city sums the counties' reports (第二十六条) and scores counties from platform data (第二十八条):
 * what a county pushed (第二十五条) is kept at the city as report rows — its call records, and for each
 * of its tickets the events, main-unit assignments, deadlines and visits as the last applied fact left
 * them — and the report_* views put them beside the city's own rows, keyed `centre:id` / `centre:no`
 * so that nothing a county numbered can meet a city number. The reports read these views on the city
 * only (src/reports/sources.ts); a standalone centre or a county reads its own tables.
 *
 * A ticket the city itself sent down (工单流转) exists on both sides. It is counted once, as the city's
 * ticket: the city registered and accepted it, and the county's handling is written onto it as the
 * county's unit (receiver.ts mirror), so it stands in the county's unit and region figures there. Its
 * county copy (network_tickets.counted = false) stays out of the report views.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('network_tickets', (t) => {
    t.string('not_accepted_reason', 48).nullable();
    t.boolean('counted').notNullable().defaultTo(true).comment('false for a ticket the city sent down: the city counts its own ticket');
  });
  await knex.schema.createTable('network_calls', (t) => {
    t.string('centre', 16).notNullable();
    t.bigInteger('call_id').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.string('outcome', 32).nullable();
    t.timestamp('answered_at', { useTz: true }).nullable();
    t.timestamp('queue_entered_at', { useTz: true }).nullable();
    t.string('caller_number', 64).nullable();
    t.primary(['centre', 'call_id']);
    t.index(['started_at']);
  });
  await knex.schema.createTable('network_ticket_events', (t) => {
    t.string('centre', 16).notNullable();
    t.string('ticket_no', 32).notNullable();
    t.integer('seq').notNullable();
    t.bigInteger('src_id').notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('event', 32).notNullable();
    t.jsonb('data').notNullable().defaultTo('{}');
    t.primary(['centre', 'ticket_no', 'seq']);
    t.index(['at']);
  });
  await knex.schema.createTable('network_ticket_units', (t) => {
    t.string('centre', 16).notNullable();
    t.string('ticket_no', 32).notNullable();
    t.bigInteger('src_id').notNullable();
    t.string('unit_code', 64).notNullable();
    t.string('role', 8).notNullable();
    t.timestamp('assigned_at', { useTz: true }).notNullable();
    t.timestamp('released_at', { useTz: true }).nullable();
    t.primary(['centre', 'ticket_no', 'src_id']);
    t.index(['assigned_at']);
  });
  await knex.schema.createTable('network_ticket_deadlines', (t) => {
    t.string('centre', 16).notNullable();
    t.string('ticket_no', 32).notNullable();
    t.bigInteger('src_id').notNullable();
    t.string('kind', 16).notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('due_at', { useTz: true }).notNullable();
    t.string('state', 12).notNullable();
    t.timestamp('ended_at', { useTz: true }).nullable();
    t.boolean('missed').nullable();
    t.primary(['centre', 'ticket_no', 'src_id']);
  });
  await knex.schema.createTable('network_ticket_visits', (t) => {
    t.string('centre', 16).notNullable();
    t.string('ticket_no', 32).notNullable();
    t.bigInteger('src_id').notNullable();
    t.string('level', 24).notNullable();
    t.string('category', 24).notNullable();
    t.string('exclusion', 32).nullable();
    t.string('main_unit', 64).nullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.primary(['centre', 'ticket_no', 'src_id']);
    t.index(['at']);
  });

  const counted = (alias: string) => `exists (select 1 from network_tickets nt where nt.centre = ${alias}.centre and nt.no = ${alias}.ticket_no and nt.counted)`;
  await knex.raw(`create view report_calls as
    select cast(id as text) as id, centre, started_at, outcome, answered_at, queue_entered_at, caller_number from calls
    union all
    select centre || ':' || call_id, centre, started_at, outcome, answered_at, queue_entered_at, caller_number from network_calls`);
  // Missed-call callbacks (漏接回拨) are the city's own: a county's are not pushed.
  await knex.raw(`create view report_missed_calls as select cast(call_id as text) as call_id, status, missed_at, last_attempt_at from missed_calls`);
  await knex.raw(`create view report_tickets as
    select no, centre, category, domain, not_accepted_reason, main_unit, created_at from tickets
    union all
    select centre || ':' || no, centre, category, domain, not_accepted_reason, main_unit, created_at from network_tickets where counted`);
  await knex.raw(`create view report_ticket_events as
    select id, ticket_no, at, event, data from ticket_events
    union all
    select src_id, centre || ':' || ticket_no, at, event, data from network_ticket_events e where ${counted('e')}`);
  await knex.raw(`create view report_ticket_units as
    select id, ticket_no, unit_code, role, assigned_at, released_at from ticket_units
    union all
    select src_id, centre || ':' || ticket_no, unit_code, role, assigned_at, released_at from network_ticket_units u where ${counted('u')}`);
  await knex.raw(`create view report_ticket_deadlines as
    select id, ticket_no, kind, started_at, due_at, state, ended_at, missed from ticket_deadlines
    union all
    select src_id, centre || ':' || ticket_no, kind, started_at, due_at, state, ended_at, missed from network_ticket_deadlines d where ${counted('d')}`);
  await knex.raw(`create view report_ticket_visits as
    select id, ticket_no, level, category, exclusion, main_unit, at from ticket_visits
    union all
    select src_id, centre || ':' || ticket_no, level, category, exclusion, main_unit, at from network_ticket_visits v where ${counted('v')}`);
}

export async function down(knex: Knex): Promise<void> {
  for (const v of ['report_ticket_visits', 'report_ticket_deadlines', 'report_ticket_units', 'report_ticket_events', 'report_tickets', 'report_missed_calls', 'report_calls']) await knex.raw(`drop view ${v}`);
  for (const t of ['network_ticket_visits', 'network_ticket_deadlines', 'network_ticket_units', 'network_ticket_events', 'network_calls']) await knex.schema.dropTable(t);
  await knex.schema.alterTable('network_tickets', (t) => {
    t.dropColumn('counted');
    t.dropColumn('not_accepted_reason');
  });
}
