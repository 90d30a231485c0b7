import fs from 'node:fs';
import path from 'node:path';
import { ConfProblem, ConfSection, effectiveLines, readConf } from './conf';

/** Dialplan applications of Asterisk 22 that our files may use. An unknown name is a mistake, not a guess. */
export const KNOWN_APPS = new Set([
  'Answer', 'Set', 'MSet', 'NoOp', 'Goto', 'GotoIf', 'GotoIfTime', 'Gosub', 'GosubIf', 'Return', 'Wait', 'WaitExten',
  'Playback', 'Background', 'Read', 'MixMonitor', 'StopMixMonitor', 'Queue', 'AddQueueMember', 'RemoveQueueMember',
  'PauseQueueMember', 'UnpauseQueueMember', 'QueueLog', 'Stasis', 'Dial', 'Hangup', 'ConfBridge', 'ChanSpy', 'ExtenSpy',
  'Echo', 'MusicOnHold', 'Log', 'Verbose', 'ExecIf', 'Record', 'Ringing', 'Progress', 'Congestion', 'Busy', 'UserEvent',
  'SayDigits', 'SayNumber', 'SendDTMF', 'Playtones', 'StopPlaytones', 'Transfer', 'BlindTransfer', 'Bridge', 'Originate',
]);

/** Dialplan functions we accept inside `${NAME(...)}`. */
export const KNOWN_FUNCTIONS = new Set([
  'CALLERID', 'CONNECTEDLINE', 'CHANNEL', 'DB', 'DB_EXISTS', 'DB_DELETE', 'GLOBAL', 'SHARED', 'IF', 'IFTIME', 'STRFTIME', 'LEN',
  'CUT', 'ISNULL', 'EXISTS', 'REGEX', 'FILTER', 'TIMEOUT', 'DIALPLAN_EXISTS', 'QUEUE_MEMBER', 'QUEUE_WAITING_COUNT',
  'QUEUE_VARIABLES', 'PJSIP_HEADER', 'CDR', 'MATH', 'RAND', 'TOUPPER', 'TOLOWER', 'CALLERID', 'VOLUME',
]);

export interface DialplanLine {
  context: string;
  exten: string;
  priority: string;
  label?: string;
  app: string;
  args: string;
  line: number;
}

/** Balanced (), {} and [] outside of quotes; returns the first problem or null. */
function balance(s: string): string | null {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
  for (const ch of s) {
    if (ch === '(' || ch === '{' || ch === '[') stack.push(ch);
    else if (ch in pairs) {
      if (stack.pop() !== pairs[ch]) return `unbalanced "${ch}"`;
    }
  }
  return stack.length ? `unclosed "${stack[stack.length - 1]}"` : null;
}

