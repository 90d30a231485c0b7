import { Knex } from 'knex';
import { AuditStore } from '../audit/store';
import { AppError, conflict, notFound, unprocessable } from '../http/errors';
import { Logger } from '../logging/logger';
import { KnowledgeStore, EntryFilter } from './store';
import { KnowledgeSearch } from './search/sync';
import { NEEDS_REASON, TransitionEvent, nextState } from './state';
import { assertReviewer, assertUnit, canSee, isReviewer } from './permissions';
import { Actor, Entry, EntryContent, EntryState, EntryVersion } from './types';

export type EntryPatch = Partial<EntryContent>;

/**
 * The entry workflow (第二十四条): units write and submit their 一问一答 entries, hotline
 * reviewers approve, publish or send back with a reason, entries are withdrawn or expire. Every
 * change is one transaction with its version row and audit record; the search index is told after
 * the commit.
 */
export class KnowledgeService {
  constructor(
    private readonly knex: Knex,
    readonly store: KnowledgeStore,
    private readonly audit: AuditStore,
    readonly search: KnowledgeSearch,
    private readonly log: Logger,
  ) {}

  async get(id: number, actor: Actor): Promise<Entry> {
    const e = await this.store.get(id);
    if (!e || !canSee(actor, e)) throw notFound('knowledge.entry_not_found', `知识条目 ${id} 不存在`, { id });
    return e;
  }

  async list(f: EntryFilter, actor: Actor): Promise<Entry[]> {
    const onlyUnit = actor.roles.every((r) => r === 'unit_handler');
    if (onlyUnit) return this.store.list({ ...f, unitCode: actor.unitCode ?? '\u0000' });
    return this.store.list(f);
  }

  async versions(id: number, actor: Actor): Promise<EntryVersion[]> {
    await this.get(id, actor);
    return this.store.versions(id);
  }

  async create(c: EntryContent, actor: Actor, opts: { submit?: boolean; reason?: string | null; source?: Entry['source'] } = {}): Promise<Entry> {
    assertUnit(actor, c.unitCode);
    checkWindow(c.effectiveFrom, c.removalAt);
    const e = await this.knex.transaction(async (trx) => {
      let e = await this.store.insert(trx, c, { state: 'draft', source: opts.source ?? 'manual', action: 'create', reason: opts.reason }, actor);
      await this.recordAudit(trx, actor, 'knowledge.entry.create', e, { question: e.question });
      if (opts.submit) e = await this.applyTransition(trx, e, 'submit', null, actor);
      return e;
    });
    return e;
  }

  /** Content changes are made to drafts only; a published entry is changed through a revision. */
  async update(id: number, patch: EntryPatch, reason: string | null, actor: Actor, expectedVersion?: number): Promise<Entry> {
    return this.knex.transaction(async (trx) => {
      const before = await this.lockVisible(trx, id, actor);
      assertUnit(actor, before.unitCode);
      if (patch.unitCode !== undefined) assertUnit(actor, patch.unitCode);
      if (before.state !== 'draft') {
        throw conflict('knowledge.entry_not_editable', `只有草稿可以修改；当前状态的条目请先“重新编辑”或创建修订版本`, { state: before.state, id });
      }
      if (expectedVersion !== undefined && expectedVersion !== before.version) {
        throw conflict('knowledge.version_conflict', '条目已被他人修改，请刷新后再编辑', { expectedVersion, currentVersion: before.version });
      }
      checkWindow(patch.effectiveFrom ?? before.effectiveFrom, patch.removalAt === undefined ? before.removalAt : patch.removalAt);
      const after = await this.store.update(trx, before, { content: patch, action: 'update', reason }, actor);
      await this.recordAudit(trx, actor, 'knowledge.entry.update', after, { reason, version: after.version });
      return after;
    });
  }

  /**
   * A new draft copying a published entry. The published one stays searchable until the revision
   * is published, then it is withdrawn in the same transaction (operators never see a gap).
   */
  async revise(id: number, actor: Actor, reason: string | null): Promise<Entry> {
    return this.knex.transaction(async (trx) => {
      const src = await this.lockVisible(trx, id, actor);
      assertUnit(actor, src.unitCode);
      if (src.state !== 'published') throw conflict('knowledge.illegal_transition', '只能为已发布的条目创建修订版本', { state: src.state, event: 'revision' });
      const pending = await trx('kb_entries').where({ supersedes_id: id }).whereIn('state', ['draft', 'submitted', 'approved']).first();
      if (pending) throw conflict('knowledge.revision_exists', `该条目已有进行中的修订版本（#${pending.id}）`, { revisionId: Number(pending.id) });
      const { question, answer, basis, unitCode, unitName, regionLevel, regionName, categoryPath, keywords, effectiveFrom, removalAt, visibility } = src;
      const e = await this.store.insert(
        trx,
        { question, answer, basis, unitCode, unitName, regionLevel, regionName, categoryPath, keywords, effectiveFrom, removalAt, visibility },
        { state: 'draft', source: 'manual', supersedesId: id, action: 'create', reason: reason ?? `修订条目 #${id}` },
        actor,
      );
      await this.recordAudit(trx, actor, 'knowledge.entry.revise', e, { supersedes: id });
      return e;
    });
  }

  async transition(id: number, event: TransitionEvent, reason: string | null, actor: Actor): Promise<Entry> {
    const changed: number[] = [];
    const e = await this.knex.transaction(async (trx) => {
      const before = await this.lockVisible(trx, id, actor);
      const after = await this.applyTransition(trx, before, event, reason, actor, changed);
      return after;
    });
    changed.push(e.id);
    await this.search.changed(changed);
    return e;
  }

