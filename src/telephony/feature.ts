import { AsteriskServer } from '../config/load';
import { Feature, ServiceContext } from '../app/context';
import { TelephonyHub } from './hub';
import { registerTelephonyMetrics } from './metrics';

export const TELEPHONY_SERVICE = 'telephony';
export const RECORDING_SOURCES_SERVICE = 'recordingSources';

export interface DemoPbxFactory {
  (ctx: ServiceContext): Promise<{ server: AsteriskServer; startTraffic(): void; stop(): Promise<void> }>;
}

/**
 * Connects the service to its Asterisk servers (ASTERISK_SERVERS), or in demo mode to the built-in
 * simulator, and reports every AMI/ARI link on /readyz and /metrics.
 */
export function createTelephonyFeature(opts: { demoPbx?: DemoPbxFactory } = {}): Feature {
  let hub: TelephonyHub | null = null;
  let demo: Awaited<ReturnType<DemoPbxFactory>> | null = null;
  return {
    name: 'telephony',
    async register(ctx) {
      let servers = ctx.config.asteriskServers;
      if (!servers && ctx.config.demoMode && opts.demoPbx) {
        demo = await opts.demoPbx(ctx);
        servers = [demo.server];
        ctx.log.info({ ami: demo.server.ami.port, ari: demo.server.ari.url }, 'demo mode: built-in Asterisk simulator running the project dialplan');
      }
      if (!servers) {
        ctx.log.warn('ASTERISK_SERVERS is not set: no telephony (tickets and knowledge still work)');
        ctx.readiness.register('asterisk', () => ({ ok: true, state: 'not_configured' }));
        return;
      }
      const h = new TelephonyHub(
        servers.map((s) => ({ id: s.id, ami: s.ami, ari: s.ari })),
        { logger: ctx.log.child({ component: 'telephony' }) },
      );
      hub = h;
      registerTelephonyMetrics(ctx.metrics, h);
      for (const s of servers) {
        for (const link of ['ami', 'ari'] as const) {
          ctx.readiness.register(`asterisk:${s.id}:${link}`, () => {
            const st = h.status().servers.find((x) => x.id === s.id)![link];
            return { ok: st.state === 'resynced', state: st.state, details: { since: st.since, reconnects: st.reconnects, lastError: st.lastError } };
          });
        }
      }
      ctx.services.set(TELEPHONY_SERVICE, h);
      ctx.services.set(RECORDING_SOURCES_SERVICE, servers.filter((s) => s.spoolDir).map((s) => ({ serverId: s.id, spoolDir: s.spoolDir!, queueLog: s.queueLog })));
    },
    async start() {
      hub?.start();
      demo?.startTraffic();
    },
    async stop() {
      await hub?.stop();
      await demo?.stop();
    },
  };
}
