import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AsteriskInstance, findSipp, freeUdpPort } from './asterisk-instance';
import { until } from '../support/until';

const SCENARIOS = path.resolve(__dirname, 'sipp');

/** Passwords of the softphones as dialplan/pjsip.conf ships them (placeholders a deployment replaces). */
export const PHONE_PASSWORD = (ext: string) => `CHANGE-ME-${ext}`;

export interface SippRun {
  name: string;
  pid: number;
  port: number;
  /** Resolves with SIPp's exit code (0: every call succeeded). */
  exited: Promise<number | null>;
  /** Every SIP message SIPp sent and received (-trace_msg). */
  messages(): string;
  /** SIPp's screen and error log, for a failure message. */
  diagnostics(): string;
  /** Ends the process by its pid (SIGTERM, then SIGKILL) and waits for it. */
  stop(): Promise<void>;
}

/** Every SIPp process started by this file, so an after() hook can end the ones a test left behind. */
const running = new Set<SippRun>();

export async function stopAllSipp(): Promise<void> {
  await Promise.all([...running].map((r) => r.stop()));
}

function runSipp(ast: AsteriskInstance, name: string, scenario: string, port: number, extra: string[]): Promise<SippRun> {
  const dir = path.join(ast.plan.root, 'sipp', `${name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = (f: string) => path.join(dir, f);
  return (async () => {
    const mediaPort = await freeUdpPort();
    const args = [
      `127.0.0.1:${ast.plan.sipPort}`,
      '-sf', scenario,
      '-i', '127.0.0.1', '-p', String(port),
      '-mi', '127.0.0.1', '-mp', String(mediaPort),
      '-t', 'u1',
      '-nostdin', '-aa',
      '-trace_msg', '-message_file', file('messages.log'),
      '-trace_err', '-error_file', file('errors.log'),
      ...extra,
    ];
    const out = fs.openSync(file('screen.log'), 'a');
    const child: ChildProcess = spawn(findSipp()!, args, { stdio: ['ignore', out, out], cwd: dir });
    fs.closeSync(out);
    let done = false;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { done = true; running.delete(run); resolve(code); }));
    const read = (f: string) => (fs.existsSync(file(f)) ? fs.readFileSync(file(f), 'utf8') : '');
    const run: SippRun = {
      name,
      pid: child.pid!,
      port,
      exited,
      messages: () => read('messages.log'),
      diagnostics: () => `--- sipp ${name} errors:\n${read('errors.log').slice(-3000)}\n--- screen:\n${read('screen.log').slice(-3000)}`,
      async stop() {
        if (done) return;
        process.kill(child.pid!, 'SIGTERM');
        const t = setTimeout(() => { if (!done) process.kill(child.pid!, 'SIGKILL'); }, 3000);
        await exited;
        clearTimeout(t);
      },
    };
    running.add(run);
    return run;
  })();
}

/**
 * A softphone registered as `ext` (operator 1001/1002/1003 or expert 12348) that answers after
 * `answerMs` (mode 'answer') or refuses every call with 486 (mode 'busy'). Resolves once Asterisk
 * shows the contact as reachable.
 */
export async function registerPhone(ast: AsteriskInstance, ext: string, opts: { mode?: 'answer' | 'busy'; answerMs?: number } = {}): Promise<SippRun> {
  const port = await freeUdpPort();
  const ooc = path.join(SCENARIOS, opts.mode === 'busy' ? 'phone-busy.xml' : 'phone-answer.xml');
  const run = await runSipp(ast, `phone-${ext}`, path.join(SCENARIOS, 'register.xml'), port, ['-s', ext, '-au', ext, '-ap', PHONE_PASSWORD(ext), '-oocsf', ooc, '-d', String(opts.answerMs ?? 300), '-m', '1']);
  try {
    await until(async () => /Avail/.test(await ast.cli(`pjsip show aor ${ext}`)), { timeoutMs: 15_000, intervalMs: 200, what: `phone ${ext} registered and reachable` });
  } catch (err) {
    await run.stop();
    throw new Error(`${(err as Error).message}\n${run.diagnostics()}`);
  }
  return run;
}

/**
 * Whether a process has bound this loopback UDP port (SIPp listening), read from /proc/net/udp:
 * binding the port ourselves to find out could take it from SIPp. Elsewhere than Linux: assumed.
 */
function udpBound(port: number): boolean {
  const local = ` 0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  try {
    return fs.readFileSync('/proc/net/udp', 'utf8').includes(local);
  } catch {
    return true;
  }
}

/**
 * The county line (every trunk-* and link-* contact): answers after `answerMs`, or busy (486). Like a
 * real line it answers Asterisk's OPTIONS (runSipp passes `-aa`). The trunk AORs qualify their static
 * contact every 60 s, and a contact Asterisk found unreachable is dialled as CHANUNAVAIL until the next
 * qualify. An OPTIONS Asterisk sent while no SIPp listened (at boot, between two tests) is retransmitted
 * and ends within the AOR's qualify_timeout: answered by the new SIPp (Avail), or timed out, and then
 * it marks the contact Unreachable even after a newer OPTIONS succeeded (seen on Asterisk 22.10:
 * Reachable, then Unreachable with RTT 0 in the same second, then CHANUNAVAIL on the transfer). So
 * the line is returned only when Asterisk shows the contact reachable once every OPTIONS sent before
 * SIPp listened has ended, asking Asterisk to qualify again while it does not.
 */
/** The county line behind `aor`: answers after `answerMs`, refuses at once (busy), or rings `answerMs` then refuses (ring-busy). */
export async function countyLine(ast: AsteriskInstance, mode: 'answer' | 'busy' | 'ring-busy', answerMs = 500, aor = 'trunk-hx'): Promise<SippRun> {
  const scenario = path.join(SCENARIOS, { busy: 'phone-busy.xml', 'ring-busy': 'phone-ring-busy.xml', answer: 'phone-answer.xml' }[mode]);
  const run = await runSipp(ast, `county-${mode}`, scenario, ast.plan.countyPort, ['-d', String(answerMs)]);
  try {
    const listening = await until(() => (udpBound(ast.plan.countyPort) ? Date.now() : null), { timeoutMs: 10_000, intervalMs: 50, what: 'SIPp listening on the county port' });
    const qualifyTimeoutMs = 1000 * Number(/qualify_timeout\s*:\s*([\d.]+)/.exec(await ast.cli(`pjsip show aor ${aor}`))?.[1] ?? 3);
    let reachableIn = 0;
    await until(async () => {
      if (!/Avail/.test(await ast.cli(`pjsip show aor ${aor}`))) {
        reachableIn = 0;
        await ast.cli(`pjsip qualify ${aor}`);
        return false;
      }
      // reachable on two polls after the last earlier OPTIONS can have ended
      return Date.now() - listening > qualifyTimeoutMs && ++reachableIn >= 2;
    }, { timeoutMs: 20_000, intervalMs: 300, what: `the county line (${aor}) qualified as reachable` });
  } catch (err) {
    await run.stop();
    throw new Error(`${(err as Error).message}\n${await ast.cli(`pjsip show aor ${aor}`).catch(() => '')}\n${run.diagnostics()}`);
  }
  return run;
}

/** A tone (a voice for Asterisk's silence detection), μ-law WAV, one second, looped by SIPp. */
function toneFile(dir: string): string {
  const f = path.join(dir, 'tone-ulaw.wav');
  if (fs.existsSync(f)) return f;
  const n = 8000;
  const data = Buffer.alloc(n);
  for (let i = 0; i < n; i++) data[i] = linearToUlaw(Math.round(9000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + n, 4); h.write('WAVE', 8); h.write('fmt ', 12);
  h.writeUInt32LE(16, 16); h.writeUInt16LE(7, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(8000, 28); h.writeUInt16LE(1, 32); h.writeUInt16LE(8, 34); h.write('data', 36); h.writeUInt32LE(n, 40);
  fs.writeFileSync(f, Buffer.concat([h, data]));
  return f;
}

function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  const sign = sample < 0 ? 0x80 : 0;
  let s = Math.min(Math.abs(sample), 32635) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export interface CallerOptions {
  from: string;
  to?: string;
  /** Keys to press: `digits` at `atMs` after the answer (RFC 4733 events). */
  dtmf?: Array<{ atMs: number; digits: string }>;
  /** The caller hangs up this long after the answer (and after the keys) unless Asterisk hangs up first. */
  talkMs: number;
  /** Which of the carrier's source ports to call from (the carrier trunk is identified by them). */
  line?: number;
}

/**
 * SIPp's own RFC 4733 key recordings (Debian sip-tester ships one pcap per key, payload type 101).
 * Its play_dtmf action sends payload type 97 and the wrong event code, so it is not used.
 */
export const DTMF_PCAP_DIRS = ['/usr/share/sip-tester', '/usr/share/sipp/pcap', '/usr/local/share/sipp/pcap'];
function dtmfPcap(key: string): string {
  const name = key === '#' ? 'pound' : key === '*' ? 'star' : key;
  const dir = DTMF_PCAP_DIRS.find((d) => fs.existsSync(path.join(d, `dtmf_2833_${name}.pcap`)));
  if (!dir) throw new Error(`no dtmf_2833_${name}.pcap of SIPp in ${DTMF_PCAP_DIRS.join(', ')}`);
  return path.join(dir, `dtmf_2833_${name}.pcap`);
}

/** A citizen calling in on the carrier trunk; the run ends when the call ends. */
export async function placeCall(ast: AsteriskInstance, o: CallerOptions): Promise<SippRun> {
  const dir = path.join(ast.plan.root, 'sipp');
  fs.mkdirSync(dir, { recursive: true });
  let steps = '';
  let at = 0;
  (o.dtmf ?? []).forEach((d, i) => {
    const wait = Math.max(1, d.atMs - at);
    steps += `  <recv request="BYE" timeout="${wait}" ontimeout="key${i}" next="byebye"/>\n  <label id="key${i}"/>\n  ${[...d.digits].map((k) => `<nop><action><exec play_pcap_audio="${dtmfPcap(k)}"/></action></nop>`).join('\n  ')}\n`;
    at = d.atMs;
  });
  const xml = fs
    .readFileSync(path.join(SCENARIOS, 'caller.xml'), 'utf8')
    .replace('@@TONE@@', toneFile(dir))
    .replace('@@DTMF@@', steps)
    .replace('@@TALK_MS@@', String(Math.max(1, o.talkMs)));
  const scenario = path.join(dir, `caller-${o.from}-${Date.now()}.xml`);
  fs.writeFileSync(scenario, xml);
  const port = ast.plan.carrierPorts[o.line ?? 0];
  return runSipp(ast, `caller-${o.from}`, scenario, port, ['-s', o.to ?? '12345', '-key', 'caller', o.from, '-m', '1']);
}
