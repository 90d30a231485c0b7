import { Knex } from 'knex';

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * What the city shows of its counties (第二十五条), read only from what they pushed: the
 * network_centres heartbeats, the network_tickets as the facts left them, and each ticket's facts.
 */
export class CityViews {
  constructor(
    private readonly knex: Knex,
    private readonly centreName: (code: string) => string,
  ) {}

  /** Every county heard from: heartbeat age, lag (s), backlog, live queue figures and ticket counts. */
  async centres() {
    const rows = (await this.knex('network_centres').orderBy('code')) as Array<Record<string, unknown>>;
    const counts = (await this.knex('network_tickets')
      .select('centre')
      .count({ total: '*' })
      .select(this.knex.raw("count(*) filter (where status not in ('closed','not_accepted','withdrawn','merged')) as open"))
      .groupBy('centre')) as Array<{ centre: string; total: string; open: string }>;
    return rows.map((r) => {
      const c = counts.find((x) => x.centre === r.code);
      return {
        code: String(r.code), name: this.centreName(String(r.code)), lastSeenAt: iso(r.last_seen_at), lastFactAt: iso(r.last_fact_at),
        lagSeconds: num(r.last_lag_seconds), backlog: num(r.backlog), oldestPendingSeconds: num(r.oldest_pending_seconds), live: r.live ?? null,
        tickets: { total: Number(c?.total ?? 0), open: Number(c?.open ?? 0) },
      };
    });
  }

  /** County tickets, most recently changed first. */
  async tickets(f: { centre?: string; status?: string; limit: number }) {
    const q = this.knex('network_tickets').orderBy('updated_at', 'desc').limit(f.limit);
    if (f.centre) q.where({ centre: f.centre });
    if (f.status) q.where({ status: f.status });
    return ((await q) as Array<Record<string, unknown>>).map(netTicket);
  }

  /** One county ticket with its facts in order, or null. */
  async ticket(centre: string, no: string) {
    const t = await this.knex('network_tickets').where({ centre, no }).first();
    if (!t) return null;
    const facts = (await this.knex('network_facts').where({ centre, ticket_no: no }).orderBy('seq')) as Array<Record<string, unknown>>;
    return {
      ...netTicket(t),
      timeline: facts.map((f) => {
        const p = (typeof f.payload === 'string' ? JSON.parse(f.payload) : f.payload) as { event: { event: string; actor?: string; reason?: string | null } };
        return { seq: Number(f.seq), event: p.event.event, occurredAt: iso(f.occurred_at)!, receivedAt: iso(f.received_at)!, actor: p.event.actor ?? null, reason: p.event.reason ?? null };
      }),
    };
  }
}

function netTicket(t: Record<string, unknown>) {
  return {
    centre: String(t.centre), no: String(t.no), status: String(t.status), category: (t.category as string) ?? null, domain: (t.domain as string) ?? null,
    content: (t.content as string) ?? null, mainUnit: (t.main_unit as string) ?? null, originNo: (t.origin_no as string) ?? null, lastSeq: Number(t.last_seq),
    createdAt: iso(t.created_at)!, updatedAt: iso(t.updated_at)!,
  };
}
