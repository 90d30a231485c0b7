import { fork } from 'node:child_process';
import path from 'node:path';
import { arg, f1, pct, run } from './support/load';
import { cpuMark, cpuPerOp, cpuProfileStart } from './support/cpu';
import { startTestService } from '../test/support/service';
import { createTicketsFeature } from '../src/tickets/feature';
import { LogSmsGateway } from '../src/tickets/sms/log';
import { silentLogger } from '../src/logging/logger';

/**
 * Ticket registration through HTTP on the real PostgreSQL and Redis (issue #13). Each POST
 * /api/tickets authenticates, numbers the ticket, runs repeat detection, accepts it, starts its
 * dispatch deadline, writes the event and audit rows and answers the full ticket detail.
 *
 * The load generator runs in its own process (bench/support/http-load-child.ts). Phases:
 *   1. open loop at --rate for --seconds: achieved rate, latency p50/p90/p99, database round trips per
 *      create (every query the service's knex issues, counted by its 'query' event, BEGIN/COMMIT included);
 *   2. closed loop with --concurrency clients: the API's capacity (creates/s);
 *   3. the same rows inserted directly, one transaction per ticket, with the same concurrency on a
 *      pool of the service's size: the database's capacity for this work; the ratio of 3 to 2.
 * Phase 2 also prints the CPU time one create costs the service and the PostgreSQL backends (the
 * machine may be shared: rates move with what else runs, CPU per create much less).
 *
 *   npx tsx bench/tickets-create.ts [--rate 500] [--seconds 20] [--concurrency 32] [--profile phase2.cpuprofile]
 */

const CONTENTS = ['小区楼下烧烤店油烟扰民', '路灯损坏多日无人维修', '咨询社保卡补办所需材料', '供暖温度不达标', '公交站台损坏', '工地夜间施工噪音扰民', '拖欠农民工工资'];
const BODIES = CONTENTS.map((c, k) => ({
  channel: 'phone', callerName: '测试', callerPhone: '139{i}', content: `${c} 第{i}号`, category: k % 3 === 0 ? 'consultation' : 'complaint', domain: 'public_service',
}));


async function main() {
  const rate = arg('rate', 500);
  const seconds = arg('seconds', 20);
  const concurrency = arg('concurrency', 32);
  const t = await startTestService({ features: [createTicketsFeature({ sms: new LogSmsGateway(silentLogger()), timerIntervalMs: 5_000 })] });
  const child = fork(path.join(__dirname, 'support/http-load-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((r) => child.once('message', r));
  let queries = 0;
  t.service.ctx.knex.on('query', () => queries++);
  try {
    const token = await t.userToken(['operator']);
    const url = `${t.baseUrl}/api/tickets`;
    let offset = 0;
    const job = (extra: Record<string, unknown>) => {
      const j = { url, token, bodies: BODIES, offset, ...extra };
      offset += 10_000_000;
      return j;
    };
    // Warm-up: JIT, pools, plans.
    await run(child, job({ type: 'closed', concurrency: 8, seconds: 3 }));

    queries = 0;
    const a = await run(child, job({ type: 'open', rate, seconds }));
    const perCreate = queries / Math.max(1, a.sent - a.errors);
    console.log(`tickets-create open loop: ${a.sent} POST /api/tickets at ${rate}/s for ${seconds} s (achieved ${f1(a.sent / a.elapsedS)}/s), errors ${a.errors}`);
    console.log(`  latency p50 ${f1(pct(a.latencies, 50))} ms   p90 ${f1(pct(a.latencies, 90))} ms   p99 ${f1(pct(a.latencies, 99))} ms   max ${f1(Math.max(...a.latencies))} ms`);
    console.log(`  database round trips per create (knex 'query' events, auth and audit included): ${perCreate.toFixed(2)}`);

    const mark = await cpuMark(t.db.knex);
    const profileStop = await cpuProfileStart();
    const c = await run(child, job({ type: 'closed', concurrency, seconds: Math.min(seconds, 10) }));
    await profileStop();
    const apiRate = (c.sent - c.errors) / c.elapsedS;
    const cpu = await cpuPerOp(t.db.knex, mark, c.sent - c.errors);
    console.log(`tickets-create closed loop, ${concurrency} clients: ${f1(apiRate)} creates/s, p50 ${f1(pct(c.latencies, 50))} ms, p99 ${f1(pct(c.latencies, 99))} ms, errors ${c.errors}`);
    console.log(`  CPU per create: service ${cpu.service.toFixed(2)} ms, PostgreSQL backends ${cpu.postgres.toFixed(2)} ms (the load generator's own process not counted)`);

    const markDirect = await cpuMark(t.db.knex);
    const direct = await directInserts(t.db.knex, concurrency, Math.min(seconds, 10));
    const cpuDirect = await cpuPerOp(t.db.knex, markDirect, direct.n);
    console.log(`direct inserts of the same rows (one transaction per ticket, ${concurrency} workers, pool 10): ${f1(direct.rate)} tickets/s; CPU per ticket: client ${cpuDirect.service.toFixed(2)} ms, PostgreSQL ${cpuDirect.postgres.toFixed(2)} ms`);
    console.log(`ratio direct/API: ${(direct.rate / apiRate).toFixed(2)}× (goal ≤ 3×)`);
  } finally {
    child.kill();
    await t.stop();
  }
}

/**
 * What a create writes, with nothing else: the number, the ticket, its create and accept events, their
 * audit rows, the dispatch deadline and the audit row of the caller read in the answer.
 */
async function directInserts(knex: import('knex').Knex, concurrency: number, seconds: number): Promise<{ rate: number; n: number }> {
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (performance.now() < end) {
        const i = n++;
        const at = new Date();
        await knex.transaction(async (trx) => {
          const r = await trx.raw(`insert into ticket_sequences (prefix, day, last) values ('DI', '20261130', 1) on conflict (prefix, day) do update set last = ticket_sequences.last + 1 returning last`);
          const no = `DI20261130${String(r.rows[0].last).padStart(6, '0')}`;
          await trx('tickets').insert({
            no, centre: 'DI', status: 'accepted', channel: 'phone', caller_name: '测试', caller_phone: `138${w}${String(i).padStart(7, '0')}`, confidential: false, content: `${CONTENTS[i % 7]} 第${i}号`,
            category: 'complaint', domain: 'public_service', emergency: false, flow: '{}', version: 1, created_at: at, updated_at: at, search_terms: `${no.toLowerCase()} 小区 区楼`,
          });
          await trx('ticket_events').insert([
            { ticket_no: no, at, event: 'create', from_status: null, to_status: 'received', actor: 'op', data: '{}' },
            { ticket_no: no, at, event: 'accept', from_status: 'received', to_status: 'accepted', actor: 'op', data: '{}' },
          ]);
          await trx('ticket_deadlines').insert({ ticket_no: no, kind: 'dispatch', limit_spec: '2h', started_at: at, due_at: new Date(at.getTime() + 7_200_000), remind_at: new Date(at.getTime() + 5_400_000), state: 'open' });
          await trx('audit_log').insert([1, 2, 3].map(() => ({ actor: 'op', action: 'ticket.create', target_type: 'ticket', target_id: no, details: '{}' })));
        });
      }
    }),
  );
  return { rate: n / ((performance.now() - started) / 1000), n };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
