import { Api } from '../http/api';
import { z } from '../http/zod';
import { queryInt } from '../http/params';
import { AuthUser, HOTLINE_STAFF, Role, hasAnyRole } from '../auth/roles';
import { notFound } from '../http/errors';
import { formatShanghai } from './calendar/calendar';
import { Deadlines } from './deadlines';
import { listTickets } from './query';
import { ActionBodies, ActionName, CreateTicketBody, DeadlineView, ListQuery, NoParams, TicketDetail, TicketList } from './schemas';
import { ActionInput, TicketService, actorOf } from './service';
import { TicketLinks } from './links';
import { Satisfaction } from './satisfaction';
import { newTicketDetail, ticketDetail, ticketDetailOf, ticketSummary, deadlineView, callerReads, withRemaining } from './view';
import { DEADLINE_KINDS, SATISFACTION_EXCLUSIONS } from './model';

const HOTLINE: Role[] = HOTLINE_STAFF;
const UNIT: Role[] = ['unit_handler'];
const READERS: Role[] = [...HOTLINE_STAFF, 'unit_handler', 'auditor'];
const TAGS = ['tickets'];

type Body<N extends ActionName> = z.infer<(typeof ActionBodies)[N]>;
const ACTIONS: { [N in ActionName]: { summary: string; roles: Role[]; input: (b: Body<N>) => ActionInput } } = {
  accept: { summary: '受理 (accept the matter)', roles: HOTLINE, input: (b) => ({ type: 'accept', reason: b.reason }) },
  'not-accept': { summary: '不予受理 with a 第十七条 reason', roles: HOTLINE, input: (b) => ({ type: 'not_accept', reasonCode: b.reasonCode, reason: b.reason }) },
  'close-immediately': { summary: '即时办结 without dispatch (第二十条(四)2)', roles: HOTLINE, input: (b) => ({ type: 'close_immediately', resolution: b.resolution, reason: b.reason }) },
  dispatch: { summary: '转办 to a main unit (首接负责, 第十四条) with optional co-units (第二十条(四)1)', roles: HOTLINE, input: (b) => ({ type: 'dispatch', mainUnit: b.mainUnit, coUnits: b.coUnits, legalLimit: b.legalLimit ?? null, reason: b.reason }) },
  sign: { summary: '签收 by the unit (第二十一条(一))', roles: [...UNIT, ...HOTLINE], input: (b) => ({ type: 'sign', reason: b.reason }) },
  feedback: { summary: '紧急件 2 小时反馈 (第二十一条(一))', roles: UNIT, input: (b) => ({ type: 'feedback', text: b.text, reason: b.reason }) },
  progress: { summary: '办理 progress note', roles: [...UNIT, ...HOTLINE], input: (b) => ({ type: 'progress', text: b.text, reason: b.reason }) },
  'co-opinion': { summary: '协办意见 by a co-unit (第二十条(四)1)', roles: UNIT, input: (b) => ({ type: 'co_opinion', text: b.text, reason: b.reason }) },
  extension: { summary: '申请延期 before the deadline, ≤ 1× the original (第二十一条(一))', roles: UNIT, input: (b) => ({ type: 'request_extension', extra: b.extra, reason: b.reason }) },
  'extension/approve': { summary: 'approve an extension (hotline)', roles: HOTLINE, input: (b) => ({ type: 'approve_extension', reason: b.reason }) },
  'extension/reject': { summary: 'reject an extension (hotline)', roles: HOTLINE, input: (b) => ({ type: 'reject_extension', reason: b.reason }) },
  return: { summary: '申请退单 with reason, basis and suggested unit (第二十一条(二))', roles: UNIT, input: (b) => ({ type: 'request_return', reason: b.reason, basis: b.basis, suggestedUnit: b.suggestedUnit ?? null }) },
  'return/approve': { summary: 'approve a return; the ticket awaits dispatch again', roles: HOTLINE, input: (b) => ({ type: 'approve_return', reason: b.reason }) },
  'return/reject': { summary: 'reject a return; the unit keeps handling', roles: HOTLINE, input: (b) => ({ type: 'reject_return', reason: b.reason }) },
  reply: { summary: '答复 by the main unit (第二十一条(四)); the result goes to the caller by SMS', roles: UNIT, input: (b) => ({ type: 'reply', text: b.text, reason: b.reason }) },
  visit: { summary: '回访 result (第二十二条(三)); 不满意 caused by the unit → 重办', roles: HOTLINE, input: (b) => ({ type: 'visit', level: b.level, cause: b.cause ?? null, reason: b.reason }) },
  withdraw: { summary: '撤单 at the caller\'s request (第二十一条(三))', roles: HOTLINE, input: (b) => ({ type: 'withdraw', reason: b.reason }) },
  urge: { summary: '督办: urge notice (第二十二条(一)(二))', roles: HOTLINE, input: (b) => ({ type: 'urge', note: b.note, reason: b.reason }) },
  escalate: { summary: '督办: escalate (约谈提醒, 情况通报 …, 第二十二条(二))', roles: HOTLINE, input: (b) => ({ type: 'escalate', note: b.note, reason: b.reason }) },
  merge: { summary: '并案 into a ticket not yet answered, by the hotline or the main unit of both (第二十一条(一))', roles: [...HOTLINE, ...UNIT], input: (b) => ({ type: 'merge_into', into: b.into, reason: b.reason }) },
};

