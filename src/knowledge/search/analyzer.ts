import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SYNONYM_GROUPS } from './synonyms';

const sha1 = (s: string) => crypto.createHash('sha1').update(s).digest('hex');

/** Splits text into words. jieba when it loads; otherwise a dictionary max-match segmenter. */
export interface Segmenter {
  readonly kind: 'jieba' | 'maxmatch';
  /** What it cuts by (implementation and dictionary): a persisted index is only valid for the same id. */
  readonly id: string;
  /** Search mode: words and their sub-words (住房公积金, 住房, 公积金) — for indexing. */
  cut(text: string): string[];
  /** Precise mode: one reading of the text — for queries, whose sub-words the index already holds. */
  cutPrecise(text: string): string[];
}

/** Function words that carry no meaning for retrieval. Kept short on purpose: idf does the rest. */
export const STOPWORDS = new Set(
  '的 了 吗 呢 啊 吧 呀 哦 嘛 么 我 我们 你 你们 您 他 她 它 他们 是 在 和 与 及 或 就 都 也 还 又 这 那 这个 那个 个 请问 一下 一个 有 被 把 给 对 从 向 到 让 为 着 过 得 地 之 其 等 啥 什么 怎么 怎样 如何 哪 哪里 谁 如果 要是 可 请'.split(' '),
);

const CJK = /[\u3400-\u9fff]/;
const WORD_CHAR = /[\p{L}\p{N}]/u;

export function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

function loadJieba(): Segmenter | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Jieba } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
    // The dictionary file itself, not `@node-rs/jieba/dict`: that module reads dict.txt and idf.txt
    // (11 MB, idf unused here) into buffers its exports keep for the life of the process; jieba
    // copies what it needs, so ours is garbage once loaded (issue #13, memory after start).
    const j = Jieba.withDict(fs.readFileSync(path.join(path.dirname(require.resolve('@node-rs/jieba/package.json')), 'dict.txt')));
    // Our domain words (synonym variants) must stay whole words: 12345热线, 住房公积金 …
    const extra = SYNONYM_GROUPS.flat().filter((w) => w.length > 1).map((w) => `${normalize(w)} 50000 n`).join('\n');
    j.loadDict(Buffer.from(extra + '\n'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { version } = require('@node-rs/jieba/package.json') as { version: string };
    return { kind: 'jieba', id: `jieba@${version}:${sha1(extra)}`, cut: (t) => j.cutForSearch(t, true), cutPrecise: (t) => j.cut(t, true) };
  } catch {
    return null;
  }
}

/**
 * Forward maximum matching over a word list, single characters otherwise. Used only when the
 * native jieba binary cannot load on a platform; recall is then carried by the bigrams.
 */
export class MaxMatchSegmenter implements Segmenter {
  readonly kind = 'maxmatch' as const;
  readonly id: string;
  private readonly words: Set<string>;
  private readonly maxLen: number;
  constructor(words: Iterable<string>) {
    this.words = new Set([...words].map(normalize));
    this.maxLen = Math.max(1, ...[...this.words].map((w) => w.length));
    this.id = `maxmatch:${sha1([...this.words].sort().join('\n'))}`;
  }
  cutPrecise(text: string): string[] {
    return this.cut(text);
  }
  cut(text: string): string[] {
    const out: string[] = [];
    const chars = Array.from(text);
    let i = 0;
    while (i < chars.length) {
      if (!CJK.test(chars[i])) {
        let j = i;
        while (j < chars.length && WORD_CHAR.test(chars[j]) && !CJK.test(chars[j])) j++;
        if (j > i) {
          out.push(chars.slice(i, j).join(''));
          i = j;
        } else i++;
        continue;
      }
      let len = Math.min(this.maxLen, chars.length - i);
      for (; len > 1; len--) if (this.words.has(chars.slice(i, i + len).join(''))) break;
      out.push(chars.slice(i, i + len).join(''));
      i += len;
    }
    return out;
  }
}

const SOURCE = typeof __filename === 'string' ? __filename : null;

/** A digest of a module's own file (its code as loaded): changing the code invalidates persisted indexes. */
export function sourceDigest(file: string | null): string {
  try {
    return file ? sha1(fs.readFileSync(file, 'utf8')) : 'unknown';
  } catch {
    return 'unknown';
  }
}

