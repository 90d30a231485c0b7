import fs from 'node:fs';
import path from 'node:path';
import { configTableMarkdown } from '../config/load';
import { CliError, runCli } from './common';

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

/** Regenerate the README's configuration table from the schema (`npm run docs:config`). */
runCli(async () => {
  const readme = path.resolve(__dirname, '..', '..', 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new CliError(`README.md has no ${START} … ${END} block`);
  const next = text.slice(0, a + START.length) + '\n' + configTableMarkdown() + '\n' + text.slice(b);
  fs.writeFileSync(readme, next);
  process.stdout.write('README.md configuration table updated\n');
});
