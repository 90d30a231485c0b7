import { Knex } from 'knex';
import { parseJson, revive } from '../db/json-rows';
import { insertText, preparedNative, updateText } from '../db/prepared';
import { CallBatch, LegWrite } from './call-batch';
import { CallEvent, CallFacts, CallState } from './call-state';

export interface CallRow {
  id: number;
  server_id: string;
  linkedid: string;
  caller_channel_id: string | null;
  caller_number: string | null;
  caller_name: string | null;
  dialled: string | null;
  centre: string | null;
  queue: string | null;
  state: CallState;
  outcome: string | null;
  started_at: Date;
  queue_entered_at: Date | null;
  queue_left_at: Date | null;
  wait_seconds: number | null;
  answered_at: Date | null;
  operator_interface: string | null;
  operator_user_id: number | null;
  talk_seconds: number | null;
  ended_at: Date | null;
  hangup_cause: number | null;
  transferred: boolean;
  restricted: boolean;
  fallback: CallFacts['fallback'];
  ticket_no: string | null;
  reconciled: boolean;
}

export type CallPatch = Partial<Omit<CallRow, 'id' | 'server_id' | 'linkedid' | 'state'>>;

/** Calls, legs, transitions and recordings in PostgreSQL; every write is keyed by Asterisk's ids. */
export class CallStore {
  constructor(readonly knex: Knex) {}

  /** The call of a linkedid, created if new, with its transition keys (lockCallWithKeys). Concurrent creators converge on one row. */
  async ensureCall(trx: Knex.Transaction, serverId: string, linkedid: string, startedAt: Date): Promise<{ call: CallRow; keys: Set<string> }> {
    // A row this transaction inserted is locked by it already, and has no transitions: read back only when another writer had it.
    const [inserted] = await trx('calls').insert({ server_id: serverId, linkedid, started_at: startedAt }).onConflict(['server_id', 'linkedid']).ignore().returning('*');
    if (inserted) return { call: normalise(inserted), keys: new Set() };
    const had = await this.lockCallWithKeys(trx, serverId, linkedid);
    if (!had) throw new Error(`call ${linkedid} neither inserted nor found`);
    return had;
  }

  /**
   * The call of a linkedid locked for this transaction with the keys of its transitions, in one
   * statement; null when there is none yet (issue #13: the keys answer a batch's replay checks and
   * counts in memory, see CallBatch).
   *
   * The lock may wait for another writer of the call (two instances while the leader is uncertain, a
   * take-over). The locked row is then that writer's version, but the keys are read as of when the
   * statement began: the row's version (xmin) as that older snapshot saw it tells, and the statement is
   * run once more, the lock held, seeing everything committed. Every batch that writes transitions
   * updates the call row, so a writer's transitions always come with a new row version.
   */
  async lockCallWithKeys(trx: Knex.Transaction, serverId: string, linkedid: string): Promise<{ call: CallRow; keys: Set<string> } | null> {
    const read = async () =>
      (
        await preparedNative(
          trx,
          `select row_to_json(c) as call, c.xmin::text as _xmin, (select s.xmin::text from calls s where s.id = c.id) as _seen,
             (select coalesce(json_agg(x.event_key), '[]') from call_transitions x where x.call_id = c.id) as _keys
           from calls c where c.server_id = $1 and c.linkedid = $2 for update`,
          [serverId, linkedid],
        )
      ).rows[0] as { call: unknown; _xmin: string; _seen: string | null; _keys: unknown } | undefined;
    let r = await read();
    if (r && r._seen !== r._xmin) r = await read();
    if (!r) return null;
    return { call: normalise(revive(parseJson(r.call), CALL_DATES)), keys: new Set(parseJson<string[]>(r._keys)) };
  }

  /**
   * Write what a batch of steps collected (CallBatch) in one statement, in the transaction holding
   * the call's row lock: the call's changes (and always a new row version, see lockCallWithKeys), its
   * new transitions, its legs, its missed-call entry. Then, for a call just ended, the network's
   * outbox (第二十五条) in the same transaction.
   */
  async writeBatch(trx: Knex.Transaction, callId: number, b: CallBatch): Promise<void> {
    if (b.empty) return;
    const values: unknown[] = [];
    const $ = (v: unknown) => `$${values.push(v)}`;
    const parts: string[] = [];
    const update = updateText('calls', b.dirty, values);
    parts.push(`u as (${update}${update.endsWith(' set ') ? '' : ','} "updated_at" = current_timestamp where "id" = ${$(callId)})`);
    const legs = (rows: Iterable<LegWrite>) => `${insertText('call_legs', [...rows] as unknown as Array<Record<string, unknown>>, values)} on conflict ("server_id", "channel_id") do update set
        "answered_at" = coalesce(call_legs.answered_at, excluded.answered_at),
        "hangup_cause" = case when call_legs.ended_at is null then excluded.hangup_cause else call_legs.hangup_cause end,
        "ended_at" = coalesce(call_legs.ended_at, excluded.ended_at)`;
    if (b.transitions.length) parts.push(`t as (${insertText('call_transitions', b.transitions, values)} on conflict ("call_id", "event_key") do nothing)`);
    if (b.legs.size) parts.push(`l as (${legs(b.legs.values())})`);
    if (b.ends.size) {
      const rows = [...b.ends.values()].map((e) => `(${$(e.server_id)}::text, ${$(e.channel_id)}::text, ${$(e.ended_at)}::timestamptz, ${$(e.hangup_cause)}::int)`);
      parts.push(`e as (update call_legs set ended_at = v.at, hangup_cause = v.cause from (values ${rows.join(', ')}) as v(server_id, channel_id, at, cause)
        where call_legs.server_id = v.server_id and call_legs.channel_id = v.channel_id and call_legs.ended_at is null)`);
    }
    if (b.missed) parts.push(`m as (${insertText('missed_calls', [b.missed], values)} on conflict ("call_id") do nothing)`);
    await preparedNative(trx, `with ${parts.join(', ')} select 1`, values);
    // A leg inserted after the batch ended it: after the end, as the two statements ran before (a
    // statement's parts all see the rows as they were when it began).
    if (b.legsAfterEnds.size) {
      values.length = 0;
      await preparedNative(trx, legs(b.legsAfterEnds.values()), values);
    }
    const ended = b.ended;
    b.written();
    if (ended && this.outbox) await this.outbox(trx, callId);
  }

