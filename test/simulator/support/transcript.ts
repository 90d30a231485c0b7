/**
 * Reader for the recorded AMI transcripts (../shared/asterisk/ami/*.txt). Read as bytes: the
 * bodies keep their CRLF, marker lines end in LF (README "File formats").
 */
import { readFileSync } from 'fs';
import { join } from 'path';

export const SHARED = join(__dirname, '..', '..', '..', '..', 'shared', 'asterisk');

export interface Block { dir: 'C->S' | 'S->C' | 'CLOSE'; t: number; body: Buffer }
export interface Message { dir: 'C->S' | 'S->C'; fields: Array<[string, string]>; raw: string }

export function readBlocks(file: string): Block[] {
  const data = readFileSync(join(SHARED, 'ami', file));
  const blocks: Block[] = [];
  let pos = 0;
  let cur: Block | undefined;
  while (pos < data.length) {
    const nl = data.indexOf(0x0a, pos);
    const end = nl < 0 ? data.length : nl + 1;
    const line = data.subarray(pos, end).toString('latin1');
    const m = /^### (C->S|S->C|CLOSE)(?: t=(\d+))?\n$/.exec(line);
    if (m) {
      if (cur) blocks.push(cur);
      cur = { dir: m[1] as Block['dir'], t: Number(m[2] ?? 0), body: Buffer.alloc(0) };
    } else if (cur) cur.body = Buffer.concat([cur.body, data.subarray(pos, end)]);
    pos = end;
  }
  if (cur) blocks.push(cur);
  return blocks;
}

export function parseFields(raw: string): Array<[string, string]> {
  return raw.split(/\r?\n/).filter((l) => l.includes(':')).map((l) => { const i = l.indexOf(':'); return [l.slice(0, i), l.slice(i + 1).replace(/^ /, '')] as [string, string]; });
}

/** All messages in order; server blocks are split at the blank line. */
export function readMessages(file: string): Message[] {
  const out: Message[] = [];
  for (const b of readBlocks(file)) {
    if (b.dir === 'CLOSE') continue;
    const text = b.body.toString('latin1');
    if (b.dir === 'C->S') { out.push({ dir: 'C->S', fields: parseFields(text), raw: text }); continue; }
    for (const part of text.split('\r\n\r\n')) if (part.trim()) out.push({ dir: 'S->C', fields: parseFields(part), raw: `${part}\r\n\r\n` });
  }
  return out;
}

export const get = (m: { fields: Array<[string, string]> }, k: string): string | undefined => m.fields.find(([f]) => f === k)?.[1];

/** Field names of the first event of each type. */
export function fieldNamesByEvent(msgs: Array<{ fields: Array<[string, string]> }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of msgs) {
    const ev = get(m, 'Event');
    if (ev && !out.has(ev)) out.set(ev, m.fields.map(([k]) => k));
  }
  return out;
}

/**
 * A channel name with its counters replaced by the order of first appearance, so that two runs
 * can be compared: Local/8001@operators-00000002;1 -> Local/8001@operators-#2;1 (per run).
 */
export function normaliser(): (name: string) => string {
  const seen = new Map<string, number>();
  return (name) => name.replace(/-([0-9a-f]{8})(;[12])?$/, (_m, n: string, half: string | undefined) => {
    if (!seen.has(n)) seen.set(n, seen.size);
    return `-#${seen.get(n)}${half ?? ''}`;
  });
}
