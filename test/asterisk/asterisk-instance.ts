import { ChildProcess, execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { InstancePlan, renderConfig } from './asterisk-config';
import { assertLoopbackOnly } from './loopback-guard';
import { until } from '../support/until';

export const DIALPLAN_DIR = path.resolve(__dirname, '../../dialplan');

/** Where the Debian packages asterisk-core-sounds-en-wav and asterisk-moh-opsound-wav put their files. */
const CORE_SOUNDS_CANDIDATES = ['/usr/share/asterisk/sounds/en', '/usr/share/asterisk/sounds/en_US_f_Allison'];
const MOH_CANDIDATES = ['/usr/share/asterisk/moh'];

/** Why the suite cannot run on this machine, or null when it can. */
export function missingPrerequisite(): string | null {
  const bin = process.env.ASTERISK_BIN;
  if (!bin) return 'ASTERISK_BIN is not set (the path of an installed Asterisk 22 binary with chan_pjsip)';
  if (!fs.existsSync(bin)) return `ASTERISK_BIN=${bin} does not exist`;
  if (!findSipp()) return 'sipp is not installed (Debian package sip-tester)';
  if (!['/usr/share/sip-tester', '/usr/share/sipp/pcap', '/usr/local/share/sipp/pcap'].some((d) => fs.existsSync(path.join(d, 'dtmf_2833_1.pcap')))) return "SIPp's dtmf_2833_*.pcap key recordings were not found (Debian package sip-tester ships them in /usr/share/sip-tester)";
  if (!coreSoundsDir()) return 'core sounds beep/pbx-transfer not found under /usr/share/asterisk/sounds/en (Debian package asterisk-core-sounds-en-wav)';
  if (!mohDir()) return 'music on hold not found under /usr/share/asterisk/moh (Debian package asterisk-moh-opsound-wav)';
  if (!sourceDataDir()) return 'the Asterisk data directory (rest-api/, documentation/) was not found; set ASTERISK_DATADIR';
  return null;
}

export function findSipp(): string | null {
  for (const d of (process.env.PATH ?? '').split(':')) {
    const p = path.join(d, 'sipp');
    if (d && fs.existsSync(p)) return p;
  }
  return null;
}

function coreSoundsDir(): string | null {
  return CORE_SOUNDS_CANDIDATES.find((d) => ['beep', 'pbx-transfer'].every((s) => fs.existsSync(path.join(d, `${s}.wav`)) || fs.existsSync(path.join(d, `${s}.gsm`)))) ?? null;
}
function mohDir(): string | null {
  return MOH_CANDIDATES.find((d) => fs.existsSync(d) && fs.readdirSync(d).some((f) => /\.(wav|gsm)$/.test(f))) ?? null;
}
/** The installed Asterisk's own data directory (ARI's rest-api, XML docs): beside the binary's prefix. */
function sourceDataDir(): string | null {
  const candidates = [process.env.ASTERISK_DATADIR, path.resolve(path.dirname(process.env.ASTERISK_BIN ?? '/'), '../var/lib/asterisk'), '/var/lib/asterisk', '/usr/share/asterisk'];
  return candidates.find((d) => d && fs.existsSync(path.join(d, 'rest-api'))) ?? null;
}

export async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free even UDP port (RTP uses the even one, RTCP the next) with the next one free too. */
export async function freeUdpPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + 2 * Math.floor(Math.random() * 19000);
    if ((await udpFree(p)) && (await udpFree(p + 1)) && !taken.has(p)) {
      taken.add(p).add(p + 1);
      return p;
    }
  }
  throw new Error('no free UDP port');
}
const taken = new Set<number>();

/** `count` consecutive free UDP ports (the RTP range of the instance). */
async function freeUdpRange(count: number): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const start = 20000 + 2 * Math.floor(Math.random() * 19000);
    let ok = true;
    for (let p = start; p < start + count && ok; p++) ok = !taken.has(p) && (await udpFree(p));
    if (ok) {
      for (let p = start; p < start + count; p++) taken.add(p);
      return start;
    }
  }
  throw new Error('no free UDP range');
}

