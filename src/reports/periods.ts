import { badRequest } from '../http/errors';

/**
 * Report periods (第二十六条: 按照周、月、年度报送; quarters for the government's summaries),
 * always in Asia/Shanghai. China keeps no daylight saving, so a Shanghai midnight is 16:00 UTC
 * the day before, every day of the year.
 */
export const PERIOD_KINDS = ['week', 'month', 'quarter', 'year'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];
export const PERIOD_LABELS: Record<PeriodKind, string> = { week: '周报', month: '月报', quarter: '季报', year: '年报' };

export interface Period {
  kind: PeriodKind;
  /** 2026-W48 (ISO week), 2026-11, 2026-Q4, 2026. */
  key: string;
  /** Inclusive start, UTC. */
  from: Date;
  /** Exclusive end, UTC. */
  to: Date;
  /** 2026年11月 … for headings. */
  label: string;
}

const OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;
const shanghaiMidnight = (y: number, m0: number, d: number) => new Date(Date.UTC(y, m0, d) - OFFSET_MS);

/** The Shanghai calendar date of an instant: [year, month0, day, weekday (1 = Monday … 7)]. */
function shanghaiDate(at: Date): [number, number, number, number] {
  const s = new Date(at.getTime() + OFFSET_MS);
  return [s.getUTCFullYear(), s.getUTCMonth(), s.getUTCDate(), s.getUTCDay() || 7];
}

/** Monday of ISO week 1: the week that holds 4 January. */
function isoWeekOneMonday(year: number): Date {
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const wd = jan4.getUTCDay() || 7;
  return new Date(jan4.getTime() - (wd - 1) * DAY_MS);
}

export function parsePeriod(kind: PeriodKind, key: string): Period {
  const bad = () => badRequest('report.bad_period', `报告期格式错误：${key}（周 2026-W48，月 2026-11，季 2026-Q4，年 2026）`, { kind, key });
  let m: RegExpExecArray | null;
  if (kind === 'year' && (m = /^(\d{4})$/.exec(key))) {
    const y = Number(m[1]);
    return { kind, key, from: shanghaiMidnight(y, 0, 1), to: shanghaiMidnight(y + 1, 0, 1), label: `${y}年` };
  }
  if (kind === 'quarter' && (m = /^(\d{4})-Q([1-4])$/.exec(key))) {
    const y = Number(m[1]);
    const q = Number(m[2]);
    return { kind, key, from: shanghaiMidnight(y, (q - 1) * 3, 1), to: shanghaiMidnight(y, q * 3, 1), label: `${y}年第${q}季度` };
  }
  if (kind === 'month' && (m = /^(\d{4})-(\d{2})$/.exec(key)) && Number(m[2]) >= 1 && Number(m[2]) <= 12) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    return { kind, key, from: shanghaiMidnight(y, mo - 1, 1), to: shanghaiMidnight(y, mo, 1), label: `${y}年${mo}月` };
  }
  if (kind === 'week' && (m = /^(\d{4})-W(\d{2})$/.exec(key))) {
    const y = Number(m[1]);
    const w = Number(m[2]);
    const weeks = (isoWeekOneMonday(y + 1).getTime() - isoWeekOneMonday(y).getTime()) / (7 * DAY_MS);
    if (w < 1 || w > weeks) throw bad();
    const monday = new Date(isoWeekOneMonday(y).getTime() + (w - 1) * 7 * DAY_MS);
    const from = new Date(monday.getTime() - OFFSET_MS);
    return { kind, key, from, to: new Date(from.getTime() + 7 * DAY_MS), label: `${y}年第${w}周` };
  }
  throw bad();
}

/** The period of `kind` that contains the instant `at`. */
export function periodContaining(kind: PeriodKind, at: Date): Period {
  const [y, m0, d, wd] = shanghaiDate(at);
  if (kind === 'year') return parsePeriod(kind, String(y));
  if (kind === 'quarter') return parsePeriod(kind, `${y}-Q${Math.floor(m0 / 3) + 1}`);
  if (kind === 'month') return parsePeriod(kind, `${y}-${String(m0 + 1).padStart(2, '0')}`);
  // ISO week: the year of the week's Thursday.
  const thursday = new Date(Date.UTC(y, m0, d) + (4 - wd) * DAY_MS);
  const wy = thursday.getUTCFullYear();
  const w = Math.floor((thursday.getTime() - isoWeekOneMonday(wy).getTime()) / (7 * DAY_MS)) + 1;
  return parsePeriod(kind, `${wy}-W${String(w).padStart(2, '0')}`);
}

/** The last period of `kind` that had ended by `at` (what the schedule stores). */
export function lastFinished(kind: PeriodKind, at: Date): Period {
  return periodContaining(kind, new Date(periodContaining(kind, at).from.getTime() - 1));
}
