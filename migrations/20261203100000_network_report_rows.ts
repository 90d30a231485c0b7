import { Knex } from 'knex';

/**
 * The city sums the counties' reports (第二十六条) and scores counties from platform data (第二十八条):
 * what a county pushed (第二十五条) is kept at the city as report rows — its call records, and for each
 * of its tickets the events, main-unit assignments, deadlines and visits as the last applied fact left
 * them — and the report_* views put them beside the city's own rows, keyed `centre:id` / `centre:no`
 * so that nothing a county numbered can meet a city number. The reports read these views on the city
 * only (src/reports/sources.ts); a standalone centre or a county reads its own tables.
 *
 * A county's missed-call callbacks (漏接回拨) come as facts of their own when reached (network_missed_calls).
 *
 * A ticket the city itself sent down (工单流转) exists on both sides. It is counted once, as the city's
 * ticket: the city registered and accepted it, and the county's handling is written onto it as the
 * county's unit (receiver.ts mirror), so it stands in the county's unit and region figures there. Its
 * county copy (network_tickets.counted = false) stays out of the report views, and its events,
 * assignments, deadlines and visits are not kept as report rows at all.
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
    // The 24-hour connection rate looks for the same number's later answered call.
    t.index(['caller_number']);
  });
  // A county's missed calls reached by callback (漏接回拨), pushed when the result is recorded.
  await knex.schema.createTable('network_missed_calls', (t) => {
    t.string('centre', 16).notNullable();
    t.bigInteger('call_id').notNullable();
    t.string('status', 16).notNullable();
    t.timestamp('missed_at', { useTz: true }).notNullable();
    t.timestamp('last_attempt_at', { useTz: true }).nullable();
    t.primary(['centre', 'call_id']);
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

  // What was pushed before: a county ticket carrying an origin is one the city sent down (a county's
  // only origin is its city); the events and call records come back from the stored facts. Older facts
  // carry no assignments, deadlines or visits, so those figures of earlier county tickets stay empty.
  await knex.raw(`update network_tickets set counted = false where origin_no is not null`);
  const int = (e: string) => `case when (${e}) ~ '^[0-9]{1,18}$' then cast(${e} as bigint) end`;
  const ts = (e: string) => `case when (${e}) ~ '^\\d{4}-\\d\\d-\\d\\dT' then cast(${e} as timestamptz) end`;
  await knex.raw(`insert into network_ticket_events (centre, ticket_no, seq, src_id, at, event, data)
    select f.centre, f.ticket_no, f.seq, coalesce(${int("f.payload->'event'->>'id'")}, 0), f.occurred_at, left(f.payload->'event'->>'event', 32), coalesce(f.payload->'event'->'data', '{}')
    from network_facts f join network_tickets t on t.centre = f.centre and t.no = f.ticket_no
    where f.kind = 'ticket_event' and f.seq is not null and t.counted and f.payload->'event'->>'event' is not null
    on conflict do nothing`);
  await knex.raw(`insert into network_calls (centre, call_id, started_at, outcome, answered_at, queue_entered_at, caller_number)
    select centre, ${int("payload->'call'->>'id'")}, coalesce(${ts("payload->'call'->>'startedAt'")}, occurred_at), left(payload->'call'->>'outcome', 32),
      ${ts("payload->'call'->>'answeredAt'")}, ${ts("payload->'call'->>'queueEnteredAt'")}, left(payload->'call'->>'callerNumber', 64)
    from network_facts where kind = 'call' and ${int("payload->'call'->>'id'")} is not null
    on conflict do nothing`);

  // The views name a county's rows centre:number; the figures look tickets up by that name (a ticket's
  // unit at an instant, its events, its ticket row), so each table is indexed on the same expression.
  await knex.raw(`create index network_tickets_key on network_tickets ((centre || ':' || no))`);
  for (const t of ['network_ticket_events', 'network_ticket_units', 'network_ticket_deadlines', 'network_ticket_visits']) await knex.raw(`create index ${t}_key on ${t} ((centre || ':' || ticket_no))`);
  // The 24-hour connection rate looks a call's missed-call callback up by the view's text call id.
  await knex.raw(`create index missed_calls_call_id_text on missed_calls ((cast(call_id as text)))`);
  await knex.raw(`create index network_missed_calls_key on network_missed_calls ((centre || ':' || call_id))`);
  // Every string column is text in both branches: PostgreSQL pushes a condition (a ticket's number,
  // a caller's number) down into each branch of a UNION ALL only when the branches' column types are
  // the union's own, and the figures' look-ups by ticket need it to stay on the indexes.
  await knex.raw(`create view report_calls as
    select cast(id as text) as id, cast(centre as text) as centre, started_at, cast(outcome as text) as outcome, answered_at, queue_entered_at, cast(caller_number as text) as caller_number from calls
    union all
    select centre || ':' || call_id, cast(centre as text), started_at, cast(outcome as text), answered_at, queue_entered_at, cast(caller_number as text) from network_calls`);
  await knex.raw(`create view report_missed_calls as
    select cast(call_id as text) as call_id, cast(status as text) as status, missed_at, last_attempt_at from missed_calls
    union all
    select centre || ':' || call_id, cast(status as text), missed_at, last_attempt_at from network_missed_calls`);
  await knex.raw(`create view report_tickets as
    select cast(no as text) as no, cast(centre as text) as centre, cast(category as text) as category, cast(domain as text) as domain, cast(not_accepted_reason as text) as not_accepted_reason, cast(main_unit as text) as main_unit, created_at from tickets
    union all
    select centre || ':' || no, cast(centre as text), cast(category as text), cast(domain as text), cast(not_accepted_reason as text), cast(main_unit as text), created_at from network_tickets where counted`);
  await knex.raw(`create view report_ticket_events as
    select id, cast(ticket_no as text) as ticket_no, at, cast(event as text) as event, data from ticket_events
    union all
    select src_id, centre || ':' || ticket_no, at, cast(event as text), data from network_ticket_events`);
  await knex.raw(`create view report_ticket_units as
    select id, cast(ticket_no as text) as ticket_no, cast(unit_code as text) as unit_code, cast(role as text) as role, assigned_at, released_at from ticket_units
    union all
    select src_id, centre || ':' || ticket_no, cast(unit_code as text), cast(role as text), assigned_at, released_at from network_ticket_units`);
  await knex.raw(`create view report_ticket_deadlines as
    select id, cast(ticket_no as text) as ticket_no, cast(kind as text) as kind, started_at, due_at, cast(state as text) as state, ended_at, missed from ticket_deadlines
    union all
    select src_id, centre || ':' || ticket_no, cast(kind as text), started_at, due_at, cast(state as text), ended_at, missed from network_ticket_deadlines`);
  await knex.raw(`create view report_ticket_visits as
    select id, cast(ticket_no as text) as ticket_no, cast(level as text) as level, cast(category as text) as category, cast(exclusion as text) as exclusion, cast(main_unit as text) as main_unit, at from ticket_visits
    union all
    select src_id, centre || ':' || ticket_no, cast(level as text), cast(category as text), cast(exclusion as text), cast(main_unit as text), at from network_ticket_visits`);
}

export async function down(knex: Knex): Promise<void> {
  for (const v of ['report_ticket_visits', 'report_ticket_deadlines', 'report_ticket_units', 'report_ticket_events', 'report_tickets', 'report_missed_calls', 'report_calls']) await knex.raw(`drop view ${v}`);
  await knex.raw('drop index missed_calls_call_id_text');
  await knex.raw('drop index network_tickets_key');
  for (const t of ['network_ticket_visits', 'network_ticket_deadlines', 'network_ticket_units', 'network_ticket_events', 'network_missed_calls', 'network_calls']) await knex.schema.dropTable(t);
  await knex.schema.alterTable('network_tickets', (t) => {
    t.dropColumn('counted');
    t.dropColumn('not_accepted_reason');
  });
}
