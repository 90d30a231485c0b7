import { Api } from '../../http/api';
import { z } from '../../http/zod';
import { IdParams, idNumber, idParam } from '../../http/params';
import { badRequest, forbidden } from '../../http/errors';
import { AuthUser, Role, hasAnyRole } from '../../auth/roles';
import { WsGateway } from '../../live/ws-gateway';
import { LINE_KINDS, LineDirectory } from './lines';
import { TransferService } from './transfers';
import { ConferenceService } from './conference';
import { MonitoringService } from './monitoring';
import { EMERGENCY_SERVICES, EmergencyLinkage } from './emergency';
import { ConferenceSchema, MyConferenceSchema, EmergencyResultSchema, ExpertAnswerSchema, LineSchema, MonitorSessionSchema, TransferSchema, conferenceView, emergencyView, lineView, monitorView, transferView } from './views';

export interface LinkageServices {
  lines: LineDirectory;
  transfers: TransferService;
  conferences: ConferenceService;
  monitoring: MonitoringService;
  emergency: EmergencyLinkage;
}

const READ: Role[] = ['operator', 'expert', 'supervisor', 'admin', 'auditor'];
const ACT: Role[] = ['operator', 'supervisor', 'admin'];
// Listening to citizens is for supervisors only: admins manage accounts, not calls (第二十七条).
const SUP: Role[] = ['supervisor'];

const Id = IdParams;
const Code = z.object({ code: z.string().min(1).max(32) });
const LineBody = z.object({
  code: z.string().regex(/^[A-Za-z0-9-]{1,32}$/), name: z.string().min(1).max(64), kind: z.enum(LINE_KINDS as [string, ...string[]]),
  centre: z.string().max(32).nullable().default(null), dial: z.string().regex(/^(PJSIP|Local|IAX2|DAHDI)\/[^\s,|&]+$/, 'an Asterisk dial string such as PJSIP/trunk-hx'),
  hours: z.enum(['24x7', 'office']).default('24x7'), reachable: z.boolean().default(true), ticketUnit: z.string().max(32).nullable().default(null),
  sort: z.number().int().min(-1_000_000).max(1_000_000).default(100), note: z.string().max(500).nullable().default(null),
});
const LinePatch = LineBody.omit({ code: true }).partial();
export const TransferBody = z.object({ line: z.string().min(1).max(32), mode: z.enum(['blind', 'consult']).default('blind'), ticketNo: z.string().max(32).nullish(), summary: z.string().max(200).nullish() });
export const ConferenceBody = z.object({ line: z.string().min(1).max(32), ticketNo: z.string().max(32).nullish() });
export const EmergencyBody = z.object({ service: z.enum(EMERGENCY_SERVICES), mode: z.enum(['transfer', 'three_way']).default('transfer'), ticketNo: z.string().max(32).nullish(), summary: z.string().max(200).nullish() });
export const MonitorBody = z.object({ mode: z.enum(['listen', 'whisper', 'barge']), seat: z.string().regex(/^PJSIP\/[A-Za-z0-9_-]{2,32}$/, 'the supervisor\'s softphone, e.g. PJSIP/1009').nullish() });
export const AnswerBody = z.object({ text: z.string().min(1).max(4000), close: z.boolean().default(false) });
const ERR = { 404: 'No such call / line / transfer (call.not_found, line.not_found …)', 409: 'The call has ended or is in the wrong state (call.ended, call.not_connected, transfer.in_progress, line.closed …)' };

