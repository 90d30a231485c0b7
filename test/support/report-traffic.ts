import { Knex } from 'knex';

/**
 * A generated period of hotline traffic written straight into the tables (calls, missed calls,
 * tickets with their events, unit assignments, deadlines and visits, knowledge questions), shaped
 * like what the call path and the ticket service write. Deterministic for a seed. Used by the
 * report tests (which recompute every figure from these rows) and by bench/reports.ts.
 */
export interface TrafficOptions {
  from: Date;
  days: number;
  callsPerDay: number;
  ticketsPerDay: number;
  seed?: number;
  /** Distinguishes the keys of several generated stretches in one database. */
  tag?: string;
}

export const TRAFFIC_CENTRES = [
  { code: 'rpt-city', name: '市12345热线', kind: 'city', queue: 'rpt-city' },
  { code: 'rpt-xf', name: '西峰区12345热线', kind: 'county', queue: 'rpt-xf' },
];
export const TRAFFIC_UNITS = [
  { code: 'RPT-XF', name: '西峰区人民政府', kind: 'county', parent_code: null, county_code: null },
  { code: 'RPT-HOUSING', name: '市住建局', kind: 'department', parent_code: null, county_code: null },
  { code: 'RPT-WATER', name: '市供水公司', kind: 'enterprise', parent_code: null, county_code: null },
  { code: 'RPT-XF-TOWN', name: '西峰区肖金镇', kind: 'town', parent_code: 'RPT-XF', county_code: 'RPT-XF' },
];
const UNIT_CODES = TRAFFIC_UNITS.map((u) => u.code);
const CATEGORIES = ['consultation', 'help', 'complaint', 'report', 'suggestion'];
const DOMAINS = ['economic_regulation', 'market_supervision', 'social_management', 'public_service', 'ecological_environment'];
const REASONS = ['outside_jurisdiction', 'unclear_matter', 'duplicate_in_progress', 'legal_procedure'];
const LEVELS = ['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied'];
const TOPICS = ['小区停水', '供暖温度不达标', '公积金提取', '噪音扰民', '道路积水', '物业收费', '社保卡办理', '拖欠工资'];
/** Rises in the last week of the period: the hot topic the report must find. */
const RISING = '燃气管道泄漏';
const PLACES = ['西峰区南大街', '庆城县北门', '肖金镇中心街', '西峰区长庆大道'];
const RISING_PLACE = '西峰区九龙路';

const H = 3600_000;
const DAY = 24 * H;

