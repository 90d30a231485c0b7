import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { FlatIndex } from './flat-index';
import { IndexedEntry } from './inverted-index';
import { decodeEntries, encodeEntries } from './snapshot-entries';

/**
 * The knowledge search index persisted to a file, so a restart loads it instead of segmenting
 * every entry again (issue #13: search within 5 s of start with 100,000 entries).
 *
 * Layout (little-endian):
 *   0   8 bytes  magic `HLKIDX02`
 *   8   u32      header length H (bytes of UTF-8 JSON)
 *   12  u32      CRC-32 of everything after these 16 bytes
 *   16  H bytes  header: SnapshotMeta and the sizes below (Header)
 *   …   text     UTF-8 JSON `[strings, terms]` (EntryColumns.strings; the index's terms)
 *   …   zero padding to a multiple of 8 from the start of the file
 *   …   binary   f64 num[5n] · u32 refs[6n] · u32 cats[c] · u32 df[t] · i32 slots[p] · f64 weights[p],
 *                each starting at a multiple of 8 within the section (see `layout`)
 *   …   shown    UTF-8 JSON of each entry's shown fields, one after another (EntryColumns.shown)
 * The binary section is read into its own buffer and the postings are views on it (no copy); the
 * shown text is decoded per entry when a search first shows it.
 */
export interface SnapshotMeta {
  /** `indexVersion(analyzer)` the postings were computed with: another one means rebuild. */
  version: string;
  /** The database it was taken from (`current_database()`), so a data directory reused for another database is not trusted. */
  database: string;
  /**
   * The database's clock (ms since epoch) when the index was last seen equal to it: rows whose
   * `updated_at` is later (less a margin) are read again at load.
   */
  watermark: number;
  /** ISO time the file was written. */
  writtenAt: string;
}

interface Header extends SnapshotMeta {
  entries: number;
  terms: number;
  pairs: number;
  cats: number;
  textBytes: number;
  shownBytes: number;
}

/** Byte offsets of the binary section's arrays, each 8-byte aligned, and the section's length. */
function layout(h: Pick<Header, 'entries' | 'terms' | 'pairs' | 'cats'>) {
  let at = 0;
  const take = (bytes: number) => {
    const o = at;
    at += bytes + pad8(bytes);
    return o;
  };
  const num = take(h.entries * 5 * 8);
  const refs = take(h.entries * 6 * 4);
  const cats = take(h.cats * 4);
  const df = take(h.terms * 4);
  const slots = take(h.pairs * 4);
  const weights = take(h.pairs * 8);
  return { num, refs, cats, df, slots, weights, length: at };
}

/** Where the search index is saved: KNOWLEDGE_INDEX_DIR (off: nowhere), by default under DATA_DIR. */
export function knowledgeSnapshotFile(config: { dataDir: string; knowledgeIndexDir?: string }): string | null {
  if (config.knowledgeIndexDir === 'off') return null;
  return path.join(config.knowledgeIndexDir ?? path.join(config.dataDir, 'knowledge-index'), 'search-index.bin');
}

const MAGIC = Buffer.from('HLKIDX02');
const PREFIX = 16;
const pad8 = (n: number) => (8 - (n % 8)) % 8;

export class SnapshotError extends Error {}

