import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openDatabase, DbHandle } from '../../src/db/knex';
import { DATABASE_KINDS } from '../support/service';
import { createTestDatabase, TestDatabase } from '../support/db';

// Issue #10 (1): a repository call on the root knex inside an open transaction must use that
// transaction — on the embedded database (one connection) anything else waits forever.
for (const kind of DATABASE_KINDS) {
  describe(`db: queries inside a transaction use it, whoever issues them [${kind}]`, function () {
    this.timeout(30_000);
    let h: DbHandle;
    let pg: TestDatabase | undefined;
    let dir: string | undefined;
    before(async () => {
      if (kind === 'postgres') {
        pg = await createTestDatabase({ migrate: false });
        h = openDatabase({ databaseUrl: pg.url });
      } else {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-scoped-'));
        h = openDatabase({ dataDir: dir });
      }
      await h.knex.schema.createTable('scoped_probe', (t) => {
        t.increments('id');
        t.text('v');
      });
    });
    after(async () => {
      await h?.destroy();
      await pg?.destroy();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('given an open transaction, when a repository reads through the root knex, then it sees the uncommitted row (same transaction, no second connection)', async () => {
      const repoRead = () => h.knex('scoped_probe').where({ v: 'inside' }).first();
      const seen = await h.knex.transaction(async (trx) => {
        await trx('scoped_probe').insert({ v: 'inside' });
        return repoRead();
      });
      expect(seen).to.include({ v: 'inside' });
      await h.knex('scoped_probe').del();
    });

    it('given a transaction that fails, when a root-knex write inside it was made, then that write is rolled back with it', async () => {
      await h.knex
        .transaction(async () => {
          await h.knex('scoped_probe').insert({ v: 'rolled-back' });
          throw new Error('boom');
        })
        .catch(() => undefined);
      expect(await h.knex('scoped_probe').where({ v: 'rolled-back' })).to.have.length(0);
    });

    it('given a nested transaction, when the inner one fails, then only its savepoint is undone', async () => {
      await h.knex.transaction(async () => {
        await h.knex('scoped_probe').insert({ v: 'outer' });
        await h.knex
          .transaction(async () => {
            await h.knex('scoped_probe').insert({ v: 'inner' });
            throw new Error('inner fails');
          })
          .catch(() => undefined);
      });
      const rows = (await h.knex('scoped_probe').select('v')).map((r: { v: string }) => r.v);
      expect(rows).to.include('outer');
      expect(rows).to.not.include('inner');
      await h.knex('scoped_probe').del();
    });

    it('given work that outlives its transaction (started inside, run after commit), when it queries, then it runs on the root, not on the finished transaction', async () => {
      let later!: Promise<unknown>;
      await h.knex.transaction(async () => {
        later = new Promise((resolve) => setImmediate(resolve)).then(() => new Promise((r) => setTimeout(r, 20))).then(() => h.knex('scoped_probe').count({ n: '*' }).first());
      });
      const r = (await later) as { n: string | number };
      expect(Number(r.n)).to.equal(0);
    });
  });
}