let defaultSegmenter: Segmenter | null = null;
export function getSegmenter(): Segmenter {
  defaultSegmenter ??= loadJieba() ?? new MaxMatchSegmenter(SYNONYM_GROUPS.flat());
  return defaultSegmenter;
}

/** A term a text contributes to the index or a query: words, synonym concepts (`~n`) and bigrams (`^xy`). */
export interface Analyzed {
  words: string[];
  concepts: string[];
  bigrams: string[];
  /** Surface strings found in the text (for highlighting). */
  surfaces: string[];
}

/**
 * Turns text into terms. Words come from the segmenter (minus stopwords); every synonym group
 * whose variant appears in the text adds one concept term, so 社保 in a question meets 社会保险 in
 * an entry; CJK character bigrams cover words the segmenter cuts differently.
 */
export class Analyzer {
  private readonly variantsByFirst = new Map<string, { variant: string; group: number }[]>();
  constructor(
    readonly segmenter: Segmenter = getSegmenter(),
    readonly groups: readonly (readonly string[])[] = SYNONYM_GROUPS,
  ) {
    groups.forEach((g, gi) => {
      for (const v0 of g) {
        const v = normalize(v0);
        const list = this.variantsByFirst.get(v[0]) ?? [];
        list.push({ variant: v, group: gi });
        this.variantsByFirst.set(v[0], list);
      }
    });
    for (const list of this.variantsByFirst.values()) list.sort((a, b) => b.variant.length - a.variant.length);
  }

  /**
   * Everything the terms depend on (segmenter and its dictionary, synonym groups, stopwords, this
   * module's code): a persisted index built with another version is not used.
   */
  get version(): string {
    this.versionCache ??= sha1(JSON.stringify({ segmenter: this.segmenter.id, groups: this.groups, stopwords: [...STOPWORDS], code: sourceDigest(SOURCE) }));
    return this.versionCache;
  }
  private versionCache: string | undefined;

  /** `query`: precise cut, and bigrams only in the gaps between words (see below). */
  analyze(text: string, opts: { bigrams?: boolean; query?: boolean } = {}): Analyzed {
    const t = normalize(text);
    const words: string[] = [];
    for (const w of opts.query ? this.segmenter.cutPrecise(t) : this.segmenter.cut(t)) {
      const s = w.trim();
      if (!s || !WORD_CHAR.test(s) || STOPWORDS.has(s)) continue;
      words.push(s);
    }
    const concepts: string[] = [];
    const surfaces: string[] = words.filter((w) => w.length > 1 || CJK.test(w));
    for (let i = 0; i < t.length; i++) {
      const cands = this.variantsByFirst.get(t[i]);
      if (!cands) continue;
      for (const c of cands) {
        if (t.startsWith(c.variant, i)) {
          // Short digit variants (110, 120) must not match inside longer numbers such as 12345.
          if (/^\d+$/.test(c.variant) && (/\d/.test(t[i - 1] ?? '') || /\d/.test(t[i + c.variant.length] ?? ''))) continue;
          concepts.push(`~${c.group}`);
          surfaces.push(c.variant);
          i += c.variant.length - 1; // non-overlapping: 不满意 is not also 满意
          break;
        }
      }
    }
    const bigrams: string[] = [];
    if (opts.bigrams !== false) {
      // Queries: only bigrams in the gaps between the segmenter's multi-character words,
      // where it fell back to single characters (打/不/进去). Bigrams inside or across known words
      // repeat the words (失业|人员 → 业人) and cost posting-list scans for nothing.
      const covered = new Uint8Array(t.length);
      if (opts.query) {
        for (const w of words) {
          if (w.length < 2) continue;
          for (let i = t.indexOf(w); i >= 0; i = t.indexOf(w, i + 1)) covered.fill(1, i, i + w.length);
        }
      }
      for (let i = 0; i + 1 < t.length; i++) {
        if (!CJK.test(t[i]) || !CJK.test(t[i + 1]) || covered[i] || covered[i + 1]) continue;
        bigrams.push('^' + t.slice(i, i + 2));
      }
    }
    return { words, concepts, bigrams, surfaces };
  }
}
