import { Basis, REGION_LEVELS, RegionLevel, VISIBILITIES, Visibility } from '../types';
import { IndexedEntry } from './inverted-index';

/** What a search hit shows but no filter looks at, kept as JSON bytes until first asked for. */
type Shown = [question: string, answer: string, basis: Basis[], unitName: string, keywords: string[]];

/**
 * An entry loaded from a snapshot. The fields search filters on are plain values; the text it
 * shows (question, answer, basis, unit name, keywords) stays UTF-8 JSON in the snapshot's buffer
 * and is decoded on first use, so loading 100,000 entries does not decode 100,000 answers.
 */
export class StoredEntry implements IndexedEntry {
  private shown: Shown | undefined;
  constructor(
    readonly id: number,
    readonly unitCode: string,
    readonly regionLevel: RegionLevel,
    readonly regionName: string,
    readonly categoryPath: string[],
    readonly effectiveFrom: number,
    readonly removalAt: number | null,
    readonly visibility: Visibility,
    readonly version: number,
    readonly updatedAt: number | undefined,
    private readonly text: Buffer,
    private readonly from: number,
    private readonly to: number,
  ) {}

  private decode(): Shown {
    this.shown ??= JSON.parse(this.text.toString('utf8', this.from, this.to)) as Shown;
    return this.shown;
  }
  get question(): string {
    return this.decode()[0];
  }
  get answer(): string {
    return this.decode()[1];
  }
  get basis(): Basis[] {
    return this.decode()[2];
  }
  get unitName(): string {
    return this.decode()[3];
  }
  get keywords(): string[] {
    return this.decode()[4];
  }
  /** The shown fields' JSON as stored: written back to the next snapshot without decoding. */
  rawShown(): Buffer {
    return this.text.subarray(this.from, this.to);
  }
}

/**
 * Entries in columns (the snapshot's entries section). `num` holds 5 float64 columns of n values:
 * id, effectiveFrom, removalAt (NaN: none), version, updatedAt (NaN: unknown), in ms since epoch
 * where times. `refs` holds 6 uint32 columns: unitCode, regionLevel, regionName, visibility (indexes
 * into `strings`), the number of category path items (whose `strings` indexes follow one another in
 * `cats`), and the end offset of the entry's shown JSON in `shown` (it starts where the previous ends).
 */
export interface EntryColumns {
  strings: string[];
  num: Float64Array;
  refs: Uint32Array;
  cats: Uint32Array;
  shown: Buffer;
}

/** In steps of 10,000 entries, so searches are served meanwhile. */
export async function encodeEntries(entries: IndexedEntry[]): Promise<EntryColumns> {
  const n = entries.length;
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const ref = (s: string) => {
    let i = ids.get(s);
    if (i === undefined) ids.set(s, (i = strings.push(s) - 1));
    return i;
  };
  const num = new Float64Array(5 * n);
  const refs = new Uint32Array(6 * n);
  const cats: number[] = [];
  const shown: Buffer[] = [];
  let end = 0;
  for (let i = 0; i < n; i++) {
    if (i % 10_000 === 9_999) await new Promise((resolve) => setImmediate(resolve));
    const e = entries[i];
    num[i] = e.id;
    num[n + i] = e.effectiveFrom;
    num[2 * n + i] = e.removalAt ?? NaN;
    num[3 * n + i] = e.version;
    num[4 * n + i] = e.updatedAt ?? NaN;
    refs[i] = ref(e.unitCode);
    refs[n + i] = ref(e.regionLevel);
    refs[2 * n + i] = ref(e.regionName);
    refs[3 * n + i] = ref(e.visibility);
    refs[4 * n + i] = e.categoryPath.length;
    for (const c of e.categoryPath) cats.push(ref(c));
    const s = e instanceof StoredEntry ? e.rawShown() : Buffer.from(JSON.stringify([e.question, e.answer, e.basis, e.unitName, e.keywords] satisfies Shown));
    shown.push(s);
    refs[5 * n + i] = end += s.length;
  }
  return { strings, num, refs, cats: Uint32Array.from(cats), shown: Buffer.concat(shown) };
}

export class EntryDecodeError extends Error {}

/** The entries back, checked (ids ascending, references in range): EntryDecodeError when not. */
export function decodeEntries(c: EntryColumns, n: number): StoredEntry[] {
  const { strings, num, refs, cats, shown } = c;
  const str = (i: number) => {
    if (i >= strings.length) throw new EntryDecodeError('string reference out of range');
    return strings[i];
  };
  const out: StoredEntry[] = new Array(n);
  let cat = 0;
  let from = 0;
  for (let i = 0; i < n; i++) {
    const id = num[i];
    if (!Number.isSafeInteger(id) || (i > 0 && id <= num[i - 1])) throw new EntryDecodeError('entry ids not ascending');
    const regionLevel = str(refs[n + i]) as RegionLevel;
    const visibility = str(refs[3 * n + i]) as Visibility;
    if (!REGION_LEVELS.includes(regionLevel) || !VISIBILITIES.includes(visibility)) throw new EntryDecodeError('entry region level or visibility invalid');
    const catLen = refs[4 * n + i];
    if (cat + catLen > cats.length) throw new EntryDecodeError('category path out of range');
    const categoryPath: string[] = [];
    for (const end = cat + catLen; cat < end; cat++) categoryPath.push(str(cats[cat]));
    const to = refs[5 * n + i];
    if (to < from || to > shown.length) throw new EntryDecodeError('shown text out of range');
    const removalAt = num[2 * n + i];
    const updatedAt = num[4 * n + i];
    out[i] = new StoredEntry(id, str(refs[i]), regionLevel, str(refs[2 * n + i]), categoryPath, num[n + i], Number.isNaN(removalAt) ? null : removalAt, visibility, num[3 * n + i], Number.isNaN(updatedAt) ? undefined : updatedAt, shown, from, to);
    from = to;
  }
  if (cat !== cats.length || from !== shown.length) throw new EntryDecodeError('entry columns do not add up');
  return out;
}
