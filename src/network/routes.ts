import { Request } from 'express';
import { Knex } from 'knex';
import { Api } from '../http/api';
import { z } from '../http/zod';
import { AppError, notFound } from '../http/errors';
import { Role } from '../auth/roles';
import { CENTRE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './signing';
import { DownTicket, Fact } from './facts';
import { FactReceiver } from './receiver';

const TAGS = ['network'];
const VIEWERS: Role[] = ['supervisor', 'admin', 'auditor'];
const CODE = z.string().regex(/^[A-Z][A-Z0-9]{1,7}$/);

const Snapshot = z.object({ no: z.string().max(32), status: z.string().max(24), channel: z.string().max(32), category: z.string().max(24), domain: z.string().max(48), content: z.string().max(20_000), createdAt: z.string().datetime(), updatedAt: z.string().datetime() }).passthrough();
const FactBody = z.object({
  facts: z
    .array(
      z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('ticket_event'), factId: z.string().min(1).max(96), ticketNo: z.string().min(1).max(32), seq: z.number().int().positive(), occurredAt: z.string().datetime(), event: z.object({ event: z.string().max(32) }).passthrough(), ticket: Snapshot }).passthrough(),
        z.object({ kind: z.literal('call'), factId: z.string().min(1).max(96), occurredAt: z.string().datetime(), call: z.record(z.unknown()) }).passthrough(),
      ]),
    )
    .max(1000),
});
const ApplyResultSchema = z.object({ applied: z.array(z.string()), duplicates: z.array(z.string()), deferred: z.array(z.string()) }).openapi('NetworkApplyResult');
const Heartbeat = z.object({ backlog: z.number().int().min(0), oldestPendingSeconds: z.number().min(0).nullable(), live: z.unknown() });
const DownBody = z.object({ centre: CODE, no: z.string().min(1).max(32), ticket: Snapshot, reason: z.string().max(4000).nullable() });

export const CentreView = z
  .object({
    code: z.string(), name: z.string(), lastSeenAt: z.string().nullable(), lastFactAt: z.string().nullable(),
    lagSeconds: z.number().nullable().openapi({ description: 'receipt − occurrence of the last fact applied (s)' }),
    backlog: z.number().nullable().openapi({ description: 'facts the county has not delivered yet, by its last heartbeat' }),
    oldestPendingSeconds: z.number().nullable(), live: z.unknown(), tickets: z.object({ total: z.number(), open: z.number() }),
  })
  .openapi('NetworkCentre');
export const NetTicket = z
  .object({ centre: z.string(), no: z.string(), status: z.string(), category: z.string().nullable(), domain: z.string().nullable(), content: z.string().nullable(), mainUnit: z.string().nullable(), originNo: z.string().nullable(), lastSeq: z.number(), createdAt: z.string(), updatedAt: z.string() })
  .openapi('NetworkTicket');

export const NetTicketDetail = NetTicket.extend({ timeline: z.array(z.object({ seq: z.number(), event: z.string(), occurredAt: z.string(), receivedAt: z.string(), actor: z.string().nullable(), reason: z.string().nullable() })) }).openapi('NetworkTicketDetail');

export interface NetworkRouteDeps {
  knex: Knex;
  role: 'city' | 'county';
  /** City: a county's HMAC key; county: the key shared with the city (any sender code). */
  keyOf: (centre: string) => string | null;
  receiver: FactReceiver | null;
  /** County: take a ticket the city sent down; answers the local number. */
  takeDown: ((d: DownTicket) => Promise<{ no: string; duplicate: boolean }>) | null;
  centreName: (code: string) => string;
}

/** A request from another centre, or 401 `network.bad_signature` (nothing of it is applied). */
function signedBy(d: NetworkRouteDeps, req: Request): string {
  const centre = String(req.header(CENTRE_HEADER) ?? '');
  const key = CODE.safeParse(centre).success ? d.keyOf(centre) : null;
  const body = Buffer.from(JSON.stringify(req.body ?? {}));
  if (!key || !verifySignature(key, centre, req.header(TIMESTAMP_HEADER), req.header(SIGNATURE_HEADER), body)) {
    throw new AppError(401, 'network.bad_signature', '网络推送签名无效或已过期', { centre: centre || null });
  }
  return centre;
}

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

/**
 * The network's HTTP face. Between centres: facts up, heartbeats up, tickets down, each signed
 * (HMAC per centre). For the city's people: every county's live queues, backlog, lag and tickets,
 * read only from what the counties pushed (never from a county's database).
 */
