import { ServiceContext } from '../../app/context';
import { Logger } from '../../logging/logger';
import { TelephonyEvent, TelephonyHub } from '../../telephony';
import { CallStore } from '../call-store';
import { RecordingCollector } from '../recordings';
import { ConferenceService } from './conference';
import { EmergencyLinkage } from './emergency';
import { LineDirectory, OpenCheck } from './lines';
import { LinkageDeps, LinkageTickets, LiveCalls } from './live';
import { MonitoringService } from './monitoring';
import { LinkageServices, registerLinkageCommands, registerLinkageRoutes } from './routes';
import { TransferService } from './transfers';

export const LINKAGE_SERVICE = 'linkage';

export interface Linkage extends LinkageServices {
  /** Hand every telephony event in; relevant ones are applied in order. */
  handle(e: TelephonyEvent): void;
  idle(): Promise<void>;
  stop(): void;
}

const RELEVANT = new Set<TelephonyEvent['type']>(['VariableSet', 'ChannelCreated', 'ChannelStateChanged', 'ChannelHungUp', 'BridgeEntered', 'OriginateResult', 'Transfer']);

/** Office hours for office-hours lines: the tickets' working calendar when present, else Mon–Fri 08:30–17:30 (Asia/Shanghai). */
function openCheck(ctx: ServiceContext): OpenCheck {
  return (at) => {
    const t = ctx.services.get('tickets') as { clock?(): { workingMinutesBetween(a: Date, b: Date): number } } | undefined;
    if (t?.clock) return t.clock().workingMinutesBetween(at, new Date(at.getTime() + 60_000)) > 0;
    const local = new Date(at.getTime() + 8 * 3600_000);
    const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
    return local.getUTCDay() >= 1 && local.getUTCDay() <= 5 && minutes >= 510 && minutes < 1050;
  };
}

/**
 * Issue 5: one-key transfer, three-way calls with expert seats, emergency linkage and supervisor
 * monitoring, registered into the calls feature (routes, WebSocket commands, the `linkage` service).
 */
export async function registerLinkage(ctx: ServiceContext, p: { hub: TelephonyHub | null; store: CallStore; recordings: RecordingCollector; log: Logger; operatorRecalled?: LinkageDeps['operatorRecalled'] }): Promise<Linkage> {
  const lines = new LineDirectory(ctx.knex);
  const seeded = await lines.seed();
  if (seeded) p.log.info({ seeded }, 'line directory seeded');
  const deps: LinkageDeps = {
    knex: ctx.knex, hub: p.hub, store: p.store, recordings: p.recordings, lines, isOpen: openCheck(ctx), audit: ctx.audit, log: p.log.child({ component: 'linkage' }),
    tickets: () => (ctx.services.get('tickets') as LinkageTickets | undefined) ?? null,
    publish: (topic, event) => void ctx.ws.publish(topic, event).catch(() => undefined),
    operatorRecalled: p.operatorRecalled,
  };
  const live = new LiveCalls(deps);
  const transfers = new TransferService(deps, live);
  const conferences = new ConferenceService(deps, live);
  const monitoring = new MonitoringService(deps, live);
  const emergency = new EmergencyLinkage(deps, transfers, conferences);
  const services: LinkageServices = { lines, transfers, conferences, monitoring, emergency };
  registerLinkageRoutes(ctx.api, services);
  registerLinkageCommands(ctx.ws, services);

  // One chain: a target's ChannelCreated is written before its answer is looked at.
  let chain: Promise<void> = Promise.resolve();
  // Transfer attempts Asterisk never resolved end after a bounded time (issue 11 §5).
  const expiry = setInterval(() => {
    chain = chain.then(() => transfers.expire().then(() => undefined, (err) => deps.log.warn({ err: (err as Error).message }, 'transfer expiry failed')));
  }, 1000);
  expiry.unref();
  const linkage: Linkage = {
    ...services,
    handle(e) {
      if (!RELEVANT.has(e.type)) return;
      chain = chain.then(async () => {
        for (const s of [transfers, conferences, monitoring]) {
          await s.handle(e).catch((err) => deps.log.warn({ err: (err as Error).message, event: e.type }, 'linkage event failed'));
        }
      });
    },
    async idle() {
      let c: Promise<void>;
      do { c = chain; await c; } while (c !== chain);
    },
    stop() {
      clearInterval(expiry);
    },
  };
  ctx.services.set(LINKAGE_SERVICE, linkage);
  return linkage;
}
