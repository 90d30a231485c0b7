import fs from 'node:fs';

/** One `key = value` or `key => value` line of an Asterisk .conf file, with where it stood. */
export interface ConfLine {
  key: string;
  value: string;
  arrow: boolean;
  line: number;
}

export interface ConfSection {
  name: string;
  /** `(!)` marks a template; `(a,b)` lists the templates it inherits. */
  template: boolean;
  inherits: string[];
  lines: ConfLine[];
  line: number;
}

export interface ConfProblem {
  file: string;
  line: number;
  message: string;
}

/** Strip an unescaped `;` comment (Asterisk allows `\;` for a literal semicolon). */
function stripComment(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\' && raw[i + 1] === ';') {
      out += ';';
      i++;
      continue;
    }
    if (raw[i] === ';') break;
    out += raw[i];
  }
  return out.trim();
}

/** Parse Asterisk's .conf format: sections, templates, `=`/`=>` lines; problems are collected, not thrown. */
export function parseConf(text: string, file: string): { sections: ConfSection[]; problems: ConfProblem[] } {
  const sections: ConfSection[] = [];
  const problems: ConfProblem[] = [];
  let current: ConfSection | null = null;
  text.split(/\r?\n/).forEach((raw, idx) => {
    const lineNo = idx + 1;
    const line = stripComment(raw);
    if (!line) return;
    if (line.startsWith('#include') || line.startsWith('#exec')) return;
    const header = /^\[([^\]]+)\](?:\(([^)]*)\))?$/.exec(line);
    if (header) {
      const opts = (header[2] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      current = { name: header[1], template: opts.includes('!'), inherits: opts.filter((o) => o !== '!'), lines: [], line: lineNo };
      sections.push(current);
      return;
    }
    if (line.startsWith('[')) {
      problems.push({ file, line: lineNo, message: `malformed section header: ${line}` });
      return;
    }
    const m = /^([^=]+?)\s*(=>|=)\s*(.*)$/.exec(line);
    if (!m) {
      problems.push({ file, line: lineNo, message: `expected "key = value" or "key => value": ${line}` });
      return;
    }
    if (!current) {
      problems.push({ file, line: lineNo, message: 'setting outside any [section]' });
      return;
    }
    current.lines.push({ key: m[1].trim(), value: m[3].trim(), arrow: m[2] === '=>', line: lineNo });
  });
  for (const s of sections) {
    for (const t of s.inherits) {
      if (!sections.some((o) => o.name === t && o.template)) problems.push({ file, line: s.line, message: `[${s.name}] inherits unknown template ${t}` });
    }
  }
  return { sections, problems };
}

export function readConf(path: string, file: string) {
  return parseConf(fs.readFileSync(path, 'utf8'), file);
}

/** The effective settings of a section: inherited template lines first, then its own. */
export function effectiveLines(section: ConfSection, all: ConfSection[]): ConfLine[] {
  const inherited = section.inherits.flatMap((t) => {
    const tpl = all.find((s) => s.name === t && s.template);
    return tpl ? effectiveLines(tpl, all) : [];
  });
  return [...inherited, ...section.lines];
}
