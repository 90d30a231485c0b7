import readline from 'node:readline';
import { openDatabase, migrateLatest } from '../db/knex';
import { AuditStore } from '../audit/store';
import { UserStore } from '../auth/store';
import { AuthService } from '../auth/service';
import { ROLES, Role } from '../auth/roles';
import { MemoryLiveStore } from '../live/memory-store';
import { silentLogger } from '../logging/logger';
import { CliError, configFromEnv, parseFlags, runCli } from './common';

const USAGE = `usage: npm run admin -- create-user --username NAME --display-name "姓名" --roles admin[,supervisor…] [--unit CODE] [--centre CODE] [--extension PJSIP/1001]
  The password is read from the environment variable HOTLINE_NEW_PASSWORD or, if unset, from standard input.
  roles: ${ROLES.join(', ')}`;

async function readPassword(): Promise<string> {
  if (process.env.HOTLINE_NEW_PASSWORD) return process.env.HOTLINE_NEW_PASSWORD;
  if (process.stdin.isTTY) process.stderr.write('password: ');
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    rl.close();
    return line.trim();
  }
  throw new CliError('no password given (set HOTLINE_NEW_PASSWORD or pipe it on standard input)');
}

runCli(async (argv) => {
  const [cmd, ...rest] = argv;
  if (cmd !== 'create-user') throw new CliError(USAGE);
  const { flags } = parseFlags(rest, { username: 'string', 'display-name': 'string', roles: 'string', unit: 'string', centre: 'string', extension: 'string' });
  if (!flags.username || !flags.roles) throw new CliError(USAGE);
  const roles = String(flags.roles).split(',').map((r) => r.trim());
  const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (bad.length) throw new CliError(`unknown role(s) ${bad.join(', ')}; expected: ${ROLES.join(', ')}`);
  const password = await readPassword();
  const config = configFromEnv();
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgliteSharedBuffers: config.pgliteSharedBuffers });
  try {
    await migrateLatest(db.knex);
    const auth = new AuthService(new UserStore(db.knex), new AuditStore(db.knex), new MemoryLiveStore(), silentLogger(), config.tokenTtlHours);
    const user = await auth
      .createUser(
        {
          username: String(flags.username),
          displayName: String(flags['display-name'] ?? flags.username),
          password,
          roles: roles as Role[],
          unitCode: flags.unit ? String(flags.unit) : null,
          centre: flags.centre ? String(flags.centre) : null,
          extension: flags.extension ? String(flags.extension) : null,
        },
        { username: 'system:cli' },
      )
      .catch((err: Error & { id?: string }) => {
        throw new CliError(`cannot create user: ${err.message}`);
      });
    process.stdout.write(`created user ${user.username} (id ${user.id}) with roles ${user.roles.join(', ')}\n`);
  } finally {
    await db.destroy();
  }
});
