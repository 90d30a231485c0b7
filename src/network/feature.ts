import type PgBoss from 'pg-boss';
import client from 'prom-client';
import { Feature, ServiceContext } from '../app/context';
import { CALLS_SERVICE, CallsInternals } from '../calls/feature';
import { Wallboard } from '../calls/wallboard';
import { QINGYANG_CENTRES } from '../calls/centres';
import { TICKETS_SERVICE_KEY, TicketsApi } from '../tickets/feature';
import { Actor } from '../tickets/service';
import { Fact, DownTicket, callFact, callbackFact } from './facts';
import { FactReceiver } from './receiver';
import { Relay, DeliveryResult } from './relay';
import { NetworkTicketOutbox, Peer, QUEUE_OPTIONS, UP_QUEUE, downQueue, enqueue } from './outbox';
import { registerNetworkRoutes } from './routes';
import { CityViews } from './views';
import { signedHeaders } from './signing';

const HEARTBEAT_MS = 5_000;

/** A county's queues for the city: the figures only, never the waiting callers' numbers (第二十七条). */
const liveQueues = (boards: Awaited<ReturnType<typeof Wallboard.readSnapshot>>) => boards.map(({ waiting, ...q }) => ({ ...q, waitingCount: waiting.length }));
const REQUEST_TIMEOUT_MS = 10_000;
/** Facts per upward request, by size: well under the receiver's 2 MB body limit. */
const MAX_BATCH_BYTES = 1_000_000;

/** The other centre answered, and said no (as opposed to not answering at all). */
class Refused extends Error {}

export interface NetworkInternals {
  boss: PgBoss;
  relays: Relay[];
  /** Facts (or tickets) queued and not yet delivered, per queue. */
  backlog(queue?: string): Promise<number>;
  receiver: FactReceiver | null;
  ticketOutbox: NetworkTicketOutbox;
}

export interface NetworkFeature extends Feature {
  internals?: NetworkInternals;
}

/**
 * The city–county hotline network (第四、十九、二十五条). One codebase, deployed as the city or as a
 * county (NETWORK_ROLE): a county queues every ticket event and ended call for the city in the same
 * transaction as the fact (pg-boss on PostgreSQL), delivers them signed, at least once, and reports its
 * backlog and live queues by heartbeat; the city applies each fact exactly once and in order, shows
 * every county from what was pushed, and sends tickets dispatched to a county down to its platform.
 */
