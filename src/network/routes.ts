import { Request } from 'express';
import { Api } from '../http/api';
import { z } from '../http/zod';
import { AppError, notFound } from '../http/errors';
import { Role } from '../auth/roles';
import { CENTRE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './signing';
import { DownTicket, Fact } from './facts';
import { FactReceiver } from './receiver';
import { CityViews } from './views';

const TAGS = ['network'];
const VIEWERS: Role[] = ['supervisor', 'admin', 'auditor'];
const CODE = z.string().regex(/^[A-Z][A-Z0-9]{1,7}$/);

const At = z.string().datetime();
const Id = z.number().int().nonnegative();
/** What the city's reports keep of a county ticket (facts.ts TicketReportRows). */
const ReportRows = z.object({
  notAcceptedReason: z.string().max(48).nullable(),
  units: z.array(z.object({ id: Id, unitCode: z.string().max(64), role: z.string().max(8), assignedAt: At, releasedAt: At.nullable() })).max(500),
  deadlines: z.array(z.object({ id: Id, kind: z.string().max(16), startedAt: At, dueAt: At, state: z.string().max(12), endedAt: At.nullable(), missed: z.boolean().nullable() })).max(500),
  visits: z.array(z.object({ id: Id, level: z.string().max(24), category: z.string().max(24), exclusion: z.string().max(32).nullable(), mainUnit: z.string().max(64).nullable(), at: At })).max(500),
});
const Snapshot = z.object({ no: z.string().max(32), status: z.string().max(24), channel: z.string().max(32), category: z.string().max(24), domain: z.string().max(48), content: z.string().max(20_000), createdAt: z.string().datetime(), updatedAt: z.string().datetime(), report: ReportRows.optional() }).passthrough();
const FactBody = z.object({
  facts: z
    .array(
      z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('ticket_event'), factId: z.string().min(1).max(96), ticketNo: z.string().min(1).max(32), seq: z.number().int().positive(), occurredAt: z.string().datetime(), event: z.object({ event: z.string().max(32) }).passthrough(), ticket: Snapshot }).passthrough(),
        z.object({ kind: z.literal('call'), factId: z.string().min(1).max(96), occurredAt: z.string().datetime(), call: z.record(z.unknown()) }).passthrough(),
        z.object({ kind: z.literal('callback'), factId: z.string().min(1).max(96), occurredAt: z.string().datetime(), callback: z.object({ callId: Id, status: z.string().max(16), missedAt: At, lastAttemptAt: At.nullable() }) }).passthrough(),
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
  views: CityViews;
  role: 'city' | 'county';
  /** City: a county's HMAC key; county: the key shared with the city (any sender code). */
  keyOf: (centre: string) => string | null;
  receiver: FactReceiver | null;
  /** County: take a ticket the city sent down; answers the local number. */
  takeDown: ((d: DownTicket) => Promise<{ no: string; duplicate: boolean }>) | null;
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
      handler: () => d.views.centres(),
    });
    api.route({
      method: 'get', path: '/api/network/tickets', summary: 'County tickets as pushed, newest first', tags: TAGS, roles: VIEWERS,
      query: z.object({ centre: CODE.optional(), status: z.string().max(24).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
      response: z.array(NetTicket),
      handler: ({ query }) => d.views.tickets(query),
    });
    api.route({
      method: 'get', path: '/api/network/tickets/:centre/:no', summary: 'One county ticket with its timeline of pushed facts, in order', tags: TAGS, roles: VIEWERS,
      params: z.object({ centre: CODE, no: z.string().min(1).max(32) }),
      response: NetTicketDetail,
      errors: { 404: 'No such county ticket' },
      handler: async ({ params }) => {
        const t = await d.views.ticket(params.centre, params.no);
        if (!t) throw notFound('network.ticket_not_found', `未收到 ${params.centre} 的工单 ${params.no}`, params);
        return t;
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
