import { CallPatch } from './call-store';
import { CallState } from './call-state';

type Row = Record<string, unknown>;

/** A call leg as a batch writes it: inserted if new, else its answer kept, then ended if `ended_at` is set. */
export interface LegWrite {
  call_id: number;
  server_id: string;
  channel_id: string;
  channel: string;
  role: string;
  started_at: Date;
  answered_at: Date | null;
  ended_at: Date | null;
  hangup_cause: number | null;
}

/**
 * What the steps of one call's batch write, collected in memory in the order they were applied and
 * written by one statement at the end of the batch (CallStore.writeBatch; issue #13: a call cost ~30
 * statements, one per transition, leg, count and check, each a round trip and a write on the socket).
 *
 * The call's transition keys are read with its row lock, so "was this Asterisk fact applied before"
 * and "how many joins, leaves, answers" are answered here, not by a statement each. Rows are merged
 * as the statements they replace would have changed them one after another:
 *   - a leg inserted twice keeps its first fields and its first answer (ON CONFLICT … answered_at =
 *     coalesce(…)); a leg inserted then ended is inserted ended;
 *   - a leg ended that this batch did not insert is ended if it exists and is not ended yet; ended
 *     twice, the first end stands;
 *   - a leg inserted after this batch ended it (not seen from Asterisk, whose hangup is a channel's
 *     last event) is written after the end, by a second statement (`legsAfterEnds`), so the order holds.
 */
export class CallBatch {
  /** Field changes of the call row, written once. */
  readonly dirty: CallPatch & { state?: CallState } = {};
  readonly transitions: Row[] = [];
  readonly legs = new Map<string, LegWrite>();
  readonly ends = new Map<string, { server_id: string; channel_id: string; ended_at: Date; hangup_cause: number | null }>();
  /** Legs inserted after this batch ended them: written after `ends`. */
  readonly legsAfterEnds = new Map<string, LegWrite>();
  missed: Row | null = null;
  /** A transition to `ended` is among those written (the network's outbox queues the call, 第二十五条). */
  ended = false;

  /** `keys`: the transition keys of the call as read under its row lock. */
  constructor(private readonly keys: Set<string>) {}

  /** Whether a transition keyed `key` is recorded (before or in this batch). */
  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** How many recorded transitions carry a key starting with `prefix`. */
  count(prefix: string): number {
    let n = 0;
    for (const k of this.keys) if (k.startsWith(prefix)) n++;
    return n;
  }

  /** Record a transition once per key; false when that key is recorded already (a replay). */
  record(row: { call_id: number; from_state: CallState; event: string; to_state: CallState; at: Date; event_key: string }): boolean {
    if (this.keys.has(row.event_key)) return false;
    this.keys.add(row.event_key);
    this.transitions.push(row);
    if (row.to_state === 'ended') this.ended = true;
    return true;
  }

  upsertLeg(leg: Omit<LegWrite, 'ended_at' | 'hangup_cause' | 'answered_at'> & { answered_at?: Date | null }): void {
    const k = legKey(leg);
    const into = this.ends.has(k) ? this.legsAfterEnds : this.legs;
    const had = into.get(k);
    if (had) had.answered_at = had.answered_at ?? leg.answered_at ?? null;
    else into.set(k, { ...leg, answered_at: leg.answered_at ?? null, ended_at: null, hangup_cause: null });
  }

  endLeg(serverId: string, channelId: string, endedAt: Date, cause: number | null): void {
    const k = legKey({ server_id: serverId, channel_id: channelId });
    const leg = this.legs.get(k) ?? this.legsAfterEnds.get(k);
    if (leg) {
      if (!leg.ended_at) Object.assign(leg, { ended_at: endedAt, hangup_cause: cause });
      return;
    }
    if (!this.ends.has(k)) this.ends.set(k, { server_id: serverId, channel_id: channelId, ended_at: endedAt, hangup_cause: cause });
  }

  /** Whether there is anything to write. */
  get empty(): boolean {
    return !Object.keys(this.dirty).length && !this.transitions.length && !this.legs.size && !this.ends.size && !this.legsAfterEnds.size && !this.missed;
  }

  /** Forget what was written (the keys stay: they are the call's). */
  written(): void {
    for (const k of Object.keys(this.dirty)) delete (this.dirty as Row)[k];
    this.transitions.length = 0;
    this.legs.clear();
    this.ends.clear();
    this.legsAfterEnds.clear();
    this.missed = null;
    this.ended = false;
  }
}

const legKey = (l: { server_id: string; channel_id: string }) => `${l.server_id}/${l.channel_id}`;
