import fs from 'node:fs';
import path from 'node:path';
import { LiveStore } from '../../live/store';
import { Logger } from '../../logging/logger';
import { KnowledgeStore } from '../store';
import { SearchEngine, toIndexed } from './engine';
import { Analyzer } from './analyzer';
import { entryTerms, indexVersion } from './entry-terms';
import { EntryChange, applyChanges, fingerprintOf } from './flat-index';
import { readSnapshot, writeSnapshot } from './snapshot';

export const CHANGED_CHANNEL = 'knowledge:changed';

/** Rows changed this long before a snapshot's watermark are read again at load (clocks of the writing instances, transactions in flight). */
export const CATCH_UP_MARGIN_MS = 5 * 60_000;
/** A verified index is saved again once this many entries changed since its snapshot. */
export const SAVE_AFTER_CHANGES = 1000;

/** How the index in use was obtained (logged, shown in /readyz, printed by the bench). */
export interface IndexLoad {
  from: 'snapshot' | 'database';
  entries: number;
  /** Entries re-read from the database on top of the snapshot (changed since it was taken). */
  caughtUp: number;
  /** Wall time of the load, ms. */
  ms: number;
  /** Snapshot loads: ms reading and checking the file, catching up (query and analysis), building the index. */
  phases?: { readMs: number; catchUpMs: number; buildMs: number };
  /** Why a snapshot was not used (when `from` is `database` and a snapshot file is configured). */
  rebuildReason?: string;
}

/**
 * Keeps this instance's in-memory index equal to the published entries in the database. A write
 * refreshes the changed ids locally and announces them on the live bus, so every other instance
 * refreshes the same ids from the database; a periodic fingerprint check catches anything missed
 * (a message lost while Redis was away): it first re-reads the rows changed since the index was
 * last seen equal, and only if that does not settle it rebuilds in full, swapped in at once.
 *
 * With a snapshot file (issue #13) a verified index is saved there; start loads it and re-reads only
 * the entries changed since, instead of segmenting every entry again. A missing, corrupt or foreign
 * file, or one from another analyzer version (dictionary, synonyms, weighting code), means a full
 * rebuild, as does a fingerprint that still differs after the catch-up.
 */
export class KnowledgeSearch {
  private engine: SearchEngine;
  private unsubscribe: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private loaded = false;
  /** The database's clock (ms) when the index was last seen equal to it (read before the comparison or the rebuild's first page). */
  private watermark: number | null = null;
  /** Ids announced while a load or rebuild is running: refreshed on the new index once it is in. */
  private pending: Set<number> | null = null;
  private rebuilding: Promise<void> | null = null;
  private saving: Promise<void> | null = null;
  private changesSinceSave = 0;
  /** After a failed write (a read-only directory …) no new attempt before this time (ms). */
  private noSaveBefore = 0;
  private lastLoad: IndexLoad | null = null;

  constructor(
    private readonly store: KnowledgeStore,
    private readonly live: LiveStore | null,
    private readonly log: Logger,
    private readonly analyzer: Analyzer = new Analyzer(),
    private readonly resyncMs = 30_000,
    /** Where the index is saved and loaded from; null: rebuilt from the database at every start. */
    readonly snapshotFile: string | null = null,
  ) {
    this.engine = new SearchEngine(analyzer);
  }

  get current(): SearchEngine {
    return this.engine;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** How the index in use was loaded (null before the first load). */
  get loadedFrom(): IndexLoad | null {
    return this.lastLoad;
  }

  async start(): Promise<void> {
    if (this.live) {
      this.unsubscribe = await this.live.subscribe(CHANGED_CHANNEL, (msg) => {
        let ids: number[] = [];
        try {
          ids = (JSON.parse(msg) as unknown[]).map(Number).filter(Number.isFinite);
        } catch {
          return;
        }
        this.refresh(ids).catch((err) => this.log.warn({ err: (err as Error).message }, 'knowledge index refresh failed'));
      });
    }
    await this.open();
    if (this.resyncMs > 0) {
      this.timer = setInterval(() => void this.checkFingerprint(), this.resyncMs);
      this.timer.unref();
    }
  }

  /** The index from the snapshot if it is usable, else from the database. */
  async open(): Promise<void> {
    const reason = this.snapshotFile ? await this.loadSnapshot() : '';
    if (reason !== null) await this.reloadAll(reason || undefined);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.unsubscribe) await this.unsubscribe().catch(() => undefined);
    this.unsubscribe = null;
    await this.saving;
  }

