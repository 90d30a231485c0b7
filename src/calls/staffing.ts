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
  /** Of loggedIn: queue members Asterisk has that no account is signed in on (a phone logged in by feature code, a static member, the demo's simulated seats). */
  unbound: number;
}

/** A queue member as Asterisk reports it (QueueMember/QueueMemberStatus), with its server. */
export interface SeatMember {
  serverId: string;
  queue: string;
  memberInterface: string;
  paused: boolean;
  /** AST_DEVICE_* (1 not in use, 2 in use, 3 busy, 6 ringing, 7 ring+in use, 8 on hold; 4/5 invalid/unavailable). */
  status: number;
  inCall: boolean;
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
export function staffing(centres: Centre[], operators: OperatorView[], now: number, days: DayKindSource, members: SeatMember[] = []): Staffing[] {
  // Every seat Asterisk has in a queue counts, whether or not an account is signed in on it: the
  // wallboard's 通话中 comes from Asterisk, so the staffing table must too (issue #10: 4 on call vs 1).
  const bound = new Set(operators.filter((o) => o.state !== 'logged_out').map((o) => `${o.serverId}|${o.interface}`));
  const unbound = members.filter((m) => !bound.has(`${m.serverId}|${m.memberInterface}`) && m.status !== 4 && m.status !== 5);
  const order = (c: Centre) => (c.kind === 'city' ? 0 : c.kind === 'county' ? 1 : 2);
  return [...centres].sort((a, b) => order(a) - order(b) || a.code.localeCompare(b.code)).map((c) => {
    const shift = currentShift(c.shiftProfiles, now, days);
    const mine = operators.filter((o) => o.queues.includes(c.queue) && o.state !== 'logged_out');
    const seats = unbound.filter((m) => m.queue === c.queue);
    const seatOnCall = (m: SeatMember) => m.inCall || [2, 3, 6, 7, 8].includes(m.status);
    return {
      centre: c.code,
      queue: c.queue,
      shift: shift?.name ?? null,
      targetStaff: shift?.targetStaff ?? null,
      loggedIn: mine.length + seats.length,
      ready: mine.filter((o) => o.state === 'ready').length + seats.filter((m) => !m.paused && !seatOnCall(m)).length,
      onCall: mine.filter((o) => o.state === 'on_call' || o.state === 'ringing').length + seats.filter(seatOnCall).length,
      paused: mine.filter((o) => o.state === 'paused').length + seats.filter((m) => m.paused && !seatOnCall(m)).length,
      unbound: seats.length,
    };
  });
}
