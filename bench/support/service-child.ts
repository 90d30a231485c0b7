/**
 * One service instance of bench/calls-load.ts in a process of its own, as a scaled-out deployment
 * runs it (a shared event loop would measure one process, not two instances). The parent passes the
 * environment (database, Redis, Asterisk servers); this child starts the telephony and calls
 * features and answers over IPC:
 *   → { type: 'ready', port }                       once its Asterisk links have resynced;
 *   ← { type: 'token' }  → { type: 'token', token }  a supervisor's bearer token (created once);
 *   ← { type: 'idle' }   → { type: 'idle' }          after the call recorder has written what it received;
 *   ← { type: 'stop' }   → exits 0 after a clean stop.
 */
import { loadConfig } from '../../src/config/load';
import { startService } from '../../src/app/service';
import { createLogger } from '../../src/logging/logger';
import { createTelephonyFeature } from '../../src/telephony/feature';
import { createCallsFeature } from '../../src/calls/feature';

(async () => {
  const calls = createCallsFeature();
  const service = await startService(loadConfig(process.env), createLogger({ level: 'error' }), { features: [createTelephonyFeature(), calls] });
  const hub = service.ctx.services.get('telephony') as { whenResynced(ms: number): Promise<void> };
  await hub.whenResynced(15_000);
  process.send!({ type: 'ready', port: service.port });
  process.on('message', async (m: { type: string }) => {
    if (m.type === 'token') {
      await service.ctx.auth.createUser({ username: 'bench-sup', displayName: 'bench', password: 'bench-password-1', roles: ['supervisor'] }, { username: 'bench' }).catch(() => undefined);
      const { token } = await service.ctx.auth.login('bench-sup', 'bench-password-1');
      process.send!({ type: 'token', token });
    } else if (m.type === 'idle') {
      await calls.internals!.idle();
      process.send!({ type: 'idle' });
    } else if (m.type === 'stop') {
      await service.stop();
      process.exit(0);
    }
  });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
