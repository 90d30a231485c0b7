import path from 'node:path';
import { listTickets } from './query';
import { CATEGORY_LABELS, STATUS_LABELS } from './model';
import { Feature, ServiceContext } from '../app/context';
import { HOTLINE_STAFF, hasAnyRole } from '../auth/roles';
import { SMS_SERVICE_KEY, SmsGateway } from '../sms/gateway';
import { WorkCalendar } from './calendar/calendar';
import { CalendarStore } from './calendar/store';
import { seedUnits } from './catalogue';
import { TicketLinks, RecordingRef } from './links';
import { registerAdminRoutes } from './routes-admin';
import { registerTicketRoutes } from './routes';
import { registerAttachmentRoutes } from './routes-attachments';
import { AttachmentFiles } from './attachments';
import { Satisfaction } from './satisfaction';
import { ActionInput, Actor, CreateTicketInput, SYSTEM_ACTOR, TicketService } from './service';
import { SlaClock } from './sla/clock';
import { createSmsGateway } from './sms';
import { TicketTimer } from './timer';
import { TicketOutbox } from './outbox';
import { TicketRecord } from './store';

export const TICKETS_SERVICE_KEY = 'tickets';
export const TICKETS_TOPIC = 'tickets';
const CALENDAR_CHANNEL = 'tickets:calendar';

/**
 * What other features use (ctx.services.get('tickets')): the calls feature links calls and
 * recordings by Asterisk linkedid; a recording that lands after its ticket exists is linked then.
 */
export interface TicketsApi {
  create(input: CreateTicketInput, actor?: Actor): ReturnType<TicketService['create']>;
  act(no: string, input: ActionInput, actor?: Actor, opts?: { quiet?: boolean }): ReturnType<TicketService['act']>;
  get(no: string): ReturnType<TicketService['get']>;
  linkCall(ticketNo: string, linkedid: string, recordings?: RecordingRef[]): Promise<boolean>;
  linkRecording(ticketNo: string, rec: RecordingRef): Promise<boolean>;
  /** A finished recording of call `linkedid`: linked to every ticket of that call; returns their numbers. */
  recordingLanded(rec: RecordingRef & { linkedid: string }): Promise<string[]>;
  ticketsForCall(linkedid: string): Promise<string[]>;
  /** A caller's earlier tickets, newest first (the operator's screen pop, 来电弹屏). */
  byCaller(phone: string, limit?: number): Promise<Array<{ no: string; status: string; statusLabel: string; category: string; categoryLabel: string; content: string; mainUnit: string | null; createdAt: string }>>;
  /** The SLA clock (working-day calendar + office hours) for anyone computing deadlines. */
  clock(): SlaClock;
  /** Register with the full input (the network creates tickets the city sent down, with their origin). */
  createFull(input: CreateTicketInput, actor: Actor): Promise<TicketRecord>;
  /** A ticket sent down earlier from `centre` as its `no`, if any (the network's idempotency). */
  byOrigin(centre: string, no: string): Promise<string | null>;
  /** The network's outbox: every ticket event from now on is also queued in its own transaction. */
  setOutbox(outbox: TicketOutbox | null): void;
}

export interface TicketsFeatureOptions {
  /** The service's notion of now (tests drive the clock). */
  now?: () => Date;
  timerIntervalMs?: number;
  centrePrefix?: string;
  sms?: SmsGateway;
}

export interface TicketsFeature extends Feature {
  /** Set after register(): for tests and the bench. */
  internals?: { service: TicketService; links: TicketLinks; satisfaction: Satisfaction; timer: TicketTimer; sms: SmsGateway; reloadCalendar(): Promise<void> };
}

