import { fork } from 'node:child_process';
import path from 'node:path';
import { arg, f1, pct, run } from './support/load';
import { cpuMark, cpuPerOp, cpuProfileStart } from './support/cpu';
import { startTestService } from '../test/support/service';
import { createTicketsFeature, TicketsApi } from '../src/tickets/feature';
import { LogSmsGateway } from '../src/tickets/sms/log';
import { silentLogger } from '../src/logging/logger';
import { SYSTEM_ACTOR } from '../src/tickets/service';

/**
 * Ticket actions through HTTP on the real PostgreSQL and Redis (issue #13: "ticket actions get the
 * same treatment" as registration): 转办 (dispatch), 签收 (sign) and 答复 (reply), each applied once to
 * every ticket of a prepared set, by a closed loop of --concurrency clients in the load generator's own
 * process (bench/support/http-load-child.ts). For each action: actions/s, latency p50/p99, database
 * round trips per action (knex 'query' events: auth, lock, snapshot, effects, event, audit, commit),
 * CPU time per action of the service and of the PostgreSQL backends (rates move with whatever else
 * runs on a shared machine, CPU per action much less), and, in the same run, the same rows written
 * directly (one transaction per action) and the ratio.
 *
 *   npx tsx bench/tickets-actions.ts [--tickets 2000] [--concurrency 32] [--profile actions.cpuprofile]
 */


async function main() {
  const n = arg('tickets', 2000);
  const concurrency = arg('concurrency', 32);
  const t = await startTestService({ features: [createTicketsFeature({ sms: new LogSmsGateway(silentLogger()), timerIntervalMs: 60_000 })] });
  const child = fork(path.join(__dirname, 'support/http-load-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((r) => child.once('message', r));
  let queries = 0;
  t.service.ctx.knex.on('query', () => queries++);
  try {
    const api = t.service.ctx.services.get('tickets') as TicketsApi;
    const nos: string[] = [];
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => api.create({ channel: 'phone', callerPhone: `139${String(i + k).padStart(8, '0')}`, content: `路灯损坏 第${i + k}号`, category: 'help', domain: 'public_service' }, { ...SYSTEM_ACTOR, username: 'bench', roles: ['operator'] })));
      nos.push(...batch.map((b) => b.no));
    }
    const operator = await t.userToken(['operator']);
    const unit = await t.userToken(['unit_handler'], { unitCode: 'QY-RSJ' });
    const steps: Array<[string, string, Record<string, unknown>]> = [
      ['dispatch', operator, { mainUnit: 'QY-RSJ' }],
      ['sign', unit, {}],
      ['reply', unit, { text: '已安排维修人员更换路灯，当晚恢复照明。' }],
    ];
    for (const [action, token, body] of steps) {
      queries = 0;
      const mark = await cpuMark(t.db.knex);
      const profileStop = await cpuProfileStart(action);
      const r = await run(child, { type: 'closed', url: `${t.baseUrl}/api/tickets/x/${action}`, token, concurrency, seconds: 120, bodies: [body], paths: nos.map((no) => `/api/tickets/${no}/${action}`) });
      await profileStop();
      const ok = r.sent - r.errors;
      const apiRate = ok / r.elapsedS;
      const trips = queries / Math.max(1, ok);
      const cpu = await cpuPerOp(t.db.knex, mark, ok);
      const markDirect = await cpuMark(t.db.knex);
      const direct = await directWrites(t.db.knex, action, concurrency, Math.max(3, Math.min(10, r.elapsedS)));
      const cpuDirect = await cpuPerOp(t.db.knex, markDirect, direct.n);
      console.log(`${action.padEnd(8)} ${ok} over HTTP, ${concurrency} clients: ${f1(apiRate)}/s, p50 ${f1(pct(r.latencies, 50))} ms, p99 ${f1(pct(r.latencies, 99))} ms, errors ${r.errors}; round trips per action ${trips.toFixed(2)}; CPU per action: service ${cpu.service.toFixed(2)} ms, PostgreSQL ${cpu.postgres.toFixed(2)} ms; direct writes ${f1(direct.rate)}/s (PostgreSQL ${cpuDirect.postgres.toFixed(2)} ms CPU each); ratio direct/API ${(direct.rate / apiRate).toFixed(2)}× (goal ≤ 3×)`);
    }
  } finally {
    child.kill();
    await t.stop();
  }
}

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