  /** Full rebuild: every published entry segmented again. Concurrent calls share one rebuild. */
  reloadAll(reason?: string): Promise<void> {
    this.rebuilding ??= this.rebuild(reason).finally(() => (this.rebuilding = null));
    return this.rebuilding;
  }

  private async rebuild(reason?: string): Promise<void> {
    const started = Date.now();
    this.pending ??= new Set();
    try {
      const watermark = await this.store.clock();
      const next = new SearchEngine(this.analyzer);
      for await (const page of this.store.published()) for (const e of page) next.index.upsert(toIndexed(e));
      this.engine = next;
      this.watermark = watermark;
      this.loaded = true;
      this.lastLoad = { from: 'database', entries: next.index.size, caughtUp: 0, ms: Date.now() - started, rebuildReason: reason };
    } finally {
      await this.drainPending();
    }
    this.log.info({ ...this.lastLoad, segmenter: this.analyzer.segmenter.kind }, 'knowledge index loaded');
    this.changesSinceSave = Infinity;
    this.save();
  }

  /** Load the snapshot and catch up. Null when in use; otherwise why not ('' when there is no file yet). */
  private async loadSnapshot(): Promise<string | null> {
    const started = Date.now();
    let snap: Awaited<ReturnType<typeof readSnapshot>>;
    try {
      snap = await readSnapshot(this.snapshotFile!);
    } catch (err) {
      this.log.warn({ file: this.snapshotFile, err: (err as Error).message }, 'knowledge index snapshot unusable: rebuilding');
      return `unusable: ${(err as Error).message}`;
    }
    if (!snap) return '';
    const read = Date.now();
    if (snap.meta.version !== indexVersion(this.analyzer)) return 'built with another analyzer version';
    if (snap.meta.database !== (await this.store.databaseName())) return 'taken from another database';
    this.pending ??= new Set();
    try {
      const changed = await this.store.changedSince(new Date(snap.meta.watermark - CATCH_UP_MARGIN_MS));
      const changes = new Map<number, EntryChange>();
      for (const e of changed) {
        const entry = toIndexed(e);
        changes.set(e.id, e.state === 'published' ? { entry, terms: entryTerms(this.analyzer, entry) } : null);
      }
      const caughtUp = Date.now();
      const next = new SearchEngine(this.analyzer);
      try {
        next.index.load(applyChanges(snap.index, changes));
      } catch (err) {
        this.log.warn({ file: this.snapshotFile, err: (err as Error).message }, 'knowledge index snapshot unusable: rebuilding');
        return `unusable: ${(err as Error).message}`;
      }
      this.engine = next;
      this.watermark = snap.meta.watermark;
      this.loaded = true;
      this.changesSinceSave = changed.length;
      const phases = { readMs: read - started, catchUpMs: caughtUp - read, buildMs: Date.now() - caughtUp };
      this.lastLoad = { from: 'snapshot', entries: next.index.size, caughtUp: changed.length, ms: Date.now() - started, phases };
    } finally {
      await this.drainPending();
    }
    this.log.info({ ...this.lastLoad, bytes: snap.bytes, writtenAt: snap.meta.writtenAt }, 'knowledge index loaded from its snapshot');
    return null;
  }

  private async drainPending(): Promise<void> {
    const ids = this.pending ? [...this.pending] : [];
    this.pending = null;
    if (ids.length) await this.refresh(ids);
  }