export function createNetworkFeature(opts: { heartbeatMs?: number } = {}): NetworkFeature {
  let boss: PgBoss | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  const relays: Relay[] = [];
  const feature: NetworkFeature = {
    name: 'network',
    async register(ctx: ServiceContext) {
      const c = ctx.config;
      if (c.networkRole === 'standalone') return;
      const role = c.networkRole;
      if (!c.databaseUrl) throw new Error('NETWORK_ROLE=' + role + ' needs PostgreSQL (DATABASE_URL): the network queues facts with pg-boss');
      if (role === 'county' && (!c.networkParentUrl || !c.networkKey)) throw new Error('NETWORK_ROLE=county needs NETWORK_PARENT_URL and NETWORK_KEY');
      if (role === 'city' && !c.networkPeers?.length) throw new Error('NETWORK_ROLE=city needs NETWORK_PEERS');
      const log = ctx.log.child({ component: 'network', role, centre: c.centreCode });
      const peers: Peer[] = c.networkPeers ?? [];
      const tickets = () => (ctx.services.get(TICKETS_SERVICE_KEY) as TicketsApi | undefined) ?? null;

      // pg-boss (and node-postgres with it) only here: a standalone centre never loads it (issue #13, memory).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const PgBossClass = require('pg-boss') as typeof PgBoss;
      boss = new PgBossClass({ connectionString: c.databaseUrl, schema: 'pgboss', max: 3, application_name: `hotline-network-${c.centreCode}`, schedule: false });
      boss.on('error', (err) => log.warn({ err: (err as Error).message }, 'pg-boss error'));
      await boss.start();
      const queues = role === 'county' ? [UP_QUEUE] : peers.map((p) => downQueue(p.code));
      for (const q of queues) await boss.createQueue(q, { name: q, retryLimit: QUEUE_OPTIONS.retryLimit, retryDelay: QUEUE_OPTIONS.retryDelay, retryBackoff: false, retentionMinutes: QUEUE_OPTIONS.retentionDays * 1440, expireInSeconds: QUEUE_OPTIONS.expireInSeconds });
      const b = boss;
      const kick = (queue: string) => setImmediate(() => relays.find((r) => r.queue === queue)?.kick());

      const t = tickets();
      const ticketOutbox = new NetworkTicketOutbox(b, role, c.centreCode, peers, kick);
      if (t) t.setOutbox(ticketOutbox);
      const calls = ctx.services.get(CALLS_SERVICE) as CallsInternals | undefined;
      if (role === 'county' && calls) calls.store.setOutbox(async (trx, callId) => { await enqueue(b, trx, UP_QUEUE, [{ kind: 'call_ref', callId }]); kick(UP_QUEUE); });
      if (role === 'county' && calls) calls.missed.setOutbox(async (trx, row) => { await enqueue(b, trx, UP_QUEUE, [callbackFact(c.centreCode, row)]); kick(UP_QUEUE); });

      const post = async (url: string, key: string, body: unknown) => {
        const text = JSON.stringify(body);
        const res = await fetch(url, { method: 'POST', headers: signedHeaders(key, c.centreCode, text), body: text, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        const answer = (await res.json().catch(() => null)) as Record<string, unknown> | null;
        if (!res.ok) throw new Refused(`${url} answered ${res.status} ${JSON.stringify(answer?.error ?? answer)}`);
        return answer;
      };
      // Undelivered = not completed nor cancelled (a job pg-boss gave up on still counts: it was never delivered).
      const backlog = async (queue = queues[0]!) => Number(((await ctx.knex.raw(`select count(*) as n from pgboss.job where name = ? and state in ('created', 'retry', 'active', 'failed')`, [queue])) as { rows: Array<{ n: string }> }).rows[0]!.n);
      const oldestPending = async (queue: string) => {
        const r = (await ctx.knex.raw(`select extract(epoch from now() - min(created_on)) as s from pgboss.job where name = ? and state in ('created', 'retry', 'active', 'failed')`, [queue])) as { rows: Array<{ s: string | null }> };
        return r.rows[0]!.s === null ? null : Number(r.rows[0]!.s);
      };

      let receiver: FactReceiver | null = null;
      if (role === 'county') {
        const parent = c.networkParentUrl!.replace(/\/$/, '');
        relays.push(new Relay(b, UP_QUEUE, async (jobs): Promise<DeliveryResult> => {
          const byFact = new Map<string, string>();
          const facts: Fact[] = [];
          const done: string[] = [];
          const later: string[] = [];
          let bytes = 0;
          for (const j of jobs) {
            const data = j.data as Fact | { kind: 'call_ref'; callId: number };
            const fact = data.kind === 'call_ref' ? await callFact(ctx.knex, c.centreCode, data.callId) : data;
            if (!fact) { done.push(j.id); continue; }
            const size = Buffer.byteLength(JSON.stringify(fact));
            // Long tickets make big facts: what does not fit this request goes in the next one.
            if (facts.length && bytes + size > MAX_BATCH_BYTES) { later.push(j.id); continue; }
            bytes += size;
            byFact.set(fact.factId, j.id);
            facts.push(fact);
          }
          const r = (await post(`${parent}/api/network/facts`, c.networkKey!, { facts })) as { applied: string[]; duplicates: string[]; deferred: string[] };
          return { done: [...done, ...[...r.applied, ...r.duplicates].map((f) => byFact.get(f)!).filter(Boolean)], retry: [...later, ...r.deferred.map((f) => byFact.get(f)!).filter(Boolean)] };
        }, log));
        heartbeat = setInterval(() => {
          void (async () => post(`${parent}/api/network/heartbeat`, c.networkKey!, { backlog: await backlog(UP_QUEUE), oldestPendingSeconds: await oldestPending(UP_QUEUE), live: { queues: liveQueues(await Wallboard.readSnapshot(ctx.live)) } }))().catch(() => undefined);
        }, opts.heartbeatMs ?? HEARTBEAT_MS);
        heartbeat.unref();
      } else {
        receiver = new FactReceiver(ctx.knex, tickets, c.centreCode, (centre) => peers.find((p) => p.code === centre)?.unitCode ?? null, log);
        for (const p of peers) {
          relays.push(new Relay(b, downQueue(p.code), async (jobs) => {
            const done: string[] = [];
            const retry: string[] = [];
            // One by one: a ticket the county has is answered as such, so a retry never makes a second one.
            // A ticket the county refuses is offered again on its own and holds up no other; when the
            // county does not answer at all, the rest wait for the next pass.
            for (const [i, j] of jobs.entries()) {
              try {
                await post(`${p.url.replace(/\/$/, '')}/api/network/tickets`, p.key, j.data);
                done.push(j.id);
              } catch (err) {
                if (!(err instanceof Refused)) {
                  if (!done.length) throw err;
                  retry.push(...jobs.slice(i).map((x) => x.id));
                  break;
                }
                log.error({ err: err.message, centre: p.code, cityNo: (j.data as DownTicket).no }, 'the county refused a ticket sent down; it is offered again');
                retry.push(j.id);
              }
            }
            return { done, retry };
          }, log));
        }
      }

      const takeDown = async (d: DownTicket) => {
        const api = tickets()!;
        const existing = await api.byOrigin(d.centre, d.no);
        if (existing) return { no: existing, duplicate: true };
        const s = d.ticket as DownTicket['ticket'];
        // The county platform takes the matter on as its hotline (受理); its own operators dispatch it locally.
        const actor: Actor = { userId: null, username: `network:${d.centre}`, roles: ['operator'], unitCode: null, centre: c.centreCode };
        try {
          const created = await api.createFull({
            channel: s.channel as never, callerName: s.callerName, callerPhone: s.callerPhone, confidential: s.confidential, content: s.content, category: s.category as never,
            domain: s.domain as never, subdomain: s.subdomain, matterPlace: s.matterPlace, emergency: s.emergency, accept: true, origin: { centre: d.centre, no: d.no },
          }, actor);
          log.info({ ticketNo: created.no, cityNo: d.no }, 'ticket received from the city');
          return { no: created.no, duplicate: false };
        } catch (err) {
          // Two deliveries racing: the origin is unique, the loser answers with the winner's number.
          const again = await api.byOrigin(d.centre, d.no);
          if (again) return { no: again, duplicate: true };
          throw err;
        }
      };
      const names = new Map(QINGYANG_CENTRES.map((x) => [x.code, x.name]));
      registerNetworkRoutes(ctx.api, {
        views: new CityViews(ctx.knex, (code) => names.get(code) ?? code), role, receiver, takeDown: role === 'county' ? takeDown : null,
        keyOf: (centre) => (role === 'county' ? c.networkKey! : peers.find((p) => p.code === centre)?.key ?? null),
      });

      new client.Gauge({
        name: 'hotline_network_lag_seconds', help: 'City: receipt minus occurrence of the last fact applied per county; county: age of the oldest undelivered fact', labelNames: ['centre'], registers: [ctx.metrics],
        async collect() {
          this.reset();
          if (role === 'county') this.set({ centre: c.centreCode }, (await oldestPending(UP_QUEUE)) ?? 0);
          else for (const r of (await ctx.knex('network_centres').select('code', 'last_lag_seconds')) as Array<{ code: string; last_lag_seconds: number | null }>) this.set({ centre: r.code }, Number(r.last_lag_seconds ?? 0));
        },
      });
      new client.Gauge({
        name: 'hotline_network_backlog', help: 'Facts or tickets queued for another centre and not yet delivered', labelNames: ['queue'], registers: [ctx.metrics],
        async collect() {
          this.reset();
          for (const q of queues) this.set({ queue: q }, await backlog(q));
        },
      });
      feature.internals = { boss: b, relays, backlog, receiver, ticketOutbox };
      log.info({ queues }, 'network on');
    },
    async start() {
      for (const r of relays) r.start();
    },
    async stop() {
      if (heartbeat) clearInterval(heartbeat);
      for (const r of relays) await r.stop();
      await boss?.stop({ graceful: true, wait: true, timeout: 5_000 }).catch(() => undefined);
    },
  };
  return feature;
}