  async findCall(serverId: string, linkedid: string): Promise<CallRow | null> {
    const row = await this.knex('calls').where({ server_id: serverId, linkedid }).first();
    return row ? normalise(row) : null;
  }

  async findCallByChannel(serverId: string, channelId: string): Promise<CallRow | null> {
    const row = await this.knex('calls').where({ server_id: serverId, caller_channel_id: channelId }).first();
    return row ? normalise(row) : null;
  }

  /**
   * calls.* with the ticket the call belongs to: set by the busy-fallback draft, or linked by the
   * tickets feature (ticket_calls by linkedid — a ticket registered from the call, or linked later).
   */
  private withTicket() {
    return this.knex('calls').select(
      'calls.*',
      this.knex.raw('coalesce(calls.ticket_no, (select tc.ticket_no from ticket_calls tc where tc.linkedid = calls.linkedid order by tc.linked_at limit 1)) as ticket_no'),
    );
  }

  async getCall(id: number): Promise<CallRow | null> {
    const row = await this.withTicket().where('calls.id', id).first();
    return row ? normalise(row) : null;
  }

  /** The network's outbox (第二十五条): an ended call's record is queued for the city in the transaction that ends it. */
  private outbox: ((trx: Knex.Transaction, callId: number) => Promise<void>) | null = null;
  setOutbox(outbox: ((trx: Knex.Transaction, callId: number) => Promise<void>) | null): void {
    this.outbox = outbox;
  }

  async upsertLeg(trx: Knex.Transaction | Knex, leg: { callId: number; serverId: string; channelId: string; channel: string; role: string; startedAt: Date; answeredAt?: Date | null }): Promise<void> {
    await trx('call_legs')
      .insert({ call_id: leg.callId, server_id: leg.serverId, channel_id: leg.channelId, channel: leg.channel, role: leg.role, started_at: leg.startedAt, answered_at: leg.answeredAt ?? null })
      .onConflict(['server_id', 'channel_id'])
      .merge({ answered_at: trx.raw('coalesce(call_legs.answered_at, excluded.answered_at)') });
  }

  async legs(callId: number) {
    return this.knex('call_legs').where({ call_id: callId }).orderBy('started_at');
  }

  async transitions(callId: number) {
    return this.knex('call_transitions').where({ call_id: callId }).orderBy('id');
  }

  /** Calls not ended, for reconciliation after a reconnect. */
  async openCalls(serverId: string): Promise<CallRow[]> {
    const rows = await this.knex('calls').where({ server_id: serverId }).whereNot('state', 'ended');
    return rows.map(normalise);
  }

  async list(filter: { from?: Date; to?: Date; outcome?: string; centre?: string; callerNumber?: string; limit?: number; beforeId?: number }): Promise<CallRow[]> {
    const q = this.withTicket().orderBy('calls.id', 'desc').limit(Math.min(filter.limit ?? 50, 500));
    if (filter.from) q.where('started_at', '>=', filter.from);
    if (filter.to) q.where('started_at', '<', filter.to);
    if (filter.outcome) q.where('outcome', filter.outcome);
    if (filter.centre) q.where('centre', filter.centre);
    if (filter.callerNumber) q.where('caller_number', filter.callerNumber);
    if (filter.beforeId) q.where('calls.id', '<', filter.beforeId);
    return (await q).map(normalise);
  }
}

/** The calls columns that are timestamps (a row read as json has them as strings). */
const CALL_DATES = ['started_at', 'queue_entered_at', 'queue_left_at', 'answered_at', 'ended_at', 'updated_at'] as const;

function normalise(row: Record<string, unknown>): CallRow {
  return { ...(row as unknown as CallRow), id: Number(row.id), operator_user_id: row.operator_user_id === null ? null : Number(row.operator_user_id) };
}