  /**
   * Compare with the database; on a difference re-read the rows changed since the index was last
   * seen equal, and rebuild in full only if that does not make them equal.
   */
  async checkFingerprint(): Promise<'equal' | 'caught-up' | 'rebuilt' | 'failed'> {
    try {
      if (await this.matchesDatabase()) return 'equal';
      if (this.watermark !== null) {
        const changed = await this.store.changedSince(new Date(this.watermark - CATCH_UP_MARGIN_MS));
        await this.refresh(changed.map((e) => e.id));
        if (await this.matchesDatabase()) return 'caught-up';
      }
      await this.reloadAll('fingerprint differs');
      return 'rebuilt';
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'knowledge index resync failed');
      return 'failed';
    }
  }

  private async matchesDatabase(): Promise<boolean> {
    if (this.rebuilding) return true;
    const now = await this.store.clock();
    const db = await this.store.publishedFingerprint();
    if (this.pending || db !== fingerprintOf(this.engine.index.entries())) return false;
    this.watermark = now;
    if (this.changesSinceSave >= SAVE_AFTER_CHANGES) this.save();
    return true;
  }

  /** Re-read these entries from the database: published ones are (re)indexed, others dropped. */
  async refresh(ids: number[]): Promise<void> {
    if (!ids.length) return;
    if (this.pending) {
      // A new index is being built: it gets these once it is in; the one in use meanwhile gets them now.
      for (const id of ids) this.pending.add(id);
      if (!this.loaded) return;
    }
    const rows = await this.store.getMany(ids);
    const byId = new Map(rows.map((e) => [e.id, e]));
    for (const id of ids) {
      const e = byId.get(id);
      if (e && e.state === 'published') this.engine.index.upsert(toIndexed(e));
      else this.engine.index.remove(id);
    }
    this.changesSinceSave += ids.length;
  }

  /** After a committed write: refresh here, then tell the other instances. */
  async changed(ids: number[]): Promise<void> {
    await this.refresh(ids);
    if (this.live) await this.live.publish(CHANGED_CHANNEL, JSON.stringify(ids)).catch((err) => this.log.warn({ err: (err as Error).message }, 'knowledge change not announced'));
  }

  /** Write the snapshot in the background (one at a time); stop() waits for it. */
  private save(): void {
    if (!this.snapshotFile || this.saving || this.watermark === null || Date.now() < this.noSaveBefore) return;
    const file = this.snapshotFile;
    const watermark = this.watermark;
    const had = this.changesSinceSave;
    this.saving = (async () => {
      const started = Date.now();
      const database = await this.store.databaseName();
      const flat = await this.engine.index.exportAsync();
      const bytes = await writeSnapshot(file, flat, { version: indexVersion(this.analyzer), database, watermark, writtenAt: new Date().toISOString() });
      this.changesSinceSave = Number.isFinite(had) ? Math.max(0, this.changesSinceSave - had) : 0;
      removeStaleTemporaries(file);
      this.log.info({ file, entries: flat.entries.length, bytes, ms: Date.now() - started }, 'knowledge index snapshot written');
    })()
      .catch((err) => {
        this.noSaveBefore = Date.now() + 3_600_000;
        this.log.warn({ file, err: (err as Error).message }, 'knowledge index snapshot not written (next attempt in an hour at the earliest)');
      })
      .finally(() => (this.saving = null));
  }
}

/** Temporaries of writers that died mid-write (another instance may be writing one now: only old ones go). */
function removeStaleTemporaries(file: string): void {
  const dir = path.dirname(file);
  const base = path.basename(file);
  try {
    for (const f of fs.readdirSync(dir)) {
      if (!f.startsWith(base + '.') || !f.endsWith('.tmp')) continue;
      const p = path.join(dir, f);
      if (Date.now() - fs.statSync(p).mtimeMs > 3_600_000) fs.rmSync(p, { force: true });
    }
  } catch {
    /* best effort */
  }
}
