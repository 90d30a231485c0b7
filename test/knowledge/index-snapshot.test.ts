import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Knex } from 'knex';
import { openDatabase, migrateLatest } from '../../src/db/knex';
import { silentLogger } from '../../src/logging/logger';
import { KnowledgeStore } from '../../src/knowledge/store';
import { KnowledgeSearch } from '../../src/knowledge/search/sync';
import { Analyzer, getSegmenter } from '../../src/knowledge/search/analyzer';
import { SYNONYM_GROUPS } from '../../src/knowledge/search/synonyms';
import { SearchEngine } from '../../src/knowledge/search/engine';
import { readSnapshot, writeSnapshot } from '../../src/knowledge/search/snapshot';
import { seedIfEmpty } from '../../src/knowledge/seed/load';
import { createKnowledgeFeature } from '../../src/knowledge/feature';
import { createTestDatabase } from '../support/db';
import { DATABASE_KINDS, DatabaseKind, startTestService } from '../support/service';
import { generateEntries, generateQueries } from '../../bench/knowledge-corpus';
import { COLLOQUIAL } from './colloquial-questions';
import { content, knowledgeOn, publish, reviewer } from './helpers';

const analyzer = new Analyzer();
const QUERIES = [...COLLOQUIAL.map((c) => c.said), ...generateQueries(40), '夜间自助终端', '自助机'];
const AT = new Date(Date.now() + 60_000);

/** Every query's full hits, unfiltered and filtered (ids, scores, highlights, basis …). */
const answers = (e: SearchEngine) => JSON.stringify(QUERIES.map((q) => [e.search(q, { limit: 10, at: AT }), e.search(q, { limit: 5, at: AT, visibility: 'public' })]));

async function openDb(kind: DatabaseKind): Promise<{ knex: Knex; destroy(): Promise<void> }> {
  if (kind === 'postgres') return createTestDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-kidx-pglite-'));
  const db = openDatabase({ dataDir: dir });
  await migrateLatest(db.knex);
  return { knex: db.knex, destroy: async () => (await db.destroy(), fs.rmSync(dir, { recursive: true, force: true })) };
}

/** The starter entries and 300 generated ones, last changed an hour ago (long before any snapshot here). */
async function seed(knex: Knex): Promise<void> {
  await seedIfEmpty(knex, knowledgeOn(knex).service);
  const rows = generateEntries(300, 99).map((e) => ({
    question: e.question,
    answer: e.answer,
    basis: JSON.stringify(e.basis),
    unit_code: e.unitCode,
    unit_name: e.unitName,
    region_level: e.regionLevel,
    region_name: e.regionName,
    category_path: e.categoryPath,
    keywords: e.keywords,
    effective_from: new Date(e.effectiveFrom),
    removal_at: null,
    visibility: e.visibility,
    state: 'published',
    source: 'import',
    published_at: new Date(),
  }));
  await knex('kb_entries').insert(rows);
  await knex('kb_entries').update({ updated_at: new Date(Date.now() - 3_600_000) });
}

