/**
 * AMI ingestion: the adapter (AmiClient on asterisk-manager's socket, our frame parser, domain events)
 * against a bare socket line reader, on the same byte stream in the same run. The bare reader splits
 * the socket stream into lines as strings and groups them into frames (arrays of lines), nothing else:
 * the least any AMI consumer must do. For reference only: a blank-line counter (no strings at all, a
 * lower bound for "reading the socket") and asterisk-manager's own reader. The stream is every
 * unsolicited event of the real captures, repeated (VarSet share printed; a real stream has 55%).
 * The server runs in a child process so it does not share the event loop being measured.
 *
 *   npx tsx bench/ami-ingest.ts [events=300000] [rounds=3]
 */
import { spawn } from 'child_process';
import { writeFileSync, mkdtempSync, readdirSync } from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { AmiClient } from '../src/telephony/ami-client';
import { CAPTURES, unsolicitedEvents } from '../test/telephony/support/transcripts';

const target = Number(process.argv[2] ?? 300_000);
const rounds = Number(process.argv[3] ?? 3);

const pool = readdirSync(path.join(CAPTURES, 'ami')).filter((f) => f.endsWith('.txt')).flatMap(unsolicitedEvents);
const parts: string[] = [];
for (let i = 0; parts.length < target; i++) parts.push(pool[i % pool.length]);
const stream = parts.join('');
const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ami-bench-')), 'stream.txt');
writeFileSync(file, stream);

// Plain JS so the child needs no TypeScript loader. Login/list actions are answered minimally; the
// action BenchStart makes the server write the whole stream.
const serverCode = `
const net = require('net'); const fs = require('fs');
const data = fs.readFileSync(${JSON.stringify(file)});
const srv = net.createServer((s) => {
  s.on('error', () => {});
  s.write('Asterisk Call Manager/11.0.0\\r\\n');
  let buf = '';
  s.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\r\\n\\r\\n')) >= 0) {
      const msg = buf.slice(0, i); buf = buf.slice(i + 4);
      const action = (/^action: *(.*)$/im.exec(msg) || [])[1] || '';
      const id = (/^actionid: *(.*)$/im.exec(msg) || [])[1] || '';
      const a = action.toLowerCase().trim();
      const ok = 'Response: Success\\r\\nActionID: ' + id + '\\r\\n';
      if (a === 'benchstart') { s.write(ok + '\\r\\n'); s.write(data); }
      else if (['coreshowchannels', 'queuestatus', 'pjsipshowendpoints'].includes(a))
        s.write(ok + 'EventList: start\\r\\n\\r\\nEvent: ListComplete\\r\\nActionID: ' + id + '\\r\\nEventList: Complete\\r\\nListItems: 0\\r\\n\\r\\n');
      else s.write(ok + 'Message: ok\\r\\n\\r\\n');
    }
  });
});
srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
`;

async function startServer(): Promise<{ port: number; kill: () => void }> {
  const child = spawn(process.execPath, ['-e', serverCode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  return { port, kill: () => child.kill() };
}

/** Read the whole stream from a fresh connection; `onChunk` returns the frames seen so far. */
function readStream(port: number, onChunk: (chunk: string) => number): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setEncoding('utf8'); // as asterisk-manager sets it on the adapter's socket
    let t0 = 0;
    s.on('connect', () => { t0 = performance.now(); s.write('Action: BenchStart\r\nActionID: b\r\n\r\n'); });
    s.on('data', (chunk: string) => {
      // the banner has no blank line of its own; the BenchStart response is one more frame
      if (onChunk(chunk) >= parts.length + 1) { const dt = performance.now() - t0; s.destroy(); resolve(dt); }
    });
  });
}

/** The baseline: lines as strings (CR stripped), grouped into frames at the blank line. */
function bareLineReader(port: number): Promise<number> {
  let rest = '';
  let lines: string[] = [];
  let frames = 0;
  let last: string[] = [];
  return readStream(port, (chunk) => {
    const buf = rest + chunk;
    let pos = 0;
    let nl: number;
    while ((nl = buf.indexOf('\n', pos)) >= 0) {
      const end = nl > pos && buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end === pos) {
        if (lines.length) { last = lines; lines = []; frames++; }
      } else lines.push(buf.slice(pos, end));
      pos = nl + 1;
    }
    rest = buf.slice(pos);
    if (last.length < 0) console.log(last); // keeps the frames observable so nothing is optimised away
    return frames;
  });
}

