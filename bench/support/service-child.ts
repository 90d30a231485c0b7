/**
 * One service instance of bench/calls-load.ts in a process of its own, as a scaled-out deployment
 * runs it (a shared event loop would measure one process, not two instances). The parent passes the
 * environment (database, Redis, Asterisk servers); this child starts the telephony and calls
 * features and answers over IPC:
 *   → { type: 'ready', port }                       once its Asterisk links have resynced and the
 *                                                      post-resync work is done;
 *   ← { type: 'token' }  → { type: 'token', token }  a supervisor's bearer token (created once);
 *   ← { type: 'idle' }   → { type: 'idle' }          after the call recorder has written what it received;
 *   ← { type: 'cpu' }    → { type: 'cpu', ms, queries }  this process's CPU time so far (user + system)
 *                                                      and its database queries by statement;
 *   ← { type: 'stop' }   → exits 0 after a clean stop.
 */
import { loadConfig } from '../../src/config/load';
import { startService } from '../../src/app/service';
import { createLogger } from '../../src/logging/logger';
import { createTelephonyFeature } from '../../src/telephony/feature';
import { createCallsFeature } from '../../src/calls/feature';

(async () => {
  const calls = createCallsFeature();
  const service = await startService(loadConfig(process.env), createLogger({ level: (process.env.BENCH_LOG_LEVEL ?? 'error') as 'error' }), { features: [createTelephonyFeature(), calls] });
  // Database queries by statement (numbers and strings folded), for the queries-per-call figure.
  const queries = new Map<string, number>();
  service.ctx.knex.on('query', (q: { sql: string }) => {
    const k = q.sql.replace(/\$\d+|\?/g, '?').replace(/'[^']*'/g, "'…'").replace(/\b\d+\b/g, 'N').slice(0, 160);
    queries.set(k, (queries.get(k) ?? 0) + 1);
  });
  const hub = service.ctx.services.get('telephony') as { whenResynced(ms: number): Promise<void> };
  await hub.whenResynced(15_000);
  // The post-resync work (reconciliation from Asterisk's queue_log and spool) is done before the
  // measurement starts: a later round's leader otherwise rebuilds the earlier rounds' calls (same
  // simulator spool, fresh database) inside the measured window, and its figures count that too.
  await new Promise((r) => setImmediate(r));
  await calls.internals!.idle();
  process.send!({ type: 'ready', port: service.port });
  process.on('message', async (m: { type: string }) => {
    if (m.type === 'token') {
      await service.ctx.auth.createUser({ username: 'bench-sup', displayName: 'bench', password: 'bench-password-1', roles: ['supervisor'] }, { username: 'bench' }).catch(() => undefined);
      const { token } = await service.ctx.auth.login('bench-sup', 'bench-password-1');
      process.send!({ type: 'token', token });
    } else if (m.type === 'idle') {
      await calls.internals!.idle();
      process.send!({ type: 'idle' });
    } else if (m.type === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ type: 'cpu', ms: (u.user + u.system) / 1000, queries: Object.fromEntries(queries) });
    } else if (m.type === 'stop') {
      await service.stop();
      process.exit(0);
    }
  });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
