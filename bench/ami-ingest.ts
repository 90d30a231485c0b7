/**
 * AMI ingestion: the adapter (AmiClient on asterisk-manager's socket, our frame parser, domain events)
 * against a bare socket line reader, on the same byte stream in the same run; asterisk-manager's own
 * reader is measured too, for reference. The stream is every unsolicited event of the real captures,
 * repeated. The server runs in a child process so it does not share the event loop being measured.
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

async function bare(port: number): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setEncoding('utf8');
    let rest = '';
    let frames = 0;
    let t0 = 0;
    s.on('connect', () => { t0 = performance.now(); s.write('Action: BenchStart\r\nActionID: b\r\n\r\n'); });
    s.on('data', (chunk: string) => {
      const buf = rest + chunk;
      let pos = 0;
      let nl: number;
      while ((nl = buf.indexOf('\n', pos)) >= 0) {
        const len = nl - pos;
        if (len === 0 || (len === 1 && buf.charCodeAt(pos) === 13)) frames++;
        pos = nl + 1;
      }
      rest = buf.slice(pos);
      // banner has no blank line; the BenchStart response is one frame
      if (frames >= parts.length + 1) { const dt = performance.now() - t0; s.destroy(); resolve(dt); }
    });
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
  console.log(`stream: ${parts.length} events, ${mb.toFixed(1)} MB (${pool.length} distinct captured events, repeated)`);
  const rate = (ms: number) => Math.round(parts.length / (ms / 1000));
  const res: Array<{ bare: number; adapter: number; mapped: number }> = [];
  for (let r = 0; r < rounds; r++) {
    const b = await bare(server.port);
    const a = await adapter(server.port);
    res.push({ bare: rate(b), adapter: rate(a.ms), mapped: a.mapped });
    console.log(`round ${r + 1}: bare line reader ${rate(b).toLocaleString('en')} ev/s | adapter ${rate(a.ms).toLocaleString('en')} ev/s ` +
      `(${a.mapped} domain events) | ratio ${(rate(b) / rate(a.ms)).toFixed(2)}x`);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const mb2 = med(res.map((r) => r.bare));
  const ma = med(res.map((r) => r.adapter));
  console.log(`median: bare ${mb2.toLocaleString('en')} ev/s, adapter ${ma.toLocaleString('en')} ev/s, overhead ${(mb2 / ma).toFixed(2)}x ` +
    `(goal: adapter >= 5,000 ev/s, overhead <= 1.5x)`);
  const lib = await library(server.port);
  console.log(`reference: asterisk-manager's own reader ${rate(lib).toLocaleString('en')} ev/s (${(mb2 / rate(lib)).toFixed(1)}x slower than bare)`);
  server.kill();
}

main().catch((e) => { console.error(e); process.exit(1); });
