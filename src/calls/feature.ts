import { Feature, ServiceContext } from '../app/context';
import { HOTLINE_STAFF } from '../auth/roles';
import { SMS_SERVICE_KEY, SmsGateway } from '../sms/gateway';
import { TelephonyEvent, TelephonyHub } from '../telephony';
import { RECORDING_SOURCES_SERVICE, TELEPHONY_SERVICE } from '../telephony/feature';
import { CallRecorder } from './call-recorder';
import { CallStore } from './call-store';
import { CentreDirectory } from './centres';
import { FallbackOutbox, TicketDrafts } from './fallback-outbox';
import { MissedCallService } from './missed-calls';
import { OperatorService, boardView } from './operators';
import { PAUSE_REASONS, PauseReason } from './operator-state';
import { HubPbxControl, NoPbx, PbxControl } from './pbx';
import { RecordingCollector, RecordingSource } from './recordings';
import { RestrictionService } from './restrictions';
import { registerCallRoutes } from './routes';
import { Wallboard } from './wallboard';
import { reconcileOpenCalls } from './reconcile';
import { DowntimeReconciler } from './downtime';
import { BusyMonitor } from './busy-monitor';
import { SatisfactionCalls } from './satisfaction-call';
import { DayKindSource, SeatMember, staffing } from './staffing';
import { z } from '../http/zod';
import { dto } from '../http/dto';
import { SatisfactionCallSchema } from './schemas';
import { Linkage, registerLinkage } from './linkage';
import { CallerTickets, CurrentCalls } from './current-call';

export const CALLS_SERVICE = 'calls';
export const QUEUES_TOPIC = 'queues';

export interface CallsInternals {
  store: CallStore;
  recorder: CallRecorder;
  recordings: RecordingCollector;
  restrictions: RestrictionService;
  operators: OperatorService;
  wallboard: Wallboard;
  outbox: FallbackOutbox;
  missed: MissedCallService;
  pbx: PbxControl;
  /** Resolves when everything handed in so far is written (tests, benches). */
  idle(): Promise<void>;
}

/** Builds the tickets capability's draft interface if tickets are wired in. */
function ticketDrafts(ctx: ServiceContext): TicketDrafts | null {
  const t = ctx.services.get('tickets') as
    | { create(i: Record<string, unknown>): Promise<{ no: string }>; linkRecording(no: string, rec: { recordingId: string; linkedid?: string | null; meta?: Record<string, unknown> }): Promise<boolean> }
    | undefined;
  if (!t) return null;
  return {
    async createDraft(i) {
      const ticket = await t.create({ channel: 'phone', callerPhone: i.callerPhone, content: i.content, category: 'other', domain: 'public_service', linkedid: i.linkedid, accept: false });
      return ticket.no;
    },
    linkRecording: (no, rec) => t.linkRecording(no, rec),
  };
}

/**
 * The 7×24 call path: call records from Asterisk events, recordings, operators, restricted callers,
 * the busy fallback's follow-up, the callback list and the supervisors' live board.
 */
