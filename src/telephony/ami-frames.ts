/**
 * AMI wire framing: `Key: Value` lines, a blank line ends a message. Asterisk also accepts (and some
 * proxies emit) bare LF, lowercase keys and `Key:Value` without a space, so the parser does too.
 *
 * We parse the stream ourselves instead of using asterisk-manager's reader: the library splits with a
 * regex, shifts arrays line by line and schedules three `process.nextTick`s per event (~25k events/s on
 * one core, see the capture README), and it cannot skip events nobody consumes. Keys are lowercased
 * like the library does, so a response object can still be handed to the library's own dispatcher.
 */
export type AmiValue = string | string[];
export type AmiFrame = Record<string, AmiValue>;

export interface FrameSink {
  frame(frame: AmiFrame): void;
  /** An event whose name `wants()` rejected: counted, never parsed beyond its first line. */
  skipped(eventName: string): void;
  garbage(sample: string, why: string): void;
  banner(text: string): void;
}

const BANNER = 'Asterisk Call Manager/';

/**
 * Decides from a whole frame's raw text (`buf` between `start` and `end`, the blank line excluded)
 * whether to parse it. Used for events that are frequent but rarely wanted (VarSet is 55% of a real
 * stream): the decision reads one line with indexOf instead of building an object of 18 headers.
 */
export type FramePeek = (buf: string, start: number, end: number) => boolean;
const MAX_LINES_PER_FRAME = 10_000;

/**
 * A header key as it appears on the wire, with its lowercased form. Looked up by length and first
 * character and confirmed with startsWith on the buffer: no key string is sliced or hashed per line.
 */
interface KeyEntry { raw: string; key: string }
const KEY_SLOTS = 64 * 128;

/**
 * The engine's own copy of `s`, as used for property names: a cached key or event name is then a
 * property key (frame headers, FRAME_PEEKS) and a Set member without a string-table lookup per use,
 * and it keeps no chunk it was cut from alive.
 */
function intern(s: string): string {
  const o: Record<string, true> = {};
  o[s] = true;
  for (const k in o) return k;
  return s;
}
const MAX_KEYS = 2000;

export class AmiFrameParser {
  private rest = '';
  private cur: AmiFrame | null = null;
  /** Name of the unwanted event being skipped (null: a frame dropped as too long). */
  private skipName: string | null = null;
  private lines = 0;
  private skipping = false;
  private badLine: string | null = null;
  /** Headers kept for the frame being parsed (null: all of them). */
  private filter: ReadonlySet<string> | null = null;
  /** For `filter`: 1 at (length, first character) of every kept header, either case. */
  private filterSlots: Uint8Array = new Uint8Array(KEY_SLOTS);
  private readonly slotsBySet = new Map<ReadonlySet<string>, Uint8Array>();
  private readonly keys: Array<KeyEntry[] | undefined> = new Array(KEY_SLOTS);
  private keyCount = 0;
  /** In the buffer being pushed: next `\n\r\n` / `\n\n` at or after the last frameEnd start (-1: none). */
  private crlfBlank = -2;
  private lfBlank = -2;
  /** Event names seen, by length and first character, so the first line makes no string either. */
  private readonly names: Array<string[] | undefined> = new Array(KEY_SLOTS);
  private nameCount = 0;

  constructor(
    private readonly sink: FrameSink,
    private readonly wants: (eventName: string) => boolean = () => true,
    private readonly maxPendingBytes = 1024 * 1024,
    /** Per event name, an optional look at the whole frame before parsing it. */
    private readonly peek: (eventName: string) => FramePeek | undefined = () => undefined,
    /**
     * Per event name, the only (lowercase) headers anyone reads; the others are checked for a colon
     * and counted but never become strings. Undefined keeps every header.
     */
    private readonly headers: (eventName: string) => ReadonlySet<string> | undefined = () => undefined,
  ) {}

