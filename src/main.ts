import { loadConfig, ConfigError } from './config/load';
import { createLogger } from './logging/logger';
import { startService, StartupError } from './app/service';
import { DEMO_PASSWORD, DEMO_USERS } from './app/demo';

/** Entry point of `npm start`: validate configuration, start, print where to go, stop cleanly on SIGTERM/SIGINT. */
async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ level: config.logLevel });
  let service;
  try {
    service = await startService(config, log);
  } catch (err) {
    if (err instanceof StartupError) {
      process.stderr.write(err.message + '\n');
      process.exit(3);
    }
    throw err;
  }
  const base = `http://localhost:${service.port}`;
  const lines = [
    '',
    `12345 hotline service listening on ${base}`,
    `  open:      ${base}/   (login; each role lands on its workbench: /operator, /unit, /supervisor, /admin, /audit)`,
    `  health:    ${base}/healthz   readiness: ${base}/readyz   metrics: ${base}/metrics`,
    `  API docs:  ${base}/openapi.json`,
    `  live feed: ws://localhost:${service.port}/ws?token=<token from POST /api/auth/login>`,
  ];
  if (config.demoMode) {
    // Only the demo accounts that exist (none are made on a database that already had users).
    const present = (await service.ctx.knex('users').whereIn('username', DEMO_USERS.map((u) => u.username)).pluck('username')) as string[];
    if (present.length) lines.push(`  demo mode: log in as any of ${DEMO_USERS.map((u) => u.username).filter((u) => present.includes(u)).join(', ')} with password ${DEMO_PASSWORD} (unless changed since)`);
    else lines.push('  demo mode: no demo accounts (this database already had users); create one with `npm run admin -- create-user`');
  }
  process.stdout.write(lines.join('\n') + '\n\n');

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('graceful shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    service
      .stop()
      .then(() => {
        log.info('stopped');
        process.exit(0);
      })
      .catch((err) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
  // `npm start` execs this process, so npm forwards its signals here. Should the launcher die without
  // a signal reaching us (SIGKILL, a closed terminal), we are re-parented: stop too, rather than keep
  // serving (and holding the embedded database) with nobody to stop us.
  const parent = process.ppid;
  if (process.env.npm_lifecycle_event) {
    setInterval(() => {
      if (process.ppid !== parent) shutdown('parent exited');
    }, 1000).unref();
  }
}

void main();
