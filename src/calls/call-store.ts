import { Knex } from 'knex';
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

  /** The call of a linkedid, created if new. Concurrent creators converge on one row. */
  async ensureCall(trx: Knex.Transaction, serverId: string, linkedid: string, startedAt: Date): Promise<CallRow> {
    // A row this transaction inserted is locked by it already: read back only when another writer had it.
    const [inserted] = await trx('calls').insert({ server_id: serverId, linkedid, started_at: startedAt }).onConflict(['server_id', 'linkedid']).ignore().returning('*');
    const row = inserted ?? (await trx('calls').where({ server_id: serverId, linkedid }).forUpdate().first());
    return normalise(row);
  }

  /** The call of a linkedid locked for this transaction, or null when there is none yet. */
  async lockCall(trx: Knex.Transaction, serverId: string, linkedid: string): Promise<CallRow | null> {
    const row = await trx('calls').where({ server_id: serverId, linkedid }).forUpdate().first();
    return row ? normalise(row) : null;
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

  /** Record a transition once per Asterisk event key; false when it was already recorded (a replay). */
  /** The network's outbox (第二十五条): an ended call's record is queued for the city in the transaction that ends it. */
  private outbox: ((trx: Knex.Transaction, callId: number) => Promise<void>) | null = null;
  setOutbox(outbox: ((trx: Knex.Transaction, callId: number) => Promise<void>) | null): void {
    this.outbox = outbox;
  }

  async recordTransition(trx: Knex.Transaction, callId: number, from: CallState, event: CallEvent, to: CallState, at: Date, eventKey: string): Promise<boolean> {
    const inserted = await trx('call_transitions')
      .insert({ call_id: callId, from_state: from, event, to_state: to, at, event_key: eventKey })
      .onConflict(['call_id', 'event_key'])
      .ignore()
      .returning('id');
    if (inserted.length > 0 && to === 'ended' && this.outbox) await this.outbox(trx, callId);
    return inserted.length > 0;
  }

  async hasEvent(trx: Knex.Transaction, callId: number, eventKey: string): Promise<boolean> {
    return !!(await trx('call_transitions').where({ call_id: callId, event_key: eventKey }).first('id'));
  }

  async updateCall(trx: Knex.Transaction | Knex, id: number, patch: CallPatch & { state?: CallState }): Promise<void> {
    if (Object.keys(patch).length === 0) return;
    await trx('calls').where({ id }).update({ ...patch, updated_at: trx.fn.now() });
  }

  async upsertLeg(trx: Knex.Transaction | Knex, leg: { callId: number; serverId: string; channelId: string; channel: string; role: string; startedAt: Date; answeredAt?: Date | null }): Promise<void> {
    await trx('call_legs')
      .insert({ call_id: leg.callId, server_id: leg.serverId, channel_id: leg.channelId, channel: leg.channel, role: leg.role, started_at: leg.startedAt, answered_at: leg.answeredAt ?? null })
      .onConflict(['server_id', 'channel_id'])
      .merge({ answered_at: trx.raw('coalesce(call_legs.answered_at, excluded.answered_at)') });
  }

  async endLeg(trx: Knex.Transaction | Knex, serverId: string, channelId: string, endedAt: Date, cause: number): Promise<void> {
    await trx('call_legs').where({ server_id: serverId, channel_id: channelId }).whereNull('ended_at').update({ ended_at: endedAt, hangup_cause: cause });
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

function normalise(row: Record<string, unknown>): CallRow {
  return { ...(row as unknown as CallRow), id: Number(row.id), operator_user_id: row.operator_user_id === null ? null : Number(row.operator_user_id) };
}