/** Write atomically (a temporary file renamed over the old one): a reader sees the old file or the new one. Returns the bytes written. */
export async function writeSnapshot(file: string, f: FlatIndex, meta: SnapshotMeta): Promise<number> {
  const cols = await encodeEntries(f.entries);
  const text = Buffer.from(JSON.stringify([cols.strings, f.terms]));
  const header: Header = { ...meta, entries: f.entries.length, terms: f.terms.length, pairs: f.slots.length, cats: cols.cats.length, textBytes: text.length, shownBytes: cols.shown.length };
  const head = Buffer.from(JSON.stringify(header));
  const lay = layout(header);
  const bin = Buffer.alloc(lay.length);
  const put = (a: Float64Array | Uint32Array | Int32Array, at: number) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(bin, at);
  put(cols.num, lay.num);
  put(cols.refs, lay.refs);
  put(cols.cats, lay.cats);
  put(f.df, lay.df);
  put(f.slots, lay.slots);
  put(f.weights, lay.weights);
  const parts = [head, text, Buffer.alloc(pad8(PREFIX + head.length + text.length)), bin, cols.shown];
  let crc = 0;
  for (const p of parts) crc = zlib.crc32(p, crc);
  const prefix = Buffer.alloc(PREFIX);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(head.length, 8);
  prefix.writeUInt32LE(crc, 12);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fh = await fs.promises.open(tmp, 'w');
  let bytes = 0;
  try {
    for (const p of [prefix, ...parts]) {
      await fh.write(p);
      bytes += p.length;
    }
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await fs.promises.rename(tmp, file);
  return bytes;
}

/**
 * Read a snapshot. Null when there is none; SnapshotError when it is unusable (truncated, wrong
 * magic or checksum, inconsistent sections): the caller rebuilds.
 */
export async function readSnapshot(file: string): Promise<{ meta: SnapshotMeta; index: FlatIndex; bytes: number } | null> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    const readAt = async <B extends Uint8Array = Buffer>(pos: number, len: number, into?: B): Promise<B> => {
      if (pos + len > size) throw new SnapshotError(`snapshot truncated (${size} bytes)`);
      const buf = into ?? (Buffer.allocUnsafe(len) as unknown as B);
      let done = 0;
      while (done < len) {
        const { bytesRead } = await fh.read(buf, done, len - done, pos + done);
        if (!bytesRead) throw new SnapshotError('snapshot truncated');
        done += bytesRead;
      }
      return buf;
    };
    const prefix = await readAt(0, PREFIX);
    if (!prefix.subarray(0, 8).equals(MAGIC)) throw new SnapshotError('not a knowledge index snapshot');
    const headLen = prefix.readUInt32LE(8);
    const head = await readAt(PREFIX, headLen);
    let h: Header;
    try {
      h = JSON.parse(head.toString('utf8')) as Header;
    } catch {
      throw new SnapshotError('snapshot header unreadable');
    }
    for (const k of ['entries', 'terms', 'pairs', 'cats', 'textBytes', 'shownBytes'] as const) {
      if (!Number.isSafeInteger(h[k]) || h[k] < 0) throw new SnapshotError(`snapshot header: bad ${k}`);
    }
    const textAt = PREFIX + headLen;
    const binAt = textAt + h.textBytes + pad8(textAt + h.textBytes);
    const lay = layout(h);
    if (binAt + lay.length + h.shownBytes !== size) throw new SnapshotError(`snapshot size ${size} does not match its header`);
    const text = await readAt(textAt, h.textBytes);
    const bin = await readAt(binAt, lay.length, new Uint8Array(new ArrayBuffer(lay.length))); // its own buffer: 8-byte aligned
    const shown = await readAt(binAt + lay.length, h.shownBytes);
    let crc = zlib.crc32(head);
    for (const p of [text, Buffer.alloc(pad8(textAt + h.textBytes)), bin, shown]) crc = zlib.crc32(p, crc);
    if (crc !== prefix.readUInt32LE(12)) throw new SnapshotError('snapshot checksum mismatch');
    let strings: string[];
    let terms: string[];
    try {
      [strings, terms] = JSON.parse(text.toString('utf8')) as [string[], string[]];
    } catch {
      throw new SnapshotError('snapshot text unreadable');
    }
    if (!Array.isArray(strings) || !Array.isArray(terms) || terms.length !== h.terms) throw new SnapshotError('snapshot terms disagree with the header');
    const ab = bin.buffer;
    const num = new Float64Array(ab, lay.num, h.entries * 5);
    const refs = new Uint32Array(ab, lay.refs, h.entries * 6);
    const cats = new Uint32Array(ab, lay.cats, h.cats);
    let entries: IndexedEntry[];
    try {
      entries = decodeEntries({ strings, num, refs, cats, shown }, h.entries);
    } catch (err) {
      throw new SnapshotError(`snapshot entries: ${(err as Error).message}`);
    }
    const index: FlatIndex = { entries, terms, df: new Uint32Array(ab, lay.df, h.terms), slots: new Int32Array(ab, lay.slots, h.pairs), weights: new Float64Array(ab, lay.weights, h.pairs) };
    validatePostings(index);
    if (typeof h.version !== 'string' || typeof h.database !== 'string' || !Number.isFinite(h.watermark)) throw new SnapshotError('snapshot header incomplete');
    const meta: SnapshotMeta = { version: h.version, database: h.database, watermark: h.watermark, writtenAt: h.writtenAt };
    return { meta, index, bytes: size };
  } finally {
    await fh.close();
  }
}

/** What a checksum cannot vouch for (a file written by faulty code): postings in range, ascending, finite weights. */
function validatePostings(f: FlatIndex): void {
  let off = 0;
  for (let t = 0; t < f.df.length; t++) {
    const end = off + f.df[t];
    if (end > f.slots.length) throw new SnapshotError('snapshot postings overrun');
    for (let j = off; j < end; j++) {
      if (f.slots[j] < 0 || f.slots[j] >= f.entries.length || (j > off && f.slots[j] <= f.slots[j - 1])) throw new SnapshotError('snapshot postings out of order');
      if (!(f.weights[j] > 0 && f.weights[j] < 1e6)) throw new SnapshotError('snapshot weight out of range');
    }
    off = end;
  }
  if (off !== f.slots.length) throw new SnapshotError('snapshot postings underrun');
}
