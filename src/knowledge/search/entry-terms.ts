import crypto from 'node:crypto';
import { Analyzer, sourceDigest } from './analyzer';
import type { IndexedEntry } from './inverted-index';

// Field weights: what a caller asks is best matched against the question an entry answers.
const FIELD = {
  question: { w: 3.0, avg: 8 },
  keywords: { w: 2.0, avg: 4 },
  category: { w: 1.0, avg: 3 },
  answer: { w: 1.0, avg: 60 },
  bigram: { w: 0.5, avg: 16 },
} as const;
const K1 = 1.2;
const B = 0.75;

/** An entry's index terms with their weights (field-weighted BM25 term frequencies), in parallel. */
export interface EntryTerms {
  terms: string[];
  weights: number[];
}

/** What `upsert` indexes for an entry: the analyzer's terms of each field, weighted. The costly part (segmentation). */
export function entryTerms(a: Analyzer, e: IndexedEntry): EntryTerms {
  const weights = new Map<string, number>();
  const field = (terms: string[], f: (typeof FIELD)[keyof typeof FIELD]) => {
    if (!terms.length) return;
    const tf = new Map<string, number>();
    for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
    const norm = 1 - B + (B * terms.length) / f.avg;
    for (const [t, n] of tf) weights.set(t, (weights.get(t) ?? 0) + (f.w * (n * (K1 + 1))) / (n + K1 * norm));
  };
  const q = a.analyze(e.question);
  field([...q.words, ...q.concepts], FIELD.question);
  field(q.bigrams, FIELD.bigram);
  const k = a.analyze(e.keywords.join(' '), { bigrams: false });
  field([...k.words, ...k.concepts, ...e.keywords.map((x) => x.toLowerCase())], FIELD.keywords);
  const c = a.analyze(e.categoryPath.join(' '), { bigrams: false });
  field([...c.words, ...c.concepts], FIELD.category);
  const ans = a.analyze(e.answer, { bigrams: false });
  field([...ans.words, ...ans.concepts], FIELD.answer);
  return { terms: [...weights.keys()], weights: [...weights.values()] };
}

const SOURCE = typeof __filename === 'string' ? __filename : null;

/** What a persisted entry's terms and weights depend on: the analyzer's version and the weighting (this module's code). */
export function indexVersion(a: Analyzer): string {
  return crypto.createHash('sha1').update(JSON.stringify({ analyzer: a.version, ranking: { FIELD, K1, B }, code: sourceDigest(SOURCE) })).digest('hex');
}
