/**
 * Comparing a simulator run with a recorded transcript: channel names are reduced to roles
 * (counter-free, numbered per base name in order of appearance) so two runs line up even though
 * Asterisk's channel counters differ; per role we compare the sequence of chosen event names.
 */
export type Ev = Array<[string, string]>;

export const fld = (e: Ev, k: string): string | undefined => e.find(([x]) => x === k)?.[1];

/**
 * `PJSIP/carrier-00000009` -> `PJSIP/carrier#0`, `Local/8001@operators-00000006;1` -> `Local/8001@operators#0;1`.
 * The two halves of a Local pair share their number; numbering is per base name.
 */
export function roleNamer(): (name: string) => string {
  const seen = new Map<string, Map<string, number>>();
  return (name) => {
    const m = /^(.*)-([0-9a-f]{8})(;[12])?$/.exec(name);
    if (!m) return name;
    const [, base, n, half = ''] = m;
    let byBase = seen.get(base);
    if (!byBase) seen.set(base, (byBase = new Map()));
    if (!byBase.has(n)) byBase.set(n, byBase.size);
    return `${base}#${byBase.get(n)}${half}`;
  };
}

const CHANNEL_KEYS = ['Channel', 'DestChannel', 'LocalOneChannel', 'TransfererChannel', 'TransfereeChannel', 'SpyerChannel',
  'OrigTransfererChannel', 'SecondTransfererChannel', 'TransferTargetChannel'];

/** Per role, the events of `key` that name it (as `Event` or `Event(Field)` when not the plain Channel). */
export function perRole(events: Ev[], key: Set<string>): Map<string, string[]> {
  const role = roleNamer();
  const out = new Map<string, string[]>();
  for (const e of events) {
    const name = fld(e, 'Event');
    if (!name) continue;
    // name every channel in order of appearance, key event or not, so numbering matches across runs
    const named: Array<[string, string]> = [];
    for (const k of CHANNEL_KEYS) { const ch = fld(e, k); if (ch) named.push([k, role(ch)]); }
    if (!key.has(name)) continue;
    for (const [k, r] of named) {
      const list = out.get(r) ?? [];
      list.push(k === 'Channel' ? name : `${name}(${k})`);
      out.set(r, list);
    }
  }
  return out;
}

/** Field names of the first event of each type. */
export function fieldNames(events: Ev[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    const ev = fld(e, 'Event');
    if (ev && !out.has(ev)) out.set(ev, e.map(([k]) => k));
  }
  return out;
}

/** Events of the given types, in order, as `Event` names (for global order checks). */
export function names(events: Ev[], types: Set<string>): string[] {
  return events.map((e) => fld(e, 'Event') ?? '').filter((n) => types.has(n));
}
