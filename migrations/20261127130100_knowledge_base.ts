import { Knex } from 'knex';

/**
 * The 一问一答 knowledge base (第二十四条): entries with their basis, validity window and public
 * attribute, every version of every entry (谁报送谁负责), knowledge questions from the hotline to a
 * unit (知识提问, answered within 2 working days), operators' flags on wrong or outdated answers,
 * and import jobs. Plain columns only: it runs on PGlite as well as PostgreSQL.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('kb_entries', (t) => {
    t.bigIncrements('id').primary();
    t.text('question').notNullable().comment('the title a caller would ask');
    t.text('answer').notNullable().comment('答复口径');
    t.jsonb('basis').notNullable().defaultTo('[]').comment('依据: [{document, number, article}]');
    t.string('unit_code', 64).notNullable().comment('owning unit (谁报送谁负责)');
    t.string('unit_name', 128).notNullable();
    t.string('region_level', 16).notNullable().comment('city | county | township');
    t.string('region_name', 64).notNullable();
    t.specificType('category_path', 'text[]').notNullable().defaultTo('{}');
    t.specificType('keywords', 'text[]').notNullable().defaultTo('{}');
    t.timestamp('effective_from', { useTz: true }).notNullable();
    t.timestamp('removal_at', { useTz: true }).nullable().comment('下架时间: not shown from this instant on');
    t.string('visibility', 16).notNullable().defaultTo('internal').comment('public (web/WeChat) | internal');
    t.string('state', 16).notNullable().defaultTo('draft');
    t.integer('version').notNullable().defaultTo(1);
    t.bigInteger('supersedes_id').nullable().comment('published entry this revision replaces when it is published');
    t.text('review_note').nullable().comment('last send-back or withdrawal reason');
    t.string('source', 16).notNullable().defaultTo('manual').comment('manual | import | seed');
    t.bigInteger('created_by').nullable();
    t.bigInteger('submitted_by').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('published_at', { useTz: true }).nullable();
    t.index(['state']);
    t.index(['unit_code', 'state']);
    t.index(['updated_at']);
  });
  await knex.raw(`alter table kb_entries add constraint kb_entries_state_chk check (state in ('draft','submitted','approved','published','withdrawn','expired'))`);
  await knex.raw(`alter table kb_entries add constraint kb_entries_region_chk check (region_level in ('city','county','township'))`);
  await knex.raw(`alter table kb_entries add constraint kb_entries_visibility_chk check (visibility in ('public','internal'))`);
  await knex.raw(`alter table kb_entries add constraint kb_entries_window_chk check (removal_at is null or removal_at > effective_from)`);

  await knex.schema.createTable('kb_entry_versions', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('entry_id').notNullable().references('kb_entries.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.string('action', 32).notNullable().comment('create | update | submit | return | approve | publish | withdraw | expire | revise | import | seed');
    t.string('from_state', 16).nullable();
    t.string('to_state', 16).notNullable();
    t.specificType('changed_fields', 'text[]').notNullable().defaultTo('{}');
    t.text('reason').nullable();
    t.jsonb('snapshot').notNullable();
    t.bigInteger('actor_user_id').nullable();
    t.string('actor', 128).notNullable();
    t.string('actor_unit', 64).nullable();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['entry_id', 'id']);
  });

  await knex.schema.createTable('kb_questions', (t) => {
    t.bigIncrements('id').primary();
    t.text('question').notNullable();
    t.text('context').nullable().comment('why the hotline asks: e.g. the ticket or call it came from');
    t.string('unit_code', 64).notNullable();
    t.string('state', 16).notNullable().defaultTo('open').comment('open | answered | cancelled');
    t.bigInteger('asked_by').nullable();
    t.string('asked_by_name', 128).notNullable();
    t.timestamp('asked_at', { useTz: true }).notNullable();
    t.timestamp('due_at', { useTz: true }).notNullable().comment('2 working days after asked_at (第二十四条(二))');
    t.text('answer').nullable();
    t.bigInteger('answered_by').nullable();
    t.string('answered_by_name', 128).nullable();
    t.timestamp('answered_at', { useTz: true }).nullable();
    t.bigInteger('entry_id').nullable().references('kb_entries.id').onDelete('SET NULL');
    t.index(['state', 'due_at']);
    t.index(['unit_code', 'state']);
  });

  await knex.schema.createTable('kb_flags', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('entry_id').notNullable().references('kb_entries.id').onDelete('CASCADE');
    t.string('unit_code', 64).notNullable();
    t.string('kind', 16).notNullable().comment('wrong | outdated | unclear');
    t.text('reason').notNullable();
    t.string('state', 16).notNullable().defaultTo('open').comment('open | resolved | rejected');
    t.bigInteger('raised_by').nullable();
    t.string('raised_by_name', 128).notNullable();
    t.timestamp('raised_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('resolution').nullable();
    t.bigInteger('resolved_by').nullable();
    t.timestamp('resolved_at', { useTz: true }).nullable();
    t.index(['unit_code', 'state']);
    t.index(['entry_id']);
  });

  await knex.schema.createTable('kb_import_jobs', (t) => {
    t.string('id', 36).primary();
    t.string('format', 8).notNullable();
    t.string('mode', 16).notNullable().comment('all_or_nothing | valid_rows');
    t.string('state', 16).notNullable().comment('queued | validating | importing | done | rejected | failed');
    t.integer('total_rows').notNullable().defaultTo(0);
    t.integer('processed_rows').notNullable().defaultTo(0);
    t.integer('imported_rows').notNullable().defaultTo(0);
    t.jsonb('errors').notNullable().defaultTo('[]');
    t.text('message').nullable();
    t.bigInteger('created_by').nullable();
    t.string('created_by_name', 128).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('kb_import_jobs');
  await knex.schema.dropTable('kb_flags');
  await knex.schema.dropTable('kb_questions');
  await knex.schema.dropTable('kb_entry_versions');
  await knex.schema.dropTable('kb_entries');
}