export function parseExtensions(sections: ConfSection[], file: string, problems: ConfProblem[]): DialplanLine[] {
  const out: DialplanLine[] = [];
  for (const s of sections) {
    if (s.name === 'general' || s.name === 'globals') continue;
    let exten = '';
    for (const l of s.lines) {
      if (l.key === 'include' || l.key === 'switch' || l.key === 'ignorepat') continue;
      let rest: string;
      if (l.key === 'exten') {
        const comma = l.value.indexOf(',');
        exten = l.value.slice(0, comma).trim();
        rest = l.value.slice(comma + 1);
        if (comma < 0 || !/^(_?[\w*#+\-[\]!.]+|s|h|i|t|e)$/.test(exten)) {
          problems.push({ file, line: l.line, message: `bad extension "${exten}"` });
          continue;
        }
      } else if (l.key === 'same') {
        if (!exten) {
          problems.push({ file, line: l.line, message: '"same =>" before any "exten =>"' });
          continue;
        }
        rest = l.value;
      } else {
        problems.push({ file, line: l.line, message: `unexpected "${l.key}" in dialplan context [${s.name}]` });
        continue;
      }
      const m = /^\s*(\d+|n(?:\+\d+)?|hint)(?:\(([\w-]+)\))?\s*,\s*(.*)$/.exec(rest);
      if (!m) {
        problems.push({ file, line: l.line, message: `expected "priority,Application(args)": ${rest}` });
        continue;
      }
      if (m[1] === 'hint') continue;
      const appCall = m[3];
      const am = /^([A-Za-z][A-Za-z0-9_]*)(?:\((.*)\))?$/.exec(appCall);
      if (!am) {
        problems.push({ file, line: l.line, message: `expected Application(args): ${appCall}` });
        continue;
      }
      const unbalanced = balance(appCall);
      if (unbalanced) problems.push({ file, line: l.line, message: `${unbalanced} in ${appCall}` });
      if (!KNOWN_APPS.has(am[1])) problems.push({ file, line: l.line, message: `unknown application ${am[1]}` });
      for (const fm of appCall.matchAll(/\$\{([A-Z_]+)\(/g)) {
        if (!KNOWN_FUNCTIONS.has(fm[1])) problems.push({ file, line: l.line, message: `unknown function ${fm[1]}()` });
      }
      out.push({ context: s.name, exten, priority: m[1], label: m[2], app: am[1], args: am[2] ?? '', line: l.line });
    }
  }
  return out;
}

/** Split application arguments on top-level commas. */
export function splitArgs(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of args) {
    if (ch === '(' || ch === '{' || ch === '[') depth++;
    if (ch === ')' || ch === '}' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((a) => a.trim());
}

function checkTarget(target: string, from: DialplanLine, lines: DialplanLine[], file: string, problems: ConfProblem[]) {
  if (!target || target.includes('${')) return; // computed at run time
  const parts = splitArgs(target.replace(/\(.*\)$/, ''));
  const [context, exten, prio] = parts.length === 3 ? parts : parts.length === 2 ? [from.context, parts[0], parts[1]] : [from.context, from.exten, parts[0]];
  const inContext = lines.filter((l) => l.context === context);
  if (!inContext.length) return problems.push({ file, line: from.line, message: `goto to unknown context ${context}` });
  const candidates = inContext.filter((l) => l.exten === exten || (l.exten.startsWith('_') && !exten.includes('$')));
  if (!candidates.length) return problems.push({ file, line: from.line, message: `goto to unknown extension ${exten}@${context}` });
  if (!/^\d+$/.test(prio) && !candidates.some((l) => l.label === prio)) problems.push({ file, line: from.line, message: `goto to unknown label ${prio} in ${exten}@${context}` });
}

/**
 * The syntax check of dialplan/: every file parses, every application and function is one
 * Asterisk has, every Goto/Gosub lands, every queue, profile and hotline prompt referenced exists,
 * and every PJSIP endpoint's context is defined.
 */
export function checkDialplanDir(dir: string): ConfProblem[] {
  const problems: ConfProblem[] = [];
  const read = (name: string) => {
    const p = path.join(dir, name);
    if (!fs.existsSync(p)) {
      problems.push({ file: name, line: 0, message: 'missing file' });
      return [];
    }
    const r = readConf(p, name);
    problems.push(...r.problems);
    return r.sections;
  };
  const ext = read('extensions.conf');
  const queues = read('queues.conf');
  const pjsip = read('pjsip.conf');
  const conf = read('confbridge.conf');
  for (const f of ['manager.conf', 'ari.conf', 'http.conf', 'features.conf', 'musiconhold.conf', 'modules.conf']) read(f);

  const lines = parseExtensions(ext, 'extensions.conf', problems);
  const queueNames = new Set(queues.filter((q) => !q.template && q.name !== 'general').map((q) => q.name));
  const soundExists = (name: string) => fs.existsSync(path.join(dir, 'sounds', 'zh', `${name}.wav`));
  for (const l of lines) {
    const args = splitArgs(l.args);
    if (l.app === 'Goto') checkTarget(l.args, l, lines, 'extensions.conf', problems);
    if (l.app === 'Gosub') checkTarget(l.args, l, lines, 'extensions.conf', problems);
    if (l.app === 'GotoIf') {
      const m = /^(.*?)\?([^:]*)(?::(.*))?$/.exec(l.args);
      if (!m) problems.push({ file: 'extensions.conf', line: l.line, message: 'GotoIf needs condition?target[:target]' });
      else for (const t of [m[2], m[3]]) if (t) checkTarget(t, l, lines, 'extensions.conf', problems);
    }
    const sound = l.app === 'Read' ? args[1] : l.app === 'Playback' || l.app === 'Background' ? args[0] : undefined;
    if (sound && sound.startsWith('hotline/') && !soundExists(sound)) problems.push({ file: 'extensions.conf', line: l.line, message: `prompt ${sound} has no sounds/zh/${sound}.wav` });
    if (l.app === 'ConfBridge') {
      for (const profile of args.slice(1, 3)) if (profile && !conf.some((c) => c.name === profile)) problems.push({ file: 'extensions.conf', line: l.line, message: `unknown confbridge profile ${profile}` });
    }
  }
  for (const m of fs.readFileSync(path.join(dir, 'extensions.conf'), 'utf8').matchAll(/\bq-[a-z0-9-]+/g)) {
    if (!queueNames.has(m[0]) && m[0] !== 'q-') problems.push({ file: 'extensions.conf', line: 0, message: `queue ${m[0]} is not in queues.conf` });
  }
  for (const q of queues) {
    for (const l of effectiveLines(q, queues)) {
      if (l.key === 'periodic-announce' && l.value.startsWith('hotline/') && !soundExists(l.value)) problems.push({ file: 'queues.conf', line: l.line, message: `prompt ${l.value} missing` });
    }
  }
  const contexts = new Set(lines.map((l) => l.context));
  for (const s of pjsip) {
    const eff = effectiveLines(s, pjsip);
    const isEndpoint = eff.some((l) => l.key === 'type' && l.value === 'endpoint');
    const ctx = eff.filter((l) => l.key === 'context').pop();
    if (isEndpoint && !s.template && ctx && !contexts.has(ctx.value)) problems.push({ file: 'pjsip.conf', line: ctx.line, message: `endpoint ${s.name} uses unknown context ${ctx.value}` });
  }
  return problems;
}
