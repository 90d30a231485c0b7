import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * The node flags and environment assignments of package.json's start script
 * (`A=b exec node <flags> src/main.ts`), so a bench that spawns the service itself starts it the way
 * `npm start` does. Throws if the script has another shape.
 */
export function startCommand(): { flags: string[]; env: Record<string, string> } {
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const m = /^((?:\w+=\S*\s+)*)(?:exec\s+)?node\s+(.*?)\s*src\/main\.ts/.exec(start);
  if (!m) throw new Error(`cannot read the node flags of the start script: ${start}`);
  const env = Object.fromEntries(m[1].split(/\s+/).filter(Boolean).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
  return { flags: m[2].split(/\s+/).filter(Boolean), env };
}