export function registerLinkageRoutes(api: Api, s: LinkageServices) {
  api.route({ method: 'get', path: '/api/lines', summary: 'Directory of lines: city, county, branch, 双号并行, expert seats, emergency (第十九条, 第十二条)', tags: ['linkage'], roles: READ, query: z.object({ kind: z.enum(LINE_KINDS as [string, ...string[]]).optional() }), response: z.array(LineSchema), handler: async ({ query }) => (await s.lines.list({ kind: query.kind as never })).map(lineView) });
  api.route({ method: 'get', path: '/api/lines/:code', summary: 'One line', tags: ['linkage'], roles: READ, params: Code, response: LineSchema, errors: { 404: 'line.not_found' }, handler: async ({ params }) => lineView(await s.lines.get(params.code)) });
  api.route({ method: 'post', path: '/api/lines', summary: 'Add a line', tags: ['linkage'], roles: ['admin'], body: LineBody, status: 201, response: LineSchema, errors: { 409: 'line.exists' }, handler: async ({ body }) => lineView(await s.lines.create(body as never)) });
  api.route({ method: 'patch', path: '/api/lines/:code', summary: 'Change a line (dial string, hours, reachable …)', tags: ['linkage'], roles: ['admin'], params: Code, body: LinePatch, response: LineSchema, errors: { 404: 'line.not_found' }, handler: async ({ params, body }) => lineView(await s.lines.update(params.code, body as never)) });
  api.route({ method: 'delete', path: '/api/lines/:code', summary: 'Remove a line', tags: ['linkage'], roles: ['admin'], params: Code, response: z.object({ deleted: z.string() }), errors: { 404: 'line.not_found' }, handler: async ({ params }) => { await s.lines.remove(params.code); return { deleted: params.code }; } });

  api.route({ method: 'post', path: '/api/calls/:id/transfer', summary: 'One-key transfer of a live call (blind or consult) with its ticket (第十九条)', tags: ['linkage'], roles: ACT, params: Id, body: TransferBody, status: 201, response: TransferSchema, errors: ERR, handler: async ({ user, params, body, requestId }) => transferView(await s.transfers.start(user!, params.id, body, requestId)) });
  api.route({ method: 'get', path: '/api/calls/:id/transfers', summary: 'Transfer attempts of a call', tags: ['linkage'], roles: READ, params: Id, response: z.array(TransferSchema), handler: async ({ params }) => (await s.transfers.forCall(params.id)).map(transferView) });
  api.route({
    method: 'get', path: '/api/transfers', summary: 'Transfers to a line, newest first (the receiving centre\'s view; a unit sees only the lines handed over to it)', tags: ['linkage'],
    roles: [...READ, 'unit_handler'], query: z.object({ line: z.string().max(32) }), response: z.array(TransferSchema), errors: { 403: 'Not this unit\'s line' },
    handler: async ({ query, user }) => {
      if (!hasAnyRole(user!, READ)) {
        const line = await s.lines.get(query.line);
        if (!line.ticketUnit || line.ticketUnit !== user!.unitCode) throw forbidden({ reason: 'transfers to another unit\'s line' });
      }
      return (await s.transfers.toLine(query.line)).map(transferView);
    },
  });
  api.route({ method: 'get', path: '/api/transfers/:id', summary: 'One transfer attempt', tags: ['linkage'], roles: READ, params: Id, response: TransferSchema, errors: { 404: 'transfer.not_found' }, handler: async ({ params }) => transferView(await s.transfers.get(params.id)) });
  api.route({ method: 'post', path: '/api/transfers/:id/complete', summary: 'Complete a consult transfer (the operator drops out)', tags: ['linkage'], roles: ACT, params: Id, response: TransferSchema, errors: ERR, handler: async ({ user, params }) => transferView(await s.transfers.complete(user!, params.id)) });
  api.route({ method: 'post', path: '/api/transfers/:id/cancel', summary: 'Cancel a consult transfer (back to the caller)', tags: ['linkage'], roles: ACT, params: Id, response: TransferSchema, errors: ERR, handler: async ({ user, params }) => transferView(await s.transfers.cancel(user!, params.id)) });

  api.route({ method: 'post', path: '/api/calls/:id/conference', summary: 'Three-way call with an expert seat (第二十条(三), 第十条(六))', tags: ['linkage'], roles: ACT, params: Id, body: ConferenceBody, status: 201, response: ConferenceSchema, errors: ERR, handler: async ({ user, params, body, requestId }) => conferenceView(await s.conferences.start(user!, params.id, body, requestId)) });
  api.route({
    method: 'get', path: '/api/conferences/mine', summary: 'The expert seat\'s own three-way calls of the last 12 hours with how many answers each has (专家答复)', tags: ['linkage'],
    roles: ['expert'], response: z.array(MyConferenceSchema),
    handler: async ({ user }) => (await s.conferences.mine(user!)).map((c) => ({ ...conferenceView(c), answers: c.answers })),
  });
  api.route({ method: 'get', path: '/api/conferences/:id', summary: 'A three-way call and its legs', tags: ['linkage'], roles: READ, params: Id, response: ConferenceSchema, errors: { 404: 'conference.not_found' }, handler: async ({ params }) => conferenceView(await s.conferences.get(params.id)) });
  api.route({ method: 'post', path: '/api/conferences/:id/operator/leave', summary: 'The operator leaves; caller and expert carry on', tags: ['linkage'], roles: ACT, params: Id, response: ConferenceSchema, errors: ERR, handler: async ({ user, params }) => conferenceView(await s.conferences.operatorLeave(user!, params.id)) });
  api.route({ method: 'post', path: '/api/conferences/:id/operator/rejoin', summary: 'Ring the operator back into the three-way call', tags: ['linkage'], roles: ACT, params: Id, response: ConferenceSchema, errors: ERR, handler: async ({ user, params }) => conferenceView(await s.conferences.operatorRejoin(user!, params.id)) });
  api.route({ method: 'post', path: '/api/conferences/:id/legs/:legId/hangup', summary: 'Drop one party (expert, operator) from the three-way call', tags: ['linkage'], roles: ACT, params: z.object({ id: idParam, legId: idParam }), response: ConferenceSchema, errors: ERR, handler: async ({ user, params }) => conferenceView(await s.conferences.hangupLegById(user!, params.id, params.legId)) });
  api.route({ method: 'post', path: '/api/conferences/:id/answer', summary: 'The expert adds an answer to the ticket (optionally 即时办结)', tags: ['linkage'], roles: ['expert', 'operator', 'supervisor', 'admin'], params: Id, body: AnswerBody, status: 201, response: ExpertAnswerSchema, errors: ERR, handler: ({ user, params, body, requestId }) => s.conferences.answer(user!, params.id, body, requestId) });

  api.route({ method: 'post', path: '/api/calls/:id/emergency', summary: 'Emergency linkage with 110/119/120/122: transfer or three-way (第十二条, 第十七条(四))', tags: ['linkage'], roles: ACT, params: Id, body: EmergencyBody, status: 201, response: EmergencyResultSchema, errors: ERR, handler: async ({ user, params, body, requestId }) => emergencyView(await s.emergency.link(user!, params.id, body, requestId)) });

  api.route({ method: 'post', path: '/api/calls/:id/monitor', summary: 'Supervisor listen / whisper / barge on a live call (audited)', tags: ['linkage'], roles: SUP, params: Id, body: MonitorBody, status: 201, response: MonitorSessionSchema, errors: ERR, handler: async ({ user, params, body, requestId }) => monitorView(await s.monitoring.start(user!, params.id, body.mode, requestId, body.seat)) });
  api.route({ method: 'get', path: '/api/calls/:id/monitor', summary: 'Monitoring sessions of a call', tags: ['linkage'], roles: [...SUP, 'auditor'], params: Id, response: z.array(MonitorSessionSchema), handler: async ({ params }) => (await s.monitoring.forCall(params.id)).map(monitorView) });
  api.route({ method: 'delete', path: '/api/monitor/:id', summary: 'Stop a monitoring session', tags: ['linkage'], roles: SUP, params: Id, response: MonitorSessionSchema, errors: { 404: 'monitor.not_found', 409: 'monitor.ended' }, handler: async ({ user, params, requestId }) => monitorView(await s.monitoring.stop(user!, params.id, requestId)) });
}

