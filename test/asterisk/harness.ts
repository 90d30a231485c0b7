import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/logging/logger';
import { createTicketsFeature } from '../../src/tickets/feature';
import { LogSmsGateway } from '../../src/tickets/sms/log';
import { createTelephonyFeature } from '../../src/telephony/feature';
import { createCallsFeature, CallsInternals } from '../../src/calls/feature';
import { startTestService, TestService } from '../support/service';
import { createTestDatabase, TestDatabase } from '../support/db';
import { testRedisPrefix } from '../support/redis';
import { until } from '../support/until';
import { AsteriskInstance, missingPrerequisite, startAsterisk } from './asterisk-instance';
import { stopAllSipp } from './sipp';

/**
 * The real-Asterisk suite's harness: a scratch Asterisk (ASTERISK_BIN) running dialplan/ on loopback,
 * and the service (tickets + telephony + calls) on its own PostgreSQL database and Redis prefix,
 * attached over AMI and ARI exactly as in production, with the instance's spool as spoolDir.
 */
export interface RealHarness {
  ast: AsteriskInstance;
  db: TestDatabase;
  t: TestService;
  sms: LogSmsGateway;
  calls: CallsInternals;
  recordingsDir: string;
  /** Stop only the service; Asterisk and its calls carry on. */
  stopService(): Promise<void>;
  /** Start the service again on the same database, Redis prefix and Asterisk. */
  startService(): Promise<void>;
  stop(): Promise<void>;
}

/** In a mocha before(): skip the whole file, saying why, on a machine without the prerequisites. */
export function skipWithoutAsterisk(ctx: Mocha.Context): void {
  const why = missingPrerequisite();
  if (why) {
    console.log(`      real-Asterisk suite skipped: ${why}`);
    ctx.skip();
  }
}

export async function startRealHarness(opts: { env?: Record<string, string> } = {}): Promise<RealHarness> {
  const ast = await startAsterisk();
  const db = await createTestDatabase();
  const redisPrefix = testRedisPrefix('realast');
  const recordingsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-realrec-'));
  const sms = new LogSmsGateway(silentLogger());
  const servers = JSON.stringify([
    {
      id: 'qy',
      ami: { host: '127.0.0.1', port: ast.plan.amiPort, username: ast.plan.ami.username, password: ast.plan.ami.password },
      ari: { url: `http://127.0.0.1:${ast.plan.httpPort}`, username: ast.plan.ari.username, password: ast.plan.ari.password, app: 'hotline' },
      spoolDir: ast.plan.spoolDir,
      // Asterisk's own record of queue calls: the service dates the calls of its downtime by it.
      queueLog: path.join(ast.plan.logDir, 'queue_log'),
    },
  ]);
  const h: Partial<RealHarness> & { ast: AsteriskInstance; db: TestDatabase } = { ast, db, sms, recordingsDir };
  h.startService = async () => {
    const calls = createCallsFeature();
    h.t = await startTestService({
      db,
      features: [createTicketsFeature({ sms }), createTelephonyFeature(), calls],
      // WRAPUP_SECONDS matches wrapuptime in dialplan/queues.conf, as the configuration table asks.
      env: { ASTERISK_SERVERS: servers, RECORDINGS_DIR: recordingsDir, REDIS_PREFIX: redisPrefix, WRAPUP_SECONDS: '10', ...opts.env },
    });
    await (h.t.service.ctx.services.get('telephony') as { whenResynced(ms: number): Promise<void> }).whenResynced(20_000);
    h.calls = calls.internals!;
  };
  h.stopService = async () => {
    await h.t!.service.stop();
  };
  h.stop = async () => {
    await stopAllSipp();
    await h.t?.service.stop().catch(() => undefined);
    await ast.stop();
    await db.destroy();
    fs.rmSync(recordingsDir, { recursive: true, force: true });
  };
  try {
    await h.startService();
  } catch (err) {
    await h.stop();
    throw err;
  }
  return h as RealHarness;
}

/** The size, duration (from the WAV header) and sha256 of a file as it is on disk now. */
export function fileFacts(file: string): { size: number; sha256: string; durationSeconds: number } {
  const bytes = fs.readFileSync(file);
  let durationSeconds = 0;
  // walk the RIFF chunks: fmt gives the byte rate, data the length
  let byteRate = 0;
  for (let off = 12; off + 8 <= bytes.length; ) {
    const id = bytes.toString('ascii', off, off + 4);
    const len = bytes.readUInt32LE(off + 4);
    if (id === 'fmt ') byteRate = bytes.readUInt32LE(off + 16);
    if (id === 'data' && byteRate) durationSeconds = Math.min(len, bytes.length - off - 8) / byteRate;
    off += 8 + len + (len % 2);
  }
  return { size: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), durationSeconds };
}

