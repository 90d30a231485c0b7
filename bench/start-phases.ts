/**
 * Where `npm start` spends its time in the default (embedded) mode, phase by phase, in one process:
 * importing the source tree through tsx, PGlite's first open of an empty directory (initdb), the
 * migrations, and a second open of the now warm directory. Prints the seconds at the end of each.
 *
 *   npx tsx bench/start-phases.ts
 */
const t0 = performance.now();
const lap = (m: string) => console.log(`${((performance.now() - t0) / 1000).toFixed(2)} s ${m}`);
(async () => {
  const { openDatabase, migrateLatest } = await import('../src/db/knex');
  lap('imported db');
  await import('../src/app/service');
  lap('imported app/service (whole tree)');
  const fs = await import('node:fs'); const os = await import('node:os'); const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-probe-'));
  const db = openDatabase({ dataDir: dir });
  await db.knex.raw('select 1');
  lap('pglite open (initdb)');
  await migrateLatest(db.knex);
  lap('migrations');
  await db.destroy();
  lap('closed');
  const db2 = openDatabase({ dataDir: dir });
  await db2.knex.raw('select 1');
  lap('pglite reopen (warm)');
  await db2.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log('rss', (process.memoryUsage().rss / 1048576).toFixed(0), 'MB');
})();
