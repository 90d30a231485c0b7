import { Knex } from 'knex';
import { AuditStore } from '../audit/store';
import { AuthUser } from '../auth/roles';
import { badRequest, notFound } from '../http/errors';
import { Logger } from '../logging/logger';
import { maskPhone } from '../logging/mask';
import { numberVariants, normaliseNumber, PbxControl } from './pbx';

export const RESTRICTED_FAMILY = 'hotline-restricted';
/** 第三十三条 speaks of a *short-term* restriction: we refuse anything longer than 30 days. */
export const MAX_RESTRICTION_DAYS = 30;

export interface Restriction {
  id: number;
  number: string;
  reason: string;
  expiresAt: Date;
  createdBy: number;
  createdAt: Date;
  revokedAt: Date | null;
}

function toRestriction(r: Record<string, unknown>): Restriction {
  return { id: Number(r.id), number: r.number as string, reason: r.reason as string, expiresAt: r.expires_at as Date, createdBy: Number(r.created_by), createdAt: r.created_at as Date, revokedAt: (r.revoked_at as Date | null) ?? null };
}

/**
 * Short-term restriction of callers who abuse the line (第三十三条). Supervisors add a number with a
 * reason and an expiry; the rule lives in PostgreSQL and is pushed to every Asterisk's AstDB as an
 * expiry epoch, so the dialplan enforces it (and stops on its own at expiry) even with the service away.
 */
export class RestrictionService {
  constructor(private readonly knex: Knex, private readonly pbx: PbxControl, private readonly audit: AuditStore, private readonly log: Logger) {}

  async add(input: { number: string; reason: string; expiresAt: Date }, actor: AuthUser, requestId?: string): Promise<Restriction> {
    const number = normaliseNumber(input.number);
    if (number.length < 5) throw badRequest('restriction.bad_number', '不是有效的电话号码', { field: 'number' });
    const now = Date.now();
    if (input.expiresAt.getTime() <= now) throw badRequest('restriction.expiry_in_past', '到期时间必须晚于当前时间', { field: 'expiresAt' });
    if (input.expiresAt.getTime() - now > MAX_RESTRICTION_DAYS * 86400_000) {
      throw badRequest('restriction.too_long', `限制呼入为短期措施，最长 ${MAX_RESTRICTION_DAYS} 天（第三十三条）`, { field: 'expiresAt', maxDays: MAX_RESTRICTION_DAYS });
    }
    const [row] = await this.knex.transaction(async (trx) => {
      await trx('restricted_callers').where({ number }).whereNull('revoked_at').update({ revoked_at: trx.fn.now(), revoked_by: actor.id });
      const rows = await trx('restricted_callers').insert({ number, reason: input.reason, expires_at: input.expiresAt, created_by: actor.id }).returning('*');
      await this.audit.record({ actorUserId: actor.id, actor: actor.username, action: 'restriction.add', targetType: 'restriction', targetId: String(rows[0].id), requestId, details: { number: maskPhone(number), expiresAt: input.expiresAt.toISOString(), reason: input.reason } }, trx);
      return rows;
    });
    await this.push(number, input.expiresAt);
    this.log.info({ number: maskPhone(number), expiresAt: input.expiresAt.toISOString() }, 'caller restricted');
    return toRestriction(row);
  }

  async revoke(id: number, actor: AuthUser, requestId?: string): Promise<Restriction> {
    const [row] = await this.knex('restricted_callers').where({ id }).whereNull('revoked_at').update({ revoked_at: this.knex.fn.now(), revoked_by: actor.id }).returning('*');
    if (!row) throw notFound('restriction.not_found', '不存在该生效中的限制', { id });
    await this.audit.record({ actorUserId: actor.id, actor: actor.username, action: 'restriction.revoke', targetType: 'restriction', targetId: String(id), requestId });
    for (const serverId of this.pbx.serverIds()) for (const key of numberVariants(row.number)) await this.pbx.dbDel(serverId, RESTRICTED_FAMILY, key);
    return toRestriction(row);
  }

  async listActive(now = new Date()): Promise<Restriction[]> {
    const rows = await this.knex('restricted_callers').whereNull('revoked_at').where('expires_at', '>', now).orderBy('expires_at');
    return rows.map(toRestriction);
  }

  async hits(number?: string, limit = 100) {
    const q = this.knex('restricted_hits').orderBy('at', 'desc').limit(limit);
    if (number) q.where({ number: normaliseNumber(number) });
    return q;
  }

  /** A restricted caller reached the notice: every hit is logged (第三十三条 enforcement is reviewable). */
  async recordHit(serverId: string, linkedid: string, number: string, at: Date): Promise<void> {
    await this.knex('restricted_hits').insert({ server_id: serverId, linkedid, number: normaliseNumber(number), at }).onConflict(['server_id', 'linkedid']).ignore();
    this.log.info({ number: maskPhone(number), linkedid }, 'restricted caller turned away');
  }

  private async push(number: string, expiresAt: Date, serverIds = this.pbx.serverIds()) {
    const epoch = String(Math.floor(expiresAt.getTime() / 1000));
    for (const serverId of serverIds) {
      for (const key of numberVariants(number)) {
        await this.pbx.dbPut(serverId, RESTRICTED_FAMILY, key, epoch).catch((err) => this.log.warn({ serverId, err: (err as Error).message }, 'could not push restriction to Asterisk; will retry at next resync'));
      }
    }
  }

  /** After a (re)connect: make the server's AstDB equal to the active rules (adds missing, removes stale). */
  async syncServer(serverId: string): Promise<{ put: number; deleted: number }> {
    const active = await this.listActive();
    const wanted = new Map<string, string>();
    for (const r of active) for (const k of numberVariants(r.number)) wanted.set(k, String(Math.floor(r.expiresAt.getTime() / 1000)));
    const present = await this.pbx.dbList(serverId, RESTRICTED_FAMILY);
    let put = 0;
    let deleted = 0;
    for (const [k, v] of wanted) {
      if (present[k] !== v) {
        await this.pbx.dbPut(serverId, RESTRICTED_FAMILY, k, v);
        put++;
      }
    }
    for (const k of Object.keys(present)) {
      if (!wanted.has(k)) {
        await this.pbx.dbDel(serverId, RESTRICTED_FAMILY, k);
        deleted++;
      }
    }
    return { put, deleted };
  }
}
