/**
 * `npm start` to ready (issue #13, goal ≤ 8 s on a fresh clone) and the RSS just after start (goal
 * ≤ 250 MB) in the default mode: embedded database under a fresh temporary DATA_DIR, no Redis.
 * Runs on a fresh data directory seeded from the built-in template, again on the same (warm) one, and
 * on a fresh one initialised from scratch (DB_TEMPLATE=off, the baseline). Each run spawns
 * `npm start` as a newcomer would, polls /healthz and /readyz every 50 ms, reads the service
 * process's RSS from /proc, then sends SIGTERM to npm and waits for the service to exit.
 *
 *   npx tsx bench/start.ts [--runs 1]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const status = async (url: string) => {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
};

/** The service process: npm's child (npm runs `sh -c 'exec node …'`, so the shell became node). */
function serviceRss(npmPid: number): number | null {
  try {
    const kids = fs.readFileSync(`/proc/${npmPid}/task/${npmPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const k of kids) {
      const st = fs.readFileSync(`/proc/${k}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+) kB/.exec(st);
      if (m) return Number(m[1]) / 1024;
    }
  } catch {
    /* gone */
  }
  return null;
}

async function once(dataDir: string, label: string, extraEnv: Record<string, string> = {}) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: '', REDIS_URL: '', ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let healthy = 0;
  let ready = 0;
  while (!ready) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
    if (!healthy && (await status(`http://127.0.0.1:${port}/healthz`)) === 200) healthy = performance.now();
    if (healthy && (await status(`http://127.0.0.1:${port}/readyz`)) === 200) ready = performance.now();
    if (!ready) await new Promise((r) => setTimeout(r, 50));
    if (performance.now() - started > 180_000) throw new Error('not ready after 180 s');
  }
  const rssReady = serviceRss(child.pid!);
  await new Promise((r) => setTimeout(r, 5000));
  const rssSettled = serviceRss(child.pid!);
  const stopAt = performance.now();
  child.kill('SIGTERM');
  const code = await exited;
  console.log(
    `${label}: listening ${((healthy - started) / 1000).toFixed(2)} s, ready ${((ready - started) / 1000).toFixed(2)} s; ` +
      `RSS at ready ${rssReady?.toFixed(0)} MB, 5 s later ${rssSettled?.toFixed(0)} MB; SIGTERM → exit ${((performance.now() - stopAt) / 1000).toFixed(2)} s (code ${code})`,
  );
}

async function main() {
  const runs = arg('runs', 1);
  for (let i = 0; i < runs; i++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-start-'));
    try {
      await once(dir, 'fresh DATA_DIR, template   ');
      await once(dir, 'warm DATA_DIR             ');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // The baseline in the same run: a fresh directory initialised from scratch (initdb + migrations).
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-start-'));
    try {
      await once(base, 'fresh DATA_DIR, no template', { DB_TEMPLATE: 'off' });
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
