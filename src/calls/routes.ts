import { Api } from '../http/api';
import { z } from '../http/zod';
import { queryInt } from '../http/params';
import { forbidden, notFound } from '../http/errors';
import { AuditStore } from '../audit/store';
import { AuthUser, hasAnyRole, seesPersonalData } from '../auth/roles';
import { maskPhone } from '../logging/mask';
import { CallRow, CallStore } from './call-store';
import { CentreDirectory } from './centres';
import { MissedCallService } from './missed-calls';
import { OperatorService } from './operators';
import { RecordingCollector, RecordingRow } from './recordings';
import { RestrictionService } from './restrictions';
import { Wallboard } from './wallboard';
import { CurrentCalls } from './current-call';
import { LiveStore } from '../live/store';
import { CallDetailSchema, CallLegSchema, CallListQuery, CallSchema, CallTransferSchema, CallTransitionSchema, IdParams, LoginBody, MissedCallSchema, MissedResultBody, OperatorSchema, PauseBody, RecordingSchema, RestrictionBody, RestrictionHitSchema, RestrictionSchema } from './schemas';
import { dto, toDto } from '../http/dto';
import { CallerHistorySchema, CentreSchema, LiveBoardSchema, OperatorMeSchema } from './schemas';

/** An operator as the API documents it (internal leg and call bookkeeping stays inside). */
const opDto = (op: object) => toDto(OperatorSchema, op as Record<string, unknown>);

