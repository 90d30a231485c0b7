/**
 * Asterisk .conf reader: `[section](templates)`, `key = value` / `key => value`, `;` comments,
 * `(!)` marks a template, repeated section names are kept apart (pjsip.conf uses [1001] three times).
 */
export interface ConfSection {
  name: string;
  isTemplate: boolean;
  templates: string[];
  /** Own entries followed by nothing: inherited ones are resolved in `resolved`. */
  entries: Array<[string, string]>;
  /** Entries of the templates (in order) then the section's own. */
  resolved: Array<[string, string]>;
}

export function stripComment(line: string): string {
  // `\;` escapes a semicolon; anything after an unescaped `;` is a comment.
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && line[i + 1] === ';') { out += ';'; i++; continue; }
    if (c === ';') break;
    out += c;
  }
  return out;
}

export function parseConf(text: string): ConfSection[] {
  const sections: ConfSection[] = [];
  let cur: ConfSection | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = stripComment(raw).trim();
    if (!line) continue;
    const head = /^\[([^\]]+)\]\s*(?:\(([^)]*)\))?$/.exec(line);
    if (head) {
      const flags = (head[2] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      cur = {
        name: head[1].trim(),
        isTemplate: flags.includes('!'),
        templates: flags.filter((f) => f !== '!' && f !== '+'),
        entries: [],
        resolved: [],
      };
      sections.push(cur);
      continue;
    }
    if (!cur) continue;
    const m = /^([^=]+?)\s*=>?\s*(.*)$/.exec(line);
    if (m) cur.entries.push([m[1].trim(), m[2].trim()]);
  }
  const templates = new Map<string, ConfSection>();
  for (const s of sections) if (s.isTemplate) templates.set(s.name, s);
  const resolve = (s: ConfSection, depth: number): Array<[string, string]> => {
    const out: Array<[string, string]> = [];
    if (depth < 10) for (const t of s.templates) { const ts = templates.get(t); if (ts) out.push(...resolve(ts, depth + 1)); }
    out.push(...s.entries);
    return out;
  };
  for (const s of sections) s.resolved = resolve(s, 0);
  return sections;
}

export function confGet(entries: Array<[string, string]>, key: string): string | undefined {
  let v: string | undefined;
  for (const [k, val] of entries) if (k === key) v = val;
  return v;
}

export function confAll(entries: Array<[string, string]>, key: string): string[] {
  return entries.filter(([k]) => k === key).map(([, v]) => v);
}

export function confBool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  return /^(yes|true|y|t|1|on)$/i.test(v);
}