export interface TicketRouteDeps {
  tickets: TicketService;
  links: TicketLinks;
  satisfaction: Satisfaction;
}

/** The ticket if this user may see it (hotline staff and auditors: any; a unit: only its own), else 404. */
export async function visibleTicket(d: TicketRouteDeps, no: string, user: AuthUser) {
  const t = await d.tickets.get(no);
  if (!hasAnyRole(user, [...HOTLINE_STAFF, 'auditor']) && !(user.unitCode && (await d.tickets.store.unitSees(no, user.unitCode)))) {
    throw notFound('ticket.not_found', `工单 ${no} 不存在`, { no });
  }
  return t;
}

export function registerTicketRoutes(api: Api, d: TicketRouteDeps) {
  const { tickets, links, satisfaction } = d;
  /** A ticket view on its way out; an unmasked caller contact in it is audited (第二十七条). */
  const audited = async <T extends { no: string; caller: { masked: boolean; name: string | null; phone: string | null } }>(view: T, user: AuthUser, requestId: string, via: string): Promise<T> => {
    await tickets.auditCallerReads(actorOf(user, requestId), callerReads([view]), via);
    return view;
  };
  const ERR = { 404: 'No such ticket (or not dispatched to your unit)', 409: 'Not allowed in the ticket\'s current state (error id ticket.illegal_transition etc., details.state)', 422: 'Invalid for this ticket' };

  api.route({
    method: 'post', path: '/api/tickets', summary: 'Create a ticket (登记) and, by default, decide acceptance (受理 / 不予受理 on repeat, 第十七条(七))', tags: TAGS, roles: HOTLINE,
    body: CreateTicketBody, response: TicketDetail, status: 201, errors: { 422: 'Unknown subdomain' },
    handler: async ({ user, body, requestId }) => {
      // The unmasked caller read of the answer is audited by the creation's own statement (viewer).
      const created = await tickets.createDetailed({ ...body, matterTime: body.matterTime ? new Date(body.matterTime) : null }, actorOf(user!, requestId), { viewer: user!, via: 'create' });
      return newTicketDetail(created, user);
    },
  });

  api.route({
    method: 'get', path: '/api/tickets', summary: 'List, filter and search tickets, newest first (units see only tickets dispatched to them); total exact up to 5,000 matches (1,000 with q), else estimated (totalExact false)', tags: TAGS, roles: READERS,
    query: ListQuery, response: TicketList,
    handler: async ({ user, query, requestId }) => {
      const isUnit = !hasAnyRole(user!, [...HOTLINE_STAFF, 'auditor']);
      const r = await listTickets(tickets.store.knex, {
        status: query.status === undefined ? undefined : ([] as string[]).concat(query.status), category: query.category, domain: query.domain, channel: query.channel,
        emergency: query.emergency === undefined ? undefined : query.emergency === 'true', unit: query.unit, q: query.q,
        callerPhone: isUnit ? undefined : query.callerPhone, overdue: query.overdue === 'true',
        createdFrom: query.createdFrom ? new Date(query.createdFrom) : undefined, createdTo: query.createdTo ? new Date(query.createdTo) : undefined,
        limit: query.limit, offset: query.offset, visibleToUnit: isUnit ? (user!.unitCode ?? '\u0000none') : null,
      }, tickets.now());
      const now = tickets.now();
      const summaries = r.items.map((i) => ticketSummary(i.ticket, user, i.deadlines));
      // The audit row of the unmasked callers is written while the time left on each deadline is worked out.
      const audited = tickets.auditCallerReads(actorOf(user!, requestId), callerReads(summaries), 'list');
      const items = summaries.map((s) => withRemaining(s, tickets.clock(), now));
      await audited;
      return { total: r.total, totalExact: r.totalExact, items };
    },
  });

  api.route({
    method: 'get', path: '/api/tickets/overdue', summary: 'Open deadlines past due, earliest first (indexed look-up)', tags: TAGS, roles: READERS,
    query: z.object({ limit: queryInt(1, 1000).optional(), kind: z.enum(DEADLINE_KINDS).optional() }),
    response: z.object({ items: z.array(DeadlineView.extend({ ticketNo: z.string() })) }),
    handler: async ({ user, query }) => {
      const isUnit = !hasAnyRole(user!, [...HOTLINE_STAFF, 'auditor']);
      const rows = await Deadlines.overdue(tickets.store.knex, tickets.now(), { limit: query.limit, kinds: query.kind ? [query.kind as never] : undefined, unitCode: isUnit ? (user!.unitCode ?? '\u0000none') : undefined });
      return { items: rows.map((r) => ({ ticketNo: r.ticketNo, ...deadlineView(r) })) };
    },
  });

  api.route({
    method: 'get', path: '/api/tickets/reminders', summary: 'Reminders and alerts raised by the SLA timer (newest first)', tags: TAGS, roles: [...HOTLINE_STAFF, 'auditor'],
    query: z.object({ since: z.string().datetime({ offset: true }).optional(), limit: queryInt(1, 1000).optional() }),
    response: z.object({ items: z.array(z.object({ id: z.number(), ticketNo: z.string(), kind: z.string(), type: z.string(), dueAt: z.string(), dueAtLocal: z.string(), createdAt: z.string() })) }),
    handler: async ({ query }) => {
      const q = tickets.store.knex('ticket_reminders').orderBy('id', 'desc').limit(query.limit ?? 100);
      if (query.since) q.where('created_at', '>=', new Date(query.since));
      const rows = await q;
      return { items: rows.map((r: Record<string, unknown>) => ({ id: Number(r.id), ticketNo: r.ticket_no, kind: r.kind, type: r.type, dueAt: (r.due_at as Date).toISOString(), dueAtLocal: formatShanghai(r.due_at as Date), createdAt: (r.created_at as Date).toISOString() })) };
    },
  });

  api.route({
    method: 'get', path: '/api/tickets/satisfaction-rate', summary: 'Satisfaction rate with the exclusions of 第二十二条(四)', tags: TAGS, roles: [...HOTLINE_STAFF, 'auditor'],
    query: z.object({ from: z.string().datetime({ offset: true }), to: z.string().datetime({ offset: true }), unit: z.string().max(64).optional() }),
    response: z.object({
      visits: z.number(), satisfied: z.number(), dissatisfied: z.number(),
      excluded: z.object({ suggestion: z.number(), mediationOrEnforcement: z.number(), noPolicyBasis: z.number() }).openapi({ description: '第二十二条(四) exclusions: 1 suggestions, 2 mediation/enforcement, 3 no policy basis' }),
      counted: z.number(), rate: z.number().nullable(),
    }),
    handler: async ({ query }) => {
      const r = await satisfaction.rate({ from: new Date(query.from), to: new Date(query.to), unitCode: query.unit });
      return { ...r, excluded: { suggestion: r.excluded.suggestion, mediationOrEnforcement: r.excluded.mediation_or_enforcement, noPolicyBasis: r.excluded.no_policy_basis } };
    },
  });

  api.route({
    method: 'get', path: '/api/tickets/repeat-check', summary: 'Is this the same caller\'s same matter still being handled? (第十七条(七))', tags: TAGS, roles: HOTLINE,
    query: z.object({ callerPhone: z.string().max(32), content: z.string().min(1).max(5000) }),
    response: z.object({ repeatOf: z.object({ no: z.string(), similarity: z.number() }).nullable() }),
    handler: async ({ query }) => ({ repeatOf: await tickets.findRepeat({ callerPhone: query.callerPhone, content: query.content }) }),
  });

  api.route({
    method: 'get', path: '/api/tickets/:no', summary: 'A ticket with its events, deadlines, calls, recordings, attachments and visits', tags: TAGS, roles: READERS,
    params: NoParams, response: TicketDetail, errors: { 404: ERR[404] },
    handler: async ({ user, params, requestId }) => audited(withRemaining(await ticketDetail(tickets.store, await visibleTicket(d, params.no, user!), user), tickets.clock(), tickets.now()), user!, requestId, 'detail'),
  });

  for (const [name, spec] of Object.entries(ACTIONS) as Array<[ActionName, (typeof ACTIONS)[ActionName]]>) {
    api.route({
      method: 'post', path: `/api/tickets/:no/${name}`, summary: spec.summary, tags: TAGS, roles: spec.roles,
      params: NoParams, body: ActionBodies[name], response: TicketDetail, errors: ERR,
      handler: async ({ user, params, body, requestId }) => {
        // The answer's detail comes from the action's own statement, and its unmasked caller read is audited with it.
        const done = await tickets.actDetailed(params.no, (spec.input as (b: unknown) => ActionInput)(body), actorOf(user!, requestId), { viewer: user!, via: name });
        return ticketDetailOf(done.ticket, done.detail!, user);
      },
    });
  }

  api.route({
    method: 'post', path: '/api/tickets/:no/screening', summary: '甄别: exclude a dissatisfied visit from the rate (第二十二条(四)2/3)', tags: TAGS, roles: ['supervisor', 'admin'],
    params: NoParams, body: z.object({ exclusion: z.enum([SATISFACTION_EXCLUSIONS[1], SATISFACTION_EXCLUSIONS[2]]), note: z.string().trim().min(1).max(2000) }),
    response: TicketDetail, errors: { 404: 'No ticket or no visit', 422: 'The latest visit was not dissatisfied' },
    handler: async ({ user, params, body, requestId }) => {
      await satisfaction.screen(params.no, body.exclusion, body.note, actorOf(user!, requestId));
      return ticketDetail(tickets.store, await tickets.get(params.no), user);
    },
  });

  api.route({
    method: 'post', path: '/api/tickets/:no/calls', summary: 'Link a call (Asterisk linkedid) and its finished recordings', tags: TAGS, roles: HOTLINE,
    params: NoParams, body: z.object({ linkedid: z.string().min(1).max(64), recordings: z.array(z.object({ recordingId: z.string().min(1).max(128), linkedid: z.string().max(64).nullish(), meta: z.record(z.unknown()).optional() })).max(50).default([]) }),
    response: z.object({ linked: z.boolean() }), errors: { 404: ERR[404] },
    handler: async ({ user, params, body, requestId }) => ({ linked: await links.linkCall(params.no, body.linkedid, body.recordings, actorOf(user!, requestId)) }),
  });
}