export interface CallsDeps {
  calls: CallStore;
  recordings: RecordingCollector;
  operators: OperatorService;
  restrictions: RestrictionService;
  missed: MissedCallService;
  centres: CentreDirectory;
  live: LiveStore;
  audit: AuditStore;
  current: CurrentCalls;
  /** Each centre's current shift, planned staff and who is logged in. */
  staffing: () => Promise<unknown>;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function callView(c: CallRow, user: AuthUser | null) {
  return {
    id: c.id,
    serverId: c.server_id,
    linkedid: c.linkedid,
    // 第二十七条: numbers only for the roles that need them.
    callerNumber: seesPersonalData(user) ? c.caller_number : c.caller_number ? maskPhone(c.caller_number) : null,
    centre: c.centre,
    queue: c.queue,
    state: c.state,
    outcome: c.outcome,
    startedAt: iso(c.started_at)!,
    queueEnteredAt: iso(c.queue_entered_at),
    answeredAt: iso(c.answered_at),
    endedAt: iso(c.ended_at),
    waitSeconds: c.wait_seconds,
    talkSeconds: c.talk_seconds,
    operatorInterface: c.operator_interface,
    transferred: c.transferred,
    fallback: c.fallback,
    ticketNo: c.ticket_no,
    reconciled: c.reconciled,
  };
}

function recordingView(r: RecordingRow) {
  return {
    id: Number(r.id),
    callId: r.call_id === null ? null : Number(r.call_id),
    linkedid: r.linkedid,
    kind: r.kind,
    format: r.format,
    durationSeconds: r.duration_seconds === null ? null : Number(r.duration_seconds),
    sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
    sha256: r.sha256,
    state: r.state,
  };
}

function missedView(m: Record<string, unknown>, user: AuthUser | null) {
  // 第二十七条: the number only for the roles that need it (callers are called back by operators).
  return toDto(MissedCallSchema, { ...m, caller_number: seesPersonalData(user) ? m.caller_number : maskPhone(String(m.caller_number ?? '')) });
}

const RECORDING_ROLES = ['supervisor', 'auditor', 'operator', 'expert'] as const;

export function registerCallRoutes(api: Api, d: CallsDeps) {
  api.route({
    method: 'get', path: '/api/calls', summary: 'Call records, newest first', tags: ['calls'],
    roles: ['supervisor', 'auditor', 'admin'], query: CallListQuery, response: z.array(CallSchema),
    handler: async ({ query, user }) => (await d.calls.list(query)).map((c) => callView(c, user)),
  });
  api.route({
    method: 'get', path: '/api/calls/:id', summary: 'One call with its legs, transitions and recordings', tags: ['calls'],
    roles: ['supervisor', 'auditor', 'operator', 'expert', 'admin'], params: IdParams, response: CallDetailSchema, errors: { 404: '通话不存在' },
    handler: async ({ params, user }) => {
      const c = await d.calls.getCall(params.id);
      if (!c) throw notFound('call.not_found', '通话不存在', { id: params.id });
      const legs = (await d.calls.legs(c.id)).map(dto(CallLegSchema));
      // Transfer attempts (issue 5): kept even when they failed, so the record shows every try.
      const transfers = await d.calls.knex('call_transfers').where({ call_id: c.id }).orderBy('id').select('id', 'line_code', 'mode', 'emergency', 'status', 'result', 'ticket_no', 'started_at', 'answered_at', 'ended_at');
      return { ...callView(c, user), legs, transitions: (await d.calls.transitions(c.id)).map(dto(CallTransitionSchema)), recordings: (await d.recordings.forCall(c.id)).map(recordingView), transfers: transfers.map(dto(CallTransferSchema)) };
    },
  });

  const mayHear = async (user: AuthUser, r: RecordingRow) => {
    if (hasAnyRole(user, ['supervisor', 'auditor'])) return true;
    // Operators and experts hear the calls they took part in.
    if (!r.call_id || !user.extension) return false;
    const leg = await d.calls.knex('call_legs').where({ call_id: r.call_id }).whereRaw('left(channel, ?) = ?', [user.extension.length + 1, `${user.extension}-`]).first('id');
    return !!leg;
  };
  // Refused attempts are in the audit trail too: who tried to hear a citizen they had no business hearing.
  const denied = async (user: AuthUser, r: RecordingRow, requestId: string): Promise<never> => {
    await d.audit.record({ actorUserId: user.id, actor: user.username, action: 'recording.access_denied', targetType: 'recording', targetId: String(r.id), requestId, details: { callId: r.call_id } });
    throw forbidden({ reason: 'not a party to this call' });
  };
  api.route({
    method: 'get', path: '/api/recordings/:id', summary: 'Recording metadata (access audited)', tags: ['recordings'],
    roles: RECORDING_ROLES, params: IdParams, response: RecordingSchema, errors: { 404: '录音不存在' },
    handler: async ({ params, user, requestId }) => {
      const r = await d.recordings.get(params.id);
      if (!r) throw notFound('recording.not_found', '录音不存在', { id: params.id });
      if (!(await mayHear(user!, r))) await denied(user!, r, requestId);
      await d.audit.record({ actorUserId: user!.id, actor: user!.username, action: 'recording.metadata', targetType: 'recording', targetId: String(r.id), requestId });
      return recordingView(r);
    },
  });
  api.route({
    method: 'get', path: '/api/recordings/:id/file', summary: 'The recording audio (WAV), with HTTP range requests; every access audited', tags: ['recordings'],
    roles: RECORDING_ROLES, params: IdParams, errors: { 404: 'No such recording or not collected yet', 416: 'Range not satisfiable' },
    handler: async ({ params, user, requestId, req, res }) => {
      const r = await d.recordings.get(params.id);
      if (!r) throw notFound('recording.not_found', '录音不存在', { id: params.id });
      if (!(await mayHear(user!, r))) await denied(user!, r, requestId);
      const file = d.recordings.filePath(r);
      if (!file) throw notFound('recording.not_collected', '录音文件尚不可用', { id: params.id, state: r.state });
      await d.audit.record({ actorUserId: user!.id, actor: user!.username, action: 'recording.access', targetType: 'recording', targetId: String(r.id), requestId, details: { range: req.header('range') ?? null, callId: r.call_id } });
      res.setHeader('content-type', 'audio/wav');
      res.setHeader('cache-control', 'private, no-store');
      await new Promise<void>((resolve, reject) => res.sendFile(file, { acceptRanges: true, lastModified: false, dotfiles: 'allow', headers: { 'x-recording-sha256': r.sha256 ?? '' }, maxAge: 0 }, (err) => (err && !res.headersSent ? reject(err) : resolve())));
      return undefined;
    },
  });

  // ---- operators ----
  api.route({
    method: 'get', path: '/api/operators', summary: 'Every logged-in operator with state and pause reason', tags: ['operators'],
    roles: ['supervisor', 'admin'], response: z.array(OperatorSchema), handler: async () => (await d.operators.list()).map(opDto),
  });
  api.route({
    method: 'get', path: '/api/operators/me', summary: 'My operator state, with the call at my phone for the screen pop (来电弹屏)', tags: ['operators'],
    roles: ['operator', 'expert'], response: OperatorMeSchema,
    handler: async ({ user }) => {
      const op = await d.operators.get(user!.id);
      const extra = { currentCall: await d.current.forOperator(user!.id, user), wrapupSeconds: d.operators.wrapupSeconds };
      return op ? { ...toDto(OperatorSchema, op as unknown as Record<string, unknown>), ...extra } : { userId: user!.id, state: 'logged_out' as const, ...extra };
    },
  });
  api.route({
    method: 'get', path: '/api/calls/:id/caller-history', summary: 'The caller\'s earlier tickets and restriction (第三十三条), for the screen pop; operators only for their own call', tags: ['calls'],
    roles: ['operator', 'expert', 'supervisor'], params: IdParams, response: CallerHistorySchema, errors: { 404: 'No such call' },
    handler: ({ params, user }) => d.current.callerHistory(params.id, user!),
  });
  api.route({
    method: 'post', path: '/api/operators/me/login', summary: 'Log in to my centre queue (or the given queues)', tags: ['operators'],
    roles: ['operator', 'expert'], body: LoginBody, response: OperatorSchema, errors: { 409: 'Already logged in', 503: 'No Asterisk' },
    handler: async ({ user, body }) => opDto(await d.operators.login(user!, body)),
  });
  api.route({
    method: 'post', path: '/api/operators/me/logout', summary: 'Log out of every queue', tags: ['operators'],
    roles: ['operator', 'expert'], response: OperatorSchema, errors: { 409: 'Not logged in' }, handler: async ({ user }) => opDto(await d.operators.logout(user!)),
  });
  api.route({
    method: 'post', path: '/api/operators/me/pause', summary: 'Pause with a reason (小休, 培训, 会议, 话后处理 …)', tags: ['operators'],
    roles: ['operator', 'expert'], body: PauseBody, response: OperatorSchema, errors: { 409: 'Not logged in / illegal in this state' },
    handler: async ({ user, body }) => opDto(await d.operators.pause(user!, body.reason)),
  });
  api.route({
    method: 'post', path: '/api/operators/me/ready', summary: 'Ready for calls', tags: ['operators'],
    roles: ['operator', 'expert'], response: OperatorSchema, errors: { 409: 'Not logged in / illegal in this state' },
    handler: async ({ user }) => opDto(await d.operators.ready(user!)),
  });

  // ---- restricted callers (第三十三条) ----
  api.route({
    method: 'get', path: '/api/restrictions', summary: 'Active short-term caller restrictions', tags: ['restrictions'],
    roles: ['supervisor', 'admin', 'auditor'], response: z.array(RestrictionSchema),
    handler: async ({ user }) => (await d.restrictions.listActive()).map((r) => toDto(RestrictionSchema, { ...r, number: seesPersonalData(user) ? r.number : maskPhone(r.number) })),
  });
  api.route({
    method: 'post', path: '/api/restrictions', summary: 'Restrict a caller for a short time, with a reason (第三十三条)', tags: ['restrictions'],
    roles: ['supervisor'], body: RestrictionBody, status: 201, response: RestrictionSchema, errors: { 400: 'Bad number or expiry' },
    handler: async ({ body, user, requestId }) => toDto(RestrictionSchema, { ...(await d.restrictions.add(body, user!, requestId)) }),
  });
  api.route({
    method: 'delete', path: '/api/restrictions/:id', summary: 'Lift a restriction', tags: ['restrictions'],
    roles: ['supervisor'], params: IdParams, response: RestrictionSchema, errors: { 404: 'No active restriction' },
    handler: async ({ params, user, requestId }) => toDto(RestrictionSchema, { ...(await d.restrictions.revoke(params.id, user!, requestId)) }),
  });
  api.route({
    method: 'get', path: '/api/restrictions/hits', summary: 'Every time a restricted caller was turned away', tags: ['restrictions'],
    roles: ['supervisor', 'auditor'], query: z.object({ number: z.string().max(32).optional() }), response: z.array(RestrictionHitSchema),
    handler: async ({ query, user }) => (await d.restrictions.hits(query.number)).map((h: Record<string, unknown>) => toDto(RestrictionHitSchema, { ...h, number: seesPersonalData(user) ? h.number : maskPhone(h.number as string) })),
  });

  // ---- missed-call callbacks (漏接回拨) ----
  api.route({
    method: 'get', path: '/api/missed-calls', summary: 'The callback list', tags: ['callbacks'],
    roles: ['operator', 'supervisor'], query: z.object({ status: z.enum(['pending', 'claimed', 'done', 'unreachable']).optional(), centre: z.string().max(32).optional(), limit: queryInt(1, 500).optional() }),
    response: z.array(MissedCallSchema),
    handler: async ({ query, user }) => (await d.missed.list(query)).map((m: Record<string, unknown>) => missedView(m, user)),
  });
  api.route({
    method: 'post', path: '/api/missed-calls/:id/claim', summary: 'Take an entry to call back', tags: ['callbacks'],
    roles: ['operator', 'supervisor'], params: IdParams, response: MissedCallSchema, errors: { 404: 'No such entry', 409: 'Not pending' },
    handler: async ({ params, user }) => missedView(await d.missed.claim(params.id, user!), user),
  });
  api.route({
    method: 'post', path: '/api/missed-calls/:id/result', summary: 'Record the callback result', tags: ['callbacks'],
    roles: ['operator', 'supervisor'], params: IdParams, body: MissedResultBody, response: MissedCallSchema, errors: { 404: 'No such entry', 409: 'Not claimed by you' },
    handler: async ({ params, user, body }) => missedView(await d.missed.result(params.id, user!, body.outcome, body.note), user),
  });

  // ---- centres and the live board ----
  api.route({
    method: 'get', path: '/api/centres', summary: 'Centres, their queues and shift profiles', tags: ['live'],
    roles: ['operator', 'expert', 'supervisor', 'admin'], response: z.array(CentreSchema), handler: () => d.centres.all(),
  });
  api.route({
    method: 'get', path: '/api/live/queues', summary: 'Live queue board: waiting callers, longest wait, service level, abandon rate, ASA, AHT, and staffing against the current shift', tags: ['live'],
    roles: ['supervisor', 'admin'], response: LiveBoardSchema, handler: async () => ({ queues: await Wallboard.readSnapshot(d.live), operators: (await d.operators.list()).map(opDto), staffing: await d.staffing() }),
  });
}