/** Reference only: counts blank lines without making a single string. */
function blankLineCounter(port: number): Promise<number> {
  let rest = '';
  let frames = 0;
  return readStream(port, (chunk) => {
    const buf = rest + chunk;
    let pos = 0;
    let nl: number;
    while ((nl = buf.indexOf('\n', pos)) >= 0) {
      const len = nl - pos;
      if (len === 0 || (len === 1 && buf.charCodeAt(pos) === 13)) frames++;
      pos = nl + 1;
    }
    rest = buf.slice(pos);
    return frames;
  });
}

async function adapter(port: number): Promise<{ ms: number; mapped: number }> {
  const client = new AmiClient({ host: '127.0.0.1', port, username: 'bench', password: 'bench' }, { serverId: 'bench', keepaliveMs: 0, commandTimeoutMs: 60_000 });
  client.on('event', () => undefined);
  client.start();
  await client.whenResynced(5000);
  const before = client.counters.framesIn;
  const mappedBefore = client.counters.eventsMapped;
  const t0 = performance.now();
  await client.raw({ action: 'BenchStart' });
  await new Promise<void>((resolve) => {
    const check = () => (client.counters.framesIn - before >= parts.length ? resolve() : setTimeout(check, 2));
    check();
  });
  const ms = performance.now() - t0;
  const mapped = client.counters.eventsMapped - mappedBefore;
  await client.stop();
  return { ms, mapped };
}

async function library(port: number): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Manager = require('asterisk-manager');
  const mgr = Manager(port, '127.0.0.1', 'bench', 'bench', true);
  await new Promise((r) => mgr.once('connect', r));
  await new Promise((r) => setTimeout(r, 50));
  let n = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    mgr.on('managerevent', () => { if (++n >= parts.length) resolve(); });
    mgr.action({ action: 'BenchStart' }, () => undefined);
  });
  const ms = performance.now() - t0;
  mgr.disconnect();
  return ms;
}

async function main(): Promise<void> {
  const server = await startServer();
  const mb = Buffer.byteLength(stream) / 1e6;
  const varsets = parts.filter((p) => p.startsWith('Event: VarSet')).length;
  console.log(`stream: ${parts.length} events, ${mb.toFixed(1)} MB, VarSet ${(100 * varsets / parts.length).toFixed(0)}% ` +
    `(${pool.length} distinct captured events, repeated)`);
  const rate = (ms: number) => Math.round(parts.length / (ms / 1000));
  const fmt = (n: number) => n.toLocaleString('en');
  const res: Array<{ bare: number; blank: number; adapter: number; mapped: number }> = [];
  for (let r = 0; r < rounds; r++) {
    const b = rate(await bareLineReader(server.port));
    const z = rate(await blankLineCounter(server.port));
    const a = await adapter(server.port);
    res.push({ bare: b, blank: z, adapter: rate(a.ms), mapped: a.mapped });
    console.log(`round ${r + 1}: bare line reader ${fmt(b)} ev/s | adapter ${fmt(rate(a.ms))} ev/s (${fmt(a.mapped)} domain events) | ` +
      `overhead ${(b / rate(a.ms)).toFixed(2)}x | reference: blank-line counter ${fmt(z)} ev/s`);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const mb2 = med(res.map((r) => r.bare));
  const ma = med(res.map((r) => r.adapter));
  const mz = med(res.map((r) => r.blank));
  const ratio = med(res.map((r) => r.bare / r.adapter));
  console.log(`median: bare line reader ${fmt(mb2)} ev/s, adapter ${fmt(ma)} ev/s, overhead (bare/adapter, median of rounds) ${ratio.toFixed(2)}x, ` +
    `domain events per run ${fmt(res[0].mapped)} (goal: adapter >= 5,000 ev/s, overhead <= 1.5x)`);
  console.log(`reference: blank-line counter ${fmt(mz)} ev/s (${(mz / ma).toFixed(2)}x the adapter)`);
  const lib = await library(server.port);
  console.log(`reference: asterisk-manager's own reader ${fmt(rate(lib))} ev/s (${(mb2 / rate(lib)).toFixed(1)}x slower than the bare line reader)`);
  server.kill();
}

main().catch((e) => { console.error(e); process.exit(1); });
