/**
 * Variable substitution (`${VAR}`, `${VAR:off:len}`, `${FUNC(args)}`) and `$[ ... ]` expressions,
 * the parts of Asterisk's pbx_substitute_variables and ast_expr the dialplans use.
 */
export interface VarScope {
  getVar(name: string): string | undefined;
  callFunction(name: string, args: string): string;
}

function findClose(s: string, start: number, open: string, close: string): number {
  let depth = 1;
  for (let i = start; i < s.length; i++) {
    if ((s[i] === '$' && s[i + 1] === open)) { depth++; i++; continue; }
    if (open === '[' && s[i] === '[') { depth++; continue; }
    if (open === '{' && s[i] === '{') { depth++; continue; }
    if (s[i] === close) { depth--; if (depth === 0) return i; }
  }
  return -1;
}

export function substitute(s: string, scope: VarScope, depth = 0): string {
  if (depth > 20 || !s.includes('$')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '$' && (s[i + 1] === '{' || s[i + 1] === '[')) {
      const open = s[i + 1];
      const close = open === '{' ? '}' : ']';
      const end = findClose(s, i + 2, open, close);
      if (end < 0) { out += s.slice(i); break; }
      const inner = substitute(s.slice(i + 2, end), scope, depth + 1);
      out += open === '{' ? resolveVar(inner, scope) : evaluate(inner);
      i = end;
      continue;
    }
    out += s[i];
  }
  return out;
}

function resolveVar(expr: string, scope: VarScope): string {
  const fm = /^([A-Za-z0-9_]+)\((.*)\)(?::(-?\d+)(?::(-?\d+))?)?$/s.exec(expr);
  let value: string;
  let off: string | undefined;
  let len: string | undefined;
  if (fm) {
    value = scope.callFunction(fm[1].toUpperCase(), fm[2]);
    off = fm[3]; len = fm[4];
  } else {
    const vm = /^([^:]*)(?::(-?\d+)(?::(-?\d+))?)?$/.exec(expr);
    const name = vm ? vm[1] : expr;
    value = scope.getVar(name) ?? '';
    off = vm?.[2]; len = vm?.[3];
  }
  if (off !== undefined) {
    let o = Number(off);
    if (o < 0) o = Math.max(0, value.length + o);
    value = len === undefined ? value.slice(o) : Number(len) < 0 ? value.slice(o, value.length + Number(len)) : value.slice(o, o + Number(len));
  }
  return value;
}

// ---- $[ ] expressions ----
type Tok = { t: 'v'; v: string } | { t: 'op'; v: string };

function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  const ops = ['!=', '<=', '>=', '=~', '::', '|', '&', '=', '<', '>', '+', '-', '*', '/', '%', '!', '(', ')', '?', ':'];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"') {
      const j = s.indexOf('"', i + 1);
      const end = j < 0 ? s.length : j;
      toks.push({ t: 'v', v: s.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const op = ops.find((o) => s.startsWith(o, i));
    // a '-' directly before a digit at the start or after an operator is a sign
    if (op && !(op === '-' && /\d/.test(s[i + 1] ?? '') && (toks.length === 0 || toks[toks.length - 1].t === 'op'))) {
      toks.push({ t: 'op', v: op });
      i += op.length;
      continue;
    }
    let j = i + 1;
    while (j < s.length && !/\s/.test(s[j]) && !ops.some((o) => s.startsWith(o, j) && o !== '-') && s[j] !== '"') j++;
    toks.push({ t: 'v', v: s.slice(i, j) });
    i = j;
  }
  return toks;
}

const isNum = (v: string): boolean => /^-?\d+(\.\d+)?$/.test(v.trim());
const truthy = (v: string): boolean => v !== '' && v !== '0';

/** Evaluate an Asterisk `$[...]` expression; returns its string value (booleans are 1/0). */
export function evaluate(expr: string): string {
  const toks = tokenize(expr);
  let p = 0;
  const peek = (): Tok | undefined => toks[p];
  const isOp = (v: string): boolean => peek()?.t === 'op' && peek()!.v === v;
  const primary = (): string => {
    const t = toks[p++];
    if (!t) return '';
    if (t.t === 'op' && t.v === '(') { const v = ternary(); if (isOp(')')) p++; return v; }
    if (t.t === 'op' && t.v === '!') return truthy(primary()) ? '0' : '1';
    if (t.t === 'op' && t.v === '-') return String(-Number(primary()));
    if (t.t === 'op') return t.v;
    return t.v;
  };
  const mul = (): string => {
    let l = primary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = toks[p++].v; const r = primary();
      const a = Number(l); const b = Number(r);
      l = String(op === '*' ? a * b : op === '/' ? (b === 0 ? 0 : Math.trunc(a / b)) : b === 0 ? 0 : a % b);
    }
    return l;
  };
  const add = (): string => {
    let l = mul();
    while (isOp('+') || isOp('-')) { const op = toks[p++].v; const r = mul(); l = String(op === '+' ? Number(l) + Number(r) : Number(l) - Number(r)); }
    return l;
  };
  const cmp = (): string => {
    let l = add();
    while (['=', '!=', '<', '>', '<=', '>=', '=~'].some(isOp)) {
      const op = toks[p++].v; const r = add();
      if (op === '=~') { try { l = new RegExp(r).test(l) ? '1' : '0'; } catch { l = '0'; } continue; }
      const both = isNum(l) && isNum(r);
      const a: number | string = both ? Number(l) : l; const b: number | string = both ? Number(r) : r;
      const res = op === '=' ? a === b : op === '!=' ? a !== b : op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
      l = res ? '1' : '0';
    }
    return l;
  };
  const and = (): string => { let l = cmp(); while (isOp('&')) { p++; const r = cmp(); l = truthy(l) && truthy(r) ? l : '0'; } return l; };
  const or = (): string => { let l = and(); while (isOp('|')) { p++; const r = and(); l = truthy(l) ? l : truthy(r) ? r : '0'; } return l; };
  const ternary = (): string => {
    const c = or();
    if (isOp('?')) { p++; const a = or(); if (isOp('::')) p++; const b = or(); return truthy(c) ? a : b; }
    return c;
  };
  try {
    return ternary();
  } catch {
    return '';
  }
}

/** Split application arguments on commas that are not inside quotes or parentheses. */
export function splitArgs(s: string, sep = ','): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) { cur += s[i + 1]; i++; continue; }
    if (c === '"') quote = !quote;
    if (!quote && (c === '(' || c === '[')) depth++;
    if (!quote && (c === ')' || c === ']')) depth--;
    if (c === sep && depth <= 0 && !quote) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** `cond?iftrue:iffalse` as used by GotoIf/ExecIf/IF(). */
export function splitCondition(s: string): { cond: string; a: string; b: string } {
  const q = s.indexOf('?');
  if (q < 0) return { cond: s, a: '', b: '' };
  const rest = s.slice(q + 1);
  let depth = 0; let colon = -1;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '(') depth++;
    else if (rest[i] === ')') depth--;
    else if (rest[i] === ':' && depth === 0) { colon = i; break; }
  }
  return colon < 0 ? { cond: s.slice(0, q), a: rest, b: '' } : { cond: s.slice(0, q), a: rest.slice(0, colon), b: rest.slice(colon + 1) };
}

export { truthy };
