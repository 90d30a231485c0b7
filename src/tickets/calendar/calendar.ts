import fs from 'node:fs';
import path from 'node:path';

/**
 * The working-day calendar the SLA clock runs on (第二十一条: "工作日"). Statutory holidays and
 * 调休 make-up working days come from data (holidays.json, plus DB overrides), never from code,
 * so next year's 国务院办公厅 notice is a data change.
 *
 * Time zone: Asia/Shanghai has had a fixed UTC+08:00 offset without daylight saving since 1991,
 * so local days and times are computed by a fixed offset (no Intl/tz database needed).
 */
export const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

export type DayKind = 'holiday' | 'workday';

export interface CalendarDay {
  /** YYYY-MM-DD, Asia/Shanghai. */
  day: string;
  kind: DayKind;
  name: string;
  source: string;
}

interface HolidayFile {
  years: Record<string, { source: string; holidays: Array<{ name: string; from: string; to: string }>; workdays: Array<{ name: string; date: string }> }>;
}

export const DEFAULT_CALENDAR_FILE = path.join(__dirname, 'holidays.json');
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Local (Asia/Shanghai) calendar day of an instant, YYYY-MM-DD. */
export function localDay(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** Minutes since local midnight of an instant (fractional minutes kept). */
export function localMinuteOfDay(at: Date): number {
  const ms = (at.getTime() + SHANGHAI_OFFSET_MS) % DAY_MS;
  return (ms < 0 ? ms + DAY_MS : ms) / 60_000;
}

/** The instant of a local day at a minute of that day. */
export function localInstant(day: string, minuteOfDay: number): Date {
  return new Date(Date.parse(`${day}T00:00:00Z`) - SHANGHAI_OFFSET_MS + Math.round(minuteOfDay * 60_000));
}

export function nextDay(day: string, delta = 1): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + delta * DAY_MS).toISOString().slice(0, 10);
}

/** ISO 8601 with the +08:00 offset, as staff read deadlines. */
export function formatShanghai(at: Date): string {
  const local = new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString(); // 2026-10-13T09:30:00.000Z
  const ms = local.slice(19, 23) === '.000' ? '' : local.slice(19, 23);
  return `${local.slice(0, 19)}${ms}+08:00`;
}

function expandRange(from: string, to: string): string[] {
  if (!DAY_RE.test(from) || !DAY_RE.test(to) || from > to) throw new Error(`bad holiday range ${from}..${to}`);
  const out: string[] = [];
  for (let d = from; d <= to; d = nextDay(d)) out.push(d);
  return out;
}

/** Parse holidays.json-shaped data into day entries. Throws on malformed data (fail at start, not at a deadline). */
export function parseHolidayData(data: unknown): CalendarDay[] {
  const file = data as HolidayFile;
  if (!file || typeof file !== 'object' || !file.years) throw new Error('calendar data: missing "years"');
  const out: CalendarDay[] = [];
  for (const [year, y] of Object.entries(file.years)) {
    for (const h of y.holidays ?? []) for (const day of expandRange(h.from, h.to)) out.push({ day, kind: 'holiday', name: h.name, source: y.source ?? year });
    for (const w of y.workdays ?? []) {
      if (!DAY_RE.test(w.date)) throw new Error(`calendar data: bad workday ${w.date}`);
      out.push({ day: w.date, kind: 'workday', name: w.name, source: y.source ?? year });
    }
  }
  return out;
}

export function loadHolidayFile(file = DEFAULT_CALENDAR_FILE): CalendarDay[] {
  return parseHolidayData(JSON.parse(fs.readFileSync(file, 'utf8')));
}

export class WorkCalendar {
  private readonly days = new Map<string, CalendarDay>();
  private readonly years = new Set<number>();

  /** `overrides` win over `base` (DB rows over the shipped file). */
  constructor(base: CalendarDay[], overrides: CalendarDay[] = []) {
    for (const d of [...base, ...overrides]) {
      this.days.set(d.day, d);
      this.years.add(Number(d.day.slice(0, 4)));
    }
  }

  static fromDefaultFile(overrides: CalendarDay[] = []): WorkCalendar {
    return new WorkCalendar(loadHolidayFile(), overrides);
  }

  /** Whether the data knows this year's holiday notice (outside it only weekends are rest days). */
  covers(year: number): boolean {
    return this.years.has(year);
  }

  entry(day: string): CalendarDay | undefined {
    return this.days.get(day);
  }

  /** 调休 make-up days are working days even on a weekend; statutory holidays are not, even on a weekday. */
  isWorkingDay(day: string): boolean {
    const e = this.days.get(day);
    if (e) return e.kind === 'workday';
    const dow = new Date(`${day}T00:00:00Z`).getUTCDay();
    return dow !== 0 && dow !== 6;
  }

  /** The first working day strictly after `day`. */
  nextWorkingDay(day: string): string {
    let d = nextDay(day);
    for (let i = 0; i < 400 && !this.isWorkingDay(d); i++) d = nextDay(d);
    return d;
  }

  list(fromDay: string, toDay: string): CalendarDay[] {
    return [...this.days.values()].filter((d) => d.day >= fromDay && d.day <= toDay).sort((a, b) => a.day.localeCompare(b.day));
  }
}

/** Office hours as [start, end) minute ranges of the day, e.g. 09:00-12:00,13:30-17:30. */
export type OfficeHours = Array<[number, number]>;

export function parseOfficeHours(spec: string): OfficeHours {
  const ranges = spec.split(',').map((r) => {
    const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(r.trim());
    if (!m) throw new Error(`office hours: expected HH:MM-HH:MM, got "${r}"`);
    const a = Number(m[1]) * 60 + Number(m[2]);
    const b = Number(m[3]) * 60 + Number(m[4]);
    if (a >= b || b > 24 * 60) throw new Error(`office hours: empty or inverted range "${r}"`);
    return [a, b] as [number, number];
  });
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) throw new Error('office hours: ranges must be in order and not overlap');
  }
  return ranges;
}

export const DEFAULT_OFFICE_HOURS = '09:00-12:00,13:30-17:30';