export async function generateTraffic(knex: Knex, o: TrafficOptions): Promise<{ calls: number; tickets: number }> {
  let s = o.seed ?? 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

  await knex('centres').insert(TRAFFIC_CENTRES).onConflict('code').ignore();
  await knex('units').insert(TRAFFIC_UNITS).onConflict('code').ignore();

  // Calls.
  const phones = Array.from({ length: Math.max(20, Math.floor(o.callsPerDay / 4)) }, (_, i) => `1390000${String(i).padStart(4, '0')}`);
  const calls: Record<string, unknown>[] = [];
  for (let d = 0; d < o.days; d++) {
    for (let i = 0; i < o.callsPerDay; i++) {
      const started = at(o.from, d * DAY + Math.floor(rnd() * DAY));
      const r = rnd();
      const queued = at(started, 8000);
      const base = { server_id: 'rpt', linkedid: `rpt-${o.tag ?? ''}${d}-${i}`, caller_number: pick(phones), centre: pick(TRAFFIC_CENTRES).code, queue: 'q', state: 'ended', started_at: started, ended_at: at(started, 300_000), fallback: 'none' };
      if (r < 0.78) {
        const wait = Math.floor(rnd() * 40_000);
        calls.push({ ...base, outcome: rnd() < 0.05 ? 'transferred' : 'answered', queue_entered_at: queued, answered_at: at(queued, wait), wait_seconds: Math.floor(wait / 1000) });
      } else if (r < 0.88) calls.push({ ...base, outcome: 'abandoned', queue_entered_at: queued, wait_seconds: 30 });
      else if (r < 0.94) {
        const fb = pick(['prompt', 'sms', 'message']);
        calls.push({ ...base, outcome: fb === 'prompt' ? 'fallback' : `fallback-${fb}`, fallback: fb, queue_entered_at: rnd() < 0.7 ? queued : null });
      } else if (r < 0.97) calls.push({ ...base, outcome: 'unanswered' });
      else if (r < 0.98) calls.push({ ...base, outcome: 'restricted', restricted: true });
      else calls.push({ ...base, outcome: null, state: 'queued', queue_entered_at: queued }); // still live when reported
    }
  }
  const missed: Record<string, unknown>[] = [];
  for (let i = 0; i < calls.length; i += 1000) {
    const ids = await knex('calls').insert(calls.slice(i, i + 1000)).returning(['id', 'outcome', 'caller_number', 'started_at', 'centre']);
    for (const c of ids) {
      if (!['abandoned', 'fallback', 'fallback-sms', 'fallback-message'].includes(c.outcome)) continue;
      const missedAt = new Date(c.started_at);
      const r = rnd();
      // Callbacks: done within 24 h, done later, unreachable, or pending.
      const status = r < 0.4 ? 'done' : r < 0.55 ? 'done' : r < 0.7 ? 'unreachable' : 'pending';
      const last = status === 'pending' ? null : at(missedAt, r < 0.4 ? 2 * H : 30 * H);
      missed.push({ call_id: c.id, caller_number: c.caller_number, centre: c.centre, queue: 'q', missed_at: missedAt, reason: c.outcome, status, attempts: last ? 1 : 0, last_attempt_at: last });
    }
  }
  for (let i = 0; i < missed.length; i += 1000) await knex('missed_calls').insert(missed.slice(i, i + 1000));

  // Tickets and their lifecycle rows.
  const tickets: Record<string, unknown>[] = [];
  const events: Record<string, unknown>[] = [];
  const units: Record<string, unknown>[] = [];
  const deadlines: Record<string, unknown>[] = [];
  const visits: Record<string, unknown>[] = [];
  const ev = (no: string, when: Date, event: string, from: string | null, to: string, data: Record<string, unknown> = {}) =>
    events.push({ ticket_no: no, at: when, event, from_status: from, to_status: to, actor: 'gen', data: JSON.stringify(data) });
  const dl = (no: string, kind: string, started: Date, due: Date, end: Date | null, how: 'met' | 'cancelled' | 'open') =>
    deadlines.push({ ticket_no: no, kind, limit_spec: 'gen', started_at: started, due_at: due, remind_at: due, state: how, ended_at: how === 'open' ? null : end, missed: how === 'met' ? end! > due : null });
  const lastWeek = at(o.from, (o.days - 7) * DAY);
  let seq = 0;
  const mergeTargets: string[] = [];
  for (let d = 0; d < o.days; d++) {
    for (let i = 0; i < o.ticketsPerDay; i++) {
      const no = `RPT${o.tag ?? ''}${String(d).padStart(2, '0')}${String(seq++).padStart(6, '0')}`;
      const created = at(o.from, d * DAY + Math.floor(rnd() * DAY));
      const category = pick(CATEGORIES);
      const rising = created >= lastWeek && rnd() < 0.3;
      const content = `市民来电反映${rising ? RISING : pick(TOPICS)}的问题,${pick(TOPICS)}也需要关注,希望尽快处理。`;
      const t: Record<string, unknown> = {
        no, centre: pick(TRAFFIC_CENTRES).code, status: 'received', channel: 'phone', content, category, domain: pick(DOMAINS),
        matter_place: rising && rnd() < 0.8 ? RISING_PLACE : pick(PLACES), created_at: created, updated_at: created, main_unit: null, not_accepted_reason: null,
      };
      tickets.push(t);
      ev(no, created, 'create', null, 'received');
      const r = rnd();
      if (r < 0.08) {
        t.status = 'not_accepted';
        t.not_accepted_reason = pick(REASONS);
        ev(no, at(created, 60_000), 'not_accept', 'received', 'not_accepted');
        continue;
      }
      const accepted = at(created, 120_000);
      ev(no, accepted, 'accept', 'received', 'accepted');
      if (r < 0.2) {
        dl(no, 'dispatch', accepted, at(accepted, 2 * H), at(accepted, H), 'met');
        ev(no, at(accepted, H), 'close_immediately', 'accepted', 'replied');
        t.status = 'replied';
        continue;
      }
      if (r < 0.22 && mergeTargets.length) {
        ev(no, at(accepted, 600_000), 'merge_into', 'accepted', 'merged', { into: pick(mergeTargets) });
        t.status = 'merged';
        continue;
      }
      mergeTargets.push(no);
      // Dispatch (2 h), sign (3 working hours ≈ 3 h here), return (1 day), handle (5 days).
      let unit = pick(UNIT_CODES);
      let dispatched = at(accepted, rnd() < 0.1 ? 3 * H : H);
      dl(no, 'dispatch', accepted, at(accepted, 2 * H), dispatched, 'met');
      const dispatch = (u: string, when: Date) => {
        ev(no, when, 'dispatch', 'accepted', 'dispatched', { mainUnit: u, coUnits: [] });
        units.push({ ticket_no: no, unit_code: u, role: 'main', active: true, assigned_at: when, released_at: null });
      };
      dispatch(unit, dispatched);
      t.main_unit = unit;
      const rr = rnd();
      if (rr < 0.08) {
        // 退单: on time or late; approved (unit released, dispatched again) or rejected.
        const late = rnd() < 0.4;
        const asked = at(dispatched, late ? 30 * H : 4 * H);
        dl(no, 'return', dispatched, at(dispatched, DAY), asked, 'met');
        dl(no, 'sign', dispatched, at(dispatched, 3 * H), asked, late ? 'met' : 'cancelled');
        dl(no, 'handle', dispatched, at(dispatched, 5 * DAY), asked, 'cancelled');
        ev(no, asked, 'request_return', 'dispatched', 'return_requested', { basis: 'gen', suggestedUnit: 'RPT-HOUSING' });
        const decided = at(asked, H);
        if (rnd() < 0.6) {
          ev(no, decided, 'approve_return', 'return_requested', 'accepted');
          units[units.length - 1].active = false;
          units[units.length - 1].released_at = decided;
          dl(no, 'dispatch', decided, at(decided, 2 * H), at(decided, H), 'met');
          unit = UNIT_CODES.find((u) => u !== unit)!;
          dispatched = at(decided, H);
          dispatch(unit, dispatched);
          t.main_unit = unit;
        } else {
          ev(no, decided, 'reject_return', 'return_requested', 'in_progress');
          dl(no, 'handle', dispatched, at(dispatched, 5 * DAY), null, 'open');
          t.status = 'in_progress';
          continue;
        }
      }
      const signed = at(dispatched, rnd() < 0.12 ? 4 * H : H);
      dl(no, 'sign', dispatched, at(dispatched, 3 * H), signed, 'met');
      dl(no, 'return', dispatched, at(dispatched, DAY), signed, 'cancelled');
      ev(no, signed, rnd() < 0.1 ? 'deem_signed' : 'sign', 'dispatched', 'in_progress');
      let due = at(dispatched, 5 * DAY);
      if (rnd() < 0.06) {
        const req = at(signed, DAY);
        ev(no, req, 'request_extension', 'in_progress', 'in_progress', { extra: '5wd' });
        if (rnd() < 0.7) {
          ev(no, at(req, H), 'approve_extension', 'in_progress', 'in_progress');
          dl(no, 'handle', dispatched, due, at(req, H), 'cancelled');
          due = at(due, 5 * DAY);
        }
      }
      const rp = rnd();
      if (rp < 0.15) {
        dl(no, 'handle', dispatched, due, null, 'open'); // still handling: overdue once past due
        t.status = 'in_progress';
        continue;
      }
      const replied = at(dispatched, rp < 0.27 ? 7 * DAY : 2 * DAY);
      dl(no, 'handle', dispatched, due, replied, 'met');
      ev(no, replied, 'reply', 'in_progress', 'replied');
      t.status = 'replied';
      t.replied_at = replied;
      const visitAt = at(replied, 20 * H);
      const level = pick(LEVELS);
      const bad = level === 'dissatisfied' || level === 'very_dissatisfied';
      const exclusion = bad && category !== 'suggestion' ? pick([null, null, 'mediation_or_enforcement', 'no_policy_basis']) : null;
      const cause = bad ? pick(['unit', 'beyond_policy', 'expectation']) : null;
      visits.push({ ticket_no: no, round: 1, level, channel: 'phone', cause, exclusion, category, main_unit: unit, at: visitAt });
      ev(no, visitAt, 'visit', 'replied', cause === 'unit' ? 'in_progress' : 'closed', { level, cause });
      if (cause === 'unit') {
        // 重办: a new handling deadline; the second answer's visit is satisfied.
        const again = at(visitAt, 2 * DAY);
        dl(no, 'handle', visitAt, at(visitAt, 5 * DAY), again, 'met');
        ev(no, again, 'reply', 'in_progress', 'replied');
        visits.push({ ticket_no: no, round: 2, level: 'satisfied', channel: 'sms', cause: null, exclusion: null, category, main_unit: unit, at: at(again, 3 * H) });
      }
      t.status = 'closed';
    }
  }
  for (let i = 0; i < tickets.length; i += 1000) await knex('tickets').insert(tickets.slice(i, i + 1000));
  for (const [table, rows] of [['ticket_events', events], ['ticket_units', units], ['ticket_deadlines', deadlines], ['ticket_visits', visits]] as const) {
    for (let i = 0; i < rows.length; i += 2000) await knex(table).insert(rows.slice(i, i + 2000));
  }
  // Knowledge questions to units (第二十四条(二): 2 working days).
  const qs: Record<string, unknown>[] = [];
  for (let d = 0; d < o.days; d++) {
    for (const u of UNIT_CODES) {
      const asked = at(o.from, d * DAY + 3 * H);
      const r = rnd();
      qs.push({ question: '如何办理?', unit_code: u, state: r < 0.8 ? 'answered' : 'open', asked_by_name: 'gen', asked_at: asked, due_at: at(asked, 2 * DAY), answer: r < 0.8 ? '答复' : null, answered_at: r < 0.8 ? at(asked, r < 0.6 ? DAY : 3 * DAY) : null });
    }
  }
  for (let i = 0; i < qs.length; i += 1000) await knex('kb_questions').insert(qs.slice(i, i + 1000));
  return { calls: calls.length, tickets: tickets.length };
}
