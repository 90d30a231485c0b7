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

export class AmiFrameParser {
  private rest = '';
  private cur: AmiFrame | null = null;
  private lines = 0;
  private skipping = false;
  private badLine: string | null = null;
  private readonly keyCache = new Map<string, string>();

  constructor(
    private readonly sink: FrameSink,
    private readonly wants: (eventName: string) => boolean = () => true,
    private readonly maxPendingBytes = 1024 * 1024,
    /** Per event name, an optional look at the whole frame before parsing it. */
    private readonly peek: (eventName: string) => FramePeek | undefined = () => undefined,
  ) {}

  push(chunk: string): void {
    const buf = this.rest.length ? this.rest + chunk : chunk;
    const n = buf.length;
    let pos = 0;
    for (;;) {
      if (this.skipping) {
        // Unwanted event: step from line end to line end until the blank line, making no strings.
        const stop = frameEnd(buf, pos);
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
        const name = buf.slice(pos + 7, end);
        if (!this.wants(name)) {
          this.skipping = true;
          this.cur = { event: name };
          this.lines = 1;
          pos = nl + 1;
          continue;
        }
        const check = this.peek(name);
        if (check) {
          // A peeked event is decided on its whole text before any parsing.
          const stop = frameEnd(buf, nl + 1);
          if (stop < 0) break; // not complete yet: keep it whole in `rest`
          if (!check(buf, pos, stop)) {
            this.sink.skipped(name);
            pos = stop;
            continue;
          }
        }
        this.lines = 1;
        this.cur = { event: name };
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
    const rawKey = buf.slice(start, colon);
    let key = this.keyCache.get(rawKey);
    if (key === undefined) {
      key = rawKey.trim().toLowerCase();
      if (this.keyCache.size < 2000) this.keyCache.set(rawKey, key);
    }
    let vs = colon + 1;
    if (buf.charCodeAt(vs) === 32) vs++;
    const value = vs >= end ? '' : buf.slice(vs, end);
    if (this.lines === 0 && key === 'event' && !this.wants(value)) {
      this.skipping = true;
      this.cur = { event: value };
      this.lines = 1;
      return;
    }
    if (++this.lines > MAX_LINES_PER_FRAME) {
      this.sink.garbage(buf.slice(start, Math.min(end, start + 80)), 'frame too long');
      this.skipping = true;
      this.cur = null;
      return;
    }
    const cur = this.cur ?? (this.cur = {});
    const prev = cur[key];
    if (prev === undefined) cur[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else cur[key] = [prev, value];
  }

  private endFrame(): void {
    if (this.lines === 0) return; // stray blank line between frames
    const cur = this.cur;
    const skipped = this.skipping;
    const badLine = this.badLine;
    this.reset();
    if (skipped) {
      if (cur && typeof cur.event === 'string') this.sink.skipped(cur.event);
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
    this.lines = 0;
    this.skipping = false;
    this.badLine = null;
  }
}

/**
 * Index just past the blank line that ends the frame whose next line starts at `pos`, or, when the
 * frame is not complete in `buf`, -(start of its incomplete last line) - 1. Steps from line end to
 * line end with indexOf('\n'): one search for a two- or three-character terminator over a 64 KB
 * chunk cost more than all the line steps together, and this finds CRLF and bare-LF blank lines alike.
 */
function frameEnd(buf: string, pos: number): number {
  let p = pos;
  for (;;) {
    const c = buf.charCodeAt(p);
    if (c === 10) return p + 1;
    if (c === 13 && buf.charCodeAt(p + 1) === 10) return p + 2;
    const nl = buf.indexOf('\n', p);
    if (nl < 0) return -p - 1;
    p = nl + 1;
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