  push(chunk: string): void {
    const buf = this.rest.length ? this.rest + chunk : chunk;
    const n = buf.length;
    let pos = 0;
    this.crlfBlank = -2;
    this.lfBlank = -2;
    for (;;) {
      if (this.skipping) {
        // Unwanted event: step from line end to line end until the blank line, making no strings.
        const stop = this.frameEnd(buf, pos);
        if (stop < 0) { pos = -stop - 1; break; } // incomplete: the complete lines are consumed
        pos = stop;
        this.endFrame();
        continue;
      }
      const nl = buf.indexOf('\n', pos);
      if (nl < 0) break;
      let end = nl;
      if (end > pos && buf.charCodeAt(end - 1) === 13) end--;
      if (end === pos) {
        this.endFrame();
      } else if (this.lines === 0 && buf.charCodeAt(pos) === 69 && buf.startsWith('Event: ', pos)) {
        // The first line of an event, as Asterisk writes it: decide here without the generic line parser.
        const name = this.eventName(buf, pos + 7, end);
        if (!this.wants(name)) {
          this.skipping = true;
          this.skipName = name;
          this.lines = 1;
          pos = nl + 1;
          continue;
        }
        const check = this.peek(name);
        if (check) {
          // A peeked event is decided on its whole text before any parsing.
          const stop = this.frameEnd(buf, nl + 1);
          if (stop < 0) break; // not complete yet: keep it whole in `rest`
          if (!check(buf, pos, stop)) {
            this.sink.skipped(name);
            pos = stop;
            continue;
          }
        }
        this.lines = 1;
        this.cur = { event: name };
        const filter = this.headers(name) ?? null;
        if (filter !== null) this.filterSlots = this.slotsBySet.get(filter) ?? this.slotsOf(filter);
        this.filter = filter;
      } else this.line(buf, pos, end);
      pos = nl + 1;
    }
    this.rest = pos === 0 ? buf : pos >= n ? '' : buf.slice(pos);
    if (this.rest.length > this.maxPendingBytes) {
      // A peer that never sends a newline must not grow our memory without bound.
      this.sink.garbage(this.rest.slice(0, 80), 'line too long');
      this.rest = '';
      this.reset();
    }
  }

  /**
   * Index just past the blank line that ends the frame whose next line starts at `pos`, or, when the
   * frame is not complete in `buf`, -(start of its incomplete last line) - 1. Finds CRLF and bare-LF
   * blank lines alike. Each pattern is searched once per chunk position already passed (native
   * indexOf over the chunk), instead of one indexOf call per line: skipped and peeked frames are 84%
   * of the stream and all of their lines went through here.
   */
  private frameEnd(buf: string, pos: number): number {
    const c = buf.charCodeAt(pos);
    if (c === 10) return pos + 1;
    if (c === 13 && buf.charCodeAt(pos + 1) === 10) return pos + 2;
    let a = this.crlfBlank;
    if (a !== -1 && a < pos) a = this.crlfBlank = buf.indexOf('\n\r\n', pos);
    let b = this.lfBlank;
    if (b !== -1 && b < pos) b = this.lfBlank = buf.indexOf('\n\n', pos);
    if (a >= 0 && (b < 0 || a < b)) return a + 3;
    if (b >= 0) return b + 2;
    const last = buf.lastIndexOf('\n');
    return last < pos ? -pos - 1 : -(last + 1) - 1;
  }

  private slotsOf(filter: ReadonlySet<string>): Uint8Array {
    const slots = new Uint8Array(KEY_SLOTS);
    for (const k of filter) {
      if (k.length >= 64) continue;
      slots[(k.length << 7) | (k.toLowerCase().charCodeAt(0) & 127)] = 1;
      slots[(k.length << 7) | (k.toUpperCase().charCodeAt(0) & 127)] = 1;
    }
    if (this.slotsBySet.size < 1000) this.slotsBySet.set(filter, slots);
    return slots;
  }

