import { Knex } from 'knex';
import { AuthUser } from '../auth/roles';
import { conflict, notFound } from '../http/errors';

export type MissedStatus = 'pending' | 'claimed' | 'done' | 'unreachable';

/**
 * The missed-call callback list (漏接回拨, national guidance): callers who hung up while waiting or
 * were sent to the busy fallback. Operators claim an entry, call back, and record the result.
 */
export class MissedCallService {
  constructor(private readonly knex: Knex) {}

  /** The network's outbox (第二十五条): a callback's result is queued for the city in the transaction that records it. */
  private outbox: ((trx: Knex.Transaction, row: Record<string, unknown>) => Promise<void>) | null = null;
  setOutbox(outbox: ((trx: Knex.Transaction, row: Record<string, unknown>) => Promise<void>) | null): void {
    this.outbox = outbox;
  }

  async list(filter: { status?: MissedStatus; centre?: string; limit?: number }) {
    const q = this.knex('missed_calls').orderBy('missed_at', 'asc').limit(Math.min(filter.limit ?? 100, 500));
    if (filter.status) q.where('status', filter.status);
    if (filter.centre) q.where('centre', filter.centre);
    return q;
  }

  async claim(id: number, user: AuthUser) {
    const [row] = await this.knex('missed_calls').where({ id }).whereIn('status', ['pending']).update({ status: 'claimed', claimed_by: user.id, claimed_at: this.knex.fn.now() }).returning('*');
    if (row) return row;
    const existing = await this.knex('missed_calls').where({ id }).first();
    if (!existing) throw notFound('missed_call.not_found', '漏接记录不存在', { id });
    throw conflict('missed_call.not_pending', `该记录已处于 ${existing.status} 状态`, { state: existing.status, claimedBy: existing.claimed_by });
  }

  async result(id: number, user: AuthUser, outcome: 'reached' | 'no_answer' | 'unreachable', note?: string) {
    return this.knex.transaction(async (trx) => {
      const row = await trx('missed_calls').where({ id }).forUpdate().first();
      if (!row) throw notFound('missed_call.not_found', '漏接记录不存在', { id });
      if (row.status !== 'claimed' || Number(row.claimed_by) !== user.id) throw conflict('missed_call.not_claimed_by_you', '请先认领该记录再登记回拨结果', { state: row.status });
      const attempts = row.attempts + 1;
      // Three unanswered tries and the number is marked unreachable; otherwise it goes back to the list.
      const status: MissedStatus = outcome === 'reached' ? 'done' : outcome === 'unreachable' || attempts >= 3 ? 'unreachable' : 'pending';
      const [updated] = await trx('missed_calls')
        .where({ id })
        .update({ status, attempts, last_attempt_at: trx.fn.now(), note: note ?? row.note, claimed_by: status === 'pending' ? null : row.claimed_by })
        .returning('*');
      // Only a reached caller counts (the 24-hour connection rate); the other results change no figure.
      if (status === 'done' && this.outbox) await this.outbox(trx, updated);
      return updated;
    });
  }
}