export interface AsteriskInstance {
  plan: InstancePlan;
  pid: number;
  confFile: string;
  /** One CLI command through the control socket; resolves with its output. */
  cli(command: string): Promise<string>;
  /** Asterisk's own log of this run (messages.log), for diagnosing a failure. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** A scratch Asterisk running the project's dialplan/ on loopback and free ports, in a temp dir. */
export async function startAsterisk(): Promise<AsteriskInstance> {
  const bin = process.env.ASTERISK_BIN!;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-ast-'));
  const d = (...p: string[]) => path.join(root, ...p);
  const plan: InstancePlan = {
    root,
    etcDir: d('etc'),
    dataDir: d('data'),
    spoolDir: d('spool'),
    logDir: d('log'),
    runDir: d('run'),
    varLibDir: d('varlib'),
    sipPort: await freeUdpPort(),
    amiPort: await freeTcpPort(),
    httpPort: await freeTcpPort(),
    rtpStart: 0,
    rtpEnd: 0,
    carrierPorts: [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()],
    carrierContactPort: await freeUdpPort(),
    countyPort: await freeUdpPort(),
    ami: { username: 'hotline', password: crypto.randomBytes(12).toString('hex') },
    ari: { username: 'hotline', password: crypto.randomBytes(12).toString('hex') },
  };
  plan.rtpStart = await freeUdpRange(200);
  plan.rtpEnd = plan.rtpStart + 199;
  for (const dir of [plan.etcDir, plan.dataDir, plan.spoolDir, plan.runDir, plan.varLibDir, path.join(plan.varLibDir, 'keys'), d('agi-bin'), d('cache'), path.join(plan.logDir, 'cdr-csv'), path.join(plan.logDir, 'cel-custom'), path.join(plan.spoolDir, 'monitor', 'hotline-messages')]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  // Data dir: the installed Asterisk's read-only data, the Debian core sounds and MOH, the project's prompts.
  const src = sourceDataDir()!;
  for (const e of fs.readdirSync(src)) if (!['sounds', 'moh', 'astdb.sqlite3'].includes(e)) fs.symlinkSync(path.join(src, e), path.join(plan.dataDir, e));
  fs.mkdirSync(path.join(plan.dataDir, 'sounds'));
  fs.symlinkSync(coreSoundsDir()!, path.join(plan.dataDir, 'sounds', 'en'));
  fs.symlinkSync(path.join(DIALPLAN_DIR, 'sounds', 'zh'), path.join(plan.dataDir, 'sounds', 'zh'));
  fs.symlinkSync(mohDir()!, path.join(plan.dataDir, 'moh'));

  const files = renderConfig(DIALPLAN_DIR, plan);
  assertLoopbackOnly(files);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(plan.etcDir, name), content);
  const confFile = path.join(plan.etcDir, 'asterisk.conf');

  const out = fs.openSync(d('console.log'), 'a');
  const child: ChildProcess = spawn(bin, ['-C', confFile, '-f', '-vvv'], { stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  let exited = false;
  const exitedP = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  const cli = (command: string) =>
    new Promise<string>((resolve, reject) => {
      execFile(bin, ['-C', confFile, '-rx', command], { timeout: 10_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${command}: ${err.message} ${stderr}`)) : resolve(stdout)));
    });
  const inst: AsteriskInstance = {
    plan,
    pid: child.pid!,
    confFile,
    cli,
    logTail(lines = 60) {
      try {
        return fs.readFileSync(path.join(plan.logDir, 'messages.log'), 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return fs.existsSync(d('console.log')) ? fs.readFileSync(d('console.log'), 'utf8').slice(-4000) : '';
      }
    },
    async stop() {
      if (!exited) {
        // by its own pid: SIGTERM is Asterisk's quick shutdown; SIGKILL if it does not exit
        process.kill(child.pid!, 'SIGTERM');
        await Promise.race([exitedP, new Promise((r) => setTimeout(r, 5000))]);
        if (!exited) {
          process.kill(child.pid!, 'SIGKILL');
          await exitedP;
        }
      }
      if (!process.env.KEEP_ASTERISK_DIR) fs.rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await until(async () => !exited && (await cli('core waitfullybooted')).includes('fully booted'), { timeoutMs: 30_000, intervalMs: 250, what: 'Asterisk to be fully booted' });
  } catch (err) {
    const tail = inst.logTail();
    await inst.stop();
    throw new Error(`Asterisk did not start: ${(err as Error).message}\n${tail}`);
  }
  return inst;
}
