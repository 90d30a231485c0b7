import { createTestDatabase } from '../test/support/db';
import { Deadlines } from '../src/tickets/deadlines';

/**
 * The overdue scan over 1,000,000 open tickets (goal < 50 ms), on the real PostgreSQL.
 * Rows are generated with generate_series: every ticket in progress with an open handling deadline
 * spread over ±30 days around now; deadlines already past by more than a minute were alerted by the
 * timer (as in steady state), the last minute's are not yet.
 *
 *   npx tsx bench/tickets-overdue.ts [--rows 1000000] [--runs 50]
 */
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main() {
  const rows = arg('rows', 1_000_000);
  const runs = arg('runs', 50);
  const db = await createTestDatabase();
  const knex = db.knex;
  try {
    const now = new Date();
    const t0 = Date.now();
    await knex.raw(`insert into units (code, name, kind) values ('B-U0','bench','department'),('B-U1','bench','department'),('B-U2','bench','department'),('B-U3','bench','department') on conflict do nothing`);
    await knex.raw(
      `insert into tickets (no, centre, status, channel, content, category, domain, main_unit, handle_limit, flow, version, created_at, updated_at)
       select 'QY' || lpad(i::text, 14, '0'), 'QY', 'in_progress', 'phone', '基准测试工单', 'complaint', 'public_service', 'B-U' || (i % 4), '5wd', '{}', 1,
              ?::timestamptz - interval '10 days', ?::timestamptz
       from generate_series(1, ?) i`,
      [now, now, rows],
    );
    await knex.raw(
      `insert into ticket_units (ticket_no, unit_code, role, active, assigned_at)
       select 'QY' || lpad(i::text, 14, '0'), 'B-U' || (i % 4), 'main', true, ?::timestamptz - interval '10 days' from generate_series(1, ?) i`,
      [now, rows],
    );
    await knex.raw(
      `insert into ticket_deadlines (ticket_no, kind, limit_spec, started_at, due_at, remind_at, state, reminded_at, alerted_at)
       select no, 'handle', '5wd', started, due, due - interval '1 day', 'open',
              case when due - interval '1 day' < ?::timestamptz - interval '1 minute' then due - interval '1 day' end,
              case when due < ?::timestamptz - interval '1 minute' then due + interval '1 minute' end
       from (select 'QY' || lpad(i::text, 14, '0') as no, ?::timestamptz - interval '10 days' as started,
                    ?::timestamptz + ((i % 86400) - 43200) * interval '1 minute' as due
             from generate_series(1, ?) i) g`,
      [now, now, now, now, rows],
    );
    // A live table is autovacuumed; after a bulk load we do it ourselves so the visibility map is set (index-only scans).
    for (const table of ['tickets', 'ticket_deadlines', 'ticket_units']) await knex.raw(`vacuum analyze ${table}`);
    const loadSec = (Date.now() - t0) / 1000;
    const open = Number((await knex('ticket_deadlines').where('state', 'open').count({ n: '*' }).first())!.n);

    const measure = async (label: string, fn: () => Promise<unknown>) => {
      await fn(); // warm
      const times: number[] = [];
      let last: unknown;
      for (let i = 0; i < runs; i++) {
        const s = process.hrtime.bigint();
        last = await fn();
        times.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      const size = Array.isArray(last) ? `${last.length} rows` : String(last);
      console.log(`${label.padEnd(58)} p50 ${pct(times, 50).toFixed(2).padStart(8)} ms   p99 ${pct(times, 99).toFixed(2).padStart(8)} ms   (${size})`);
    };
    console.log(`tickets-overdue: ${rows.toLocaleString()} open tickets, ${open.toLocaleString()} open deadlines, loaded in ${loadSec.toFixed(1)} s; ${runs} runs each`);
    await measure('timer scan: past due, not yet alerted (batch 500)', () => Deadlines.dueForAlert(knex, now, 500));
    await measure('timer scan: reminder due, not yet reminded (batch 500)', () => Deadlines.dueForReminder(knex, now, 500));
    await measure('overdue list: first 100, earliest first', () => Deadlines.overdue(knex, now, { limit: 100 }));
    await measure('overdue list of one unit: first 100', () => Deadlines.overdue(knex, now, { limit: 100, unitCode: 'B-U2' }));
    await measure('overdue count (every open deadline past due)', () => Deadlines.countOverdue(knex, now));
    const plan = await knex.raw(`explain select * from ticket_deadlines where state = 'open' and alerted_at is null and due_at <= ? order by due_at limit 500`, [now]);
    console.log('plan of the timer scan:', plan.rows.map((r: Record<string, string>) => r['QUERY PLAN'].trim()).join(' | '));
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