for (const database of DATABASE_KINDS) {
  describe(`knowledge search index persisted across starts [${database}]`, () => {
    let db: { knex: Knex; destroy(): Promise<void> };
    let dir: string;
    let file: string;
    const searchOn = (a = analyzer, snapshot: string | null = file) => new KnowledgeSearch(new KnowledgeStore(db.knex), null, silentLogger(), a, 0, snapshot);
    /** A start: open the index, and stop (which waits for a snapshot being written). */
    const start = async (a = analyzer, snapshot: string | null = file) => {
      const s = searchOn(a, snapshot);
      await s.open();
      await s.stop();
      return s;
    };
    const rebuilt = async () => (await start(analyzer, null)).current;

    before(async () => {
      db = await openDb(database);
      await seed(db.knex);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-kidx-'));
      file = path.join(dir, 'search-index.bin');
    });
    after(async () => {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('given published entries and no snapshot, when the service starts twice, then the first rebuilds and saves, and the second loads the snapshot, re-reads no entry, and answers every query exactly as a full rebuild', async () => {
      const first = await start();
      expect(first.loadedFrom).to.include({ from: 'database' });
      expect(fs.existsSync(file)).to.equal(true);
      const second = await start();
      expect(second.loadedFrom).to.include({ from: 'snapshot', caughtUp: 0 });
      expect(second.current.index.size).to.be.greaterThan(300);
      expect(answers(second.current)).to.equal(answers(await rebuilt()));
    });

    it('given a snapshot, when entries are published, withdrawn and revised after it, then the next start reads just those again and equals a full rebuild', async () => {
      const writer = knowledgeOn(db.knex);
      const added = await publish(writer.service, content({ question: '夜间可以在自助终端办理不动产登记吗？', answer: '可以，各县区政务服务中心的自助终端24小时开放。', keywords: ['自助终端'] }));
      const [gone, old] = await db.knex('kb_entries').where({ source: 'import', state: 'published' }).orderBy('id', 'desc').limit(2).pluck('id');
      const rev = reviewer();
      await writer.service.transition(Number(gone), 'withdraw', '口径已过时', rev);
      const draft = await writer.service.revise(Number(old), rev, '更新口径');
      await writer.service.update(draft.id, { answer: '新口径：夜间也可通过自助终端提交。' }, '更新口径', rev);
      await writer.service.transition(draft.id, 'submit', null, rev);
      await writer.service.transition(draft.id, 'approve', null, reviewer());
      await writer.service.transition(draft.id, 'publish', null, rev);

      const s = await start();
      expect(s.loadedFrom).to.include({ from: 'snapshot' });
      // The new entry, the withdrawn one, the revision and the entry it replaced.
      expect(s.loadedFrom!.caughtUp).to.equal(4);
      const ids = (q: string) => s.current.search(q, { limit: 20, at: AT }).map((h) => h.id);
      expect(ids('夜间自助终端办理不动产登记')).to.include(added.id);
      expect(s.current.index.get(Number(gone))).to.equal(null);
      expect(s.current.index.get(Number(old))).to.equal(null);
      expect(s.current.index.get(draft.id)!.answer).to.contain('新口径');
      expect(answers(s.current)).to.equal(answers(await rebuilt()));
    });

    it('given a change the catch-up cannot see (an old updated_at), when the fingerprint is checked, then the index is rebuilt and has it', async () => {
      const id = Number(await db.knex('kb_entries').where({ state: 'published', source: 'import' }).orderBy('id').first().then((r) => r.id));
      await db.knex('kb_entries').where({ id }).update({ answer: '补录口径：可拨打12345转人工。', version: db.knex.raw('version + 1'), updated_at: new Date(Date.now() - 7_200_000) });
      const s = searchOn();
      await s.open();
      expect(s.current.index.get(id)!.answer).to.not.contain('补录口径');
      expect(await s.checkFingerprint()).to.equal('rebuilt');
      expect(s.current.index.get(id)!.answer).to.contain('补录口径');
      expect(await s.checkFingerprint()).to.equal('equal');
      await s.stop();
    });

    it('given a snapshot built with another analyzer (a synonym group added), when the service starts, then it rebuilds with its own analyzer and saves for it', async () => {
      const widened = new Analyzer(getSegmenter(), [...SYNONYM_GROUPS, ['自助终端', '自助机', '自助一体机']]);
      const s = await start(widened);
      expect(s.loadedFrom).to.include({ from: 'database', rebuildReason: 'built with another analyzer version' });
      expect(s.current.search('自助机能办吗', { at: AT }).map((h) => h.question)).to.include('夜间可以在自助终端办理不动产登记吗？');
      expect((await start(widened)).loadedFrom).to.include({ from: 'snapshot' });
      expect((await start()).loadedFrom).to.include({ from: 'database', rebuildReason: 'built with another analyzer version' });
    });

    it('given a damaged snapshot or one from another database, when the service starts, then it rebuilds without failing and writes a good one', async () => {
      const good = fs.readFileSync(file);
      const damaged = Buffer.from(good);
      damaged[Math.floor(good.length / 2)] ^= 0xff;
      fs.writeFileSync(file, damaged);
      const s = await start();
      expect(s.loadedFrom!.from).to.equal('database');
      expect(s.loadedFrom!.rebuildReason).to.match(/^unusable: snapshot checksum mismatch/);
      expect(s.current.search('社保断了怎么办', { at: AT })).to.not.be.empty;
      fs.writeFileSync(file, good.subarray(0, 100));
      expect((await start()).loadedFrom!.rebuildReason).to.match(/^unusable: snapshot truncated/);
      const snap = (await readSnapshot(file))!;
      await writeSnapshot(file, snap.index, { ...snap.meta, database: 'another_database' });
      expect((await start()).loadedFrom).to.include({ from: 'database', rebuildReason: 'taken from another database' });
      expect((await start()).loadedFrom).to.include({ from: 'snapshot' });
    });
  });
}

for (const database of DATABASE_KINDS) {
  describe(`knowledge index snapshot in the service (KNOWLEDGE_INDEX_DIR) [${database}]`, () => {
    it('given a service that built its index, when it restarts, then /readyz reports the index loaded from the snapshot and search answers', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-kidx-svc-'));
      const pg = database === 'postgres' ? await createTestDatabase() : undefined;
      const opts = { database, db: pg, dataDir: pg ? undefined : dataDir, redis: false, features: [createKnowledgeFeature({ resyncMs: 0 })], env: { KNOWLEDGE_INDEX_DIR: path.join(dataDir, 'kindex') } };
      try {
        const first = await startTestService(opts);
        await first.stop();
        expect(fs.existsSync(path.join(dataDir, 'kindex', 'search-index.bin'))).to.equal(true);
        const again = await startTestService(opts);
        try {
          const sup = await again.userToken(['supervisor']);
          const ready = await again.http('GET', '/readyz', { token: sup });
          expect(ready.body.components['knowledge-index']).to.deep.include({ ok: true, state: 'loaded' });
          expect(ready.body.components['knowledge-index'].details.loadedFrom).to.equal('snapshot');
          const r = await again.http('GET', `/api/knowledge/search?q=${encodeURIComponent('我社保断了怎么办')}`, { token: sup });
          expect(r.status).to.equal(200);
          expect(r.body.hits).to.not.be.empty;
        } finally {
          await again.stop();
        }
      } finally {
        await pg?.destroy();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
