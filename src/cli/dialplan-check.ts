import path from 'node:path';
import { checkDialplanDir } from '../dialplan/check';
import { runCli } from './common';

/** `npm run dialplan:check [-- DIR]`: the syntax check of the Asterisk configuration in dialplan/. */
runCli(async (argv) => {
  const dir = path.resolve(argv[0] ?? path.join(__dirname, '..', '..', 'dialplan'));
  const problems = checkDialplanDir(dir);
  for (const p of problems) process.stderr.write(`${p.file}:${p.line}: ${p.message}\n`);
  process.stdout.write(problems.length ? `${problems.length} problem(s) in ${dir}\n` : `dialplan OK (${dir})\n`);
  return problems.length ? 1 : 0;
});
