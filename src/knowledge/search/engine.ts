import { Analyzer, normalize } from './analyzer';
import { IndexFilter, IndexedEntry, InvertedIndex, QueryTerm, filterAccepts } from './inverted-index';
import { Entry, basisText } from '../types';
import { SYNONYM_GROUPS } from './synonyms';

export interface SearchHit {
  id: number;
  question: string;
  answer: string;
  basis: IndexedEntry['basis'];
  basisText: string;
  unitCode: string;
  unitName: string;
  regionLevel: IndexedEntry['regionLevel'];
  regionName: string;
  categoryPath: string[];
  visibility: IndexedEntry['visibility'];
  score: number;
  /** HTML-escaped text with matches wrapped in <em>…</em>. */
  highlight: { question: string; answer: string };
  matchedTerms: string[];
}

export interface SearchOptions extends IndexFilter {
  limit?: number;
  /** Evaluate validity as of this instant (tests, previews); default now. */
  at?: Date;
}

export function toIndexed(e: Entry): IndexedEntry {
  return {
    id: e.id,
    question: e.question,
    answer: e.answer,
    basis: e.basis,
    unitCode: e.unitCode,
    unitName: e.unitName,
    regionLevel: e.regionLevel,
    regionName: e.regionName,
    categoryPath: e.categoryPath,
    keywords: e.keywords,
    effectiveFrom: e.effectiveFrom.getTime(),
    removalAt: e.removalAt ? e.removalAt.getTime() : null,
    visibility: e.visibility,
    version: e.version,
    updatedAt: e.updatedAt.getTime(),
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Query side of the knowledge search: turns a caller's words into weighted terms, ranks through the
 * inverted index, and marks what matched. Pure and synchronous: the HTTP route, the CLI and the
 * bench all call this same code.
 */
export class SearchEngine {
  readonly index: InvertedIndex;
  constructor(readonly analyzer: Analyzer = new Analyzer()) {
    this.index = new InvertedIndex(analyzer);
  }

  queryTerms(text: string, maxTerms = 24): { terms: QueryTerm[]; surfaces: string[] } {
    const a = this.analyzer.analyze(text, { query: true });
    const weights = new Map<string, number>();
    const add = (t: string, w: number) => weights.set(t, Math.max(weights.get(t) ?? 0, w));
    for (const w of a.words) add(w, 1);
    for (const c of a.concepts) add(c, 1.2);
    for (const b of a.bigrams) add(b, 0.6);
    let terms = [...weights].map(([term, weight]) => ({ term, weight }));
    if (terms.length > maxTerms) {
      // Long texts (a ticket being typed): keep the most telling terms.
      terms = terms.sort((x, y) => this.index.idf(y.term) * y.weight - this.index.idf(x.term) * x.weight).slice(0, maxTerms);
    }
    return { terms, surfaces: [...new Set(a.surfaces)] };
  }

  search(text: string, opts: SearchOptions = {}): SearchHit[] {
    const limit = Math.min(Math.max(opts.limit ?? 10, 1), 100);
    const { terms, surfaces } = this.queryTerms(text);
    if (!terms.length) return [];
    const now = (opts.at ?? new Date()).getTime();
    const hits = this.index.search(terms, filterAccepts(opts, now), limit);
    const marks = this.highlightTerms(terms, surfaces);
    return hits.map(({ entry, score }) => {
      const matched = marks.filter((m) => entry.question.toLowerCase().includes(m) || entry.answer.toLowerCase().includes(m));
      return {
        id: entry.id,
        question: entry.question,
        answer: entry.answer,
        basis: entry.basis,
        basisText: basisText(entry.basis),
        unitCode: entry.unitCode,
        unitName: entry.unitName,
        regionLevel: entry.regionLevel,
        regionName: entry.regionName,
        categoryPath: entry.categoryPath,
        visibility: entry.visibility,
        score: Math.round(score * 1000) / 1000,
        highlight: { question: highlight(entry.question, matched), answer: snippet(entry.answer, matched, 120) },
        matchedTerms: matched,
      };
    });
  }

  /** Suggestions while an operator types a ticket: the same ranking over the text's most telling terms. */
  suggest(text: string, opts: SearchOptions = {}): SearchHit[] {
    return this.search(text.slice(0, 2000), { ...opts, limit: opts.limit ?? 5 });
  }

  /** The strings to mark in results: the caller's words plus every variant of the concepts they used. */
  private highlightTerms(terms: QueryTerm[], surfaces: string[]): string[] {
    const out = new Set<string>(surfaces.filter((s) => s.length > 1 || /[\u3400-\u9fff]/.test(s)));
    for (const t of terms) {
      if (t.term.startsWith('~')) for (const v of SYNONYM_GROUPS[Number(t.term.slice(1))] ?? []) out.add(normalize(v));
    }
    return [...out].sort((a, b) => b.length - a.length);
  }
}

function findRanges(text: string, marks: string[]): [number, number][] {
  const lower = normalize(text);
  // normalize() may change length for full-width forms; fall back to plain lowercase then.
  const hay = lower.length === text.length ? lower : text.toLowerCase();
  const ranges: [number, number][] = [];
  for (const m of marks) {
    if (!m) continue;
    for (let i = hay.indexOf(m); i >= 0; i = hay.indexOf(m, i + m.length)) ranges.push([i, i + m.length]);
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

export function highlight(text: string, marks: string[]): string {
  const ranges = findRanges(text, marks);
  let out = '';
  let at = 0;
  for (const [s, e] of ranges) {
    out += escapeHtml(text.slice(at, s)) + '<em>' + escapeHtml(text.slice(s, e)) + '</em>';
    at = e;
  }
  return out + escapeHtml(text.slice(at));
}

/** A window of the answer around its first match, highlighted. */
export function snippet(text: string, marks: string[], width: number): string {
  if (text.length <= width) return highlight(text, marks);
  const first = findRanges(text, marks)[0];
  const start = first ? Math.max(0, Math.min(first[0] - Math.floor(width / 4), text.length - width)) : 0;
  const part = text.slice(start, start + width);
  return (start > 0 ? '…' : '') + highlight(part, marks) + (start + width < text.length ? '…' : '');
}
