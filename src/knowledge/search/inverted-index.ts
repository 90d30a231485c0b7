import { Analyzer } from './analyzer';
import { EntryTerms, entryTerms } from './entry-terms';
import { Basis, RegionLevel, Visibility } from '../types';
import { FlatIndex, sortSegment } from './flat-index';

/** What the index keeps of a published entry: enough to filter, rank and show it without the database. */
export interface IndexedEntry {
  id: number;
  question: string;
  answer: string;
  basis: Basis[];
  unitCode: string;
  unitName: string;
  regionLevel: RegionLevel;
  regionName: string;
  categoryPath: string[];
  keywords: string[];
  effectiveFrom: number;
  removalAt: number | null;
  visibility: Visibility;
  version: number;
  /** When the entry row last changed (ms since epoch): the index's fingerprint, and the snapshot's catch-up. */
  updatedAt?: number;
}

export interface IndexFilter {
  regionLevel?: RegionLevel;
  regionName?: string;
  unitCode?: string;
  /** Category path prefix, e.g. ['热线办理', '办理时限']. */
  category?: string[];
  visibility?: Visibility;
}

export interface QueryTerm {
  term: string;
  weight: number;
}

interface Posting {
  /** Ascending (slots are only ever appended), so a slot can be found by binary search; `n` are used. */
  slots: Int32Array;
  weights: Float64Array;
  n: number;
  maxWeight: number;
}

const posting = (capacity: number): Posting => ({ slots: new Int32Array(capacity), weights: new Float64Array(capacity), n: 0, maxWeight: 0 });

function append(p: Posting, slot: number, w: number): void {
  if (p.n === p.slots.length) {
    const cap = Math.max(4, p.n * 2);
    const slots = new Int32Array(cap);
    slots.set(p.slots);
    const weights = new Float64Array(cap);
    weights.set(p.weights);
    p.slots = slots;
    p.weights = weights;
  }
  p.slots[p.n] = slot;
  p.weights[p.n++] = w;
  if (w > p.maxWeight) p.maxWeight = w;
}

/**
 * An in-memory inverted index over the published entries, one per service instance (kept in sync
 * by KnowledgeSearch). Updates never rewrite posting lists: a changed entry gets a new slot and its
 * old slot is tombstoned; tombstones are compacted away once they are a fifth of the slots.
 */
export class InvertedIndex {
  private slots: (IndexedEntry | null)[] = [];
  private readonly slotById = new Map<number, number>();
  private postings = new Map<string, Posting>();
  private dead = 0;
  private scores = new Float64Array(0);
  private seen = new Uint8Array(0);

  constructor(readonly analyzer: Analyzer) {}

  get size(): number {
    return this.slotById.size;
  }

  get(id: number): IndexedEntry | null {
    const s = this.slotById.get(id);
    return s === undefined ? null : this.slots[s];
  }

  entries(): IndexedEntry[] {
    return this.slots.filter((e): e is IndexedEntry => e !== null);
  }

  /** Document frequency of a term among live entries (tombstones included until compaction; close enough for idf). */
  df(term: string): number {
    return this.postings.get(term)?.n ?? 0;
  }

  upsert(e: IndexedEntry): void {
    this.insert(e, entryTerms(this.analyzer, e));
  }

  /** Index an entry whose terms are already known (from `entryTerms` with this index's analyzer). */
  insert(e: IndexedEntry, t: EntryTerms): void {
    this.remove(e.id);
    const slot = this.slots.length;
    this.slots.push(e);
    this.slotById.set(e.id, slot);
    for (let i = 0; i < t.terms.length; i++) {
      let p = this.postings.get(t.terms[i]);
      if (!p) this.postings.set(t.terms[i], (p = posting(4)));
      append(p, slot, t.weights[i]);
    }
  }

  /** Replace the contents with a flat index (a snapshot, or `export()`): the same as inserting its entries in id order. */
  load(f: FlatIndex): void {
    this.slots = f.entries.slice();
    this.slotById.clear();
    f.entries.forEach((e, slot) => this.slotById.set(e.id, slot));
    this.dead = 0;
    this.postings = new Map();
    let off = 0;
    for (let t = 0; t < f.terms.length; t++) {
      const n = f.df[t];
      if (!n) continue;
      // Views on the flat arrays: no copy until a posting grows.
      const p: Posting = { slots: f.slots.subarray(off, off + n), weights: f.weights.subarray(off, off + n), n, maxWeight: 0 };
      for (let j = 0; j < n; j++) if (p.weights[j] > p.maxWeight) p.maxWeight = p.weights[j];
      this.postings.set(f.terms[t], p);
      off += n;
    }
  }

