// Adapters for API responses that are still snake_case while the API moves to camelCase.
// Delete each one once its route answers in camelCase (the adapter accepts both meanwhile).

export interface MissedCall {
  id: number;
  callerNumber: string | null;
  centre: string | null;
  queue: string | null;
  reason: string | null;
  status: 'pending' | 'claimed' | 'done' | 'unreachable';
  missedAt: string;
  attempts: number;
  claimedBy: number | null;
  note: string | null;
}

type Row = Record<string, unknown>;
const pick = (r: Row, camel: string, snake: string) => (r[camel] !== undefined ? r[camel] : r[snake]);

/** GET /api/missed-calls rows (snake_case today). */
export function missedCall(r: Row): MissedCall {
  return {
    id: Number(r.id),
    callerNumber: (pick(r, 'callerNumber', 'caller_number') as string | null) ?? null,
    centre: (r.centre as string | null) ?? null,
    queue: (r.queue as string | null) ?? null,
    reason: (pick(r, 'reason', 'reason') as string | null) ?? (pick(r, 'kind', 'kind') as string | null) ?? null,
    status: r.status as MissedCall['status'],
    missedAt: String(pick(r, 'missedAt', 'missed_at') ?? ''),
    attempts: Number(r.attempts ?? 0),
    claimedBy: (pick(r, 'claimedBy', 'claimed_by') as number | null) ?? null,
    note: (r.note as string | null) ?? null,
  };
}

/** Monitoring sessions and transfer rows (snake_case today). */
export function idOf(r: Row): number {
  return Number(r.id);
}
export function statusOf(r: Row): string {
  return String(r.status ?? r.state ?? '');
}
