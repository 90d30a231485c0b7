/**
 * The report periods a user picks from (第二十六条: 周、月、季、年), keyed as the service parses them
 * (2026-W48, 2026-11, 2026-Q4, 2026) and labelled in Chinese, newest first, in Asia/Shanghai.
 */
export type PeriodKind = 'week' | 'month' | 'quarter' | 'year';
export const PERIOD_KIND_LABELS: Record<PeriodKind, string> = { week: '周报', month: '月报', quarter: '季报', year: '年报' };

const DAY = 86_400_000;
/** The Shanghai calendar of an instant (China keeps no daylight saving). */
const shanghai = (t: number) => new Date(t + 8 * 3600_000);

function isoWeek(t: number): { year: number; week: number } {
  const d = shanghai(t);
  const day = d.getUTCDay() || 7;
  // ISO week: the year of the week's Thursday.
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) + (4 - day) * DAY;
  const year = new Date(thursday).getUTCFullYear();
  return { year, week: Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY)) + 1 };
}

export function periodOptions(kind: PeriodKind, now = Date.now(), count = 36): Array<{ key: string; label: string }> {
  const out: Array<{ key: string; label: string }> = [];
  const d = shanghai(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  for (let i = 0; i < count; i++) {
    if (kind === 'week') {
      const w = isoWeek(now - i * 7 * DAY);
      out.push({ key: `${w.year}-W${String(w.week).padStart(2, '0')}`, label: `${w.year}年第${w.week}周` });
    } else if (kind === 'month') {
      const at = new Date(Date.UTC(y, m - i, 1));
      out.push({ key: `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`, label: `${at.getUTCFullYear()}年${at.getUTCMonth() + 1}月` });
    } else if (kind === 'quarter') {
      const q0 = y * 4 + Math.floor(m / 3) - i;
      out.push({ key: `${Math.floor(q0 / 4)}-Q${(q0 % 4) + 1}`, label: `${Math.floor(q0 / 4)}年第${(q0 % 4) + 1}季度` });
    } else if (i < 10) {
      out.push({ key: String(y - i), label: `${y - i}年` });
    }
  }
  return out;
}

/** The last finished period is what a report is usually asked for. */
export const lastFinishedKey = (kind: PeriodKind, now = Date.now()) => periodOptions(kind, now, 2)[1]?.key ?? periodOptions(kind, now, 1)[0].key;

export const percent = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(2)}%`);
