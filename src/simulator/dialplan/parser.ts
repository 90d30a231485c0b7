/**
 * extensions.conf parser: `[context]`, `exten => X,1(label),App(args)`, `same => n,...`,
 * `include => ctx`, and `[globals]`. Patterns start with `_` (X, Z, N, [..], `.`, `!`).
 */
import { stripComment } from '../conf/ini';

export interface Step { priority: number; label?: string; app: string; args: string }
export interface Extension { pattern: string; steps: Step[] }
export interface Context { name: string; extensions: Map<string, Extension>; includes: string[] }
export interface Dialplan { contexts: Map<string, Context>; globals: Map<string, string> }

export class DialplanError extends Error {}

/** Split `App(args)` into app and args (args keep their inner commas and parentheses). */
export function splitApp(s: string): { app: string; args: string } {
  const i = s.indexOf('(');
  if (i < 0) return { app: s.trim(), args: '' };
  const end = s.lastIndexOf(')');
  return { app: s.slice(0, i).trim(), args: s.slice(i + 1, end > i ? end : s.length) };
}

export function parseDialplan(text: string, file = 'extensions.conf'): Dialplan {
  const contexts = new Map<string, Context>();
  const globals = new Map<string, string>();
  let ctx: Context | undefined;
  let inGlobals = false;
  let lastExt: Extension | undefined;
  let lastPrio = 0;
  text.split(/\r?\n/).forEach((raw, idx) => {
    const line = stripComment(raw).trim();
    if (!line) return;
    const head = /^\[([^\]]+)\]/.exec(line);
    if (head) {
      const name = head[1].trim();
      inGlobals = name === 'globals';
      lastExt = undefined;
      if (name === 'general' || inGlobals) { ctx = undefined; return; }
      ctx = contexts.get(name) ?? { name, extensions: new Map(), includes: [] };
      contexts.set(name, ctx);
      return;
    }
    if (inGlobals) {
      const m = /^([^=]+?)\s*=>?\s*(.*)$/.exec(line);
      if (m) globals.set(m[1].trim(), m[2].trim());
      return;
    }
    if (!ctx) return;
    const m = /^(exten|same|include)\s*=>?\s*(.*)$/i.exec(line);
    if (!m) return;
    const kind = m[1].toLowerCase();
    const rest = m[2];
    if (kind === 'include') { ctx.includes.push(rest.trim()); return; }
    let pattern: string;
    let body: string;
    if (kind === 'exten') {
      const c = rest.indexOf(',');
      if (c < 0) throw new DialplanError(`${file}:${idx + 1}: bad exten line`);
      pattern = rest.slice(0, c).trim();
      body = rest.slice(c + 1);
    } else {
      if (!lastExt) throw new DialplanError(`${file}:${idx + 1}: 'same' without a previous exten`);
      pattern = lastExt.pattern;
      body = rest;
    }
    const c2 = body.indexOf(',');
    if (c2 < 0) throw new DialplanError(`${file}:${idx + 1}: missing application`);
    const prioSpec = body.slice(0, c2).trim();
    const appSpec = body.slice(c2 + 1).trim();
    const pm = /^(n|\d+|hint)(?:\(([^)]*)\))?$/i.exec(prioSpec);
    if (!pm) throw new DialplanError(`${file}:${idx + 1}: bad priority '${prioSpec}'`);
    if (pm[1].toLowerCase() === 'hint') return;
    let ext = ctx.extensions.get(pattern);
    if (!ext) { ext = { pattern, steps: [] }; ctx.extensions.set(pattern, ext); }
    if (ext !== lastExt) lastPrio = ext.steps.length ? ext.steps[ext.steps.length - 1].priority : 0;
    const priority = pm[1].toLowerCase() === 'n' ? lastPrio + 1 : Number(pm[1]);
    const { app, args } = splitApp(appSpec);
    ext.steps.push({ priority, label: pm[2], app, args });
    ext.steps.sort((a, b) => a.priority - b.priority);
    lastExt = ext;
    lastPrio = priority;
  });
  return { contexts, globals };
}

/** Does extension `exten` match `pattern` (literal or `_` pattern)? */
export function matchPattern(pattern: string, exten: string): boolean {
  if (!pattern.startsWith('_')) return pattern === exten;
  const p = pattern.slice(1);
  let re = '^';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === 'X' || c === 'x') re += '[0-9]';
    else if (c === 'Z' || c === 'z') re += '[1-9]';
    else if (c === 'N' || c === 'n') re += '[2-9]';
    else if (c === '.') re += '.+';
    else if (c === '!') re += '.*';
    else if (c === '[') { const j = p.indexOf(']', i); re += '[' + p.slice(i + 1, j).replace(/\\/g, '\\\\') + ']'; i = j; }
    else re += c.replace(/[-/\\^$*+?.()|{}]/g, '\\$&');
  }
  return new RegExp(re + '$').test(exten);
}

/** Find the extension for `exten` in `context` (exact match first, then patterns, then includes). */
export function findExtension(dp: Dialplan, context: string, exten: string, depth = 0): Extension | undefined {
  const ctx = dp.contexts.get(context);
  if (!ctx || depth > 8) return undefined;
  const exact = ctx.extensions.get(exten);
  if (exact) return exact;
  const candidates = [...ctx.extensions.values()].filter((e) => e.pattern.startsWith('_') && matchPattern(e.pattern, exten));
  // Asterisk prefers the most specific pattern; longer fixed patterns beat `.`
  candidates.sort((a, b) => specificity(b.pattern) - specificity(a.pattern));
  if (candidates[0]) return candidates[0];
  for (const inc of ctx.includes) {
    const e = findExtension(dp, inc, exten, depth + 1);
    if (e) return e;
  }
  return undefined;
}

function specificity(p: string): number {
  return p.replace(/[.!]/g, '').length * 2 - (p.includes('.') || p.includes('!') ? 1 : 0);
}
