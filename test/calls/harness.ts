import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { startSimulator, Simulator } from '../../src/simulator';
import { Feature } from '../../src/app/context';
import { silentLogger } from '../../src/logging/logger';
import { createTicketsFeature } from '../../src/tickets/feature';
import { LogSmsGateway } from '../../src/tickets/sms/log';
import { createTelephonyFeature } from '../../src/telephony/feature';
import { createCallsFeature, CallsInternals } from '../../src/calls/feature';
import { startTestService, TestService, DatabaseKind } from '../support/service';
import { createTestDatabase, TestDatabase } from '../support/db';
import { testRedisPrefix } from '../support/redis';

export const DIALPLAN = path.resolve(__dirname, '../../dialplan');

export interface CallHarness {
  sim: Simulator;
  db: TestDatabase;
  t: TestService;
  sms: LogSmsGateway;
  calls: CallsInternals;
  recordingsDir: string;
  redisPrefix: string;
  /** Start the service again on the same database, Redis prefix and simulator (a restart). */
  restart(): Promise<void>;
  /** Stop only the service (the simulator and its calls carry on). */
  stopService(): Promise<void>;
  startService(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole call path for a test: the simulator running the project's dialplan/ on ephemeral ports,
 * and the service (tickets + telephony + calls) on its own database and Redis prefix, connected to it
 * through the real AMI/ARI adapters.
 */
export async function startCallHarness(opts: { timeScale?: number; env?: Record<string, string>; database?: DatabaseKind; missingSounds?: string[]; extraFeatures?: () => Feature[]; redis?: boolean } = {}): Promise<CallHarness> {
  const sim = await startSimulator({ confDir: DIALPLAN, timeScale: opts.timeScale ?? 0.05, soundMs: 40, logger: silentLogger(), missingSounds: opts.missingSounds });
  // The embedded database lives in a directory the service opens on each (re)start; PostgreSQL in a database of its own.
  const embedded = opts.database === 'pglite';
  const dataDir = embedded ? fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-calls-pglite-')) : undefined;
  const pg = embedded ? undefined : await createTestDatabase();
  const redisPrefix = testRedisPrefix('calls');
  const recordingsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-rec-'));
  const sms = new LogSmsGateway(silentLogger());
  const servers = JSON.stringify([
    {
      id: 'qy',
      ami: { host: '127.0.0.1', port: sim.amiPort, username: 'hotline', password: 'hotline' },
      ari: { url: `http://127.0.0.1:${sim.ariPort}`, username: 'hotline', password: 'hotline', app: 'hotline' },
      spoolDir: sim.spoolDir,
      queueLog: sim.queueLogPath,
    },
  ]);
  const h: Partial<CallHarness> & { sim: Simulator } = { sim, sms, recordingsDir, redisPrefix };
  Object.defineProperty(h, 'db', { get: () => pg ?? h.t!.db, enumerable: true });
  const boot = async () => {
    const calls = createCallsFeature();
    h.t = await startTestService({
      db: pg,
      database: opts.database,
      dataDir,
      redis: opts.redis,
      features: [createTicketsFeature({ sms }), createTelephonyFeature(), calls, ...(opts.extraFeatures?.() ?? [])],
      env: { ASTERISK_SERVERS: servers, RECORDINGS_DIR: recordingsDir, REDIS_PREFIX: redisPrefix, WRAPUP_SECONDS: '1', ...opts.env },
    });
    await (h.t.service.ctx.services.get('telephony') as { whenResynced(ms: number): Promise<void> }).whenResynced(10_000);
    h.calls = calls.internals!;
  };
  await boot();
  h.stopService = async () => {
    await h.t!.service.stop();
  };
  h.startService = boot;
  h.restart = async () => {
    await h.stopService!();
    await boot();
  };
  h.stop = async () => {
    await h.t?.service.stop().catch(() => undefined);
    await sim.stop();
    await pg?.destroy();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(recordingsDir, { recursive: true, force: true });
  };
  return h as CallHarness;
}
