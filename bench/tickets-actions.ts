import { fork } from 'node:child_process';
import path from 'node:path';
import { LoadResult, arg, f1, pct, run } from './support/load';
import { cpuMark, cpuPerOp, cpuProfileStart } from './support/cpu';
import { startTestService } from '../test/support/service';
import { createTicketsFeature, TicketsApi } from '../src/tickets/feature';
import { LogSmsGateway } from '../src/tickets/sms/log';
import { silentLogger } from '../src/logging/logger';
import { SYSTEM_ACTOR } from '../src/tickets/service';

/**
 * Ticket actions through HTTP on the real PostgreSQL and Redis (issue #13: "ticket actions get the
 * same treatment" as registration): 转办 (dispatch), 签收 (sign) and 答复 (reply). The load generator
 * runs in its own process (bench/support/http-load-child.ts). Tickets are prepared in three sets, each
 * taken through dispatch, sign and reply in turn:
 *   0. warm-up (200 tickets, closed loop): JIT, pools, prepared statements;
 *   1. open loop: each action sent at --rate for --seconds to rate×seconds tickets, whether or not
 *      earlier ones have answered (so queueing shows): achieved rate, latency p50/p99, errors;
 *   2. closed loop of --concurrency clients over --tickets tickets: actions/s, latency p50/p99, database
 *      round trips per action (knex 'query' events: auth, lock, effects, commit …), CPU time per
 *      action of the service and of the PostgreSQL backends (rates move with whatever else runs on a
 *      shared machine, CPU per action much less), and, in the same run, the same rows written directly
 *      (one transaction per action) and the ratio.
 *
 * --seconds 0 skips the open loop.
 *
 *   npx tsx bench/tickets-actions.ts [--rate 500] [--seconds 10] [--tickets 2000] [--concurrency 32] [--profile actions.cpuprofile]
 */

async function main() {
  const n = arg('tickets', 2000);
  const concurrency = arg('concurrency', 32);
  const rate = arg('rate', 500);
  const seconds = arg('seconds', 10);
  const t = await startTestService({ features: [createTicketsFeature({ sms: new LogSmsGateway(silentLogger()), timerIntervalMs: 60_000 })] });
  const child = fork(path.join(__dirname, 'support/http-load-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((r) => child.once('message', r));
  let queries = 0;
  t.service.ctx.knex.on('query', () => queries++);
  try {
    const api = t.service.ctx.services.get('tickets') as TicketsApi;
    // Every ticket has a caller of its own: the same caller's same matter would not be accepted (a repeat).
    let made = 0;
    const prepare = async (count: number) => {
      const nos: string[] = [];
      for (let i = 0; i < count; i += 50) {
        const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, k) => made + i + k).map((j) => api.create({ channel: 'phone', callerPhone: `139${String(j).padStart(8, '0')}`, content: `路灯损坏 第${j}号`, category: 'help', domain: 'public_service' }, { ...SYSTEM_ACTOR, username: 'bench', roles: ['operator'] })));
        nos.push(...batch.map((b) => b.no));
      }
      made += count;
      return nos;
    };
    const warm = await prepare(200);
    const openSet = await prepare(Math.round(rate * seconds));
    const closedSet = await prepare(n);
    const operator = await t.userToken(['operator']);
    const unit = await t.userToken(['unit_handler'], { unitCode: 'QY-RSJ' });
    const steps: Array<[string, string, Record<string, unknown>]> = [
      ['dispatch', operator, { mainUnit: 'QY-RSJ' }],
      ['sign', unit, {}],
      ['reply', unit, { text: '已安排维修人员更换路灯，当晚恢复照明。' }],
    ];
    const job = (action: string, token: string, body: Record<string, unknown>, nos: string[], extra: Record<string, unknown>) =>
      ({ url: `${t.baseUrl}/api/tickets/x/${action}`, token, bodies: [body], paths: nos.map((no) => `/api/tickets/${no}/${action}`), seconds: 120, ...extra });
    for (const [action, token, body] of steps) await run(child, job(action, token, body, warm, { type: 'closed', concurrency: 8 }));
    for (const [action, token, body] of rate * seconds > 0 ? steps : []) {
      const o = await run(child, job(action, token, body, openSet, { type: 'open', rate, seconds }));
      console.log(`${action.padEnd(8)} open loop ${o.sent} at ${rate}/s for ${seconds} s: achieved ${f1(o.sent / o.elapsedS)}/s, p50 ${f1(pct(o.latencies, 50))} ms, p99 ${f1(pct(o.latencies, 99))} ms, max ${f1(Math.max(...o.latencies))} ms, errors ${o.errors}${failed(o)} (goal ${rate}/s, p99 < 50 ms)`);
    }
    for (const [action, token, body] of steps) {
      queries = 0;
      const mark = await cpuMark(t.db.knex);
      const profileStop = await cpuProfileStart(action);
      const r = await run(child, job(action, token, body, closedSet, { type: 'closed', concurrency }));
      await profileStop();
      const ok = r.sent - r.errors;
      const apiRate = ok / r.elapsedS;
      const trips = queries / Math.max(1, ok);
      const cpu = await cpuPerOp(t.db.knex, mark, ok);
      const markDirect = await cpuMark(t.db.knex);
      const direct = await directWrites(t.db.knex, action, concurrency, Math.max(3, Math.min(10, r.elapsedS)));
      const cpuDirect = await cpuPerOp(t.db.knex, markDirect, direct.n);
      console.log(`${action.padEnd(8)} ${ok} over HTTP, ${concurrency} clients: ${f1(apiRate)}/s, p50 ${f1(pct(r.latencies, 50))} ms, p99 ${f1(pct(r.latencies, 99))} ms, errors ${r.errors}${failed(r)}; round trips per action ${trips.toFixed(2)}; CPU per action: service ${cpu.service.toFixed(2)} ms, PostgreSQL ${cpu.postgres.toFixed(2)} ms; direct writes ${f1(direct.rate)}/s (PostgreSQL ${cpuDirect.postgres.toFixed(2)} ms CPU each); ratio direct/API ${(direct.rate / apiRate).toFixed(2)}× (goal ≤ 3×)`);
    }
  } finally {
    child.kill();
    await t.stop();
  }
}

/** The statuses of the failed requests, if any. */
const failed = (r: LoadResult) => (r.errors ? ` ${JSON.stringify(r.failures)}` : '');

/** What the action writes, with nothing else: the ticket row's update, its event and audit rows, its deadline change. */
async function directWrites(knex: import('knex').Knex, action: string, concurrency: number, seconds: number): Promise<{ rate: number; n: number }> {
  const nos = ((await knex('tickets').select('no').limit(5000)) as Array<{ no: string }>).map((r) => r.no);
  let i = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const no = nos[i++ % nos.length]!;
        const at = new Date();
        await knex.transaction(async (trx) => {
          await trx('tickets').where({ no }).forUpdate().first('no', 'version');
          await trx('tickets').where({ no }).update({ updated_at: at, version: trx.raw('version + 1') });
          await trx('ticket_events').insert({ ticket_no: no, at, event: `bench_${action}`, from_status: 'x', to_status: 'x', actor: 'bench', data: '{}' });
          await trx('ticket_deadlines').where({ ticket_no: no, state: 'open' }).update({ remind_at: at });
          await trx('audit_log').insert({ actor: 'bench', action: `ticket.${action}`, target_type: 'ticket', target_id: no, details: '{}' });
        });
      }
    }),
  );
  return { rate: i / ((performance.now() - started) / 1000), n: i };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