  /** `buf[start, end)` as a string, the same string object for a name seen before. */
  private eventName(buf: string, start: number, end: number): string {
    const len = end - start;
    if (len >= 64) return buf.slice(start, end);
    const slot = (len << 7) | (buf.charCodeAt(start) & 127);
    const list = this.names[slot];
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) if (buf.startsWith(list[i], start)) return list[i];
    }
    const name = buf.slice(start, end);
    if (this.nameCount < MAX_KEYS) {
      this.nameCount++;
      const own = intern(name);
      if (list === undefined) this.names[slot] = [own];
      else list.push(own);
      return own;
    }
    return name;
  }

  /** The entry for the key `buf[start, colon)`. */
  private keyEntry(buf: string, start: number, colon: number): KeyEntry {
    const len = colon - start;
    const slot = len < 64 ? (len << 7) | (buf.charCodeAt(start) & 127) : -1;
    const list = slot < 0 ? undefined : this.keys[slot];
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) if (buf.startsWith(list[i].raw, start)) return list[i];
    }
    const raw = buf.slice(start, colon);
    const e: KeyEntry = { raw: intern(raw), key: intern(raw.trim().toLowerCase()) };
    if (slot >= 0 && this.keyCount < MAX_KEYS) {
      this.keyCount++;
      if (list === undefined) this.keys[slot] = [e];
      else list.push(e);
    }
    return e;
  }

  private line(buf: string, start: number, end: number): void {
    if (this.lines === 0 && buf.charCodeAt(start) === 65 && buf.startsWith(BANNER, start)) {
      this.sink.banner(buf.slice(start, end));
      return;
    }
    const colon = buf.indexOf(':', start);
    if (colon < 0 || colon >= end) {
      if (this.badLine === null) this.badLine = buf.slice(start, Math.min(end, start + 80));
      this.lines++;
      return;
    }
    const filter = this.filter;
    if (filter !== null) {
      // No kept header has this length and first letter: skip the line without identifying its key.
      // Exact for keys with printable ASCII at both ends (lowercasing, trimming keep their length).
      const len = colon - start;
      const c0 = buf.charCodeAt(start);
      const c1 = buf.charCodeAt(colon - 1);
      if (len < 64 && c0 > 32 && c0 < 127 && c1 > 32 && c1 < 127 && this.filterSlots[(len << 7) | c0] === 0) {
        if (++this.lines > MAX_LINES_PER_FRAME) this.tooLong(buf, start, end);
        return;
      }
    }
    const entry = this.keyEntry(buf, start, colon);
    const key = entry.key;
    if (filter !== null && this.lines !== 0) {
      if (!filter.has(key)) {
        if (++this.lines > MAX_LINES_PER_FRAME) this.tooLong(buf, start, end);
        return;
      }
    }
    let vs = colon + 1;
    if (buf.charCodeAt(vs) === 32) vs++;
    const value = vs >= end ? '' : buf.slice(vs, end);
    if (this.lines === 0 && key === 'event' && !this.wants(value)) {
      this.skipping = true;
      this.skipName = value;
      this.lines = 1;
      return;
    }
    if (++this.lines > MAX_LINES_PER_FRAME) {
      this.tooLong(buf, start, end);
      return;
    }
    const cur = this.cur ?? (this.cur = {});
    const prev = cur[key];
    if (prev === undefined) cur[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else cur[key] = [prev, value];
  }

  private tooLong(buf: string, start: number, end: number): void {
    this.sink.garbage(buf.slice(start, Math.min(end, start + 80)), 'frame too long');
    this.skipping = true;
    this.cur = null;
  }

  private endFrame(): void {
    if (this.lines === 0) return; // stray blank line between frames
    const cur = this.cur;
    const skipped = this.skipping;
    const skipName = this.skipName;
    const badLine = this.badLine;
    this.reset();
    if (skipped) {
      if (skipName !== null) this.sink.skipped(skipName);
      return;
    }
    if (!cur || (cur.event === undefined && cur.response === undefined)) {
      this.sink.garbage(badLine ?? JSON.stringify(cur).slice(0, 80), 'no Event or Response header');
      return;
    }
    if (badLine !== null) this.sink.garbage(badLine, 'line without colon inside a frame');
    this.sink.frame(cur);
  }

  private reset(): void {
    this.cur = null;
    this.skipName = null;
    this.lines = 0;
    this.skipping = false;
    this.badLine = null;
    this.filter = null;
  }
}

/** First value of a header that may have been repeated. */
export function str(frame: AmiFrame, key: string): string | undefined {
  const v = frame[key];
  return Array.isArray(v) ? v[0] : v;
}

export function num(frame: AmiFrame, key: string): number | undefined {
  const v = str(frame, key);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
