import { OfficeHours, WorkCalendar, localDay, localInstant, localMinuteOfDay, nextDay, parseOfficeHours, DEFAULT_OFFICE_HOURS } from '../calendar/calendar';

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

  /** Working minutes elapsed between two instants (for reports: how late, how much of a limit used). */
  workingMinutesBetween(a: Date, b: Date): number {
    if (b <= a) return 0;
    let total = 0;
    let day = localDay(a);
    const lastDay = localDay(b);
    for (let guard = 0; guard < 10_000 && day <= lastDay; guard++) {
      if (this.calendar.isWorkingDay(day)) {
        const lo = day === localDay(a) ? localMinuteOfDay(a) : 0;
        const hi = day === lastDay ? localMinuteOfDay(b) : 24 * 60;
        for (const [start, end] of this.officeHours) total += Math.max(0, Math.min(end, hi) - Math.max(start, lo));
      }
      day = nextDay(day);
    }
    return total;
  }
}
