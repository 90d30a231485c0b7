/**
 * What the embedded database's smaller buffer pool costs in query time (issue #13: shared_buffers
 * 128MB → 16MB saved ~110 MB of RSS, see bench/memory.ts). PGlite reads the data directory through the
 * real file system, so a page outside shared_buffers comes from the operating system's page cache.
 * Builds a table larger than either pool (--rows, ~1 kB each, two secondary indexes) in a temporary
 * directory, then reopens it alternately with each shared_buffers value and times primary-key lookups
 * spread over the whole table, index range scans, the newest rows, and a sequential scan, each
 * after a warm-up pass. Prints ms per query.
 *
 *   npx tsx bench/pglite-buffers.ts [--rows 200000] [--rounds 2]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgliteStartParams } from '../src/db/knex';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

async function build(dir: string, rows: number) {
  const pg = new PGlite({ dataDir: dir, startParams: pgliteStartParams('128MB') });
  await pg.exec('create table t (id serial primary key, k int, phone text, body text, created timestamptz default now()); create index on t (k); create index on t (phone);');
  for (let done = 0; done < rows; done += 10_000) {
    await pg.exec(`insert into t (k, phone, body) select (random() * 100000)::int, '139' || lpad((random() * 1e8)::int::text, 8, '0'), repeat(md5(random()::text), 30) from generate_series(1, ${Math.min(10_000, rows - done)})`);
  }
  await pg.exec('vacuum analyze t');
  const size = await pg.query<{ s: string }>("select pg_size_pretty(pg_total_relation_size('t')) as s");
  console.log(`table t: ${rows} rows, ${size.rows[0].s} with its indexes`);
  await pg.close();
}

async function measure(dir: string, sharedBuffers: string, rows: number) {
  const pg = new PGlite({ dataDir: dir, startParams: pgliteStartParams(sharedBuffers) });
  const time = async (label: string, n: number, fn: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < Math.min(n, 50); i++) await fn(i + n); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn(i);
    return `${label} ${((performance.now() - t0) / n).toFixed(2)}`;
  };
  const out = [
    await time('pk lookup', 2000, (i) => pg.query('select * from t where id = $1', [1 + ((i * 7919) % rows)])),
    await time('k range (~100 rows)', 200, (i) => pg.query('select count(*), max(length(body)) from t where k between $1 and $1 + 50', [(i * 389) % 100_000])),
    await time('newest 50', 200, () => pg.query('select id, phone from t order by id desc limit 50')),
    await time('seq scan', 3, () => pg.query("select count(*) from t where body like '%abc%'")),
  ];
  console.log(`shared_buffers ${sharedBuffers.padStart(5)}: ${out.join(' ms, ')} ms`);
  await pg.close();
}

async function main() {
  const rows = arg('rows', 200_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-buffers-'));
  try {
    await build(dir, rows);
    for (let r = 0; r < arg('rounds', 2); r++) {
      for (const sb of ['16MB', '128MB']) await measure(dir, sb, rows);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
