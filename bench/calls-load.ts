/**
 * Issue 4 load figures: new calls per second and concurrent calls through the simulator running the
 * project dialplan, into the real service (real PostgreSQL and Redis). Prints the achieved rates,
 * event→WebSocket latency p50/p99 on the supervisors' live feed, and the count of lost call records.
 *
 *   npx tsx bench/calls-load.ts [--rate 200] [--seconds 12] [--talk-ms 10000] [--operators 2200] [--instances 1,2]
 *
 * Also prints the CPU seconds the service processes spent per 1,000 calls (from the start of the
 * calls until the records settled), the figure that compares across machines and loads.
 * BENCH_CPU_PROF=<dir> starts each service child with --cpu-prof into that directory (open the
 * .cpuprofile files in Chrome DevTools or speedscope); BENCH_QUERIES=1 lists each instance's
 * statements per call.
 *
 * Measures; asserts nothing. The simulator runs in a child process, and so does each service
 * instance (bench/support/service-child.ts); the WebSocket clients stay in this process. With several
 * instance counts, each is a separate round on a fresh database (same simulator), printed side by
 * side: the instances share PostgreSQL and Redis as a scaled-out deployment does, one supervisor
 * feed per instance, the leader ingesting Asterisk's events (so the scale-out is measured, not assumed).
 * On a 2-core machine the simulator, the instances, PostgreSQL and Redis share two cores: compare the
 * rounds with each other, not with a production host.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { createTestDatabase } from '../test/support/db';
import { testRedisPrefix, TEST_REDIS_URL } from '../test/support/redis';
import { startCommand } from './support/start-command';

type Child = ReturnType<typeof fork>;
/** The next IPC message of `type` from a child (rejects if it exits first). */
function reply<T>(c: Child, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: unknown) => { if ((m as { type?: string }).type === type) { done(); resolve(m as T); } };
    const onExit = (code: number | null) => { done(); reject(new Error(`service child exited with ${code} before '${type}'`)); };
    const done = () => { c.off('message', onMsg); c.off('exit', onExit); };
    c.on('message', onMsg);
    c.once('exit', onExit);
  });
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const rate = arg('rate', 200);
const seconds = arg('seconds', 12);
const talkMs = arg('talk-ms', 10_000);
const operators = arg('operators', 2200);
const instanceCounts = (() => {
  const i = process.argv.indexOf('--instances');
  return i > 0 ? process.argv[i + 1].split(',').map(Number) : [1];
})();

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function main() {
  const child = fork(path.join(__dirname, 'support/sim-load-child.ts'), [String(operators), String(talkMs)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<{ amiPort: number; ariPort: number; spoolDir: string }>((resolve) => child.once('message', (m) => resolve(m as never)));
  const summary: string[] = [];
  for (const n of instanceCounts) summary.push(await round(child, ready, n));
  console.log('');
  for (const line of summary) console.log(line);
  child.send({ type: 'stop' });
}

async function round(child: ReturnType<typeof fork>, ready: { amiPort: number; ariPort: number; spoolDir: string }, instances: number): Promise<string> {
  console.log(`\n=== ${instances} instance(s) ===`);
  const db = await createTestDatabase();
  const redisPrefix = testRedisPrefix('bench');
  const recordingsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-rec-'));
  const env = {
    ...process.env,
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: db.url, DEMO_MODE: 'false', LOG_LEVEL: 'error',
    REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redisPrefix, RECORDINGS_DIR: recordingsDir,
    ASTERISK_SERVERS: JSON.stringify([{ id: 'qy', ami: { host: '127.0.0.1', port: ready.amiPort, username: 'hotline', password: 'hotline' }, ari: { url: `http://127.0.0.1:${ready.ariPort}`, username: 'hotline', password: 'hotline', app: 'hotline' }, spoolDir: ready.spoolDir }]),
  };
  const start = startCommand();
  const services: Array<{ child: Child; port: number }> = [];
  for (let i = 0; i < instances; i++) {
    // Started one after another, as the flags of `npm start`: the first becomes the leader.
    const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(process.env.BENCH_CPU_PROF)] : [];
    const c = fork(path.join(__dirname, 'support/service-child.ts'), [], { execArgv: [...start.flags, ...prof], env: { ...env, ...start.env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const { port } = await reply<{ port: number }>(c, 'ready');
    services.push({ child: c, port });
  }
  services[0].child.send({ type: 'token' });
  const { token } = await reply<{ token: string }>(services[0].child, 'token');

  const latencies: number[] = [];
  const sockets: WebSocket[] = [];
  for (const { port } of services) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
    await new Promise((r) => ws.once('open', r));
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      if (f.type === 'event' && f.topic === 'queues' && f.data.kind !== 'operator' && Number.isFinite(f.data.eventAt)) latencies.push(Date.now() - f.data.eventAt);
    });
    ws.send(JSON.stringify({ type: 'subscribe', topic: 'queues' }));
    sockets.push(ws);
  }
  await new Promise((r) => setTimeout(r, 300));

  console.log(`placing ${rate} calls/s for ${seconds} s (talk ${talkMs} ms, ${operators} operators) …`);
  type Cpu = { ms: number; queries: Record<string, number> };
  const cpuNow = async () => Promise.all(services.map(async ({ child: c }) => { c.send({ type: 'cpu' }); return reply<Cpu>(c, 'cpu'); }));
  const cpu0 = await cpuNow();
  const t0 = Date.now();
  child.send({ type: 'run', rate, seconds });
  const done = await new Promise<{ ids: string[]; placedSeconds: number; maxChannels: number; maxCalls: number; stats: Record<string, number> }>((resolve) => child.on('message', (m) => (m as { type: string }).type === 'done' && resolve(m as never)));
  const simSeconds = (Date.now() - t0) / 1000;
  // Let the service finish writing what it has received, then count.
  const settleStart = Date.now();
  let ended = 0;
  for (;;) {
    for (const { child: c } of services) {
      c.send({ type: 'idle' });
      await reply(c, 'idle');
    }
    const r = await db.knex('calls').whereIn('linkedid', done.ids).where('state', 'ended').count({ n: '*' }).first();
    ended = Number(r?.n ?? 0);
    if (ended >= done.ids.length || Date.now() - settleStart > 60_000) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const cpu1 = await cpuNow();
  const cpuMs = cpu1.map((c, i) => c.ms - cpu0[i].ms);
  const queryDelta = cpu1.map((c, i) => Object.entries(c.queries).map(([sql, n]) => [sql, n - (cpu0[i].queries[sql] ?? 0)] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]));
  const queriesPerCall = queryDelta.map((q) => q.reduce((a, [, n]) => a + n, 0) / Math.max(1, done.ids.length));
  const cpuPerK = cpuMs.map((ms) => ms / Math.max(1, done.ids.length)); // ms per call = s per 1,000 calls
  const cpuTotalPerK = cpuPerK.reduce((a, b) => a + b, 0);
  const rows = Number((await db.knex('calls').whereIn('linkedid', done.ids).count({ n: '*' }).first())?.n ?? 0);
  const dupes = Number((await db.knex.raw(`select count(*) as n from (select linkedid from calls group by server_id, linkedid having count(*) > 1) d`)).rows[0].n);
  const answered = Number((await db.knex('calls').whereIn('linkedid', done.ids).where('outcome', 'answered').count({ n: '*' }).first())?.n ?? 0);

  const waits = (await db.knex('calls').whereIn('linkedid', done.ids).whereNotNull('answered_at').select(db.knex.raw('extract(epoch from answered_at - queue_entered_at) * 1000 as ms'))).map((r: { ms: string }) => Number(r.ms));
  const outcomes = (await db.knex('calls').whereIn('linkedid', done.ids).select('outcome').count({ n: '*' }).groupBy('outcome')) as unknown as Array<{ outcome: string | null; n: string }>;
  console.log('');
  console.log(`outcomes:                ${outcomes.map((o: { outcome: string | null; n: string }) => `${o.outcome ?? 'open'}=${o.n}`).join(', ')}`);
  console.log(`queue wait until answer:  p50 ${pct(waits, 50).toFixed(0)} ms, p99 ${pct(waits, 99).toFixed(0)} ms (simulated operators answer after 200 ms)`);
  console.log(`calls placed:            ${done.ids.length} in ${done.placedSeconds.toFixed(1)} s = ${(done.ids.length / done.placedSeconds).toFixed(0)} new calls/s (goal 200)`);
  console.log(`peak concurrent calls:   ${done.maxCalls} (goal 2,000); peak channels ${done.maxChannels} (caller and operator legs)`);
  console.log(`simulator run:           ${simSeconds.toFixed(1)} s until every call ended; service settled ${((Date.now() - settleStart) / 1000).toFixed(1)} s later`);
  console.log(`call records:            ${rows} rows, ${ended} ended, ${answered} answered, ${dupes} duplicated linkedids`);
  console.log(`lost records:            ${done.ids.length - ended} (goal 0)`);
  console.log(`service CPU:             ${cpuTotalPerK.toFixed(2)} s per 1,000 calls (${cpuPerK.map((x, i) => `instance ${i + 1}: ${x.toFixed(2)} s`).join(', ')})`);
  console.log(`database queries:        ${queriesPerCall.map((x, i) => `instance ${i + 1}: ${x.toFixed(1)}`).join(', ')} per call`);
  if (process.env.BENCH_QUERIES) for (const [i, q] of queryDelta.entries()) for (const [sql, n] of q.slice(0, 25)) console.log(`  ${i + 1} ${(n / Math.max(1, done.ids.length)).toFixed(2).padStart(6)}  ${sql}`);
  console.log(`event→WebSocket latency: p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms, max ${pct(latencies, 100)} ms over ${latencies.length} live-feed events (goal p99 < 50 ms)`);

  for (const ws of sockets) ws.close();
  for (const { child: c } of services) {
    const exited = new Promise((r) => c.once('exit', r));
    c.send({ type: 'stop' });
    await exited;
  }
  await db.destroy();
  fs.rmSync(recordingsDir, { recursive: true, force: true });
  return `${instances} instance(s): ${(done.ids.length / done.placedSeconds).toFixed(0)} calls/s, lost ${done.ids.length - ended}, duplicated ${dupes}, CPU ${cpuTotalPerK.toFixed(2)} s/1,000 calls [${cpuPerK.map((x) => x.toFixed(2)).join(' + ')}], queries/call [${queriesPerCall.map((x) => x.toFixed(1)).join(' + ')}], event→WebSocket p50 ${pct(latencies, 50)} ms p99 ${pct(latencies, 99)} ms over ${latencies.length} events`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
