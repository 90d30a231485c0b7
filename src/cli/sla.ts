import { loadConfig } from '../config/load';
import { openDatabase, migrateLatest } from '../db/knex';
import { WorkCalendar, formatShanghai, loadHolidayFile, CalendarDay } from '../tickets/calendar/calendar';
import { CalendarStore } from '../tickets/calendar/store';
import { SlaClock, parseLimit, LIMIT_SYNTAX } from '../tickets/sla/clock';

/**
 * `npm run -s sla -- due --from <ISO time> --limit <N>wd|<N>wh|<N>h|<N>m [--office-hours HH:MM-HH:MM,…] [--no-db]`
 * prints the deadline (第二十一条) as ISO 8601 with +08:00. The calendar is the shipped data plus the
 * configured database's calendar_days overrides (skip them with --no-db).
 */
const USAGE = [
  'usage: npm run -s sla -- due --from <ISO time> --limit <limit> [--office-hours HH:MM-HH:MM,...] [--no-db]',
  '  --from   ISO 8601 time, e.g. 2026-09-30T16:00:00+08:00 (without an offset it is Asia/Shanghai time)',
  `  --limit  ${LIMIT_SYNTAX}`,
  '  prints the deadline as ISO 8601 with +08:00',
].join('\n');

function fail(problem: string): never {
  process.stderr.write(`${problem}\n${USAGE}\n`);
  process.exit(2);
}

export function parseFrom(raw: string): Date {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?))?(Z|[+-]\d{2}:?\d{2})?$/.exec(raw.trim());
  if (!m) throw new Error(`--from "${raw}" is not an ISO 8601 time`);
  const time = m[2] ?? '00:00';
  const offset = m[3] ?? '+08:00';
  const d = new Date(`${m[1]}T${time.length === 5 ? time + ':00' : time}${offset}`);
  if (Number.isNaN(d.getTime())) throw new Error(`--from "${raw}" is not a valid time`);
  return d;
}

async function dbOverrides(): Promise<CalendarDay[]> {
  const config = loadConfig(process.env);
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgliteSharedBuffers: config.pgliteSharedBuffers });
  try {
    await migrateLatest(db.knex);
    return await new CalendarStore(db.knex).list();
  } finally {
    await db.destroy();
  }
}

async function main(argv: string[]) {
  const [cmd, ...rest] = argv;
  if (cmd !== 'due') fail(cmd ? `unknown command "${cmd}"` : 'missing command');
  const opts: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--no-db') opts['no-db'] = true;
    else if (a === '--from' || a === '--limit' || a === '--office-hours') {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) fail(`${a} needs a value`);
      opts[a.slice(2)] = v;
    } else fail(`unexpected argument "${a}"`);
  }
  if (typeof opts.from !== 'string') fail('missing --from');
  if (typeof opts.limit !== 'string') fail('missing --limit');
  let from: Date;
  let limit;
  try {
    from = parseFrom(opts.from);
    limit = parseLimit(opts.limit);
  } catch (err) {
    fail((err as Error).message);
  }
  let officeHours = process.env.OFFICE_HOURS || undefined;
  if (typeof opts['office-hours'] === 'string') officeHours = opts['office-hours'];
  let overrides: CalendarDay[] = [];
  if (!opts['no-db']) {
    try {
      overrides = await dbOverrides();
    } catch (err) {
      process.stderr.write(`warning: calendar overrides not loaded from the database (${(err as Error).message}); using the shipped calendar\n`);
    }
  }
  let clock: SlaClock;
  try {
    clock = new SlaClock(new WorkCalendar(loadHolidayFile(), overrides), officeHours);
  } catch (err) {
    fail((err as Error).message);
  }
  const due = clock.due(from, limit);
  if (!clock.calendar.covers(Number(formatShanghai(due).slice(0, 4)))) {
    process.stderr.write(`warning: the calendar has no holiday data for ${formatShanghai(due).slice(0, 4)}; only weekends are treated as rest days\n`);
  }
  process.stdout.write(formatShanghai(due) + '\n');
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
