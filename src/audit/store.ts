import { Knex } from 'knex';

export interface AuditEntry {
  actorUserId?: number | null;
  actor: string;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRow extends AuditEntry {
  id: number;
  at: Date;
}

/**
 * The audit trail: who did what to which record, and when. Written for every sensitive action
 * (logins, user changes, recording access, supervisor listen/whisper/barge, ticket transitions).
 */
export class AuditStore {
  constructor(private readonly knex: Knex) {}

  /** The audit_log row of an entry: for callers that batch it into a statement of their own. */
  static row(e: AuditEntry): Record<string, unknown> {
    return {
      actor_user_id: e.actorUserId ?? null,
      actor: e.actor,
      action: e.action,
      target_type: e.targetType ?? null,
      target_id: e.targetId ?? null,
      request_id: e.requestId ?? null,
      details: JSON.stringify(e.details ?? {}),
    };
  }

  async record(e: AuditEntry, trx?: Knex.Transaction): Promise<void> {
    await (trx ?? this.knex)('audit_log').insert(AuditStore.row(e));
  }

  async list(filter: { action?: string; targetType?: string; targetId?: string; actor?: string; limit?: number; beforeId?: number }): Promise<AuditRow[]> {
    const q = this.knex('audit_log').orderBy('id', 'desc').limit(Math.min(filter.limit ?? 100, 1000));
    if (filter.action) q.where('action', filter.action);
    if (filter.targetType) q.where('target_type', filter.targetType);
    if (filter.targetId) q.where('target_id', filter.targetId);
    if (filter.actor) q.where('actor', filter.actor);
    if (filter.beforeId) q.where('id', '<', filter.beforeId);
    const rows = await q;
    return rows.map((r: Record<string, unknown>) => ({
      id: Number(r.id),
      at: r.at as Date,
      actorUserId: r.actor_user_id === null ? null : Number(r.actor_user_id),
      actor: r.actor as string,
      action: r.action as string,
      targetType: r.target_type as string | null,
      targetId: r.target_id as string | null,
      requestId: r.request_id as string | null,
      details: r.details as Record<string, unknown>,
    }));
  }
}
