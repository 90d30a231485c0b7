/**
 * Where the service's memory goes after start in the default mode (issue #13, goal ≤ 250 MB RSS):
 * embedded PGlite under a fresh DATA_DIR seeded from the template, in-process live store, the
 * built-in Asterisk simulator running dialplan/. Each variant runs in a fresh process started like
 * `npm start` (the node flags of package.json's start script), which starts the whole service the way
 * main.ts does and records its RSS and V8 heap after each step: the runtime (node and the TypeScript
 * loader), the module tree, the database and the service's core, each feature's register + start,
 * at ready and 5 s later. The WebAssembly memory PGlite runs PostgreSQL in is read from
 * /proc/self/smaps (how much of it is resident, not just its size).
 *
 * The same run also starts the service as it was before issue #13's memory work where that is a
 * switch (PGLITE_SHARED_BUFFERS=128MB, initdb's value, and `node --import tsx`), so before/after
 * come from one machine at one time. bench/start.ts measures the real `npm start` end to end.
 *
 *   npx tsx bench/memory.ts [--runs 3]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { startCommand } from './support/start-command';

const ROOT = path.resolve(__dirname, '..');
const MB = 1024 * 1024;

interface Snap { step: string; rss: number; heapUsed: number; heapTotal: number; external: number; wasmResident: number; wasmSize: number }
/** A WebAssembly.Memory (the lib this project compiles against has no WebAssembly types). */
interface WasmMemory { buffer: ArrayBuffer }
interface ChildResult { snaps: Snap[]; spaces: Record<string, number> }

/** Resident and mapped megabytes of a WebAssembly memory: its mapping is the one of exactly its size. */
function wasmMemory(mem: WasmMemory | undefined): { resident: number; size: number } {
  if (!mem) return { resident: 0, size: 0 };
  const size = mem.buffer.byteLength;
  let mapped = 0;
  let resident = 0;
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m) mapped = parseInt(m[2], 16) - parseInt(m[1], 16);
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r && mapped === size) resident = Math.max(resident, Number(r[1]) * 1024);
  }
  return { resident: resident / MB, size: size / MB };
}

async function child(): Promise<void> {
  let pglite: { mod?: { wasmMemory?: WasmMemory } } | undefined;
  const snaps: Snap[] = [];
  const snap = (step: string) => {
    const m = process.memoryUsage();
    const w = wasmMemory(pglite?.mod?.wasmMemory);
    snaps.push({ step, rss: m.rss / MB, heapUsed: m.heapUsed / MB, heapTotal: m.heapTotal / MB, external: m.external / MB, wasmResident: w.resident, wasmSize: w.size });
  };
  snap('runtime');
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { loadConfig } = require('../src/config/load') as typeof import('../src/config/load');
  const { createLogger } = require('../src/logging/logger') as typeof import('../src/logging/logger');
  const { startService } = require('../src/app/service') as typeof import('../src/app/service');
  const { allFeatures } = require('../src/app/features') as typeof import('../src/app/features');
  /* eslint-enable @typescript-eslint/no-require-imports */
  snap('modules');
  const config = loadConfig(process.env);
  const log = createLogger({ level: config.logLevel });
  const features = allFeatures().map((f, i) => ({
    ...f,
    async register(ctx: Parameters<typeof f.register>[0]) {
      if (i === 0) {
        pglite = (ctx.knex.client as { config: { connection?: { pglite?: typeof pglite } } }).config.connection?.pglite;
        snap('database');
      }
      await f.register(ctx);
      snap(`${f.name} (register)`);
    },
    start: f.start ? async () => { await f.start!(); snap(`${f.name} (start)`); } : undefined,
  }));
  const service = await startService(config, log, { features });
  snap('ready');
  await new Promise((r) => setTimeout(r, 5000));
  snap('5 s later');
  if (process.env.HEAP_SNAPSHOT) v8.writeHeapSnapshot(process.env.HEAP_SNAPSHOT);
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size / MB]));
  process.stdout.write('RESULT ' + JSON.stringify({ snaps, spaces } satisfies ChildResult) + '\n');
  await service.stop();
  process.exit(0);
}

/** The node flags of package.json's start script (`exec node <flags> src/main.ts`). */

