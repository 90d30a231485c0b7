import { expect } from 'chai';
import { openDatabase } from '../../src/db/knex';

/**
 * Issue 13 (≤ 250 MB after start): the embedded PostgreSQL starts with memory settings for one
 * process with one connection (src/db/knex.ts pgliteStartParams), shared_buffers from
 * PGLITE_SHARED_BUFFERS; the database itself behaves as before.
 */
describe('the embedded database (PGlite) memory settings', function () {
  this.timeout(120_000);

  const show = async (knex: ReturnType<typeof openDatabase>['knex'], name: string) =>
    ((await knex.raw(`show ${name}`)) as { rows: Array<Record<string, string>> }).rows[0]![name];

  it('given no setting, when the embedded database opens, then it runs with 16MB of shared buffers and 10 connection slots', async () => {
    const db = openDatabase({ dataDir: 'memory' });
    try {
      expect(await show(db.knex, 'shared_buffers')).to.equal('16MB');
      expect(await show(db.knex, 'max_connections')).to.equal('10');
      // The rest of PGlite's own start parameters still apply.
      expect(await show(db.knex, 'max_worker_processes')).to.equal('0');
    } finally {
      await db.destroy();
    }
  });

  it('given PGLITE_SHARED_BUFFERS=128MB (PostgreSQL\'s initdb value), when the embedded database opens, then it uses it', async () => {
    const db = openDatabase({ dataDir: 'memory', pgliteSharedBuffers: '128MB' });
    try {
      expect(await show(db.knex, 'shared_buffers')).to.equal('128MB');
    } finally {
      await db.destroy();
    }
  });

  it('given rows, when some are deleted, then the count deleted is answered as on PostgreSQL (a removed calendar override is found removed)', async () => {
    const db = openDatabase({ dataDir: 'memory', noTemplate: true });
    try {
      await db.knex.schema.createTable('days', (t) => { t.date('day').primary(); t.string('name'); });
      await db.knex('days').insert([{ day: '2027-06-05', name: '调休' }, { day: '2027-06-06', name: '调休' }]);
      expect(await db.knex('days').where({ day: '2027-06-05' }).del()).to.equal(1);
      expect(await db.knex('days').where({ day: '2027-06-05' }).del()).to.equal(0);
      expect(await db.knex('days').where({ day: '2027-06-06' }).del().returning('name')).to.deep.equal([{ name: '调休' }]);
      expect(await db.knex('days').update({ name: 'x' })).to.equal(0);
    } finally {
      await db.destroy();
    }
  });
});
