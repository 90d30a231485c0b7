import { Knex } from 'knex';
import { Actor, Entry, EntryContent, EntryState, EntryVersion } from './types';

type Row = Record<string, any>;

export function rowToEntry(r: Row): Entry {
  return {
    id: Number(r.id),
    question: r.question,
    answer: r.answer,
    basis: typeof r.basis === 'string' ? JSON.parse(r.basis) : r.basis,
    unitCode: r.unit_code,
    unitName: r.unit_name,
    regionLevel: r.region_level,
    regionName: r.region_name,
    categoryPath: r.category_path ?? [],
    keywords: r.keywords ?? [],
    effectiveFrom: new Date(r.effective_from),
    removalAt: r.removal_at ? new Date(r.removal_at) : null,
    visibility: r.visibility,
    state: r.state,
    version: Number(r.version),
    supersedesId: r.supersedes_id === null || r.supersedes_id === undefined ? null : Number(r.supersedes_id),
    reviewNote: r.review_note ?? null,
    source: r.source,
    createdBy: r.created_by === null ? null : Number(r.created_by),
    submittedBy: r.submitted_by === null ? null : Number(r.submitted_by),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    publishedAt: r.published_at ? new Date(r.published_at) : null,
  };
}

export function contentToRow(c: Partial<EntryContent>): Row {
  const row: Row = {};
  if (c.question !== undefined) row.question = c.question;
  if (c.answer !== undefined) row.answer = c.answer;
  if (c.basis !== undefined) row.basis = JSON.stringify(c.basis);
  if (c.unitCode !== undefined) row.unit_code = c.unitCode;
  if (c.unitName !== undefined) row.unit_name = c.unitName;
  if (c.regionLevel !== undefined) row.region_level = c.regionLevel;
  if (c.regionName !== undefined) row.region_name = c.regionName;
  if (c.categoryPath !== undefined) row.category_path = c.categoryPath;
  if (c.keywords !== undefined) row.keywords = c.keywords;
  if (c.effectiveFrom !== undefined) row.effective_from = c.effectiveFrom;
  if (c.removalAt !== undefined) row.removal_at = c.removalAt;
  if (c.visibility !== undefined) row.visibility = c.visibility;
  return row;
}

/** What a version row keeps of an entry: its content and state, in API field names. */
function snapshot(e: Entry): Record<string, unknown> {
  return {
    question: e.question,
    answer: e.answer,
    basis: e.basis,
    unitCode: e.unitCode,
    unitName: e.unitName,
    regionLevel: e.regionLevel,
    regionName: e.regionName,
    categoryPath: e.categoryPath,
    keywords: e.keywords,
    effectiveFrom: e.effectiveFrom.toISOString(),
    removalAt: e.removalAt ? e.removalAt.toISOString() : null,
    visibility: e.visibility,
    state: e.state,
  };
}

export interface EntryFilter {
  state?: EntryState[];
  unitCode?: string;
  text?: string;
  limit?: number;
  beforeId?: number;
}

/**
 * Persistence of entries and their version history. Every write goes with a version row in the
 * same transaction, so the history cannot miss a change (谁报送谁负责: who changed what, when, why).
 */
export class KnowledgeStore {
  constructor(readonly knex: Knex) {}

  async get(id: number, trx?: Knex.Transaction, forUpdate = false): Promise<Entry | null> {
    const q = (trx ?? this.knex)('kb_entries').where({ id }).first();
    if (forUpdate && trx) q.forUpdate();
    const r = await q;
    return r ? rowToEntry(r) : null;
  }

  async getMany(ids: number[]): Promise<Entry[]> {
    if (!ids.length) return [];
    const rows = await this.knex('kb_entries').whereIn('id', ids);
    return rows.map(rowToEntry);
  }

  async insert(
    trx: Knex.Transaction,
    c: EntryContent,
    meta: { state: EntryState; source: Entry['source']; supersedesId?: number | null; action: string; reason?: string | null },
    actor: Actor,
  ): Promise<Entry> {
    const now = new Date();
    const [row] = await trx('kb_entries')
      .insert({
        ...contentToRow(c),
        state: meta.state,
        source: meta.source,
        supersedes_id: meta.supersedesId ?? null,
        created_by: actor.userId,
        published_at: meta.state === 'published' ? now : null,
        created_at: now,
        updated_at: now,
      })
      .returning('*');
    const e = rowToEntry(row);
    await this.addVersion(trx, e, { action: meta.action, fromState: null, changedFields: Object.keys(snapshot(e)).filter((k) => k !== 'state'), reason: meta.reason ?? null }, actor);
    return e;
  }