function runChild(flags: string[], env: Record<string, string>): ChildResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-mem-'));
  try {
    const r = spawnSync(process.execPath, [...flags, __filename, '--child'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error', DATABASE_URL: '', REDIS_URL: '', ...env },
      encoding: 'utf8',
      timeout: 300_000,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`child failed (${r.status}): ${r.stderr}`);
    return JSON.parse(line.slice(7)) as ChildResult;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const f0 = (x: number) => x.toFixed(0).padStart(5);

/** Per step: RSS and what it added; the heap and the WebAssembly memory alongside. */
function printRun(label: string, r: ChildResult) {
  console.log(`\n${label}`);
  console.log('  step                     RSS   +RSS  heapUsed heapTotal external  PG wasm resident/size');
  let prev = 0;
  for (const s of r.snaps) {
    console.log(`  ${s.step.padEnd(22)} ${f0(s.rss)} ${f0(s.rss - prev)}    ${f0(s.heapUsed)}     ${f0(s.heapTotal)}    ${f0(s.external)}     ${s.wasmSize ? `${f0(s.wasmResident)} / ${s.wasmSize.toFixed(0)}` : ''}`);
    prev = s.rss;
  }
  const sp = r.spaces;
  console.log(`  V8 heap spaces at the end (MB): new ${f0(sp.new_space ?? 0)}, old ${f0(sp.old_space ?? 0)}, code ${f0(sp.code_space ?? 0)}, large object ${f0((sp.large_object_space ?? 0) + (sp.code_large_object_space ?? 0))}`);
}

/** The components, in MB of RSS (from the steps; the database line split into PostgreSQL's WebAssembly memory and the rest). */
function breakdown(r: ChildResult): Array<[string, number]> {
  const at = (step: string) => r.snaps.find((s) => s.step === step)!;
  const db = at('database');
  const rows: Array<[string, number]> = [
    ['node + TypeScript loader', at('runtime').rss],
    ['modules (source tree and packages)', at('modules').rss - at('runtime').rss],
    ['  PostgreSQL WebAssembly memory (resident)', db.wasmResident],
    ['  PGlite and core, rest (wasm code, JS)', db.rss - at('modules').rss - db.wasmResident],
  ];
  const features = [...new Set(r.snaps.map((s) => /^(\w+) \((register|start)\)$/.exec(s.step)?.[1]).filter((x): x is string => !!x))];
  for (const f of features) {
    let sum = 0;
    r.snaps.forEach((s, i) => {
      if (s.step.startsWith(`${f} (`)) sum += s.rss - r.snaps[i - 1].rss;
    });
    rows.push([`  feature ${f} (register + start)`, sum]);
  }
  rows.push(['listening, ready', at('ready').rss - r.snaps[r.snaps.indexOf(at('ready')) - 1].rss]);
  rows.push(['first 5 s of running', at('5 s later').rss - at('ready').rss]);
  return rows;
}

function main() {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 1) || 1;
  const now = startCommand();
  const variants: Array<{ label: string; flags: string[]; env: Record<string, string> }> = [
    { label: `now: ${Object.entries(now.env).map(([k, v]) => `${k}=${v} `).join('')}node ${now.flags.join(' ')}, defaults`, flags: now.flags, env: now.env },
    { label: 'before: node --import tsx, PGLITE_SHARED_BUFFERS=128MB (initdb\'s)', flags: ['--import', 'tsx'], env: { PGLITE_SHARED_BUFFERS: '128MB' } },
  ];
  const totals = new Map<string, number[]>();
  const tables = new Map<string, Array<Array<[string, number]>>>();
  for (let i = 0; i < runs; i++) {
    for (const v of variants) {
      const r = runChild(v.flags, v.env);
      printRun(`run ${i + 1}, ${v.label}`, r);
      totals.set(v.label, [...(totals.get(v.label) ?? []), r.snaps.at(-1)!.rss]);
      tables.set(v.label, [...(tables.get(v.label) ?? []), breakdown(r)]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\nBreakdown of RSS after start, MB (median of ${runs} run(s)):`);
  const labels = variants.map((v) => v.label);
  console.log(`  ${'component'.padEnd(44)} ${labels.map((_, i) => (i === 0 ? 'now' : 'before').padStart(7)).join('')}`);
  const names = tables.get(labels[0])![0].map(([n]) => n);
  for (const n of names) {
    console.log(`  ${n.padEnd(44)} ${labels.map((l) => f0(median(tables.get(l)!.map((t) => t.find(([m]) => m === n)?.[1] ?? NaN))).padStart(7)).join('')}`);
  }
  console.log(`  ${'RSS 5 s after ready'.padEnd(44)} ${labels.map((l) => f0(median(totals.get(l)!)).padStart(7)).join('')}`);
  for (const l of labels) console.log(`  ${l}: ${totals.get(l)!.map((x) => x.toFixed(0)).join(', ')} MB`);
}

if (process.argv.includes('--child')) {
  child().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main();
}
