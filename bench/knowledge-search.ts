/**
 * Knowledge search latency over 100,000 entries (goal: p99 < 10 ms while the caller is on the line).
 *   npx tsx bench/knowledge-search.ts [--entries 100000] [--queries 2000] [--pg]
 * Default: the in-memory inverted index the service uses. --pg also measures the alternative,
 * PostgreSQL full text (`simple` config over jieba-segmented text, GIN index) on TEST_DATABASE_URL.
 */
import { SearchEngine } from '../src/knowledge/search/engine';
import { Analyzer } from '../src/knowledge/search/analyzer';
import { generateEntries, generateQueries } from './knowledge-corpus';
import { COLLOQUIAL } from '../test/knowledge/colloquial-questions';
import { benchPostgres } from './knowledge-search-pg';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('entries', 100_000);
const Q = arg('queries', 2000);

export function percentiles(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}
const fmt = (p: ReturnType<typeof percentiles>) => `p50 ${p.p50.toFixed(3)} ms · p90 ${p.p90.toFixed(3)} ms · p99 ${p.p99.toFixed(3)} ms · max ${p.max.toFixed(3)} ms · mean ${p.mean.toFixed(3)} ms`;

async function main() {
  const entries = generateEntries(N);
  const queries = [...generateQueries(Q), ...COLLOQUIAL.map((c) => c.said)];
  const analyzer = new Analyzer();
  const engine = new SearchEngine(analyzer);
  const heap0 = process.memoryUsage().heapUsed;
  let t = process.hrtime.bigint();
  for (const e of entries) engine.index.upsert(e);
  const buildMs = Number(process.hrtime.bigint() - t) / 1e6;
  global.gc?.();
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 1024 / 1024;
  console.log(`knowledge search bench — ${N} entries, ${queries.length} queries, segmenter ${analyzer.segmenter.kind}, node ${process.version}`);
  console.log(`in-memory index: built in ${(buildMs / 1000).toFixed(1)} s (${(buildMs / N * 1000).toFixed(0)} µs/entry), heap +${heapMb.toFixed(0)} MB`);

  for (const q of queries.slice(0, 200)) engine.search(q, { limit: 10 }); // warm-up
  const times: number[] = [];
  const filtered: number[] = [];
  let empty = 0;
  for (const q of queries) {
    t = process.hrtime.bigint();
    const hits = engine.search(q, { limit: 10 });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (!hits.length) empty++;
    t = process.hrtime.bigint();
    engine.search(q, { limit: 10, regionLevel: 'county', visibility: 'public' });
    filtered.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  console.log(`in-memory search (limit 10, highlights):          ${fmt(percentiles(times))}; ${empty} queries without hits`);
  console.log(`in-memory search + filters (county, public):      ${fmt(percentiles(filtered))}`);
  t = process.hrtime.bigint();
  const upd = entries.slice(0, 1000);
  for (const e of upd) engine.index.upsert({ ...e, version: 2 });
  console.log(`index update: ${(Number(process.hrtime.bigint() - t) / 1e6 / upd.length).toFixed(3)} ms per changed entry`);

  if (process.argv.includes('--pg')) {
    const pg = await benchPostgres(entries, queries, analyzer);
    console.log(`PostgreSQL FTS: loaded in ${(pg.loadMs / 1000).toFixed(1)} s; search ${fmt(percentiles(pg.times))}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
