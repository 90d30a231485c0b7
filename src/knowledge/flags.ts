import { Knex } from 'knex';
import { AuditStore } from '../audit/store';
import { conflict, notFound } from '../http/errors';
import { WsGateway } from '../live/ws-gateway';
import { KnowledgeStore } from './store';
import { assertUnit } from './permissions';
import { Actor } from './types';

export const FLAG_KINDS = ['wrong', 'outdated', 'unclear'] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];
export const FLAGS_TOPIC = 'knowledge.flags';

export interface Flag {
  id: number;
  entryId: number;
  unitCode: string;
  kind: FlagKind;
  reason: string;
  state: 'open' | 'resolved' | 'rejected';
  raisedBy: number | null;
  raisedByName: string;
  raisedAt: Date;
  resolution: string | null;
  resolvedBy: number | null;
  resolvedAt: Date | null;
}

type Row = Record<string, any>;
const toFlag = (r: Row): Flag => ({
  id: Number(r.id),
  entryId: Number(r.entry_id),
  unitCode: r.unit_code,
  kind: r.kind,
  reason: r.reason,
  state: r.state,
  raisedBy: r.raised_by === null ? null : Number(r.raised_by),
  raisedByName: r.raised_by_name,
  raisedAt: new Date(r.raised_at),
  resolution: r.resolution,
  resolvedBy: r.resolved_by === null ? null : Number(r.resolved_by),
  resolvedAt: r.resolved_at ? new Date(r.resolved_at) : null,
});

/**
 * Operators flag an answer that is wrong, outdated or unclear (第二十四条(三): 错漏、过期、表述不清).
 * A flag goes to the owning unit and to the reviewers: it is listed for both and pushed on the
 * `knowledge.flags` WebSocket topic (units receive only their own).
 */
export class KnowledgeFlags {
  constructor(private readonly knex: Knex, private readonly store: KnowledgeStore, private readonly audit: AuditStore, private readonly ws: WsGateway | null) {}

  async raise(entryId: number, input: { kind: FlagKind; reason: string }, actor: Actor): Promise<Flag> {
    const e = await this.store.get(entryId);
    if (!e) throw notFound('knowledge.entry_not_found', `知识条目 ${entryId} 不存在`, { id: entryId });
    const flag = await this.knex.transaction(async (trx) => {
      const [row] = await trx('kb_flags')
        .insert({ entry_id: entryId, unit_code: e.unitCode, kind: input.kind, reason: input.reason, raised_by: actor.userId, raised_by_name: actor.displayName ?? actor.username })
        .returning('*');
      await this.audit.record({ actorUserId: actor.userId, actor: actor.username, action: 'knowledge.flag.raise', targetType: 'kb_entry', targetId: String(entryId), requestId: actor.requestId ?? null, details: { flagId: Number(row.id), kind: input.kind } }, trx);
      return toFlag(row);
    });
    await this.ws?.publish(FLAGS_TOPIC, { type: 'flag.raised', flag, question: e.question }).catch(() => undefined);
    return flag;
  }

  async list(f: { state?: Flag['state']; unitCode?: string; entryId?: number; limit?: number }, actor: Actor): Promise<Flag[]> {
    const q = this.knex('kb_flags').orderBy('id', 'desc').limit(Math.min(f.limit ?? 100, 500));
    const unit = actor.roles.every((r) => r === 'unit_handler') ? actor.unitCode ?? '\u0000' : f.unitCode;
    if (unit) q.where('unit_code', unit);
    if (f.state) q.where('state', f.state);
    if (f.entryId) q.where('entry_id', f.entryId);
    return (await q).map(toFlag);
  }

  async resolve(id: number, input: { outcome: 'resolved' | 'rejected'; resolution: string }, actor: Actor): Promise<Flag> {
    const flag = await this.knex.transaction(async (trx) => {
      const r = await trx('kb_flags').where({ id }).forUpdate().first();
      if (!r) throw notFound('knowledge.flag_not_found', `纠错反馈 ${id} 不存在`, { id });
      assertUnit(actor, r.unit_code);
      if (r.state !== 'open') throw conflict('knowledge.flag_closed', '该纠错反馈已处理', { state: r.state });
      const [row] = await trx('kb_flags').where({ id }).update({ state: input.outcome, resolution: input.resolution, resolved_by: actor.userId, resolved_at: new Date() }).returning('*');
      await this.audit.record({ actorUserId: actor.userId, actor: actor.username, action: 'knowledge.flag.resolve', targetType: 'kb_entry', targetId: String(r.entry_id), requestId: actor.requestId ?? null, details: { flagId: id, outcome: input.outcome } }, trx);
      return toFlag(row);
    });
    await this.ws?.publish(FLAGS_TOPIC, { type: 'flag.closed', flag }).catch(() => undefined);
    return flag;
  }
}