export function createCallsFeature(): Feature & { internals?: CallsInternals } {
  let unsubscribe: (() => void) | null = null;
  let drainTimer: NodeJS.Timeout | null = null;
  let stopping = false;
  let busyCheck: (() => void) | null = null;
  let busyTimer: NodeJS.Timeout | null = null;
  let staffingPush: (() => void) | null = null;
  let linkage: Linkage | null = null;
  // Background work started by events, awaited on stop so nothing writes after the database closes.
  const background = new Set<Promise<unknown>>();
  let logRef: { warn(o: object, m: string): void } | null = null;
  let leaderRef: { isLeader: boolean } | null = null;
  // Every background promise is caught here: a failed disk or database write is logged, never an
  // unhandled rejection that would end the process.
  const track = (p: Promise<unknown>) => {
    const safe = p.catch((err) => logRef?.warn({ err: (err as Error).message }, 'background call work failed'));
    background.add(safe);
    void safe.finally(() => background.delete(safe));
  };
  const feature: Feature & { internals?: CallsInternals } = {
    name: 'calls',
    async register(ctx) {
      const hub = ctx.services.get(TELEPHONY_SERVICE) as TelephonyHub | undefined;
      const log = ctx.log.child({ component: 'calls' });
      logRef = log;
      leaderRef = ctx.leader;
      const pbx: PbxControl = hub ? new HubPbxControl(hub, log) : new NoPbx();
      const centres = new CentreDirectory(ctx.knex);
      await centres.load();
      const store = new CallStore(ctx.knex);
      // Call records are the leader's to write: every instance reads the same events, and each one
      // writing every fact (idempotent, but every statement repeated) made a second instance cost more
      // than it brought. The others hold their steps a while and write them if they take over. While
      // the leader lock cannot be checked (Redis down) every instance writes, as none may be leading.
      const recorder = new CallRecorder(store, log, (q) => centres.byQueue(q)?.code ?? null, () => ctx.leader.isLeader || ctx.leader.uncertain);
      ctx.leader.on('elected', () => recorder.takeOver());
      const sources = (ctx.services.get(RECORDING_SOURCES_SERVICE) as RecordingSource[] | undefined) ?? [];
      const recordings = new RecordingCollector(ctx.knex, ctx.config.recordingsDir, sources, log);
      const restrictions = new RestrictionService(ctx.knex, pbx, ctx.audit, log);
      const operators = new OperatorService(ctx.knex, ctx.live, pbx, centres, log, ctx.config.wrapupSeconds);
      const wallboard = new Wallboard(ctx.live, (delta) => {
        // Every instance computes the board; only the leader publishes, so clients get each delta once.
        if (ctx.leader.isLeader) ctx.ws.publish(QUEUES_TOPIC, delta).catch((err) => log.warn({ err: (err as Error).message }, 'live feed publish failed'));
      });
      operators.onChange((op) => wallboard.operatorChanged(op));
      const missed = new MissedCallService(ctx.knex);
      const sms = (ctx.services.get(SMS_SERVICE_KEY) as SmsGateway | undefined) ?? null;
      const downtime = new DowntimeReconciler(ctx.knex, recorder, recordings, sources, log, async (_serverId, name) => (await operators.list()).find((o) => o.displayName === name)?.interface ?? null);
      const outbox = new FallbackOutbox(ctx.knex, pbx, sms, ticketDrafts(ctx), recordings, ctx.config.smsLinkText, log);
      const internals: CallsInternals = {
        store, recorder, recordings, restrictions, operators, wallboard, outbox, missed, pbx,
        async idle() {
          await recorder.idle();
          while (background.size) await Promise.allSettled([...background]);
          await recordings.idle();
        },
      };
      feature.internals = internals;
      ctx.services.set(CALLS_SERVICE, internals);

      const satisfaction = new SatisfactionCalls(ctx.knex, hub ?? null, () => ctx.services.get('tickets') as never, ctx.audit, ctx.config.satisfactionDial, log);
      const TicketParams = z.object({ no: z.string().regex(/^[A-Z]{1,8}\d{8,}$/) });
      ctx.api.route({
        method: 'post', path: '/api/tickets/:no/satisfaction-call', summary: 'Place the IVR satisfaction visit call to the citizen (第二十二条(三))', tags: ['tickets'],
        roles: ['operator', 'supervisor'], params: TicketParams, status: 202, response: z.object({ id: z.number(), ticketNo: z.string(), channelId: z.string(), result: z.string() }), errors: { 404: 'No such ticket', 409: 'Not replied yet / no phone / a call under way', 503: 'No Asterisk' },
        handler: ({ params, user, requestId }) => satisfaction.place(params.no, user!, requestId),
      });
      ctx.api.route({
        method: 'get', path: '/api/tickets/:no/satisfaction-calls', summary: 'IVR satisfaction calls of a ticket and their results', tags: ['tickets'],
        roles: ['operator', 'supervisor', 'auditor'], params: TicketParams, response: z.array(SatisfactionCallSchema),
        handler: async ({ params }) => (await satisfaction.forTicket(params.no)).map(dto(SatisfactionCallSchema)),
      });
      // Holidays and 调休 days come from the tickets' working-day calendar when it is wired in.
      const days: DayKindSource = {
        kindOf(day) {
          const cal = (ctx.services.get('tickets') as { clock?: () => { calendar: { entry(d: string): { kind: string } | undefined; isWorkingDay(d: string): boolean } } } | undefined)?.clock?.().calendar;
          if (cal) return cal.entry(day)?.kind === 'holiday' ? 'holiday' : cal.isWorkingDay(day) ? 'workday' : 'weekend';
          const dow = new Date(`${day}T00:00:00Z`).getUTCDay();
          return dow === 0 || dow === 6 ? 'weekend' : 'workday';
        },
      };
      const seatMembers = (): SeatMember[] =>
        hub ? hub.serverIds().flatMap((serverId) => [...hub.ami(serverId).view.members.values()].map((m) => ({ serverId, queue: m.queue, memberInterface: m.memberInterface, paused: m.paused, status: m.status, inCall: m.inCall }))) : [];
      const staffingNow = async () => staffing(centres.all(), await operators.list(), Date.now(), days, seatMembers());
      // The staffing table follows Asterisk's members too; the leader pushes it when it changes.
      let lastStaffing = '';
      staffingPush = () => {
        if (!ctx.leader.isLeader || stopping) return;
        track(staffingNow().then((rows) => {
          const json = JSON.stringify(rows);
          if (json === lastStaffing) return;
          lastStaffing = json;
          return ctx.ws.publish(QUEUES_TOPIC, { kind: 'staffing', staffing: rows });
        }).catch((err) => log.warn({ err: (err as Error).message }, 'staffing publish failed')));
      };
      const current = new CurrentCalls(store, operators, centres, restrictions, () => (ctx.services.get('tickets') as CallerTickets | undefined) ?? null);
      registerCallRoutes(ctx.api, { calls: store, recordings, operators, restrictions, missed, centres, live: ctx.live, audit: ctx.audit, staffing: staffingNow, current });
      // Issue 5: one-key transfer, three-way calls, emergency linkage, supervisor monitoring.
      linkage = await registerLinkage(ctx, { hub: hub ?? null, store, recordings, log, operatorRecalled: (...a) => operators.recalled(...a) });
      ctx.ws.registerTopic(QUEUES_TOPIC, { roles: ['supervisor', 'admin'], snapshot: async () => ({ queues: await Wallboard.readSnapshot(ctx.live), operators: (await operators.list()).map(boardView), staffing: await staffingNow() }) });
      ctx.ws.registerTopic('operator', {
        roles: ['operator', 'expert'],
        snapshot: async (user) => ({ ...((await operators.get(user.id)) ?? { state: 'logged_out' }), currentCall: await current.forOperator(user.id, user), wrapupSeconds: operators.wrapupSeconds }),
        filter: (user, e) => (e as { operator?: { userId: number } }).operator?.userId === user.id,
      });
      const opRoles = ['operator', 'expert'] as const;
      ctx.ws.registerCommand('operator.login', opRoles, (user, p) => operators.login(user, { queues: Array.isArray(p.queues) ? (p.queues as string[]) : undefined }));
      ctx.ws.registerCommand('operator.logout', opRoles, (user) => operators.logout(user));
      ctx.ws.registerCommand('operator.ready', opRoles, (user) => operators.ready(user));
      ctx.ws.registerCommand('operator.pause', opRoles, (user, p) => operators.pause(user, String(p.reason) as PauseReason));
      // The topic admits operators and experts only, who see callers' numbers (第二十七条), so the
      // screen pop's call goes out unmasked; the event reaches only the operator it is about.
      const staff = { id: 0, username: 'system', displayName: 'system', roles: ['operator' as const], centre: null, unitCode: null, extension: null };
      // Published one after another, so the describing look-up never reorders an operator's states.
      let feed: Promise<unknown> = Promise.resolve();
      operators.onChange((op) => {
        const snapshot = { ...op };
        feed = feed
          .then(async () => ctx.ws.publish('operator', { operator: { ...snapshot, currentCall: snapshot.call ? await current.describe(snapshot.call, staff) : null } }))
          .catch((err) => log.warn({ err: (err as Error).message }, 'operator feed publish failed'));
      });

      if (!hub) return;
      // Work that follows the caller's hangup only (not every leg's): recordings, restriction hits,
      // the fallback outbox, and linking recordings to the call's tickets.
      const afterHangup = async (serverId: string, linkedid: string, channelId: string) => {
        await recorder.idleFor(serverId, linkedid);
        const call = await store.findCall(serverId, linkedid);
        if (!call || call.caller_channel_id !== channelId) return;
        await recordings.finishCall(serverId, linkedid, new Date());
        if (call.restricted && call.caller_number) await restrictions.recordHit(serverId, linkedid, call.caller_number, call.started_at);
        if (call.fallback === 'sms' || call.fallback === 'message') await outbox.drain(serverId);

        const tickets = ctx.services.get('tickets') as { recordingLanded?(r: { recordingId: string; linkedid: string }): Promise<string[]> } | undefined;
        if (tickets?.recordingLanded) for (const r of await recordings.forCall(call.id)) await tickets.recordingLanded({ recordingId: String(r.id), linkedid });
      };
      const busy = new BusyMonitor(pbx, ctx.config.fallbackWaitSeconds, log);
      const onEvent = (e: TelephonyEvent) => {
        if (stopping) return;
        recorder.handle(e);
        linkage?.handle(e);
        wallboard.handle(e);
        if (e.type === 'CallerJoinedQueue' || e.type === 'CallerLeftQueue' || e.type === 'CallerAbandoned') busyCheck?.();
        if (ctx.leader.isLeader) track(operators.onTelephony(e).catch((err) => log.warn({ err: (err as Error).message }, 'operator update failed')));
        if (e.type === 'VariableSet') recorder.handleVariable(e.serverId, e.channelId, e.linkedId, e.name, e.value, e.at);
        if ((e.type === 'VariableSet' && e.name === 'HOTLINE_SATISFACTION') || (e.type === 'ChannelHungUp' && e.channelId.startsWith('sat-'))) {
          track(satisfaction.onTelephony(e).catch((err) => log.warn({ err: (err as Error).message }, 'satisfaction call update failed')));
        }
        // Recordings are files to copy: the leader's work, as after the hangup (a new leader's
        // finishEnded and the resync's spool pass pick up what a previous one left).
        if (e.type === 'RecordingStarted' && e.via === 'mixmonitor' && e.file && ctx.leader.isLeader) {
          const linkedid = (e.channelId && recorder.linkedIdOf(e.serverId, e.channelId)) ?? undefined;
          track(recordings.started({ serverId: e.serverId, file: e.file, linkedid, kind: 'call', at: new Date(e.at) }).catch((err) => log.warn({ err: (err as Error).message }, 'recording row failed')));
        }
        if (e.type === 'RecordingFinished' && e.via === 'mixmonitor' && e.file && ctx.leader.isLeader) track(recordings.finished(e.serverId, e.file, new Date(e.at)));
        if (e.type === 'ChannelHungUp') {
          const linkedid = e.linkedId ?? recorder.linkedIdOf(e.serverId, e.channelId) ?? e.channelId;
          // Side effects (files, SMS, drafts) run on the leader only, as do the call records they read.
          if (ctx.leader.isLeader) track(afterHangup(e.serverId, linkedid, e.channelId).catch((err) => log.warn({ err: (err as Error).message }, 'after-hangup work failed')));
        }
        if (e.type === 'ConnectionStateChanged' && e.link === 'ami' && e.state === 'resynced') {
          track((async () => {
            await recorder.idle();
            const r = await restrictions.syncServer(e.serverId);
            // The dialplan's queue timeout follows the configured threshold (a global it reads).
            await hub.ami(e.serverId).setVar({ variable: 'FALLBACK_WAIT', value: String(ctx.config.fallbackWaitSeconds) });
            const ended = await reconcileOpenCalls(store, hub, e.serverId, recorder);
            // Calls that began while we were away, from Asterisk's own queue_log and spool (leader: it collects files).
            if (ctx.leader.isLeader) await downtime.run(e.serverId, new Set(hub.ami(e.serverId).view.channels.keys()));
            const drained = ctx.leader.isLeader ? await outbox.drain(e.serverId) : 0;
            const operatorsChanged = ctx.leader.isLeader ? await operators.reconcileWithAsterisk(e.serverId) : 0;
            // Busy marks a previous leader left in AstDB are ours to keep or remove now.
            if (ctx.leader.isLeader && (await busy.adopt(e.serverId)).length) busyCheck?.();
            log.info({ serverId: e.serverId, restrictionsPut: r.put, restrictionsDeleted: r.deleted, reconciledCalls: ended, outboxDrained: drained, operatorsChanged }, 'resynced with Asterisk');
          })().catch((err) => log.warn({ err: (err as Error).message }, 'post-resync work failed')));
        }
      };
      unsubscribe = hub.onEvent(onEvent);
      // A new leader picks up what the previous one may have left: recordings of ended calls, the outbox.
      ctx.leader.on('elected', () => {
        track(recordings.finishEnded());
        for (const id of pbx.serverIds()) {
          track(outbox.drain(id));
          // Marks the old leader set (a server not connected yet is adopted at its resync instead).
          track(busy.adopt(id).then((q) => q.length && busyCheck?.()).catch(() => undefined));
        }
      });
      // The leader keeps each queue's busy mark in AstDB in step with the predicted wait.
      let evaluating = false;
      busyCheck = () => {
        if (!ctx.leader.isLeader || evaluating || stopping) return;
        evaluating = true;
        track(operators.list().then((ops) => busy.evaluate(wallboard.snapshot(), ops)).catch((err) => log.warn({ err: (err as Error).message }, 'busy check failed')).finally(() => { evaluating = false; }));
      };
      // An operator who logs in or becomes ready changes the predicted wait at once: a busy mark left
      // from when everybody was paused must not send the next caller to the fallback.
      operators.onChange(() => busyCheck?.());
      wallboard.ensureQueues(centres.all().filter((c) => c.kind === 'city').flatMap((c) => [c.queue, ...(c.backupQueue ? [c.backupQueue] : [])]));
      await wallboard.loadToday(ctx.knex);
      await operators.rebuild();
    },
    async start() {
      const internals = feature.internals;
      if (!internals) return;
      // The outbox is drained after every fallback call; a periodic pass catches anything left over.
      drainTimer = setInterval(() => {
        if (!leaderRef?.isLeader) return;
        for (const id of internals.pbx.serverIds()) track(internals.outbox.drain(id));
        track(internals.recordings.finishEnded());
      }, 60_000);
      drainTimer.unref();
      busyTimer = setInterval(() => {
        busyCheck?.();
        staffingPush?.();
      }, 2_000);
      busyTimer.unref();
    },
    async stop() {
      stopping = true;
      if (drainTimer) clearInterval(drainTimer);
      if (busyTimer) clearInterval(busyTimer);
      unsubscribe?.();
      linkage?.stop();
      await linkage?.idle();
      feature.internals?.operators.stop();
      feature.internals?.wallboard.stop();
      await feature.internals?.idle();
    },
  };
  return feature;
}
