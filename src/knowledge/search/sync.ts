import { LiveStore } from '../../live/store';
import { Logger } from '../../logging/logger';
import { KnowledgeStore } from '../store';
import { SearchEngine, toIndexed } from './engine';
import { Analyzer } from './analyzer';

export const CHANGED_CHANNEL = 'knowledge:changed';

/**
 * Keeps this instance's in-memory index equal to the published entries in PostgreSQL. A write
 * refreshes the changed ids locally and announces them on the live bus, so every other instance
 * refreshes the same ids from the database; a periodic fingerprint check catches anything missed
 * (a message lost while Redis was away) with a full rebuild that is swapped in at once.
 */
export class KnowledgeSearch {
  private engine: SearchEngine;
  private unsubscribe: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private fingerprint = '';
  private loaded = false;

  constructor(
    private readonly store: KnowledgeStore,
    private readonly live: LiveStore | null,
    private readonly log: Logger,
    private readonly analyzer: Analyzer = new Analyzer(),
    private readonly resyncMs = 30_000,
  ) {
    this.engine = new SearchEngine(analyzer);
  }

  get current(): SearchEngine {
    return this.engine;
  }

  get isLoaded(): boolean {
    return this.loaded;
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
    await this.reloadAll();
    if (this.resyncMs > 0) {
      this.timer = setInterval(() => void this.checkFingerprint(), this.resyncMs);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.unsubscribe) await this.unsubscribe().catch(() => undefined);
    this.unsubscribe = null;
  }

  async reloadAll(): Promise<void> {
    const started = Date.now();
    const fingerprint = await this.store.publishedFingerprint();
    const next = new SearchEngine(this.analyzer);
    for await (const page of this.store.published()) for (const e of page) next.index.upsert(toIndexed(e));
    this.engine = next;
    this.fingerprint = fingerprint;
    this.loaded = true;
    this.log.info({ entries: next.index.size, ms: Date.now() - started, segmenter: this.analyzer.segmenter.kind }, 'knowledge index loaded');
  }

  private async checkFingerprint(): Promise<void> {
    try {
      const fp = await this.store.publishedFingerprint();
      if (fp !== this.fingerprint) await this.reloadAll();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'knowledge index resync failed');
    }
  }

  /** Re-read these entries from the database: published ones are (re)indexed, others dropped. */
  async refresh(ids: number[]): Promise<void> {
    if (!ids.length) return;
    const rows = await this.store.getMany(ids);
    const byId = new Map(rows.map((e) => [e.id, e]));
    for (const id of ids) {
      const e = byId.get(id);
      if (e && e.state === 'published') this.engine.index.upsert(toIndexed(e));
      else this.engine.index.remove(id);
    }
    this.fingerprint = await this.store.publishedFingerprint();
  }

  /** After a committed write: refresh here, then tell the other instances. */
  async changed(ids: number[]): Promise<void> {
    await this.refresh(ids);
    if (this.live) await this.live.publish(CHANGED_CHANNEL, JSON.stringify(ids)).catch((err) => this.log.warn({ err: (err as Error).message }, 'knowledge change not announced'));
  }
}
