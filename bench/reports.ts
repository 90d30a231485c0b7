import { createTestDatabase } from '../test/support/db';
import { generateTraffic } from '../test/support/report-traffic';
import { AssessmentService } from '../src/reports/assessment';
import { parsePeriod } from '../src/reports/periods';
import { ReportService } from '../src/reports/service';
import { AuditStore } from '../src/audit/store';
import { silentLogger } from '../src/logging/logger';
import { EventEmitter } from 'node:events';

/**
 * The monthly report and the monthly assessment over a generated month (issue #14, goal < 5 s each),
 * on the real PostgreSQL: 30 days of 2,000 calls and 800 tickets a day (with their events, unit
 * assignments, deadlines, visits, missed-call callbacks and knowledge questions), inserted in bulk.
 *
 *   npx tsx bench/reports.ts [--days 30] [--calls 2000] [--tickets 800] [--runs 3]
 */
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

async function main() {
  const days = arg('days', 30);
  const callsPerDay = arg('calls', 2000);
  const ticketsPerDay = arg('tickets', 800);
  const runs = arg('runs', 3);
  const db = await createTestDatabase();
  const knex = db.knex;
  try {
    const period = parsePeriod('month', '2026-11');
    const asOf = new Date(period.to.getTime() + 86_400_000);
    let t0 = Date.now();
    const n = await generateTraffic(knex, { from: period.from, days, callsPerDay, ticketsPerDay, seed: 1 });
    await knex.raw('analyze');
    const counts = await knex.raw(`select (select count(*) from calls) calls, (select count(*) from tickets) tickets, (select count(*) from ticket_events) events, (select count(*) from ticket_deadlines) deadlines, (select count(*) from ticket_visits) visits`);
    console.log(`generated ${n.calls} calls, ${n.tickets} tickets in ${((Date.now() - t0) / 1000).toFixed(1)} s:`, counts.rows[0]);

    const reports = new ReportService({ knex, log: silentLogger(), now: () => asOf, leader: Object.assign(new EventEmitter(), { isLeader: false }), scheduleIntervalMs: 1e9 });
    const assessment = new AssessmentService(knex, reports.repo, new AuditStore(knex), () => asOf);
    const actor = { username: 'bench', userId: null };
    for (let i = 0; i < runs; i++) {
      t0 = Date.now();
      let steps: string[] = [];
      const report = await reports.build(period, null, async (pct, step) => {
        steps.push(`${step}@${Date.now() - t0}ms`);
      });
      const reportMs = Date.now() - t0;
      t0 = Date.now();
      const units = await assessment.compute('unit', 'month', period.key, actor);
      const unitMs = Date.now() - t0;
      t0 = Date.now();
      const counties = await assessment.compute('county', 'month', period.key, actor);
      const countyMs = Date.now() - t0;
      console.log(
        `run ${i + 1}: monthly report ${reportMs} ms (${steps.join(', ')}; offered ${report.total.figures.callsOffered}, accepted ${report.total.figures.ticketsAccepted}, hot "${report.hotTopics.terms[0]?.term ?? '-'}"), `
          + `assessment units ${unitMs} ms (${units.scores.length} units), counties ${countyMs} ms (${counties.scores.length} centres)`,
      );
      steps = [];
    }
    // The other report periods and the yearly assessment over the same data (each also < 5 s).
    const other: string[] = [];
    for (const [kind, key] of [['week', '2026-W48'], ['quarter', '2026-Q4'], ['year', '2026']] as const) {
      t0 = Date.now();
      await reports.build(parsePeriod(kind, key), null, async () => {}, asOf);
      other.push(`${kind} report ${Date.now() - t0} ms`);
    }
    for (const kind of ['unit', 'county'] as const) {
      t0 = Date.now();
      await assessment.compute(kind, 'year', '2026', actor);
      other.push(`yearly assessment ${kind} ${Date.now() - t0} ms`);
    }
    console.log(other.join(', '));
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
