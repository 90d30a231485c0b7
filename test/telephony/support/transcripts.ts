/** Reading the real AMI/ARI captures in ../shared/asterisk (see its README for the format). */
import { readFileSync } from 'fs';
import path from 'path';

export const CAPTURES = path.resolve(__dirname, '../../../../shared/asterisk');

export interface Block { dir: 'C->S' | 'S->C'; t: number; body: string }

export function amiBlocks(file: string): Block[] {
  const text = readFileSync(path.join(CAPTURES, 'ami', file), 'latin1');
  const blocks: Block[] = [];
  const re = /^### (C->S|S->C) t=(\d+)\n/gm;
  const marks: Array<{ dir: Block['dir']; t: number; start: number; end: number }> = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) marks.push({ dir: m[1] as Block['dir'], t: Number(m[2]), start: m.index, end: re.lastIndex });
  for (let i = 0; i < marks.length; i++) {
    let stop = i + 1 < marks.length ? marks[i + 1].start : text.length;
    const close = text.indexOf('### CLOSE', marks[i].end);
    if (close >= 0 && close < stop) stop = close;
    blocks.push({ dir: marks[i].dir, t: marks[i].t, body: Buffer.from(text.slice(marks[i].end, stop), 'latin1').toString('utf8') });
  }
  return blocks;
}

/** The exact server byte stream of a capture. */
export function serverStream(file: string): string {
  return amiBlocks(file).filter((b) => b.dir === 'S->C').map((b) => b.body).join('');
}

/** Unsolicited events of a capture (no ActionID), in order: what a listener sees between actions. */
export function unsolicitedEvents(file: string): string[] {
  return amiBlocks(file)
    .filter((b) => b.dir === 'S->C' && b.body.startsWith('Event:') && !/\r\nActionID:/i.test(b.body))
    .map((b) => b.body);
}

export function ariLines(file: string): Array<Record<string, unknown>> {
  return readFileSync(path.join(CAPTURES, 'ari', file), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export function ariEvents(file: string): Array<Record<string, unknown>> {
  return ariLines(file).filter((l) => l.dir === 'event').map((l) => l.event as Record<string, unknown>);
}
