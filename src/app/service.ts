import http from 'node:http';
import { AddressInfo } from 'node:net';
import { AppConfig } from '../config/load';
import { Logger } from '../logging/logger';
import { openDatabase, migrateLatest, pingDatabase, DbHandle } from '../db/knex';
import { DataDirBusyError } from '../db/data-dir-lock';
import { LiveStore } from '../live/store';
import { MemoryLiveStore } from '../live/memory-store';
import { RedisLiveStore } from '../live/redis-store';
import { LeaderElector } from '../live/leader';
import { WsGateway } from '../live/ws-gateway';
import { Api } from '../http/api';
import { MAX_HEADER_BYTES, answerClientErrors, createHttpApp } from '../http/app';
import { AuditStore } from '../audit/store';
import { registerAuditRoutes } from '../audit/routes';
import { UserStore } from '../auth/store';
import { AuthService } from '../auth/service';
import { bearerToken, registerAuthRoutes } from '../auth/routes';
import { Readiness } from '../health/readiness';
import { createMetricsRegistry, HttpMetrics } from '../health/metrics';
import { registerHealthRoutes } from '../health/routes';
import { Feature, ServiceContext } from './context';
import { allFeatures } from './features';
import { ensureDemoUsers } from './demo';

export interface Service {
  ctx: ServiceContext;
  server: http.Server;
  port: number;
  db: DbHandle;
  stop(): Promise<void>;
}

export class StartupError extends Error {}

/**
 * The one wiring module: builds every dependency from the configuration, passes them through
 * constructors, mounts the features and listens. Tests call it with their own config (port 0,
 * their own database and Redis prefix); main.ts calls it with the environment's.
 */
export async function startService(config: AppConfig, log: Logger, opts: { features?: Feature[] } = {}): Promise<Service> {
  const startedAt = new Date();
  let db: DbHandle;
  try {
    db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, noTemplate: config.dbTemplate === 'off', template: config.dbTemplate === 'built-in' || config.dbTemplate === 'off' ? undefined : config.dbTemplate, pgliteSharedBuffers: config.pgliteSharedBuffers });
  } catch (err) {
    if (err instanceof DataDirBusyError) throw new StartupError(err.message);
    throw err;
  }
  try {
    await pingDatabase(db.knex);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw new StartupError(`Cannot reach the database (${config.databaseUrl ? 'DATABASE_URL=' + db.where : 'embedded at ' + db.where}): ${(err as Error).message}`);
  }
  const ran = await migrateLatest(db.knex);
  log.info({ database: db.kind, where: db.where, migrationsRun: ran.length }, 'database ready');

  let live: LiveStore;
  if (config.redisUrl) {
    try {
      live = await RedisLiveStore.connect(config.redisUrl, config.redisPrefix, log);
    } catch (err) {
      await db.destroy();
      throw new StartupError(`Cannot reach Redis (REDIS_URL): ${(err as Error).message}`);
    }
    log.info({ prefix: config.redisPrefix }, 'live state on Redis');
  } else {
    live = new MemoryLiveStore();
    log.warn('REDIS_URL is not set: live state, pub/sub and the leader lock are in-process (single instance only)');
  }

  const metrics = createMetricsRegistry();
  const readiness = new Readiness();
  const audit = new AuditStore(db.knex);
  const auth = new AuthService(new UserStore(db.knex), audit, live, log.child({ component: 'auth' }), config.tokenTtlHours);
  const api = new Api(async (req) => {
    const token = bearerToken(req);
    return token ? auth.authenticate(token) : null;
  });
  const ws = new WsGateway(live, (t) => auth.authenticate(t), log.child({ component: 'ws' }));
  const leader = new LeaderElector(live, 'hotline-leader', log.child({ component: 'leader' }));
  const ctx: ServiceContext = { config, log, knex: db.knex, live, api, audit, auth, readiness, metrics, ws, leader, services: new Map() };

  readiness.register('database', async () => {
    await pingDatabase(db.knex);
    return { ok: true, state: 'connected', details: { kind: db.kind } };
  });
  readiness.register('live', async () => {
    await live.ping();
    return { ok: true, state: 'connected', details: { kind: live.kind } };
  });

  const openapi = () => api.openApiDocument({ title: '12345 hotline service', version: '0.1.0', description: '12345 政务服务便民热线 backend' });
  registerHealthRoutes(api, { readiness, metrics, openapi, startedAt });
  registerAuthRoutes(api, auth);
  registerAuditRoutes(api, audit);

  const features = opts.features ?? allFeatures();
  for (const f of features) await f.register(ctx);

  if (config.demoMode) await ensureDemoUsers(auth, log, config.centreCode);

  const app = createHttpApp({ api, log, metrics: new HttpMetrics(metrics) });
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app);
  answerClientErrors(server, log);
  ws.attach(server);
  await ws.start();
  await auth.start();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  }).catch(async (err) => {
    await live.close();
    await db.destroy();
    throw new StartupError(`Cannot listen on ${config.host}:${config.port} (PORT): ${(err as Error).message}`);
  });
  const port = (server.address() as AddressInfo).port;
  await leader.start();
  const started: Feature[] = [];
  try {
    for (const f of features) {
      if (f.start) await f.start();
      started.push(f);
    }
  } catch (err) {
    // A feature that cannot start leaves nothing open behind it.
    for (const f of started.reverse()) await f.stop?.().catch(() => undefined);
    await leader.stop();
    await ws.stop();
    await auth.stop();
    server.close();
    server.closeAllConnections();
    await live.close();
    await db.destroy();
    throw new StartupError(`Cannot start ${features[started.length]?.name ?? 'a feature'}: ${(err as Error).message}`);
  }

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      server.close();
      await ws.stop();
      await auth.stop();
      for (const f of started.reverse()) {
        try {
          if (f.stop) await f.stop();
        } catch (err) {
          log.warn({ feature: f.name, err: (err as Error).message }, 'feature stop failed');
        }
      }
      await leader.stop();
      server.closeAllConnections();
      await live.close();
      await db.destroy();
    })();
    return stopping;
  };
  return { ctx, server, port, db, stop };
}
