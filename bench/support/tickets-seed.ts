import { Knex } from 'knex';
import { searchTerms } from '../../src/tickets/text';
import { seedUnits } from '../../src/tickets/catalogue';
import { MATTERS, places } from './tickets-matters';
import { WINDOW_KINDS } from '../../src/tickets/model';

/**
 * A year of a city hotline's tickets, generated in SQL (INSERT … SELECT generate_series): the ticket
 * rows with their search terms as the service writes them (character bigrams of number, content and
 * place), the unit assignments (main, and a co-unit on some) and the deadlines (the open ones of each
 * ticket still in handling, and the met ones of the dispatched tickets before). Numbers, times, states,
 * channels, callers and matters come from a hash of the row number, so every seed is the same.
 *
 * States follow age: today's tickets are mostly waiting for dispatch or signature, last week's in
 * handling, older ones closed (a few still in handling, overdue). Callers repeat (200,000 numbers,
 * some calling often). Ticket events are not written: no list or search reads them.
 */
export async function seedTickets(db: Knex, n: number, now: Date, log: (s: string) => void = () => undefined): Promise<void> {
  const t0 = Date.now();
  await seedUnits(db);
  // One transaction: foreign-key triggers off (the rows are consistent by construction), the tables'
  // secondary indexes dropped and built again at the end (far faster than row by row).
  await db.transaction(async (knex) => {
    await knex.raw(`set local session_replication_role = replica`);
    await knex.raw(`set local maintenance_work_mem = '512MB'`);
    const indexes = (await knex.raw(
      `select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename in ('tickets', 'ticket_units', 'ticket_deadlines')
         and indexname not in (select conname from pg_constraint)`,
    )).rows as Array<{ indexname: string; indexdef: string }>;
    for (const i of indexes) await knex.raw(`drop index "${i.indexname}"`);
    await fill(knex, n, now, log);
    const s = Date.now();
    for (const i of indexes) await knex.raw(i.indexdef);
    log(`  ${indexes.length} indexes: ${((Date.now() - s) / 1000).toFixed(1)} s`);
  });
  // A live table is autovacuumed; after a bulk load we do it ourselves (statistics, visibility map).
  for (const table of ['tickets', 'ticket_units', 'ticket_deadlines', 'units']) {
    const s = Date.now();
    await db.raw(`vacuum analyze ${table}`);
    log(`  vacuum analyze ${table}: ${((Date.now() - s) / 1000).toFixed(1)} s`);
  }
  log(`  seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function fill(knex: Knex, n: number, now: Date, log: (s: string) => void): Promise<void> {
  const { places: ps, units } = places();
  const step = async (label: string, sql: string, bindings: readonly unknown[] = []) => {
    const s = Date.now();
    await knex.raw(sql, bindings as Knex.RawBinding[]);
    log(`  ${label}: ${((Date.now() - s) / 1000).toFixed(1)} s`);
  };
  await knex('units').insert(units.map((u) => ({ code: u.code, name: u.name, kind: 'town', parent_code: u.county, county_code: u.county, active: true }))).onConflict('code').ignore();

  // The matters, expanded by weight into a table of 1,000 slots a hash picks from.
  const slots: number[] = [];
  const total = MATTERS.reduce((a, x) => a + x.weight, 0);
  MATTERS.forEach((x, k) => { for (let j = 0; j < Math.round((x.weight / total) * 1000); j++) slots.push(k); });
  await knex.raw(`drop table if exists bench_matters, bench_places, bench_slots, bench_seed`);
  await knex.raw(`create temp table bench_matters (k int primary key, text text, category text, domain text, subdomain text, unit text, terms text)`);
  await knex('bench_matters').insert(MATTERS.map((x, k) => ({ k, text: x.text, category: x.category, domain: x.domain, subdomain: x.subdomain, unit: x.unit, terms: searchTerms(x.text) })));
  await knex.raw(`create temp table bench_places (k int primary key, text text, town_unit text, county_unit text, terms text)`);
  await knex('bench_places').insert(ps.map((p, k) => ({ k, text: p.text, town_unit: p.townUnit, county_unit: p.countyUnit, terms: searchTerms(p.text) })));
  await knex.raw(`create temp table bench_slots (s int primary key, k int)`);
  await knex('bench_slots').insert(slots.map((k, s) => ({ s, k })));

  // One row per ticket with every choice made: age, state, matter, place, caller, unit.
  await step('plan', `
    create temp table bench_seed as
    with g as (
      select i, age, (abs(hashint4(i)) % 10000) / 10000.0 as r, abs(hashint4(i * 7 + 1)) as h1, abs(hashint4(i * 13 + 2)) as h2, abs(hashint4(i * 17 + 3)) as h3
      from (select i, (? - i)::float8 * 365 / ? as age from generate_series(1, ?) i) s
    ), st as (
      select g.*, case
        when age < 1 then case when r < .02 then 'received' when r < .10 then 'accepted' when r < .40 then 'dispatched' when r < .65 then 'in_progress' when r < .95 then 'closed' else 'not_accepted' end
        when age < 7 then case when r < .03 then 'dispatched' when r < .48 then 'in_progress' when r < .50 then 'return_requested' when r < .65 then 'replied' when r < .95 then 'closed' else 'not_accepted' end
        when age < 30 then case when r < .06 then 'in_progress' when r < .16 then 'replied' when r < .94 then 'closed' when r < .98 then 'not_accepted' when r < .99 then 'withdrawn' else 'merged' end
        else case when r < .003 then 'in_progress' when r < .005 then 'replied' when r < .925 then 'closed' when r < .975 then 'not_accepted' when r < .99 then 'withdrawn' else 'merged' end
      end as status,
      ?::timestamptz - age * interval '1 day' as created_at,
      h1 % ? as slot, h2 % ? as pk,
      floor(200000 * power((h3 % 100000) / 100000.0, 2))::int as caller
      from g
    )
    select st.*, b.k as mk, 'QY' || to_char(created_at at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad((i % 1000000)::text, 6, '0') as no,
      case when status in ('received', 'accepted', 'not_accepted') then null
           when status in ('closed', 'withdrawn') and m.category in ('consultation', 'thanks') and h3 % 10 < 8 then null
           when m.unit = '@town' then p.town_unit when m.unit = '@county' then p.county_unit else m.unit end as main_unit,
      created_at + interval '40 minutes' as dispatched_at, h1 % 1000 < 8 as emergency
    from st join bench_slots b on b.s = st.slot join bench_matters m on m.k = b.k join bench_places p on p.k = st.pk`,
  [n, n, n, now, slots.length, ps.length]);
  await knex.raw(`analyze bench_seed`);

  await step('tickets', `
    insert into tickets (no, centre, status, channel, caller_name, caller_phone, confidential, content, category, domain, subdomain, matter_time, matter_place,
                         emergency, main_unit, handle_limit, not_accepted_reason, reply_text, replied_at, closed_at, flow, version, created_at, updated_at, search_terms)
    select s.no, 'QY', s.status,
      case when s.h2 % 100 < 72 then 'phone' when s.h2 % 100 < 82 then 'wechat' when s.h2 % 100 < 88 then 'website' when s.h2 % 100 < 93 then 'app'
           when s.h2 % 100 < 95 then 'sms' when s.h2 % 100 < 98 then 'national_platform' else 'provincial_12345' end,
      (array['张','王','李','赵','刘','陈','杨','黄','周','吴','马','孙'])[1 + s.caller % 12] || case when s.caller % 2 = 0 then '先生' else '女士' end,
      '1' || (array['3','5','8','9','7'])[1 + s.caller % 5] || lpad(((s.caller::bigint * 104729 + 12345) % 1000000000)::text, 9, '0'),
      s.h3 % 100 < 3, m.text, m.category, m.domain, m.subdomain, s.created_at - interval '2 hours', p.text, s.emergency, s.main_unit,
      case when s.main_unit is not null then '5wd' end,
      case when s.status = 'not_accepted' then 'unclear_matter' end,
      case when s.status in ('replied', 'closed') and s.main_unit is not null then '经核实，已责成相关单位处理，现已整改完毕。' end,
      case when s.status in ('replied', 'closed') and s.main_unit is not null then least(s.created_at + interval '3 days', ?::timestamptz) end,
      case when s.status in ('closed', 'not_accepted', 'withdrawn', 'merged') then least(s.created_at + interval '6 days', ?::timestamptz) end,
      '{}', 1 + s.h1 % 8, s.created_at, least(s.created_at + interval '6 days', ?::timestamptz),
      lower(s.no) || ' ' || m.terms || ' ' || p.terms
    from bench_seed s join bench_matters m on m.k = s.mk join bench_places p on p.k = s.pk`,
  [now, now, now]);

  await step('ticket_units', `
    insert into ticket_units (ticket_no, unit_code, role, active, assigned_at, released_at, ticket_status)
    select no, main_unit, 'main', status not in ('withdrawn', 'merged'), dispatched_at, case when status in ('withdrawn', 'merged') then dispatched_at + interval '1 day' end,
      case when status not in ('withdrawn', 'merged') then status end
    from bench_seed where main_unit is not null
    union all
    select no, case when main_unit = 'QY-CGZFJ' then 'QY-ZJJ' else 'QY-CGZFJ' end, 'co', status not in ('withdrawn', 'merged'), dispatched_at, null,
      case when status not in ('withdrawn', 'merged') then status end
    from bench_seed where main_unit is not null and h2 % 100 >= 96`);

  // Open deadlines of the tickets in handling: past ones were reminded and alerted (the timer's steady
  // state). The timer deems an unsigned ticket signed and an unanswered visit satisfied once their
  // deadline passes, so no open sign or callback deadline is past.
  await step('ticket_deadlines (open)', `
    insert into ticket_deadlines (ticket_no, kind, limit_spec, started_at, due_at, remind_at, state, reminded_at, alerted_at)
    select no, kind, spec, started, due, due - interval '4 hours', 'open',
      case when due - interval '4 hours' < ?::timestamptz then due - interval '4 hours' end, case when due < ?::timestamptz then due end
    from (
      select no, d.kind, d.spec, d.started,
        case when d.kind in ('sign', 'callback') then greatest(d.started + d.span, ?::timestamptz + (1 + s.h1 % 20) * interval '1 hour') else d.started + d.span end as due
      from bench_seed s cross join lateral (values
        ('dispatch', '2h', s.created_at, interval '2 hours', s.status = 'accepted'),
        ('sign', '1wd', s.dispatched_at, interval '1 day', s.status = 'dispatched'),
        ('return', '1wd', s.dispatched_at, interval '1 day', s.status = 'dispatched'),
        ('feedback', '2h', s.dispatched_at, interval '2 hours', s.status = 'dispatched' and s.emergency),
        ('handle', '5wd', s.dispatched_at, interval '7 days', s.status in ('dispatched', 'in_progress', 'return_requested')),
        ('callback', '5wd', s.created_at + interval '3 days', interval '7 days', s.status = 'replied')
      ) d(kind, spec, started, span, applies)
      where d.applies
    ) o`,
  [now, now, now]);

  // What the dispatched tickets handled before left: their dispatch, sign and handle deadlines met.
  await step('ticket_deadlines (met)', `
    insert into ticket_deadlines (ticket_no, kind, limit_spec, started_at, due_at, remind_at, state, ended_at, missed)
    select no, d.kind, d.spec, d.started, d.started + d.span, d.started + d.span - interval '4 hours', 'met', d.started + d.took, d.took > d.span
    from bench_seed s cross join lateral (values
      ('dispatch', '2h', s.created_at, interval '2 hours', interval '40 minutes'),
      ('sign', '1wd', s.dispatched_at, interval '1 day', interval '3 hours'),
      ('handle', '5wd', s.dispatched_at, interval '7 days', (s.h3 % 9) * interval '1 day')
    ) d(kind, spec, started, span, took)
    where s.main_unit is not null and s.status in ('replied', 'closed')`);

  // Each ticket's earliest open deadline that can make it overdue, as the service writes it (windows left out).
  await step('tickets.next_due_at', `
    update tickets t set next_due_at = d.due from (
      select ticket_no, min(due_at) as due from ticket_deadlines where state = 'open' and kind <> all(?) group by ticket_no
    ) d where d.ticket_no = t.no`, [[...WINDOW_KINDS]]);

  await knex.raw(`drop table bench_matters, bench_places, bench_slots, bench_seed`);
}
