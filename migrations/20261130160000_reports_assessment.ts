import { Knex } from 'knex';

/**
 * Reports (第二十六条) and the 100-point assessment (第二十八、二十九条): report jobs with their
 * progress and finished result, assessment schemes (weighted indicators as data), the manual
 * items the city enters with evidence, and scored runs that are frozen once published (通报).
 */
export async function up(knex: Knex): Promise<void> {
  // The report figures read facts by kind and time (src/reports/figures.ts): index those paths.
  await knex.raw(`create index if not exists ticket_events_event_at on ticket_events (event, at)`);
  await knex.raw(`create index if not exists ticket_deadlines_kind_ended on ticket_deadlines (kind, ended_at)`);
  await knex.raw(`create index if not exists ticket_deadlines_kind_due on ticket_deadlines (kind, due_at)`);
  await knex.raw(`create index if not exists ticket_units_assigned on ticket_units (assigned_at) where role = 'main'`);
  // "The main unit of a ticket at an instant" (figures.ts unitAt): the newest assignment first, no sort.
  await knex.raw(`create index if not exists ticket_units_main_at on ticket_units (ticket_no, assigned_at desc, id desc) where role = 'main'`);
  // 24-hour connection: "did this number get an answered call within 24 h after" is one index probe.
  await knex.raw(`create index if not exists calls_answered_by_caller on calls (caller_number, started_at) where answered_at is not null`);
  await knex.schema.createTable('report_jobs', (t) => {
    t.bigIncrements('id').primary();
    t.string('period_kind', 8).notNullable().comment('week | month | quarter | year');
    t.string('period_key', 16).notNullable().comment('2026-W48 | 2026-11 | 2026-Q4 | 2026 (Asia/Shanghai)');
    t.string('centre', 32).nullable().comment('scope: one centre, null = every centre');
    t.boolean('scheduled').notNullable().defaultTo(false);
    t.string('status', 12).notNullable().defaultTo('queued').comment('queued | running | done | failed');
    t.integer('progress').notNullable().defaultTo(0);
    t.string('step', 64).nullable();
    t.jsonb('result').nullable();
    t.text('error').nullable();
    t.string('requested_by', 128).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true }).nullable();
    t.index(['period_kind', 'period_key']);
  });
  // One stored scheduled report per finished period and scope, whatever the number of instances.
  await knex.raw(`create unique index report_jobs_scheduled_once on report_jobs (period_kind, period_key, coalesce(centre, '')) where scheduled`);

  await knex.schema.createTable('assessment_schemes', (t) => {
    t.string('target_kind', 8).primary().comment('county (centres) | unit (承办单位)');
    t.string('name', 128).notNullable();
    t.jsonb('indicators').notNullable();
    t.integer('version').notNullable().defaultTo(1);
    t.string('updated_by', 128).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('assessment_manual_items', (t) => {
    t.bigIncrements('id').primary();
    t.string('target_kind', 8).notNullable();
    t.string('target_code', 64).notNullable();
    t.string('period_key', 16).notNullable().comment('2026-11 (month) or 2026 (year)');
    t.string('indicator_code', 48).notNullable();
    t.string('item', 16).notNullable().comment('material_review (材料审核) | ledger (台账记录) | test_call (人工拨测)');
    t.decimal('score', 6, 2).notNullable();
    t.text('evidence').notNullable();
    t.jsonb('evidence_refs').notNullable().defaultTo('[]');
    t.string('entered_by', 128).notNullable();
    t.timestamp('entered_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['target_kind', 'period_key']);
  });
  await knex.schema.createTable('assessment_runs', (t) => {
    t.bigIncrements('id').primary();
    t.string('target_kind', 8).notNullable();
    t.string('period_kind', 8).notNullable().comment('month | year');
    t.string('period_key', 16).notNullable();
    t.jsonb('scheme').notNullable().comment('the scheme as it was when scored');
    t.string('status', 12).notNullable().defaultTo('draft').comment('draft | published (通报, frozen)');
    t.timestamp('as_of', { useTz: true }).notNullable();
    t.timestamp('computed_at', { useTz: true }).notNullable();
    t.timestamp('published_at', { useTz: true }).nullable();
    t.string('published_by', 128).nullable();
    t.unique(['target_kind', 'period_kind', 'period_key']);
  });
  await knex.schema.createTable('assessment_scores', (t) => {
    t.bigInteger('run_id').notNullable().references('assessment_runs.id').onDelete('CASCADE');
    t.string('target_code', 64).notNullable();
    t.string('target_name', 128).notNullable();
    t.decimal('total', 6, 2).notNullable();
    t.jsonb('indicators').notNullable();
    t.jsonb('refs').notNullable().comment('per indicator: the ticket numbers / call ids behind numerator and denominator');
    t.primary(['run_id', 'target_code']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const i of ['ticket_events_event_at', 'ticket_deadlines_kind_ended', 'ticket_deadlines_kind_due', 'ticket_units_assigned', 'ticket_units_main_at', 'calls_answered_by_caller']) await knex.raw(`drop index if exists ${i}`);
  for (const t of ['assessment_scores', 'assessment_runs', 'assessment_manual_items', 'assessment_schemes', 'report_jobs']) await knex.schema.dropTableIfExists(t);
}
