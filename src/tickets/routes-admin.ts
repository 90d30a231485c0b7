import { Api } from '../http/api';
import { z } from '../http/zod';
import { isoDay } from '../http/params';
import { ANY_ROLE } from '../auth/roles';
import { AppError, notFound, unavailable } from '../http/errors';
import { AppConfig } from '../config/load';
import { formatShanghai, nextDay } from './calendar/calendar';
import { CalendarStore } from './calendar/store';
import { DOMAIN_CATALOGUE, listUnits } from './catalogue';
import {
  CATEGORY_LABELS, CHANNEL_LABELS, DEADLINE_LABELS, NOT_ACCEPTED_REASONS, SATISFACTION_LABELS, STATUS_LABELS,
} from './model';
import { SlaClock, parseLimit, LIMIT_SYNTAX } from './sla/clock';
import { Satisfaction } from './satisfaction';
import { validTwilioSignature } from './sms/twilio';
import { Knex } from 'knex';

export interface AdminRouteDeps {
  knex: Knex;
  config: AppConfig;
  clock: () => SlaClock;
  calendar: CalendarStore;
  /** Reload the calendar here and on every other instance. */
  reloadCalendar(): Promise<void>;
  satisfaction: Satisfaction;
}

const CalendarOverrides = z.object({ overrides: z.array(z.object({ day: z.string(), kind: z.string(), name: z.string(), source: z.string() })) });

const xml = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

export function registerAdminRoutes(api: Api, d: AdminRouteDeps) {
  api.route({
    method: 'get', path: '/api/tickets-catalogue', summary: 'Codes and Chinese labels: categories, channels, domains with the finer catalogue, 第十七条 reasons, statuses', tags: ['tickets'], roles: ANY_ROLE,
    response: z.object({
      categories: z.record(z.string()), channels: z.record(z.string()), statuses: z.record(z.string()), deadlines: z.record(z.string()), satisfaction: z.record(z.string()),
      domains: z.array(z.object({ code: z.string(), label: z.string(), items: z.array(z.object({ code: z.string(), label: z.string() })) })),
      notAcceptedReasons: z.record(z.object({ article: z.string(), text: z.string() })).openapi({ description: '第十七条 reasons keyed by code' }),
    }).openapi({ description: 'label dictionaries keyed by code' }),
    handler: () => ({
      categories: CATEGORY_LABELS, channels: CHANNEL_LABELS, statuses: STATUS_LABELS, deadlines: DEADLINE_LABELS, satisfaction: SATISFACTION_LABELS,
      domains: DOMAIN_CATALOGUE, notAcceptedReasons: NOT_ACCEPTED_REASONS,
    }),
  });

  api.route({
    method: 'get', path: '/api/units', summary: 'Handling units (承办单位)', tags: ['tickets'], roles: ANY_ROLE,
    query: z.object({ kind: z.string().max(32).optional(), county: z.string().max(64).optional() }),
    response: z.object({ items: z.array(z.object({ code: z.string(), name: z.string(), kind: z.string(), parentCode: z.string().nullable(), countyCode: z.string().nullable(), active: z.boolean() })) }),
    handler: async ({ query }) => ({ items: await listUnits(d.knex, query) }),
  });

  api.route({
    method: 'get', path: '/api/sla/due', summary: 'The deadline of a limit from a time, on the working-day calendar (第二十一条)', tags: ['tickets'], roles: ANY_ROLE,
    query: z.object({ from: z.string().datetime({ offset: true }), limit: z.string().max(16).openapi({ description: LIMIT_SYNTAX }) }),
    response: z.object({ due: z.string(), dueUtc: z.string() }),
    handler: ({ query }) => {
      let limit;
      try {
        limit = parseLimit(query.limit);
      } catch (err) {
        throw new AppError(400, 'sla.bad_limit', `时限格式错误：${(err as Error).message}`, { expects: LIMIT_SYNTAX });
      }
      const due = d.clock().due(new Date(query.from), limit);
      return { due: formatShanghai(due), dueUtc: due.toISOString() };
    },
  });

  api.route({
    method: 'get', path: '/api/calendar', summary: 'Working days, statutory holidays and 调休 make-up days in a range', tags: ['tickets'], roles: ANY_ROLE,
    query: z.object({ from: isoDay, to: isoDay }),
    response: z.object({ officeHours: z.string(), days: z.array(z.object({ day: z.string(), working: z.boolean(), kind: z.string().nullable(), name: z.string().nullable() })) }),
    handler: ({ query }) => {
      const cal = d.clock().calendar;
      const days = [];
      for (let day = query.from, i = 0; day <= query.to && i < 400; day = nextDay(day), i++) {
        const e = cal.entry(day);
        days.push({ day, working: cal.isWorkingDay(day), kind: e?.kind ?? null, name: e?.name ?? null });
      }
      return { officeHours: d.config.officeHours, days };
    },
  });

  api.route({
    method: 'put', path: '/api/calendar/days', summary: 'Override calendar days (a new notice or a correction) without a release; applied on every instance', tags: ['tickets'], roles: ['admin'],
    body: z.object({ days: z.array(z.object({ day: isoDay, kind: z.enum(['holiday', 'workday']), name: z.string().min(1).max(64), source: z.string().max(128).default('') })).min(1).max(400) }),
    response: CalendarOverrides,
    handler: async ({ body }) => {
      await d.calendar.upsert(body.days);
      await d.reloadCalendar();
      return { overrides: await d.calendar.list() };
    },
  });

  api.route({
    method: 'delete', path: '/api/calendar/days/:day', summary: 'Remove a calendar override', tags: ['tickets'], roles: ['admin'],
    params: z.object({ day: isoDay }),
    response: CalendarOverrides,
    handler: async ({ params }) => {
      if (!(await d.calendar.remove(params.day))) throw notFound('calendar.no_override', `${params.day} 没有日历调整`);
      await d.reloadCalendar();
      return { overrides: await d.calendar.list() };
    },
  });

  api.route({
    method: 'post', path: '/api/tickets/sms/inbound', summary: 'Inbound SMS webhook (Twilio): satisfaction replies; refused unless X-Twilio-Signature verifies', tags: ['tickets'], roles: 'public',
    body: z.record(z.string()), accepts: ['application/x-www-form-urlencoded', 'application/json'], errors: { 403: 'Missing or wrong signature', 503: 'No TWILIO_AUTH_TOKEN configured' },
    handler: async ({ body, req, res }) => {
      const token = d.config.twilioAuthToken;
      if (!token) throw unavailable('sms.webhook_unconfigured', '未配置 TWILIO_AUTH_TOKEN');
      const base = d.config.publicBaseUrl ? d.config.publicBaseUrl.replace(/\/$/, '') : `${req.protocol}://${req.get('host')}`;
      if (!validTwilioSignature(token, req.header('x-twilio-signature'), base + req.originalUrl, body)) {
        throw new AppError(403, 'sms.bad_signature', '请求签名校验失败');
      }
      const r = await d.satisfaction.inbound(body.From ?? '', body.Body ?? '', body.MessageSid ?? null);
      res.status(200).type('text/xml').send(`<?xml version="1.0" encoding="UTF-8"?><Response><Message>${xml(r.reply)}</Message></Response>`);
      return undefined;
    },
  });

}
