import { fork } from 'node:child_process';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { arg, f1, pct, run } from './support/load';
import { seedTickets } from './support/tickets-seed';
import { COMMON_TERMS, RARE_TERMS } from './support/tickets-matters';
import { TestService, startTestService } from '../test/support/service';
import { TEST_DATABASE_URL, TestDatabase, createTestDatabase } from '../test/support/db';
import { migrateLatest } from '../src/db/knex';
import { createTicketsFeature } from '../src/tickets/feature';
import { LogSmsGateway } from '../src/tickets/sms/log';
import { silentLogger } from '../src/logging/logger';

/**
 * The ticket list and search at 1,000,000 tickets (issue #13: p99 under 50 ms), over HTTP on the real
 * PostgreSQL. A year of tickets is generated in SQL (bench/support/tickets-seed.ts), vacuumed and
 * analysed; then GET /api/tickets is driven from its own process (bench/support/http-load-child.ts)
 * with the filters the screens use, one query kind at a time:
 *   1. latency: one client, requests back to back for --seconds (p50, p99, max);
 *   2. throughput: --concurrency clients for --seconds (requests/s).
 * Each kind cycles through several variants (units, terms, numbers, phones, months) so no single plan
 * or cached page stands for it. Per kind it also prints what the database did for one request (the
 * list's statements under EXPLAIN ANALYZE: execution time and buffers touched, a measure of work that
 * does not depend on the machine's load), and first a baseline (GET /api/auth/me: HTTP and the
 * session look-up only). For any kind over 50 ms at p99 the statements' plans are summarised.
 *
 *   npx tsx bench/tickets-list.ts [--rows 1000000] [--seconds 6] [--concurrency 4]
 *                                 [--keep]          keep the seeded database (its name is printed)
 *                                 [--db NAME]       reuse a kept database: migrate it to the latest, no seed
 */

interface Kind { name: string; token: 'operator' | 'unit' | 'smallUnit'; paths: string[] }

const has = (flag: string) => process.argv.includes(`--${flag}`);
const named = (flag: string) => { const i = process.argv.indexOf(`--${flag}`); return i > 0 ? process.argv[i + 1] : undefined; };
const qs = (o: Record<string, string | number | Array<string>>) =>
  '/api/tickets?' + Object.entries(o).flatMap(([k, v]) => ([] as Array<string | number>).concat(v).map((x) => `${k}=${encodeURIComponent(String(x))}`)).join('&');