/** The call row of a linkedid once `ok` holds for it. */
export function waitCall(h: RealHarness, linkedid: () => string | null | Promise<string | null>, ok: (row: any) => boolean, what: string, timeoutMs = 20_000) {
  return until(async () => {
    const id = await linkedid();
    if (!id) return null;
    const row = await h.db.knex('calls').where({ linkedid: id }).first();
    return row && ok(row) ? row : null;
  }, { timeoutMs, intervalMs: 100, what });
}

/** The newest call of a caller number (the test learns the linkedid from the service, as a client would). */
export async function latestCallOf(h: RealHarness, caller: string): Promise<any> {
  return h.db.knex('calls').where({ caller_number: caller }).orderBy('id', 'desc').first();
}

/** Log an operator (softphone `ext`) in to their centre queue; returns the token. */
export async function loginOperator(h: RealHarness, ext: string, roles: Array<'operator' | 'supervisor' | 'expert'> = ['operator']): Promise<string> {
  const token = await h.t.userToken(roles, { username: `op${ext}-${crypto.randomBytes(3).toString('hex')}`, extension: `PJSIP/${ext}`, centre: 'QY' });
  const login = await h.t.http('POST', '/api/operators/me/login', { token, body: {} });
  if (login.status !== 200) throw new Error(`login of ${ext} failed: ${login.status} ${JSON.stringify(login.body)}`);
  await until(async () => (await h.ast.cli('queue show q-qy')).includes(`PJSIP/${ext}`), { timeoutMs: 10_000, what: `${ext} a member of q-qy` });
  return token;
}

export const operatorState = async (h: RealHarness, token: string): Promise<string> => (await h.t.http('GET', '/api/operators/me', { token })).body.state;

export interface AstChannel {
  name: string;
  context: string;
  exten: string;
  state: string;
  app: string;
  data: string;
  callerId: string;
  bridgeId: string;
  uniqueid: string;
}

/** Asterisk's own view of its channels (`core show channels concise`). */
export async function channels(h: RealHarness): Promise<AstChannel[]> {
  const out = await h.ast.cli('core show channels concise');
  return out
    .split('\n')
    .filter((l) => l.includes('!'))
    .map((l) => {
      const f = l.split('!');
      return { name: f[0], context: f[1], exten: f[2], state: f[4], app: f[5], data: f[6], callerId: f[7], bridgeId: f[12] ?? '', uniqueid: f[13] ?? '' };
    });
}

/** Names of the channels in the same bridge as the channel whose name starts with `prefix`. */
export async function peersOf(h: RealHarness, prefix: string): Promise<string[]> {
  const all = await channels(h);
  const me = all.find((c) => c.name.startsWith(prefix));
  if (!me?.bridgeId) return [];
  return all.filter((c) => c.bridgeId === me.bridgeId && c !== me).map((c) => c.name);
}

/** Polls `check` and returns how many milliseconds after `from` it first held. */
export async function msUntil(from: number, check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<number> {
  await until(check, { timeoutMs, intervalMs: 50, what });
  return Date.now() - from;
}

/** The file Asterisk wrote for a recording row's name, in this instance's spool. */
export function spoolFileOf(h: RealHarness, name: string): string {
  if (name.startsWith('/var/spool/asterisk/')) return path.join(h.ast.plan.spoolDir, name.slice('/var/spool/asterisk/'.length));
  return path.isAbsolute(name) ? name : path.join(h.ast.plan.spoolDir, 'monitor', name);
}

/** Every recording row of a call, collected, equal to its final file: [] when all agree, else what differs. */
export async function recordingMismatches(h: RealHarness, callId: number): Promise<string[]> {
  const rows = await h.db.knex('recordings').where({ call_id: callId });
  const out: string[] = [];
  for (const r of rows) {
    const file = spoolFileOf(h, r.name);
    if (r.state !== 'collected') {
      out.push(`${r.kind} ${r.name}: ${r.state}`);
      continue;
    }
    if (!fs.existsSync(file)) {
      out.push(`${r.kind} ${r.name}: no file ${file}`);
      continue;
    }
    const f = fileFacts(file);
    const want = { size: f.size, sha256: f.sha256, duration: Math.round(f.durationSeconds * 100) / 100 };
    const got = { size: Number(r.size_bytes), sha256: r.sha256, duration: Number(r.duration_seconds) };
    if (JSON.stringify(want) !== JSON.stringify(got)) out.push(`${r.kind} ${r.name}: stored ${JSON.stringify(got)} final ${JSON.stringify(want)}`);
  }
  return out;
}

export interface QueueLogEntry {
  at: number;
  callid: string;
  queue: string;
  agent: string;
  event: string;
  data: string[];
}

/** Asterisk's own record of queue calls (queue_log): what a reconciliation must agree with. */
export function queueLog(h: RealHarness, callid?: string): QueueLogEntry[] {
  const file = path.join(h.ast.plan.logDir, 'queue_log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [at, cid, queue, agent, event, ...data] = l.split('|');
      return { at: Number(at), callid: cid, queue, agent, event, data };
    })
    .filter((e) => !callid || e.callid === callid);
}
