import { expect } from 'chai';
import { openDatabase, migrateLatest, migrationConfig } from '../../src/db/knex';
import { createTestDatabase } from '../support/db';

async function tableNames(knex: import('knex').Knex): Promise<string[]> {
  const r = await knex.raw(`select table_name from information_schema.tables where table_schema = 'public' order by 1`);
  return r.rows.map((x: { table_name: string }) => x.table_name);
}

describe('migrations', function () {
  this.timeout(120_000);

  it('given the embedded PGlite, when all migrations run up, down and up again, then the schema comes back the same', async () => {
    const db = openDatabase({ dataDir: 'memory' });
    try {
      const ran = await migrateLatest(db.knex);
      expect(ran.length).to.be.greaterThan(0);
      const first = await tableNames(db.knex);
      expect(first).to.include.members(['users', 'sessions', 'audit_log']);
      await db.knex.migrate.rollback(migrationConfig(), true);
      const afterDown = (await tableNames(db.knex)).filter((t) => !t.startsWith('knex_migrations'));
      expect(afterDown).to.deep.equal([]);
      await migrateLatest(db.knex);
      expect(await tableNames(db.knex)).to.deep.equal(first);
    } finally {
      await db.destroy();
    }
  });

  it('given real PostgreSQL, when all migrations run up, down and up again, then the schema comes back the same', async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      await migrateLatest(db.knex);
      const first = await tableNames(db.knex);
      await db.knex.migrate.rollback(migrationConfig(), true);
      expect((await tableNames(db.knex)).filter((t) => !t.startsWith('knex_migrations'))).to.deep.equal([]);
      await migrateLatest(db.knex);
      expect(await tableNames(db.knex)).to.deep.equal(first);
    } finally {
      await db.destroy();
    }
  });
});