async function database(rows: number, now: Date): Promise<{ db: TestDatabase; seedS: number | null }> {
  const reuse = named('db');
  if (!reuse) {
    const db = await createTestDatabase();
    const s = Date.now();
    console.log(`seeding ${rows.toLocaleString()} tickets into ${db.name} …`);
    try {
      await seedTickets(db.knex, rows, now, console.log);
    } catch (err) {
      await db.destroy();
      throw err;
    }
    return { db, seedS: (Date.now() - s) / 1000 };
  }
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${reuse}`;
  const knex = knexFactory({ client: 'pg', connection: u.toString(), pool: { min: 0, max: 10 } });
  const ran = await migrateLatest(knex);
  if (ran.length) {
    console.log(`migrated ${reuse}: ${ran.join(', ')}`);
    for (const table of ['tickets', 'ticket_units', 'ticket_deadlines']) await knex.raw(`vacuum analyze ${table}`);
  }
  return { db: { knex, url: u.toString(), name: reuse, destroy: () => knex.destroy() }, seedS: null };
}

/** The requests of each kind, from the seeded data (existing numbers, phones, the busiest unit). */
async function kinds(knex: Knex, now: Date): Promise<{ kinds: Kind[]; unit: string; smallUnit: string }> {
  const units = (await knex.raw(`select unit_code, count(*) n from ticket_units where active group by 1 order by 2 desc`)).rows as Array<{ unit_code: string; n: string }>;
  const unit = units[0]!.unit_code;
  const smallUnit = units[Math.floor(units.length * 0.75)]!.unit_code;
  const sample = (await knex.raw(`select no, caller_phone from tickets tablesample system (1) repeatable (7) where caller_phone is not null limit 200`)).rows as Array<{ no: string; caller_phone: string }>;
  const months = Array.from({ length: 11 }, (_, k) => {
    const to = new Date(now.getTime() - k * 30 * 86_400_000);
    return { createdFrom: new Date(to.getTime() - 30 * 86_400_000).toISOString(), createdTo: to.toISOString(), limit: 50 };
  });
  const repeat = <T>(xs: T[], f: (x: T) => string) => Array.from({ length: 20_000 }, (_, i) => f(xs[i % xs.length]!));
  const one = (p: string) => Array.from({ length: 20_000 }, () => p);
  const list: Kind[] = [
    { name: "operator's default list (page 1 of 50)", token: 'operator', paths: one(qs({ limit: 50, offset: 0 })) },
    { name: 'operator list, page 50', token: 'operator', paths: one(qs({ limit: 50, offset: 49 * 50 })) },
    { name: 'state filter (in_progress, 50)', token: 'operator', paths: one(qs({ status: 'in_progress', limit: 50 })) },
    { name: 'supervisor: handling (dispatched+in_progress, 200)', token: 'operator', paths: one(qs({ status: ['in_progress', 'dispatched'], limit: 200 })) },
    { name: 'overdue filter (200)', token: 'operator', paths: one(qs({ overdue: 'true', limit: 200 })) },
    { name: 'date range (one month, 50)', token: 'operator', paths: repeat(months, (m) => qs(m)) },
    { name: `unit inbox 待办, busiest unit ${unit} (200)`, token: 'unit', paths: one(qs({ status: ['dispatched', 'in_progress'], limit: 200 })) },
    { name: `unit inbox 全部, busiest unit (200)`, token: 'unit', paths: one(qs({ limit: 200 })) },
    { name: `unit inbox 待办, small unit ${smallUnit} (200)`, token: 'smallUnit', paths: one(qs({ status: ['dispatched', 'in_progress'], limit: 200 })) },
    { name: `search, frequent term (${COMMON_TERMS.join('/')})`, token: 'operator', paths: repeat(COMMON_TERMS, (q) => qs({ q, limit: 50 })) },
    { name: `search, rarer term (${RARE_TERMS.join('/')})`, token: 'operator', paths: repeat(RARE_TERMS, (q) => qs({ q, limit: 50 })) },
    { name: 'search by ticket number', token: 'operator', paths: repeat(sample, (s) => qs({ q: s.no, limit: 50 })) },
    { name: 'search by caller phone', token: 'operator', paths: repeat(sample, (s) => qs({ callerPhone: s.caller_phone, limit: 50 })) },
  ];
  return { kinds: list, unit, smallUnit };
}

type Statement = { sql: string; bindings: readonly unknown[] };
// Not the list's own work: the session look-up (quoted by knex, or the prepared text) when the session cache missed.
const explainable = (q: Statement) => /^\s*(select|with)/i.test(q.sql) && !/from "?(users|sessions)"?(\s|$)/.test(q.sql);
const positional = (q: Statement) => q.sql.replace(/\$\d+/g, '?');

/** The statements one request of a kind runs (every query the service's knex issues for it). */
async function capture(t: TestService, path: string, token: string): Promise<{ statements: Statement[]; body: { total?: number; totalExact?: boolean; items?: unknown[] } }> {
  const statements: Statement[] = [];
  const listen = (q: Statement) => statements.push({ sql: q.sql, bindings: q.bindings });
  t.service.ctx.knex.on('query', listen);
  try {
    const r = await t.http('GET', path, { token });
    return { statements, body: r.body };
  } finally {
    t.service.ctx.knex.removeListener('query', listen);
  }
}

/** What the database did for the list's own statements: execution time and buffers (load-independent work). */
async function work(knex: Knex, statements: Statement[]): Promise<{ execMs: number; buffers: number }> {
  let execMs = 0;
  let buffers = 0;
  for (const q of statements.filter(explainable)) {
    const raw = (await knex.raw(`explain (analyze, buffers, format json) ${positional(q)}`, q.bindings as Knex.RawBinding[])).rows[0]['QUERY PLAN'];
    const [e] = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: Record<string, number>; 'Execution Time': number }>;
    execMs += e!['Execution Time'];
    buffers += (e!.Plan['Shared Hit Blocks'] ?? 0) + (e!.Plan['Shared Read Blocks'] ?? 0);
  }
  return { execMs, buffers };
}

/** EXPLAIN (ANALYZE, BUFFERS) of the statements one request of a kind ran, summarised. */
async function explain(knex: Knex, statements: Statement[]) {
  for (const q of statements.filter(explainable)) {
    const plan = (await knex.raw(`explain (analyze, buffers) ${positional(q)}`, q.bindings as Knex.RawBinding[])).rows.map((r: Record<string, string>) => r['QUERY PLAN']) as string[];
    console.log(`    ${q.sql.replace(/\s+/g, ' ').slice(0, 160)}${q.sql.length > 160 ? '…' : ''}`);
    const lines = plan.filter((l) => /->|^\S|Buffers|Execution|Planning Time|Rows Removed|Heap Blocks/.test(l)).slice(0, 24);
    for (const l of lines) console.log(`      ${l.slice(0, 170)}`);
  }
}

async function main() {
  const rows = arg('rows', 1_000_000);
  const seconds = arg('seconds', 6);
  const concurrency = arg('concurrency', 4);
  const now = new Date();
  const { db, seedS } = await database(rows, now);
  const t = await startTestService({ db, features: [createTicketsFeature({ sms: new LogSmsGateway(silentLogger()), timerIntervalMs: 600_000 })] });
  const child = fork(path.join(__dirname, 'support/http-load-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((r) => child.once('message', r));
  try {
    const count = Number((await db.knex('tickets').count({ n: '*' }).first())!.n);
    const { kinds: list, unit, smallUnit } = await kinds(db.knex, now);
    const run36 = Date.now().toString(36); // a reused database keeps the users of earlier runs
    const tokens = {
      operator: await t.userToken(['operator'], { username: `bench_op_${run36}` }),
      unit: await t.userToken(['unit_handler'], { unitCode: unit, username: `bench_unit_${run36}` }),
      smallUnit: await t.userToken(['unit_handler'], { unitCode: smallUnit, username: `bench_small_${run36}` }),
    };
    console.log(`tickets-list: ${count.toLocaleString()} tickets in ${db.name}${seedS !== null ? `, seeded in ${seedS.toFixed(1)} s` : ' (reused)'}; ${seconds} s per phase, throughput with ${concurrency} clients`);
    console.log(`${'kind'.padEnd(58)} one client (latency)                   ${concurrency} clients          the list's SQL for one request`);
    const slow: Kind[] = [];
    for (const k of [{ name: 'baseline: GET /api/auth/me (HTTP + auth only)', token: 'operator' as const, paths: list[0]!.paths.map(() => '/api/auth/me') }, ...list]) {
      const job = { url: t.baseUrl, token: tokens[k.token], bodies: [{}], method: 'GET', paths: k.paths };
      await run(child, { ...job, type: 'closed', concurrency: 1, seconds: 1 }); // warm-up: plans, pages
      const a = await run(child, { ...job, type: 'closed', concurrency: 1, seconds });
      const c = await run(child, { ...job, type: 'closed', concurrency, seconds });
      const p99 = pct(a.latencies, 99);
      const { statements, body } = await capture(t, k.paths[0]!, tokens[k.token]);
      const w = await work(db.knex, statements);
      const total = body.total === undefined ? '' : `total ${body.totalExact === false ? '~' : ''}${body.total}`;
      console.log(`${k.name.padEnd(58)} p50 ${f1(pct(a.latencies, 50)).padStart(6)} p99 ${f1(p99).padStart(6)} ms (${String(a.sent).padStart(4)} req)  ` +
        `${f1((c.sent - c.errors) / c.elapsedS).padStart(6)} req/s p99 ${f1(pct(c.latencies, 99)).padStart(6)} ms  ` +
        `${statements.length} stmts ${f1(w.execMs).padStart(6)} ms ${String(w.buffers).padStart(6)} buffers  ${total}${a.errors + c.errors ? `  ERRORS ${JSON.stringify({ ...a.failures, ...c.failures })}` : ''}`);
      if (p99 > 50 && k.paths[0] !== '/api/auth/me') slow.push(k);
    }
    for (const k of slow) {
      console.log(`\nEXPLAIN (ANALYZE, BUFFERS) — ${k.name}`);
      const { statements, body } = await capture(t, k.paths[0]!, tokens[k.token]);
      console.log(`  ${k.paths[0]} → total ${body.totalExact === false ? '~' : ''}${body.total}, ${body.items?.length} items`);
      await explain(db.knex, statements);
    }
  } finally {
    child.kill();
    await t.stop();
    if (has('keep') || named('db')) {
      console.log(`kept database ${db.name} (reuse: --db ${db.name}; drop: psql -c 'drop database ${db.name}')`);
      await db.knex.destroy();
    } else {
      await db.destroy();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