  /** The live entries in id order with their postings, as a fresh rebuild would hold them (for a snapshot, or to compact). */
  export(): FlatIndex {
    const steps = this.exportSteps();
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /** `export()` in steps of about 200,000 postings, so searches are served meanwhile (a snapshot being saved). */
  async exportAsync(): Promise<FlatIndex> {
    const steps = this.exportSteps();
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Exports what the index holds at the first step: the slots are copied and each posting's arrays
   * and length taken, so later changes (appends beyond that length or into new arrays, tombstones
   * in the live slot array, compaction into new postings) do not show in the result.
   */
  private *exportSteps(): Generator<void, FlatIndex, void> {
    const held = this.slots.slice();
    const lists = [...this.postings].map(([term, p]) => ({ term, slots: p.slots, weights: p.weights, n: p.n }));
    const live: number[] = [];
    for (let s = 0; s < held.length; s++) if (held[s]) live.push(s);
    let ordered = true;
    for (let i = 1; i < live.length && ordered; i++) ordered = held[live[i - 1]]!.id < held[live[i]]!.id;
    if (!ordered) live.sort((a, b) => held[a]!.id - held[b]!.id);
    const rank = new Int32Array(held.length).fill(-1);
    live.forEach((s, i) => (rank[s] = i));
    let total = 0;
    for (const p of lists) total += p.n;
    const slots = new Int32Array(total);
    const weights = new Float64Array(total);
    const terms: string[] = [];
    const df: number[] = [];
    let off = 0;
    let sinceYield = 0;
    for (const p of lists) {
      const start = off;
      let sorted = true;
      for (let j = 0; j < p.n; j++) {
        const r = rank[p.slots[j]];
        if (r < 0) continue;
        if (off > start && r < slots[off - 1]) sorted = false;
        slots[off] = r;
        weights[off++] = p.weights[j];
      }
      sinceYield += p.n;
      if (off === start) continue;
      // Entries changed since the last load sit at the end of their postings: put them in id order.
      if (!sorted) sortSegment(slots, weights, start, off);
      terms.push(p.term);
      df.push(off - start);
      if (sinceYield > 200_000) {
        sinceYield = 0;
        yield;
      }
    }
    return { entries: live.map((s) => held[s]!), terms, df: Uint32Array.from(df), slots: slots.subarray(0, off), weights: weights.subarray(0, off) };
  }

  remove(id: number): void {
    const s = this.slotById.get(id);
    if (s === undefined) return;
    this.slots[s] = null;
    this.slotById.delete(id);
    this.dead++;
    if (this.dead > 1000 && this.dead * 5 > this.slots.length) this.compact();
  }

  /** Drops the tombstones: the live entries take slots in id order again, as after a full rebuild (no re-analysis). */
  private compact(): void {
    this.load(this.export());
  }

  idf(term: string): number {
    const n = Math.max(1, this.slotById.size);
    const df = this.df(term);
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /** The k-th best score among accepted candidates (0 if fewer than k are accepted). */
  private kthAccepted(touched: number[], accept: (e: IndexedEntry) => boolean, k: number): number {
    const best: number[] = [];
    for (const s of touched) {
      const sc = this.scores[s];
      if (best.length >= k && sc <= best[k - 1]) continue;
      const e = this.slots[s];
      if (!e || !accept(e)) continue;
      let i = Math.min(best.length, k - 1);
      best[i] = sc;
      while (i > 0 && best[i - 1] < best[i]) {
        [best[i - 1], best[i]] = [best[i], best[i - 1]];
        i--;
      }
      best.length = Math.min(best.length, k);
    }
    return best.length >= k ? best[k - 1] : 0;
  }

  /**
   * Rank live entries for the query terms; `accept` filters (validity window, region …) are applied
   * to scored candidates only, so the cost follows the posting lists, not the index size.
   */
  search(terms: QueryTerm[], accept: (e: IndexedEntry) => boolean, limit: number): { entry: IndexedEntry; score: number }[] {
    if (this.scores.length < this.slots.length) {
      this.scores = new Float64Array(this.slots.length + 1024);
      this.seen = new Uint8Array(this.slots.length + 1024);
    }
    const scores = this.scores;
    const seen = this.seen;
    let touched: number[] = [];
    const n = Math.max(1, this.slotById.size);
    // Terms in more than half the entries say little and cost the most: skip them unless nothing else is asked.
    const useful = terms.filter((t) => this.df(t.term) > 0);
    const rare = useful.filter((t) => this.df(t.term) * 2 <= n);
    // MaxScore (term at a time): rare terms first; once the best `limit` accepted candidates score
    // more than all remaining terms could add to an unseen entry, no unseen entry can enter the
    // result, so the remaining (long) posting lists only update known candidates, by binary search.
    const plan = (rare.length ? rare : useful)
      .map((t) => {
        const p = this.postings.get(t.term)!;
        const f = this.idf(t.term) * t.weight;
        return { p, f, ub: f * p.maxWeight };
      })
      .sort((a, b) => b.ub - a.ub);
    const rest = new Array<number>(plan.length + 1).fill(0);
    for (let i = plan.length - 1; i >= 0; i--) rest[i] = rest[i + 1] + plan[i].ub;
    let closed = false;
    for (let i = 0; i < plan.length; i++) {
      const { p, f } = plan[i];
      if (!closed && touched.length >= limit && i > 0) {
        const kth = this.kthAccepted(touched, accept, limit);
        if (kth > rest[i]) {
          closed = true;
          // Candidates that cannot reach the k-th score even with every remaining term are dropped.
          touched = touched.filter((s) => {
            if (scores[s] + rest[i] >= kth) return true;
            scores[s] = 0;
            seen[s] = 0;
            return false;
          });
        }
      }
      const { slots, weights, n: len } = p;
      if (!closed) {
        for (let j = 0; j < len; j++) {
          const s = slots[j];
          if (!seen[s]) {
            seen[s] = 1;
            touched.push(s);
          }
          scores[s] += f * weights[j];
        }
      } else if (touched.length * Math.log2(len + 1) < len) {
        for (const s of touched) {
          let lo = 0;
          let hi = len - 1;
          while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            const v = slots[mid];
            if (v === s) {
              scores[s] += f * weights[mid];
              break;
            }
            if (v < s) lo = mid + 1;
            else hi = mid - 1;
          }
        }
      } else {
        for (let j = 0; j < len; j++) if (seen[slots[j]]) scores[slots[j]] += f * weights[j];
      }
    }
    // Bounded min-heap of the best `limit` candidates.
    const heap: { slot: number; score: number }[] = [];
    const siftDown = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l].score < heap[m].score) m = l;
        if (r < heap.length && heap[r].score < heap[m].score) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    };
    const siftUp = (i: number) => {
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p].score <= heap[i].score) return;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    };
    for (const s of touched) {
      const score = scores[s];
      scores[s] = 0;
      seen[s] = 0;
      const e = this.slots[s];
      if (!e) continue;
      if (heap.length >= limit && score <= heap[0].score) continue;
      if (!accept(e)) continue;
      if (heap.length < limit) {
        heap.push({ slot: s, score });
        siftUp(heap.length - 1);
      } else {
        heap[0] = { slot: s, score };
        siftDown(0);
      }
    }
    return heap
      .sort((a, b) => b.score - a.score || this.slots[a.slot]!.id - this.slots[b.slot]!.id)
      .map((h) => ({ entry: this.slots[h.slot]!, score: h.score }));
  }
}

export function filterAccepts(f: IndexFilter, now: number): (e: IndexedEntry) => boolean {
  return (e) => {
    // The validity window is checked at query time: an entry is gone the instant its removal time passes.
    if (e.effectiveFrom > now) return false;
    if (e.removalAt !== null && now >= e.removalAt) return false;
    if (f.regionLevel && e.regionLevel !== f.regionLevel) return false;
    if (f.regionName && e.regionName !== f.regionName) return false;
    if (f.unitCode && e.unitCode !== f.unitCode) return false;
    if (f.visibility && e.visibility !== f.visibility) return false;
    if (f.category?.length) {
      for (let i = 0; i < f.category.length; i++) if (e.categoryPath[i] !== f.category[i]) return false;
    }
    return true;
  };
}