export function createTicketsFeature(opts: TicketsFeatureOptions = {}): TicketsFeature {
  let ctxRef: ServiceContext | null = null;
  let timer: TicketTimer | null = null;
  let unsubscribe: (() => Promise<void>) | null = null;
  let clock: SlaClock;
  let calendarStore: CalendarStore;

  const loadClock = async () => {
    const ctx = ctxRef!;
    clock = new SlaClock(WorkCalendar.fromDefaultFile(await calendarStore.list()), ctx.config.officeHours);
  };

  const feature: TicketsFeature = {
    name: 'tickets',
    async register(ctx) {
      ctxRef = ctx;
      const log = ctx.log.child({ component: 'tickets' });
      calendarStore = new CalendarStore(ctx.knex);
      const seeded = await seedUnits(ctx.knex);
      if (seeded) log.info({ seeded }, 'handling units seeded');
      await loadClock();

      const sms = opts.sms ?? (ctx.services.get(SMS_SERVICE_KEY) as SmsGateway | undefined) ?? createSmsGateway(ctx.config, ctx.log);
      if (!ctx.services.has(SMS_SERVICE_KEY)) ctx.services.set(SMS_SERVICE_KEY, sms);
      const now = opts.now ?? (() => new Date());
      const publish = (event: Record<string, unknown>) => ctx.ws.publish(TICKETS_TOPIC, event);

      let satisfaction: Satisfaction | null = null;
      const service = new TicketService({
        knex: ctx.knex, audit: ctx.audit, log, clock: () => clock, now, centrePrefix: opts.centrePrefix ?? ctx.config.centreCode,
        afterCommit: { resultSms: (t) => satisfaction!.sendResult(t), publish },
      });
      satisfaction = new Satisfaction(ctx.knex, service, sms, ctx.audit, log);
      const links = new TicketLinks(ctx.knex, ctx.audit, now);
      timer = new TicketTimer({ knex: ctx.knex, tickets: service, log, leader: ctx.leader, publish, intervalMs: opts.timerIntervalMs ?? 15_000 });

      ctx.ws.registerTopic(TICKETS_TOPIC, {
        roles: [...HOTLINE_STAFF, 'unit_handler', 'auditor'],
        // A unit hears only about tickets dispatched to it.
        filter: (user, ev) => hasAnyRole(user, [...HOTLINE_STAFF, 'auditor']) || (!!user.unitCode && ((ev as { units?: string[] }).units ?? []).includes(user.unitCode)),
      });
      const reloadCalendar = async () => {
        await loadClock();
        await ctx.live.publish(CALENDAR_CHANNEL, 'reload');
      };
      registerTicketRoutes(ctx.api, { tickets: service, links, satisfaction });
      const files = new AttachmentFiles(ctx.config.attachmentsDir ?? path.join(ctx.config.dataDir, 'attachments'), ctx.config.attachmentMaxMb * 1024 * 1024);
      registerAttachmentRoutes(ctx.api, { tickets: service, links, satisfaction, files, audit: ctx.audit });
      registerAdminRoutes(ctx.api, { knex: ctx.knex, config: ctx.config, clock: () => clock, calendar: calendarStore, reloadCalendar, satisfaction });

      const api: TicketsApi = {
        create: (input, actor = SYSTEM_ACTOR) => service.create(input, actor),
        act: (no, input, actor = SYSTEM_ACTOR, opts) => service.act(no, input, actor, opts),
        get: (no) => service.get(no),
        linkCall: (no, linkedid, recordings) => links.linkCall(no, linkedid, recordings),
        linkRecording: (no, rec) => links.linkRecording(no, rec),
        recordingLanded: (rec) => links.recordingLanded(rec),
        ticketsForCall: (linkedid) => links.ticketsForCall(linkedid),
        byCaller: async (phone, limit = 10) => {
          const r = await listTickets(ctx.knex, { callerPhone: phone, limit }, now());
          return r.items.map(({ ticket: t }) => ({ no: t.no, status: t.status, statusLabel: STATUS_LABELS[t.status], category: t.category, categoryLabel: CATEGORY_LABELS[t.category], content: t.content, mainUnit: t.mainUnit, createdAt: t.createdAt.toISOString() }));
        },
        clock: () => clock,
        createFull: (input, actor) => service.create(input, actor),
        byOrigin: (centre, no) => service.store.byOrigin(centre, no),
        setOutbox: (outbox) => service.setOutbox(outbox),
      };
      ctx.services.set(TICKETS_SERVICE_KEY, api);
      feature.internals = { service, links, satisfaction, timer, sms, reloadCalendar };
    },
    async start() {
      const ctx = ctxRef!;
      unsubscribe = await ctx.live.subscribe(CALENDAR_CHANNEL, () => {
        loadClock().catch((err) => ctx.log.warn({ err: (err as Error).message }, 'calendar reload failed'));
      });
      timer!.start();
    },
    async stop() {
      await timer?.stop();
      await unsubscribe?.();
    },
  };
  return feature;
}
