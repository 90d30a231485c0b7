import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openDatabase, migrateLatest } from '../../src/db/knex';
import { buildTemplate } from '../../src/cli/db-template';
import { readTemplate, seedFromTemplate } from '../../src/db/template';

/**
 * Issue 13 §3: a new embedded DATA_DIR starts as a copy of the migrated template that `npm ci`
 * builds, instead of running initdb and every migration; a template of another PGlite version, or a
 * directory that already holds data, is never used or overwritten.
 */
describe('the pre-initialised embedded database (template)', function () {
  this.timeout(120_000);
  let root: string;
  let template: string;
  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-template-test-'));
    template = path.join(root, 'template');
    await buildTemplate(template);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('given a template, when a fresh directory is opened from it, then the database is already migrated and works', async () => {
    expect(readTemplate(template)!.migrations.length).to.be.greaterThan(5);
    const dir = path.join(root, 'fresh');
    expect(seedFromTemplate(path.join(dir, 'pglite'), template)).to.equal(true);
    const db = openDatabase({ dataDir: dir });
    try {
      expect(await migrateLatest(db.knex)).to.deep.equal([]);
      await db.knex('units').insert({ code: 'T-1', name: '测试单位', kind: 'department', active: true }).onConflict('code').ignore();
      expect((await db.knex('units').where({ code: 'T-1' })).length).to.equal(1);
    } finally {
      await db.destroy();
    }
    // Reopened, it is resumed, not seeded again.
    expect(seedFromTemplate(path.join(dir, 'pglite'), template)).to.equal(false);
  });

  it('given a template made by another PGlite version, then it is not used and the database is initialised as before', async () => {
    const other = path.join(root, 'other');
    fs.cpSync(template, other, { recursive: true });
    fs.writeFileSync(`${other}.json`, JSON.stringify({ ...readTemplate(template), pglite: '0.0.1' }));
    const dir = path.join(root, 'old-version', 'pglite');
    expect(seedFromTemplate(dir, other)).to.equal(false);
    expect(fs.existsSync(path.join(dir, 'PG_VERSION'))).to.equal(false);
  });

  it('given a template holding a migration this code does not have (another branch), then it is not used', () => {
    const foreign = path.join(root, 'foreign');
    fs.cpSync(template, foreign, { recursive: true });
    const meta = readTemplate(template)!;
    fs.writeFileSync(`${foreign}.json`, JSON.stringify({ ...meta, migrations: [...meta.migrations, '29991231000000_from_another_branch'] }));
    expect(seedFromTemplate(path.join(root, 'foreign-data', 'pglite'), foreign)).to.equal(false);
  });

  it('given a directory that already holds files, then the template never overwrites it', () => {
    const dir = path.join(root, 'busy', 'pglite');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'something'), 'x');
    expect(seedFromTemplate(dir, template)).to.equal(false);
    expect(fs.readdirSync(dir)).to.deep.equal(['something']);
  });
});
