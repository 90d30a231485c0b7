import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Analyzer } from '../../src/knowledge/search/analyzer';
import { SearchEngine } from '../../src/knowledge/search/engine';
import { IndexedEntry } from '../../src/knowledge/search/inverted-index';
import { entryTerms } from '../../src/knowledge/search/entry-terms';
import { EntryChange, applyChanges } from '../../src/knowledge/search/flat-index';
import { SnapshotError, readSnapshot, writeSnapshot } from '../../src/knowledge/search/snapshot';
import { generateEntries, generateQueries, rng } from '../../bench/knowledge-corpus';
import { COLLOQUIAL } from './colloquial-questions';

const analyzer = new Analyzer();
const QUERIES = [...generateQueries(80), ...COLLOQUIAL.map((c) => c.said), '社保', '环县 公积金 多久'];
const AT = new Date();

/** A full rebuild: every entry analysed and inserted in id order. */
function rebuild(entries: Iterable<IndexedEntry>): SearchEngine {
  const e = new SearchEngine(analyzer);
  for (const x of [...entries].sort((a, b) => a.id - b.id)) e.index.upsert(x);
  return e;
}

/** Every query's full hits (ids, scores, highlights, basis …) with and without filters. */
function answers(e: SearchEngine): string {
  return JSON.stringify(QUERIES.map((q) => [e.search(q, { limit: 10, at: AT }), e.search(q, { limit: 5, at: AT, regionLevel: 'county', visibility: 'public' })]));
}

/** Random edits, removals and additions: the final set, and what became of each touched id. */
function churn(start: IndexedEntry[], ops: number, seed: number) {
  const r = rng(seed);
  const live = new Map(start.map((e) => [e.id, e]));
  const touched = new Map<number, IndexedEntry | null>();
  let next = Math.max(...start.map((e) => e.id)) + 1;
  const extra = generateEntries(ops, seed + 1);
  for (let i = 0; i < ops; i++) {
    const ids = [...live.keys()];
    const roll = r();
    if (roll < 0.5) {
      const old = live.get(ids[Math.floor(r() * ids.length)])!;
      const e = { ...old, answer: `${old.answer}另可在夜间自助终端办理。`, keywords: [...old.keywords, '夜间'], version: old.version + 1 };
      live.set(e.id, e);
      touched.set(e.id, e);
    } else if (roll < 0.75) {
      const id = ids[Math.floor(r() * ids.length)];
      live.delete(id);
      touched.set(id, null);
    } else {
      const e = { ...extra[i], id: next++ };
      live.set(e.id, e);
      touched.set(e.id, e);
    }
  }
  return { live, touched };
}

describe('knowledge search index in flat form and in its snapshot file', () => {
  const base = generateEntries(800, 4242).map((e, i) => ({ ...e, updatedAt: 1_700_000_000_000 + i }));
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-kidx-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('given an index changed in place (tombstones, new slots), when it is exported and loaded, then every query answers exactly as a full rebuild of the same entries', () => {
    const running = rebuild(base);
    const { live, touched } = churn(base, 300, 7);
    for (const [id, e] of touched) {
      if (e) running.index.upsert(e);
      else running.index.remove(id);
    }
    const loaded = new SearchEngine(analyzer);
    loaded.index.load(running.index.export());
    expect(loaded.index.size).to.equal(live.size);
    expect(answers(loaded)).to.equal(answers(rebuild(live.values())));
  });

  it('given a flat index and changed entries, when the changes are merged in, then the result answers exactly as a full rebuild', () => {
    const flat = rebuild(base).index.export();
    const { live, touched } = churn(base, 200, 11);
    const changes = new Map<number, EntryChange>([...touched].map(([id, e]) => [id, e ? { entry: e, terms: entryTerms(analyzer, e) } : null]));
    const merged = new SearchEngine(analyzer);
    merged.index.load(applyChanges(flat, changes));
    expect(merged.index.entries().map((e) => e.id)).to.deep.equal([...live.keys()].sort((a, b) => a - b));
    expect(answers(merged)).to.equal(answers(rebuild(live.values())));
  });

  it('given a snapshot file, when it is read back, then the entries (shown fields decoded on use) and every answer are the same as before', async () => {
    const file = path.join(dir, 'roundtrip.bin');
    const fresh = rebuild(base);
    const meta = { version: 'v1', database: 'db', watermark: 1_700_000_000_999, writtenAt: new Date().toISOString() };
    await writeSnapshot(file, fresh.index.export(), meta);
    const snap = (await readSnapshot(file))!;
    expect(snap.meta).to.deep.equal(meta);
    const loaded = new SearchEngine(analyzer);
    loaded.index.load(snap.index);
    const plain = (e: IndexedEntry): IndexedEntry => {
      const { id, question, answer, basis, unitCode, unitName, regionLevel, regionName, categoryPath, keywords, effectiveFrom, removalAt, visibility, version, updatedAt } = e;
      return { id, question, answer, basis, unitCode, unitName, regionLevel, regionName, categoryPath, keywords, effectiveFrom, removalAt, visibility, version, updatedAt };
    };
    expect(loaded.index.entries().map(plain)).to.deep.equal(fresh.index.entries().map(plain));
    expect(answers(loaded)).to.equal(answers(fresh));
    // Written again from the loaded form (shown fields copied as stored), it is the same file.
    const again = path.join(dir, 'again.bin');
    await writeSnapshot(again, loaded.index.export(), meta);
    expect(fs.readFileSync(again).equals(fs.readFileSync(file))).to.equal(true);
  });

  it('given a damaged snapshot file (a flipped byte anywhere, cut short, or not a snapshot), when it is read, then it is refused with SnapshotError; no file reads as null', async () => {
    const file = path.join(dir, 'good.bin');
    await writeSnapshot(file, rebuild(base.slice(0, 200)).index.export(), { version: 'v1', database: 'db', watermark: 1, writtenAt: new Date().toISOString() });
    const good = fs.readFileSync(file);
    const bad = path.join(dir, 'bad.bin');
    const damaged: Buffer[] = [good.subarray(0, good.length - 1), Buffer.concat([good, Buffer.from([0])]), Buffer.from('not an index at all')];
    for (const at of [3, 12, 20, Math.floor(good.length / 3), Math.floor(good.length / 2), good.length - 2]) {
      const b = Buffer.from(good);
      b[at] ^= 0x5a;
      damaged.push(b);
    }
    for (const [i, b] of damaged.entries()) {
      fs.writeFileSync(bad, b);
      let err: unknown = null;
      await readSnapshot(bad).catch((e) => (err = e));
      expect(err, `damage #${i}`).to.be.instanceOf(SnapshotError);
    }
    expect(await readSnapshot(path.join(dir, 'missing.bin'))).to.equal(null);
  });
});