function parse<T extends z.ZodTypeAny>(schema: T, payload: unknown): z.infer<T> {
  const r = schema.safeParse(payload);
  if (!r.success) throw badRequest('validation.failed', '命令参数无效', { issues: r.error.issues });
  return r.data;
}
const num = (p: Record<string, unknown>, k: string) => parse(z.union([idNumber, idParam]), p[k]);

/** The same actions as WebSocket commands (issue 5 §6); errors come back with the same stable ids. */
export function registerLinkageCommands(ws: WsGateway, s: LinkageServices) {
  const cmd = (name: string, roles: Role[], fn: (u: AuthUser, p: Record<string, unknown>) => Promise<unknown>) => ws.registerCommand(name, roles, fn);
  cmd('linkage.transfer', ACT, async (u, p) => transferView(await s.transfers.start(u, num(p, 'callId'), parse(TransferBody, p))));
  cmd('linkage.transfer.complete', ACT, async (u, p) => transferView(await s.transfers.complete(u, num(p, 'transferId'))));
  cmd('linkage.transfer.cancel', ACT, async (u, p) => transferView(await s.transfers.cancel(u, num(p, 'transferId'))));
  cmd('linkage.conference', ACT, async (u, p) => conferenceView(await s.conferences.start(u, num(p, 'callId'), parse(ConferenceBody, p))));
  cmd('linkage.conference.leave', ACT, async (u, p) => conferenceView(await s.conferences.operatorLeave(u, num(p, 'conferenceId'))));
  cmd('linkage.conference.rejoin', ACT, async (u, p) => conferenceView(await s.conferences.operatorRejoin(u, num(p, 'conferenceId'))));
  cmd('linkage.conference.answer', ['expert', 'operator', 'supervisor', 'admin'], (u, p) => s.conferences.answer(u, num(p, 'conferenceId'), parse(AnswerBody, p)));
  cmd('linkage.emergency', ACT, async (u, p) => emergencyView(await s.emergency.link(u, num(p, 'callId'), parse(EmergencyBody, p))));
  cmd('linkage.monitor', SUP, async (u, p) => {
    const b = parse(MonitorBody, p);
    return monitorView(await s.monitoring.start(u, num(p, 'callId'), b.mode, undefined, b.seat));
  });
  cmd('linkage.monitor.stop', SUP, async (u, p) => monitorView(await s.monitoring.stop(u, num(p, 'sessionId'))));
}
