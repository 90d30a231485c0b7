import { expect } from 'chai';
import WebSocket from 'ws';
import { until } from '../support/until';
import { startTestService, TestService, DatabaseKind } from '../support/service';
import { createTicketsFeature, TicketsFeature } from '../../src/tickets/feature';
import { LogSmsGateway } from '../../src/tickets/sms/log';
import { silentLogger } from '../../src/logging/logger';
import { TestDatabase } from '../support/db';
import { Knex } from 'knex';

/** A clock the test moves by hand: the SLA timer and every transition read it. */
export class TestClock {
  t: Date;
  constructor(iso: string) {
    this.t = new Date(iso);
  }
  now = () => this.t;
  set(iso: string) {
    this.t = new Date(iso);
  }
  advance(ms: number) {
    this.t = new Date(this.t.getTime() + ms);
  }
}

export interface TicketsHarness {
  t: TestService;
  feature: TicketsFeature;
  clock: TestClock;
  sms: LogSmsGateway;
  tokens: { operator: string; supervisor: string; admin: string; auditor: string; zjj: string; scjgj: string; rsj: string };
  create(body?: Record<string, unknown>, token?: string): Promise<any>;
  act(no: string, action: string, body?: Record<string, unknown>, token?: string): Promise<{ status: number; body: any }>;
  ok(no: string, action: string, body?: Record<string, unknown>, token?: string): Promise<any>;
  get(no: string, token?: string): Promise<any>;
  stop(): Promise<void>;
}

export const BASE_TICKET = {
  channel: 'phone', callerName: '张三丰', callerPhone: '13800138000', content: '西峰区南大街某小区楼下烧烤店油烟扰民,晚上噪音很大', category: 'complaint',
  domain: 'ecological_environment', subdomain: 'air', matterPlace: '西峰区南大街', emergency: false,
};

export async function startTickets(opts: { at?: string; env?: Record<string, string>; db?: TestDatabase; redisPrefix?: string; clock?: TestClock; timerIntervalMs?: number; database?: DatabaseKind } = {}): Promise<TicketsHarness> {
  const clock = opts.clock ?? new TestClock(opts.at ?? '2026-09-30T16:00:00+08:00');
  const sms = new LogSmsGateway(silentLogger());
  const feature = createTicketsFeature({ now: clock.now, timerIntervalMs: opts.timerIntervalMs ?? 3_600_000, sms });
  const env = { ...(opts.env ?? {}), ...(opts.redisPrefix ? { REDIS_PREFIX: opts.redisPrefix } : {}) };
  const t = await startTestService({ features: [feature], env, db: opts.db, database: opts.database });
  const tokens = {
    operator: await t.userToken(['operator']),
    supervisor: await t.userToken(['supervisor']),
    admin: await t.userToken(['admin']),
    auditor: await t.userToken(['auditor']),
    zjj: await t.userToken(['unit_handler'], { unitCode: 'QY-ZJJ' }),
    scjgj: await t.userToken(['unit_handler'], { unitCode: 'QY-SCJGJ' }),
    rsj: await t.userToken(['unit_handler'], { unitCode: 'QY-RSJ' }),
  };
  const act = async (no: string, action: string, body: Record<string, unknown> = {}, token = tokens.operator) => t.http('POST', `/api/tickets/${no}/${action}`, { token, body });
  return {
    t, feature, clock, sms, tokens, act,
    async create(body = {}, token = tokens.operator) {
      const r = await t.http('POST', '/api/tickets', { token, body: { ...BASE_TICKET, ...body } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      return r.body;
    },
    async ok(no, action, body = {}, token = tokens.operator) {
      const r = await act(no, action, body, token);
      expect(r.status, `${action}: ${JSON.stringify(r.body)}`).to.equal(200);
      return r.body;
    },
    async get(no, token = tokens.operator) {
      const r = await t.http('GET', `/api/tickets/${no}`, { token });
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      return r.body;
    },
    // Every test that uses the harness ends by checking the list's keys against what they stand for.
    async stop() {
      try {
        await expectListKeysConsistent(t.service.ctx.knex);
      } finally {
        await t.stop();
      }
    },
  };
}

/**
 * The keys the ticket list reads (issue #13) agree with the rows they are kept from: a ticket's
 * next_due_at is the earliest due time of its open deadlines that can make it overdue (退单时限
 * windows left out, 第二十一条(二)), and an active unit assignment carries its ticket's status.
 */
export async function expectListKeysConsistent(knex: Knex): Promise<void> {
  const dueOff = (await knex.raw(
    `select t.no, t.next_due_at, d.due from tickets t
       left join (select ticket_no, min(due_at) as due from ticket_deadlines where state = 'open' and kind <> 'return' group by ticket_no) d on d.ticket_no = t.no
     where t.next_due_at is distinct from d.due`,
  )).rows;
  expect(dueOff, 'tickets.next_due_at differs from the earliest open deadline').to.deep.equal([]);
  const statusOff = (await knex.raw(
    `select u.id, u.ticket_no, u.unit_code, u.ticket_status, t.status from ticket_units u join tickets t on t.no = u.ticket_no
     where u.active and u.ticket_status is distinct from t.status`,
  )).rows;
  expect(statusOff, 'an active assignment\'s ticket_status differs from its ticket').to.deep.equal([]);
}

export const due = (ticket: any, kind: string): string | undefined => ticket.deadlines.find((d: any) => d.kind === kind)?.dueAtLocal;
export const HOUR = 3_600_000;

/** The tickets topic as a browser hears it (a supervisor's or a unit's, by the token): its events' data, in order. */
export async function ticketsFeed(h: TicketsHarness, token: string): Promise<{ events: any[]; close(): void }> {
  const ws = new WebSocket(`ws://127.0.0.1:${h.t.service.port}/ws?token=${token}`);
  const events: any[] = [];
  let subscribed = false;
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString());
    if (m.type === 'snapshot') subscribed = true;
    if (m.type === 'event' && m.topic === 'tickets') events.push(m.data);
  });
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'subscribe', topic: 'tickets' }));
  await until(() => subscribed, { what: 'tickets subscription' });
  return { events, close: () => ws.close() };
}
