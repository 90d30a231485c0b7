import { openDatabase, migrateLatest, migrationConfig } from '../db/knex';
import { CliError, configFromEnv, runCli } from './common';

const USAGE = 'usage: npm run migrate [-- latest|rollback|status]   (DATABASE_URL selects the server; unset = embedded PGlite under DATA_DIR)';

runCli(async (argv) => {
  const cmd = argv[0] ?? 'latest';
  if (!['latest', 'rollback', 'status'].includes(cmd)) throw new CliError(USAGE);
  const config = configFromEnv();
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgliteSharedBuffers: config.pgliteSharedBuffers });
  try {
    if (cmd === 'latest') {
      const ran = await migrateLatest(db.knex);
      process.stdout.write(ran.length ? `applied ${ran.length} migration(s) on ${db.where}:\n${ran.map((n) => '  ' + n).join('\n')}\n` : `already up to date (${db.where})\n`);
    } else if (cmd === 'rollback') {
      const [, names] = await db.knex.migrate.rollback(migrationConfig());
      process.stdout.write(`rolled back ${names.length} migration(s)\n`);
    } else {
      const [done, pending] = await db.knex.migrate.list(migrationConfig());
      process.stdout.write(`applied: ${done.length}, pending: ${pending.length}\n`);
    }
  } finally {
    await db.destroy();
  }
});
