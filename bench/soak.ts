/**
 * Memory under steady simulated traffic (issue #13: RSS after warm-up must grow < 5 MB per hour).
 *
 * Spawns `npm start` in demo mode (embedded database, built-in Asterisk simulator running the project
 * dialplan) with SIM_CALLERS_PER_MINUTE=120 (2 calls/s), on a fresh temporary DATA_DIR, and drives it
 * from this process: wallboard WebSocket clients subscribed to the queues and tickets feeds, one
 * ticket registered every 2 s, two knowledge searches per second. Every --sample seconds it prints the
 * service process's RSS (/proc) and V8 heap (hotline_nodejs_heap_size_used_bytes on /metrics); at the
 * end, the RSS growth per hour after --warmup minutes (least-squares slope over the samples).
 *
 *   npx tsx bench/soak.ts [--minutes 60] [--warmup 3] [--sample 60] [--wallboards 5]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

const ROOT = path.resolve(__dirname, '..');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PASSWORD = 'demo12345hotline';
const QUESTIONS = ['社保卡补办需要什么材料', '公积金怎么提取', '噪音扰民找谁', '居住证办理流程', '路灯不亮了', '供暖不热怎么办'];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function rssOf(npmPid: number): number | null {
  try {
    for (const k of fs.readFileSync(`/proc/${npmPid}/task/${npmPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${k}/status`, 'utf8'));
      if (m) return Number(m[1]) / 1024;
    }
  } catch {
    /* gone */
  }
  return null;
}

async function main() {
  const minutes = arg('minutes', 60);
  const warmup = arg('warmup', 3);
  const sampleS = arg('sample', 60);
  const wallboards = arg('wallboards', 5);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-soak-'));
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: '', REDIS_URL: '', DEMO_MODE: 'true', SIM_CALLERS_PER_MINUTE: '120' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((r) => child.on('exit', r));
  const sockets: WebSocket[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    const t0 = performance.now();
    for (;;) {
      const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (child.exitCode !== null) throw new Error('service exited');
      if (performance.now() - t0 > 300_000) throw new Error('not ready after 300 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const login = async (username: string) => {
      const r = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
      return ((await r.json()) as { token: string }).token;
    };
    const sup = await login('supervisor');
    const op = await login('op1001');
    let wsMessages = 0;
    for (let i = 0; i < wallboards; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${sup}`);
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'subscribe', topic: 'queues' }));
        ws.send(JSON.stringify({ type: 'subscribe', topic: 'tickets' }));
      });
      ws.on('message', () => wsMessages++);
      ws.on('error', () => undefined);
      sockets.push(ws);
    }
    let tickets = 0;
    let searches = 0;
    let errors = 0;
    // What each failure was: `POST 503 knowledge.index_loading`, `GET fetch failed` …, to tell start-up
    // refusals from real faults.
    const failures = new Map<string, number>();
    const failed = async (what: string, r: Response | Error) => {
      errors++;
      let key = `${what} ${r instanceof Error ? r.message : r.status}`;
      if (!(r instanceof Error)) {
        const body = await r.json().catch(() => null) as { error?: { id?: string } } | null;
        if (body?.error?.id) key += ` ${body.error.id}`;
      }
      failures.set(key, (failures.get(key) ?? 0) + 1);
    };
    let n = 0;
    const auth = (t: string) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });
    timers.push(setInterval(() => {
      const i = n++;
      fetch(`${base}/api/tickets`, {
        method: 'POST', headers: auth(op),
        body: JSON.stringify({ channel: 'phone', callerName: '测试', callerPhone: `137${String(i).padStart(8, '0')}`, content: `${QUESTIONS[i % QUESTIONS.length]} 第${i}号`, category: 'consultation', domain: 'public_service' }),
      }).then(async (r) => { if (r.status === 201) { await r.arrayBuffer(); tickets++; } else await failed('POST /api/tickets', r); }, (err: Error) => failed('POST /api/tickets', err));
    }, 2000));
    timers.push(setInterval(() => {
      const q = QUESTIONS[(n + searches) % QUESTIONS.length];
      fetch(`${base}/api/knowledge/search?q=${encodeURIComponent(q)}`, { headers: auth(op) }).then(async (r) => { if (r.ok) { await r.arrayBuffer(); searches++; } else await failed('GET /api/knowledge/search', r); }, (err: Error) => failed('GET /api/knowledge/search', err));
    }, 500));

    // RSS, and the two parts of it the process can name: the V8 heap and the memory outside it
    // (ArrayBuffers, among them the embedded PostgreSQL's WebAssembly memory), so growth is placed.
    const samples: Array<{ min: number; rss: number; heap: number; external: number }> = [];
    const started = performance.now();
    console.log(`soak: ${minutes} min, 2 calls/s (simulator), 1 ticket/2 s, 2 searches/s, ${wallboards} wallboard clients; sampling every ${sampleS} s`);
    while ((performance.now() - started) / 60_000 < minutes) {
      await new Promise((r) => setTimeout(r, sampleS * 1000));
      const min = (performance.now() - started) / 60_000;
      const rss = rssOf(child.pid!);
      const metrics = await fetch(`${base}/metrics`).then((r) => r.text(), () => '');
      const heap = Number(/^hotline_nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1] ?? NaN) / 1048576;
      const external = Number(/^hotline_nodejs_external_memory_bytes (\S+)/m.exec(metrics)?.[1] ?? NaN) / 1048576;
      if (rss !== null) samples.push({ min, rss, heap, external });
      console.log(`t=${min.toFixed(1)} min  RSS ${rss?.toFixed(1)} MB  heap used ${heap.toFixed(1)} MB  external ${external.toFixed(1)} MB  tickets ${tickets}  searches ${searches}  ws messages ${wsMessages}  errors ${errors}`);
    }
    console.log(`request failures by kind: ${failures.size ? [...failures].map(([k, c]) => `${k} ×${c}`).join(', ') : 'none'}`);
    const after = samples.filter((s) => s.min >= warmup);
    if (after.length >= 2) {
      // Least-squares slope of one measure over some samples, in MB per hour.
      const perHour = (xs: typeof after, of: (x: (typeof after)[number]) => number) => {
        const mx = xs.reduce((a, s) => a + s.min, 0) / xs.length;
        const my = xs.reduce((a, s) => a + of(s), 0) / xs.length;
        return (60 * xs.reduce((a, s) => a + (s.min - mx) * (of(s) - my), 0)) / xs.reduce((a, s) => a + (s.min - mx) ** 2, 0);
      };
      const half = after.filter((s) => s.min >= (after[0].min + after[after.length - 1].min) / 2);
      console.log(`RSS growth after ${warmup} min warm-up: ${perHour(after, (s) => s.rss).toFixed(1)} MB/hour (${after.length} samples, goal < 5)`);
      console.log(`  of which V8 heap ${perHour(after, (s) => s.heap).toFixed(1)} MB/hour, external (ArrayBuffers, WebAssembly) ${perHour(after, (s) => s.external).toFixed(1)} MB/hour`);
      if (half.length >= 2) console.log(`  RSS growth over the second half only: ${perHour(half, (s) => s.rss).toFixed(1)} MB/hour (${half.length} samples)`);
    } else {
      console.log('RSS growth: too few samples after warm-up (run longer or sample more often)');
    }
  } finally {
    for (const t of timers) clearInterval(t);
    for (const ws of sockets) ws.close();
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
