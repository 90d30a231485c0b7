import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load';
import { silentLogger, createLogger, Logger } from '../../src/logging/logger';
import { startService, Service } from '../../src/app/service';
import { Feature } from '../../src/app/context';
import { Role } from '../../src/auth/roles';
import { createTestDatabase, TestDatabase } from './db';
import { TEST_REDIS_URL, testRedisPrefix } from './redis';

export interface TestService {
  service: Service;
  baseUrl: string;
  db: TestDatabase;
  /** Create a user with these roles (and optional fields) and return a bearer token for it. */
  userToken(roles: Role[], extra?: { username?: string; unitCode?: string; centre?: string; extension?: string }): Promise<string>;
  /** fetch() against the service with an optional token; JSON bodies are encoded. */
  http(method: string, path: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

let counter = 0;

/**
 * The whole service on an ephemeral port, on a database of its own on the real PostgreSQL and a
 * Redis key prefix of its own. Pass the features under test (default: none beyond the foundation).
 */
/** The two databases every flow runs on: the embedded default (PGlite) and a real PostgreSQL server. */
export type DatabaseKind = 'postgres' | 'pglite';
export const DATABASE_KINDS: DatabaseKind[] = ['postgres', 'pglite'];
export type DbKind = DatabaseKind;

export async function startTestService(
  opts: { features?: Feature[]; env?: Record<string, string>; redis?: boolean; log?: Logger; db?: TestDatabase; database?: DatabaseKind; dbKind?: DatabaseKind; dataDir?: string } = {},
): Promise<TestService> {
  // The embedded database is opened by the service itself, under a temporary DATA_DIR; tests reach
  // it through the service's own knex (a second opener of the same directory is refused).
  const embedded = (opts.database ?? opts.dbKind) === 'pglite' && !opts.db;
  // A caller-owned dataDir survives stop() (a restart on the same embedded data); ours is removed.
  const ownDir = embedded && !opts.dataDir;
  const dataDir = embedded ? (opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hl-pglite-'))) : undefined;
  let db: TestDatabase = opts.db ?? (embedded ? (undefined as unknown as TestDatabase) : await createTestDatabase());
  // On PostgreSQL there is no data directory of the test's own: attachments go to a temporary one.
  const attachmentsDir = embedded || opts.env?.ATTACHMENTS_DIR ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'hl-attach-'));
  // Nor for the knowledge index snapshot (it would land in the working directory's ./data).
  const indexDir = embedded || opts.env?.KNOWLEDGE_INDEX_DIR ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'hl-kindex-'));
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    ...(attachmentsDir ? { ATTACHMENTS_DIR: attachmentsDir } : {}),
    ...(indexDir ? { KNOWLEDGE_INDEX_DIR: indexDir } : {}),
    PORT: '0',
    HOST: '127.0.0.1',
    ...(embedded ? { DATA_DIR: dataDir! } : { DATABASE_URL: db.url }),
    DEMO_MODE: 'false',
    LOG_LEVEL: 'silent',
    ...(opts.redis === false ? {} : { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: testRedisPrefix('svc') }),
    ...opts.env,
  };
  const config = loadConfig(env);
  let service: Service;
  try {
    // TEST_LOG=info (or warn, debug) writes the services' logs to stdout while debugging a test.
    service = await startService(config, opts.log ?? (process.env.TEST_LOG ? createLogger({ level: process.env.TEST_LOG }) : silentLogger()), { features: opts.features ?? [] });
  } catch (err) {
    if (ownDir) fs.rmSync(dataDir!, { recursive: true, force: true });
    else if (!embedded && !opts.db) await db.destroy();
    for (const d of [attachmentsDir, indexDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
    throw err;
  }
  if (embedded) {
    db = {
      knex: service.ctx.knex,
      url: `pglite:${dataDir}`,
      name: 'pglite',
      destroy: async () => {
        if (ownDir) fs.rmSync(dataDir!, { recursive: true, force: true });
      },
    };
  }
  const baseUrl = `http://127.0.0.1:${service.port}`;
  const http: TestService['http'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    }
    const res = await fetch(baseUrl + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep text */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  const password = 'test-password-123';
  return {
    service,
    baseUrl,
    get db() {
      return db;
    },
    http,
    async userToken(roles, extra = {}) {
      const username = extra.username ?? `u${++counter}_${roles.join('_')}`.slice(0, 60);
      await service.ctx.auth.createUser(
        { username, displayName: `测试 ${username}`, password, roles, unitCode: extra.unitCode ?? (roles.includes('unit_handler') ? 'TEST-UNIT' : null), centre: extra.centre ?? 'QY', extension: extra.extension ?? null },
        { username: 'test' },
      );
      const r = await service.ctx.auth.login(username, password);
      return r.token;
    },
    async stop() {
      await service.stop();
      if (!opts.db) await db.destroy();
      for (const d of [attachmentsDir, indexDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}
