import type { IndexedEntry } from './inverted-index';
import type { EntryTerms } from './entry-terms';

/**
 * The inverted index in a flat, term-major form: what a snapshot file holds and what
 * `InvertedIndex.load` takes. `entries` are the live entries in ascending id order; an entry's slot
 * is its position there. Term `t`'s postings are `slots/weights[offset(t) … offset(t) + df[t])`,
 * where offset(t) is the sum of `df` before `t`; within a term the slots ascend. Exactly what a
 * full rebuild (inserting the published entries in id order) produces, so loading it gives the
 * same search results.
 */
export interface FlatIndex {
  entries: IndexedEntry[];
  terms: string[];
  /** Postings per term (document frequency). */
  df: Uint32Array;
  /** Slot (entry position) of each posting. */
  slots: Int32Array;
  /** Field-weighted term frequency of each posting (BM25, before idf). */
  weights: Float64Array;
}

/** Sort `slots[start…end)` ascending, carrying `weights` along. */
export function sortSegment(slots: Int32Array, weights: Float64Array, start: number, end: number): void {
  const order = Array.from({ length: end - start }, (_, i) => start + i).sort((a, b) => slots[a] - slots[b]);
  const s = order.map((i) => slots[i]);
  const w = order.map((i) => weights[i]);
  slots.set(s, start);
  weights.set(w, start);
}

/** What became of an entry since a flat index was taken: its new form (published), or null (gone from search). */
export type EntryChange = { entry: IndexedEntry; terms: EntryTerms } | null;

/**
 * The flat index with these entries replaced or removed, as a full rebuild of the changed set would
 * be: the entries stay in id order and every posting list in slot order. One sequential pass over
 * the postings; the unchanged entries are not analysed again.
 */
export function applyChanges(f: FlatIndex, changes: Map<number, EntryChange>): FlatIndex {
  if (!changes.size) return f;
  const changedIds = [...changes.keys()].sort((a, b) => a - b);
  const entries: IndexedEntry[] = [];
  const newSlot = new Int32Array(f.entries.length).fill(-1);
  const added: { slot: number; terms: EntryTerms }[] = [];
  let i = 0;
  let j = 0;
  while (i < f.entries.length || j < changedIds.length) {
    const oldId = i < f.entries.length ? f.entries[i].id : Infinity;
    const chId = j < changedIds.length ? changedIds[j] : Infinity;
    if (oldId < chId) {
      newSlot[i++] = entries.length;
      entries.push(f.entries[i - 1]);
      continue;
    }
    if (oldId === chId) i++; // replaced or removed: its old postings are dropped
    const c = changes.get(chId)!;
    j++;
    if (c) {
      added.push({ slot: entries.length, terms: c.terms });
      entries.push(c.entry);
    }
  }
  // The changed entries' postings per term, in slot order (`added` is).
  const termId = new Map(f.terms.map((t, n) => [t, n]));
  const terms = f.terms.slice();
  const extra = new Map<number, { slots: number[]; weights: number[] }>();
  let extraPairs = 0;
  for (const a of added) {
    for (let k = 0; k < a.terms.terms.length; k++) {
      let t = termId.get(a.terms.terms[k]);
      if (t === undefined) {
        t = terms.push(a.terms.terms[k]) - 1;
        termId.set(a.terms.terms[k], t);
      }
      let x = extra.get(t);
      if (!x) extra.set(t, (x = { slots: [], weights: [] }));
      x.slots.push(a.slot);
      x.weights.push(a.terms.weights[k]);
      extraPairs++;
    }
  }
  const slots = new Int32Array(f.slots.length + extraPairs);
  const weights = new Float64Array(f.slots.length + extraPairs);
  const df = new Uint32Array(terms.length);
  let inOff = 0;
  let out = 0;
  for (let t = 0; t < terms.length; t++) {
    const start = out;
    const inEnd = inOff + (t < f.terms.length ? f.df[t] : 0);
    const x = extra.get(t);
    let xi = 0;
    const xn = x ? x.slots.length : 0;
    // Merge the kept old postings (renumbered, still ascending) with the changed entries' ones.
    for (; inOff < inEnd; inOff++) {
      const s = newSlot[f.slots[inOff]];
      if (s < 0) continue;
      while (xi < xn && x!.slots[xi] < s) {
        slots[out] = x!.slots[xi];
        weights[out++] = x!.weights[xi++];
      }
      slots[out] = s;
      weights[out++] = f.weights[inOff];
    }
    while (xi < xn) {
      slots[out] = x!.slots[xi];
      weights[out++] = x!.weights[xi++];
    }
    df[t] = out - start;
  }
  return { entries, terms, df, slots: slots.subarray(0, out), weights: weights.subarray(0, out) };
}

/**
 * The published set as the index holds it, in the form `KnowledgeStore.publishedFingerprint` reads
 * it from the database: `count:max(updated_at) ISO:sum(version)`.
 */
export function fingerprintOf(entries: Iterable<IndexedEntry>): string {
  let n = 0;
  let max = -Infinity;
  let v = 0;
  for (const e of entries) {
    n++;
    v += e.version;
    if (e.updatedAt !== undefined && e.updatedAt > max) max = e.updatedAt;
  }
  return `${n}:${n && max > -Infinity ? new Date(max).toISOString() : '-'}:${v}`;
}
