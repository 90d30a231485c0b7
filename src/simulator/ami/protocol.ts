/**
 * AMI framing. Input: `Key: Value` lines ending CRLF or bare LF, a blank line ends a message;
 * keys are case-insensitive, the space after the colon is optional, lines without a colon are
 * ignored (capture 06b). Output: CRLF lines, blank line at the end.
 */
export interface AmiMessage {
  /** Header lines in order; keys as sent. */
  headers: Array<[string, string]>;
}

export function header(m: AmiMessage, key: string): string | undefined {
  const k = key.toLowerCase();
  for (const [hk, v] of m.headers) if (hk.toLowerCase() === k) return v;
  return undefined;
}

export function headersAll(m: AmiMessage, key: string): string[] {
  const k = key.toLowerCase();
  return m.headers.filter(([hk]) => hk.toLowerCase() === k).map(([, v]) => v);
}

/** Incremental parser; bounded so that a flood without blank lines cannot grow memory forever. */
export class AmiParser {
  private buf = '';
  private lines: Array<[string, string]> = [];
  static readonly MAX_LINE = 64 * 1024;
  static readonly MAX_HEADERS = 512;

  /** Feed bytes; returns complete messages. */
  push(chunk: string): AmiMessage[] {
    this.buf += chunk;
    const out: AmiMessage[] = [];
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl < 0) {
        if (this.buf.length > AmiParser.MAX_LINE) this.buf = '';
        break;
      }
      let line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        // even a lone blank line is a (headerless) request: "Missing action in request" (06b)
        out.push({ headers: this.lines });
        this.lines = [];
        continue;
      }
      const c = line.indexOf(':');
      if (c <= 0) continue; // a line with no colon is ignored, the message still counts
      if (this.lines.length < AmiParser.MAX_HEADERS) this.lines.push([line.slice(0, c).trim(), line.slice(c + 1).replace(/^ /, '').trimEnd()]);
    }
    return out;
  }
}

export function serialize(fields: Array<[string, string]>): string {
  let s = '';
  for (const [k, v] of fields) s += `${k}: ${v}\r\n`;
  return s + '\r\n';
}