  /** Checks who may do what, moves the state, records version and audit. */
  private async applyTransition(trx: Knex.Transaction, before: Entry, event: TransitionEvent, reason: string | null, actor: Actor, changed: number[] = []): Promise<Entry> {
    if (event === 'expire' && actor.userId !== null) throw conflict('knowledge.illegal_transition', '到期下架由系统按下架时间自动执行', { event });
    if (event === 'submit' || event === 'revise') assertUnit(actor, before.unitCode);
    else if (event === 'withdraw') {
      if (!isReviewer(actor)) assertUnit(actor, before.unitCode);
    } else if (event !== 'expire') assertReviewer(actor);
    if (NEEDS_REASON.has(event) && !reason?.trim()) throw unprocessable('knowledge.reason_required', '退回、撤回和重新编辑须写明理由', { event });
    const to = nextState(before.state, event);
    // Four eyes: whoever submitted an entry does not approve it (谁报送谁负责, the reviewer answers for the check).
    if (event === 'approve' && actor.userId !== null && before.submittedBy === actor.userId) {
      throw conflict('knowledge.self_review', '报送人不能审核自己报送的条目', { submittedBy: before.submittedBy });
    }
    if (event === 'publish' && before.removalAt && before.removalAt.getTime() <= Date.now()) {
      throw conflict('knowledge.already_removed', '该条目的下架时间已过，不能发布', { removalAt: before.removalAt.toISOString() });
    }
    const extra: Record<string, unknown> = {};
    if (event === 'submit') extra.submitted_by = actor.userId;
    if (event === 'return' || event === 'withdraw') extra.review_note = reason;
    const after = await this.store.update(trx, before, { state: to, action: event, reason, extra }, actor);
    this.log.info({ entryId: after.id, from: before.state, event, to }, `knowledge entry ${before.state} -[${event}]-> ${to}`);
    await this.recordAudit(trx, actor, `knowledge.entry.${event}`, after, { from: before.state, to, reason });
    if (event === 'publish' && after.supersedesId) {
      const old = await this.store.get(after.supersedesId, trx, true);
      if (old && old.state === 'published') {
        await this.store.update(trx, old, { state: 'withdrawn', action: 'withdraw', reason: `由修订版本 #${after.id} 替代`, extra: { review_note: `由修订版本 #${after.id} 替代` } }, actor);
        await this.recordAudit(trx, actor, 'knowledge.entry.withdraw', old, { replacedBy: after.id });
        changed.push(old.id);
      }
    }
    return after;
  }

  /** Moves published entries past their removal time to `expired` (search already hides them). */
  async expireDue(actor: Actor, now = new Date()): Promise<number[]> {
    const ids = await this.store.dueForExpiry(now);
    const done: number[] = [];
    for (const id of ids) {
      try {
        await this.knex.transaction(async (trx) => {
          const e = await this.store.get(id, trx, true);
          if (!e || e.state !== 'published') return;
          await this.applyTransition(trx, e, 'expire', '已到下架时间', actor);
          done.push(id);
        });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
      }
    }
    if (done.length) await this.search.changed(done);
    return done;
  }

  /** Seed/import path for reviewers and the system: insert already published (one version row says so). */
  async insertPublished(trx: Knex.Transaction, c: EntryContent, actor: Actor, source: Entry['source'], reason: string): Promise<Entry> {
    checkWindow(c.effectiveFrom, c.removalAt);
    const e = await this.store.insert(trx, c, { state: 'published', source, action: source, reason }, actor);
    await this.recordAudit(trx, actor, `knowledge.entry.${source}`, e, {});
    return e;
  }

  /** One imported row inside the import's transaction: a draft, a submitted draft, or (reviewers) published. */
  async importOne(trx: Knex.Transaction, c: EntryContent, actor: Actor, then: 'draft' | 'submit' | 'publish'): Promise<Entry> {
    assertUnit(actor, c.unitCode);
    if (then === 'publish') {
      assertReviewer(actor);
      return this.insertPublished(trx, c, actor, 'import', '批量导入并发布');
    }
    checkWindow(c.effectiveFrom, c.removalAt);
    const e = await this.store.insert(trx, c, { state: 'draft', source: 'import', action: 'import', reason: '批量导入' }, actor);
    await this.recordAudit(trx, actor, 'knowledge.entry.import', e, {});
    return then === 'submit' ? this.applyTransition(trx, e, 'submit', null, actor) : e;
  }

  private async lockVisible(trx: Knex.Transaction, id: number, actor: Actor): Promise<Entry> {
    const e = await this.store.get(id, trx, true);
    if (!e || !canSee(actor, e)) throw notFound('knowledge.entry_not_found', `知识条目 ${id} 不存在`, { id });
    return e;
  }

  private recordAudit(trx: Knex.Transaction, actor: Actor, action: string, e: Entry, details: Record<string, unknown>) {
    return this.audit.record({ actorUserId: actor.userId, actor: actor.username, action, targetType: 'kb_entry', targetId: String(e.id), requestId: actor.requestId ?? null, details: { ...details, state: e.state, version: e.version } }, trx);
  }
}

export function checkWindow(from: Date, removal: Date | null): void {
  if (removal && removal.getTime() <= from.getTime()) {
    throw unprocessable('knowledge.invalid_window', '下架时间必须晚于生效时间', { effectiveFrom: from.toISOString(), removalAt: removal.toISOString() });
  }
}

export type { EntryState };