export function registerNetworkRoutes(api: Api, d: NetworkRouteDeps) {
  if (d.role === 'city') {
    api.route({
      method: 'post', path: '/api/network/facts', summary: 'A county pushes facts (第二十五条); signed; each applied exactly once and in order per ticket', tags: TAGS,
      roles: 'public', body: FactBody, response: ApplyResultSchema, errors: { 401: 'Bad or stale signature' },
      handler: async ({ req, body }) => d.receiver!.apply(signedBy(d, req), body.facts as unknown as Fact[]),
    });
    api.route({
      method: 'post', path: '/api/network/heartbeat', summary: 'A county\'s backlog and live queues, every few seconds; signed', tags: TAGS,
      roles: 'public', body: Heartbeat, response: z.object({ ok: z.boolean() }), errors: { 401: 'Bad or stale signature' },
      handler: async ({ req, body }) => {
        await d.receiver!.heartbeat(signedBy(d, req), body);
        return { ok: true };
      },
    });
    api.route({
      method: 'get', path: '/api/network/centres', summary: 'Every county as pushed: last seen, lag, backlog, live queues, ticket counts', tags: TAGS,
      roles: VIEWERS, response: z.array(CentreView),
      handler: async () => {
        const rows = (await d.knex('network_centres').orderBy('code')) as Array<Record<string, unknown>>;
        const counts = (await d.knex('network_tickets').select('centre').count({ total: '*' }).select(d.knex.raw("count(*) filter (where status not in ('closed','not_accepted','withdrawn','merged')) as open")).groupBy('centre')) as Array<{ centre: string; total: string; open: string }>;
        return rows.map((r) => {
          const c = counts.find((x) => x.centre === r.code);
          return {
            code: String(r.code), name: d.centreName(String(r.code)), lastSeenAt: iso(r.last_seen_at), lastFactAt: iso(r.last_fact_at),
            lagSeconds: r.last_lag_seconds === null ? null : Number(r.last_lag_seconds), backlog: r.backlog === null ? null : Number(r.backlog),
            oldestPendingSeconds: r.oldest_pending_seconds === null ? null : Number(r.oldest_pending_seconds), live: r.live ?? null,
            tickets: { total: Number(c?.total ?? 0), open: Number(c?.open ?? 0) },
          };
        });
      },
    });
    api.route({
      method: 'get', path: '/api/network/tickets', summary: 'County tickets as pushed, newest first', tags: TAGS, roles: VIEWERS,
      query: z.object({ centre: CODE.optional(), status: z.string().max(24).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
      response: z.array(NetTicket),
      handler: async ({ query }) => {
        const q = d.knex('network_tickets').orderBy('updated_at', 'desc').limit(query.limit);
        if (query.centre) q.where({ centre: query.centre });
        if (query.status) q.where({ status: query.status });
        return ((await q) as Array<Record<string, unknown>>).map(netTicket);
      },
    });
    api.route({
      method: 'get', path: '/api/network/tickets/:centre/:no', summary: 'One county ticket with its timeline of pushed facts, in order', tags: TAGS, roles: VIEWERS,
      params: z.object({ centre: CODE, no: z.string().min(1).max(32) }),
      response: NetTicketDetail,
      errors: { 404: 'No such county ticket' },
      handler: async ({ params }) => {
        const t = await d.knex('network_tickets').where({ centre: params.centre, no: params.no }).first();
        if (!t) throw notFound('network.ticket_not_found', `未收到 ${params.centre} 的工单 ${params.no}`, params);
        const facts = (await d.knex('network_facts').where({ centre: params.centre, ticket_no: params.no }).orderBy('seq')) as Array<Record<string, unknown>>;
        return {
          ...netTicket(t),
          timeline: facts.map((f) => {
            const p = (typeof f.payload === 'string' ? JSON.parse(f.payload) : f.payload) as { event: { event: string; actor?: string; reason?: string | null } };
            return { seq: Number(f.seq), event: p.event.event, occurredAt: iso(f.occurred_at)!, receivedAt: iso(f.received_at)!, actor: p.event.actor ?? null, reason: p.event.reason ?? null };
          }),
        };
      },
    });
  } else {
    api.route({
      method: 'post', path: '/api/network/tickets', summary: 'The city sends a ticket down (工单流转); signed; taken once whatever the retries', tags: TAGS,
      roles: 'public', body: DownBody, status: 201, response: z.object({ no: z.string(), duplicate: z.boolean() }), errors: { 401: 'Bad or stale signature' },
      handler: async ({ req, body }) => {
        signedBy(d, req);
        return d.takeDown!(body as unknown as DownTicket);
      },
    });
  }
}

function netTicket(t: Record<string, unknown>) {
  return {
    centre: String(t.centre), no: String(t.no), status: String(t.status), category: (t.category as string) ?? null, domain: (t.domain as string) ?? null,
    content: (t.content as string) ?? null, mainUnit: (t.main_unit as string) ?? null, originNo: (t.origin_no as string) ?? null, lastSeq: Number(t.last_seq),
    createdAt: iso(t.created_at)!, updatedAt: iso(t.updated_at)!,
  };
}
