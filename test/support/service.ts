import { loadConfig } from '../../src/config/load';
import { silentLogger, Logger } from '../../src/logging/logger';
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
export type DbKind = 'postgres' | 'pglite';

export async function startTestService(opts: { features?: Feature[]; env?: Record<string, string>; redis?: boolean; log?: Logger; db?: TestDatabase; dbKind?: DbKind } = {}): Promise<TestService> {
  // pglite: the embedded database a bare `npm start` uses (DATABASE_URL unset), in memory, so the
  // same flow can be proved on both engines.
  const embedded = opts.dbKind === 'pglite';
  let db: TestDatabase | undefined = embedded ? undefined : (opts.db ?? (await createTestDatabase()));
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    ...(db ? { DATABASE_URL: db.url } : { DATA_DIR: 'memory' }),
    DEMO_MODE: 'false',
    LOG_LEVEL: 'silent',
    ...(opts.redis === false ? {} : { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: testRedisPrefix('svc') }),
    ...opts.env,
  };
  const config = loadConfig(env);
  const service = await startService(config, opts.log ?? silentLogger(), { features: opts.features ?? [] });
  if (!db) {
    const knex = service.db.knex;
    db = { knex, url: 'pglite:memory', name: 'memory', destroy: async () => undefined };
  }
  const testDb = db;
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
    db: testDb,
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
      if (!opts.db) await testDb.destroy();
    },
  };
}