  /** Apply a content change and/or a state change, bump the version and record it. */
  async update(
    trx: Knex.Transaction,
    before: Entry,
    change: { content?: Partial<EntryContent>; state?: EntryState; action: string; reason?: string | null; extra?: Row },
    actor: Actor,
  ): Promise<Entry> {
    const changedFields = change.content ? changedContentFields(before, change.content) : [];
    const row: Row = { ...(change.content ? contentToRow(change.content) : {}), ...(change.extra ?? {}), version: before.version + 1, updated_at: new Date() };
    if (change.state) row.state = change.state;
    if (change.state === 'published') row.published_at = new Date();
    const [r] = await trx('kb_entries').where({ id: before.id }).update(row).returning('*');
    const after = rowToEntry(r);
    await this.addVersion(trx, after, { action: change.action, fromState: before.state, changedFields, reason: change.reason ?? null }, actor);
    return after;
  }

  private async addVersion(trx: Knex.Transaction, e: Entry, v: { action: string; fromState: EntryState | null; changedFields: string[]; reason: string | null }, actor: Actor) {
    await trx('kb_entry_versions').insert({
      entry_id: e.id,
      version: e.version,
      action: v.action,
      from_state: v.fromState,
      to_state: e.state,
      changed_fields: v.changedFields,
      reason: v.reason,
      snapshot: JSON.stringify(snapshot(e)),
      actor_user_id: actor.userId,
      actor: actor.username,
      actor_unit: actor.unitCode,
    });
  }

  async versions(entryId: number): Promise<EntryVersion[]> {
    const rows = await this.knex('kb_entry_versions').where({ entry_id: entryId }).orderBy('id', 'asc');
    return rows.map((r: Row) => ({
      id: Number(r.id),
      entryId: Number(r.entry_id),
      version: Number(r.version),
      action: r.action,
      fromState: r.from_state,
      toState: r.to_state,
      changedFields: r.changed_fields ?? [],
      reason: r.reason,
      snapshot: typeof r.snapshot === 'string' ? JSON.parse(r.snapshot) : r.snapshot,
      actorUserId: r.actor_user_id === null ? null : Number(r.actor_user_id),
      actor: r.actor,
      actorUnit: r.actor_unit,
      at: new Date(r.at),
    }));
  }

  async list(f: EntryFilter): Promise<Entry[]> {
    const q = this.knex('kb_entries').orderBy('id', 'desc').limit(Math.min(f.limit ?? 50, 500));
    if (f.state?.length) q.whereIn('state', f.state);
    if (f.unitCode) q.where('unit_code', f.unitCode);
    if (f.beforeId) q.where('id', '<', f.beforeId);
    if (f.text) q.where((w) => w.whereILike('question', `%${escapeLike(f.text!)}%`).orWhereILike('answer', `%${escapeLike(f.text!)}%`));
    return (await q).map(rowToEntry);
  }

  async count(): Promise<number> {
    const [{ n }] = await this.knex('kb_entries').count({ n: '*' });
    return Number(n);
  }

  /** Every published entry, streamed in id order in pages (the search index loads from this). */
  async *published(pageSize = 5000): AsyncGenerator<Entry[]> {
    let after = 0;
    for (;;) {
      const rows = await this.knex('kb_entries').where('state', 'published').andWhere('id', '>', after).orderBy('id').limit(pageSize);
      if (!rows.length) return;
      yield rows.map(rowToEntry);
      after = Number(rows[rows.length - 1].id);
    }
  }

  /** A cheap fingerprint of the published set: instances compare it to notice missed change messages. */
  async publishedFingerprint(): Promise<string> {
    const r = await this.knex('kb_entries').where('state', 'published').select(this.knex.raw('count(*) as n, max(updated_at) as m, coalesce(sum(version),0) as v')).first();
    return `${r.n}:${r.m ? new Date(r.m).toISOString() : '-'}:${r.v}`;
  }

  /** Entries (any state) whose row changed after this instant, in id order: what a persisted index catches up on. */
  async changedSince(after: Date): Promise<Entry[]> {
    const rows = await this.knex('kb_entries').where('updated_at', '>', after).orderBy('id');
    return rows.map(rowToEntry);
  }

  /** The database's clock (ms since epoch): a persisted index records when it was last seen equal to the entries. */
  async clock(): Promise<number> {
    const r = await this.knex.raw('select now() as now');
    return new Date(r.rows[0].now).getTime();
  }

  /** Which database this is (`current_database()`): a persisted index names the one it came from. */
  async databaseName(): Promise<string> {
    const r = await this.knex.raw('select current_database() as name');
    return String(r.rows[0].name);
  }

  /** Published entries whose removal time has passed (the expiry job moves them to `expired`). */
  async dueForExpiry(now: Date, limit = 500): Promise<number[]> {
    const rows = await this.knex('kb_entries').where('state', 'published').whereNotNull('removal_at').andWhere('removal_at', '<=', now).select('id').limit(limit);
    return rows.map((r: Row) => Number(r.id));
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

function changedContentFields(before: Entry, patch: Partial<EntryContent>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(patch) as [keyof EntryContent, unknown][]) {
    const old = before[k];
    const norm = (x: unknown) => (x instanceof Date ? x.toISOString() : JSON.stringify(x ?? null));
    if (norm(old) !== norm(v)) out.push(k);
  }
  return out;
}
