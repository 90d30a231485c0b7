import { Centre, ShiftProfile } from './centres';
import { OperatorView } from './operators';

/** What the working-day calendar says of a day (from the tickets' calendar: statutory holidays and 调休). */
export interface DayKindSource {
  /** 'holiday' for a statutory holiday, 'workday' for a working day (调休 included), 'weekend' otherwise. */
  kindOf(day: string): 'holiday' | 'workday' | 'weekend';
}

export interface Staffing {
  centre: string;
  queue: string;
  shift: string | null;
  targetStaff: number | null;
  loggedIn: number;
  ready: number;
  onCall: number;
  paused: number;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Asia/Shanghai day and minute of an instant. */
function local(ms: number): { day: string; minute: number } {
  const d = new Date(ms + 8 * 3600_000);
  return { day: d.toISOString().slice(0, 10), minute: d.getUTCHours() * 60 + d.getUTCMinutes() };
}

/**
 * The shift a centre is in now (第二条: 7×24 human service, staffed by shift). A profile names the
 * days it covers (workday / weekend / holiday / all) and a window that may run past midnight; a
 * holiday profile wins on statutory holidays, then the most specific one.
 */
export function currentShift(profiles: ShiftProfile[], now: number, days: DayKindSource): ShiftProfile | null {
  const { day, minute } = local(now);
  const yesterday = local(now - 86400_000).day;
  const matches = (p: ShiftProfile, d: string) => p.days === 'all' || p.days === days.kindOf(d);
  const candidates = profiles.filter((p) => {
    const from = minutes(p.from);
    const to = minutes(p.to);
    if (from <= to) return matches(p, day) && minute >= from && minute < to;
    // Overnight: the evening part belongs to today, the morning part to the day before.
    return (minute >= from && matches(p, day)) || (minute < to && matches(p, yesterday));
  });
  const rank = (p: ShiftProfile) => (p.days === 'holiday' ? 0 : p.days === 'all' ? 2 : 1);
  return candidates.sort((a, b) => rank(a) - rank(b))[0] ?? null;
}

/** Each centre's planned staff in the current shift against who is logged in now. */
export function staffing(centres: Centre[], operators: OperatorView[], now: number, days: DayKindSource): Staffing[] {
  const order = (c: Centre) => (c.kind === 'city' ? 0 : c.kind === 'county' ? 1 : 2);
  return [...centres].sort((a, b) => order(a) - order(b) || a.code.localeCompare(b.code)).map((c) => {
    const shift = currentShift(c.shiftProfiles, now, days);
    const mine = operators.filter((o) => o.queues.includes(c.queue) && o.state !== 'logged_out');
    return {
      centre: c.code,
      queue: c.queue,
      shift: shift?.name ?? null,
      targetStaff: shift?.targetStaff ?? null,
      loggedIn: mine.length,
      ready: mine.filter((o) => o.state === 'ready').length,
      onCall: mine.filter((o) => o.state === 'on_call' || o.state === 'ringing').length,
      paused: mine.filter((o) => o.state === 'paused').length,
    };
  });
}
