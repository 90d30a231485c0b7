import { OfficeHours, WorkCalendar, localDay, localInstant, localMinuteOfDay, nextDay, parseOfficeHours, DEFAULT_OFFICE_HOURS, SHANGHAI_OFFSET_MS } from '../calendar/calendar';

/**
 * A time limit as the measures state them (第二十一条):
 * - `wd`: working days (2/4/5 个工作日, 退单 1 个工作日),
 * - `wh`: working hours inside office hours (工作日3个小时内签收),
 * - `h` / `m`: wall-clock hours or minutes on the 7×24 steps (2 小时内转派, 紧急 2 小时反馈, 30 分钟退单, 24 小时回访).
 */
export type LimitUnit = 'wd' | 'wh' | 'h' | 'm';
export interface Limit {
  amount: number;
  unit: LimitUnit;
}

export const LIMIT_SYNTAX = '<N>wd (working days) | <N>wh (working hours) | <N>h (hours) | <N>m (minutes), N a positive whole number';

export function parseLimit(spec: string): Limit {
  const m = /^([1-9]\d{0,4})(wd|wh|h|m)$/.exec(spec.trim());
  if (!m) throw new Error(`limit "${spec}" is not ${LIMIT_SYNTAX}`);
  return { amount: Number(m[1]), unit: m[2] as LimitUnit };
}

export function formatLimit(l: Limit): string {
  return `${l.amount}${l.unit}`;
}

/** Twice a limit: an extension may at most double the original (延长时限原则上不得超过原办理时限的1倍). */
export function multiplyLimit(l: Limit, k: number): Limit {
  return { amount: l.amount * k, unit: l.unit };
}

export class SlaClock {
  readonly officeHours: OfficeHours;

  constructor(readonly calendar: WorkCalendar, officeHours: OfficeHours | string = DEFAULT_OFFICE_HOURS) {
    this.officeHours = typeof officeHours === 'string' ? parseOfficeHours(officeHours) : officeHours;
  }

  /** Minute of day at which office hours close (the end of the last range). */
  get closeMinute(): number {
    return this.officeHours[this.officeHours.length - 1][1];
  }

  due(from: Date, limit: Limit): Date {
    switch (limit.unit) {
      case 'wd':
        return this.addWorkingDays(from, limit.amount);
      case 'wh':
        return this.addWorkingMinutes(from, limit.amount * 60);
      case 'h':
        return new Date(from.getTime() + limit.amount * 3600_000);
      case 'm':
        return new Date(from.getTime() + limit.amount * 60_000);
    }
  }

  /**
   * 民法典 第二百零一条: a period counted in days does not count the day it starts; counting begins
   * the next day. 第二百零三条: a period ending on a statutory holiday ends on the first day after it,
   * and where there are business hours the period ends when business stops. So: the Nth working day
   * strictly after the start day, at the close of office hours.
   */
  addWorkingDays(from: Date, n: number): Date {
    let day = localDay(from);
    for (let i = 0; i < n; i++) day = this.calendar.nextWorkingDay(day);
    return localInstant(day, this.closeMinute);
  }

  /**
   * N working minutes counted only inside office hours on working days. A limit that runs out exactly
   * at the end of a range ends there (12:00), not at the start of the next (13:30).
   */
  addWorkingMinutes(from: Date, minutes: number): Date {
    let remaining = minutes;
    let day = localDay(from);
    let cursor = localMinuteOfDay(from);
    for (let guard = 0; guard < 10_000; guard++) {
      if (this.calendar.isWorkingDay(day)) {
        for (const [start, end] of this.officeHours) {
          const s = Math.max(start, cursor);
          if (s >= end) continue;
          const avail = end - s;
          if (remaining <= avail) return localInstant(day, s + remaining);
          remaining -= avail;
        }
      }
      day = nextDay(day);
      cursor = 0;
    }
    throw new Error('working-hour limit does not end within the calendar');
  }

  /**
   * Working minutes elapsed between two instants (for reports: how late, how much of a limit used;
   * on every list: the time left on each open deadline). The first and last day count from and up to
   * the instants, the days between count whole (memoised per day: lists ask this hundreds of times
   * over spans of months).
   */
  workingMinutesBetween(a: Date, b: Date): number {
    if (b <= a) return 0;
    const first = localDayNumber(a);
    const last = localDayNumber(b);
    if (first === last) return this.minutesOn(first, localMinuteOfDay(a), localMinuteOfDay(b));
    const between = this.workingDaysBetween(first + 1, last);
    return this.minutesOn(first, localMinuteOfDay(a), 24 * 60) + between * this.dayMinutes + this.minutesOn(last, 0, localMinuteOfDay(b));
  }

  /** Office minutes of one day (a day number) between two minutes of that day. */
  private minutesOn(day: number, lo: number, hi: number): number {
    if (this.workingDaysBetween(day, day + 1) === 0) return 0;
    let total = 0;
    for (const [start, end] of this.officeHours) total += Math.max(0, Math.min(end, hi) - Math.max(start, lo));
    return total;
  }

  private get dayMinutes(): number {
    return this.officeHours.reduce((n, [start, end]) => n + (end - start), 0);
  }

  /** Working days among the day numbers [from, to): prefix counts per day, built once for the span asked (the calendar of a clock never changes). */
  private workingDaysBetween(from: number, to: number): number {
    if (to <= from) return 0;
    const m = this.memo;
    if (!m || from < m.base || to > m.base + m.counts.length - 1) {
      // Cover the span asked with a year of margin each side.
      const base = Math.min(from, m?.base ?? from) - 366;
      const end = Math.max(to, m ? m.base + m.counts.length - 1 : to) + 366;
      const counts = new Int32Array(end - base + 1);
      for (let n = base; n < end; n++) counts[n - base + 1] = counts[n - base] + (this.calendar.isWorkingDay(dayString(n)) ? 1 : 0);
      this.memo = { base, counts };
    }
    const { base, counts } = this.memo!;
    return counts[to - base] - counts[from - base];
  }

  /** counts[i]: working days among the day numbers [base, base + i). */
  private memo: { base: number; counts: Int32Array } | null = null;
}

const DAY_MS = 86_400_000;
/** The local (Shanghai) day of an instant as days since 1970-01-01, and that day as YYYY-MM-DD. */
const localDayNumber = (at: Date) => Math.floor((at.getTime() + SHANGHAI_OFFSET_MS) / DAY_MS);
const dayString = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);
