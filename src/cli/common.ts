import { loadConfig, ConfigError, AppConfig } from '../config/load';

/** A CLI usage or input problem: printed as one line, exit code 2. */
export class CliError extends Error {}

/** Run a CLI main: known problems print one clear line and exit non-zero, never a stack trace. */
export function runCli(main: (argv: string[]) => Promise<number | void>): void {
  main(process.argv.slice(2))
    .then((code) => process.exit(code ?? 0))
    .catch((err) => {
      if (err instanceof CliError || err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`error: ${(err as Error).message}\n`);
      process.exit(1);
    });
}

export function configFromEnv(): AppConfig {
  return loadConfig(process.env);
}

/** Minimal `--name value` / `--flag` parser that refuses unknown options. */
export function parseFlags(argv: string[], known: Record<string, 'string' | 'boolean'>): { flags: Record<string, string | boolean>; positional: string[] } {
  const flags: Record<string, string | boolean> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split('=', 2);
    const kind = known[name];
    if (!kind) throw new CliError(`unknown option --${name} (expected one of: ${Object.keys(known).map((k) => '--' + k).join(', ')})`);
    if (kind === 'boolean') flags[name] = true;
    else {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new CliError(`option --${name} needs a value`);
      flags[name] = v;
    }
  }
  return { flags, positional };
}
