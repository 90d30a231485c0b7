import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { seedFromTemplate } from './template';
import { MigrationSource } from './migration-source';
import { scopedKnex } from './scoped';
import { lockDataDir } from './data-dir-lock';

export type Db = Knex;

export interface DbOptions {
  /** postgres:// URL; undefined selects the embedded PostgreSQL (PGlite). */
  databaseUrl?: string;
  /** Directory of the embedded database (PGlite); ignored with a URL. `memory` = in-memory. */
  dataDir?: string;
  /** Initialise a new embedded directory from scratch even when a template exists (the template's own build). */
  noTemplate?: boolean;
  /** The template to seed a new embedded directory from (default: the built-in one). */
  template?: string;
  poolMax?: number;
}

export interface DbHandle {
  knex: Knex;
  kind: 'postgres' | 'pglite';
  /** Where the data lives, without credentials (for logs and /readyz). */
  where: string;
  destroy(): Promise<void>;
}

/** Redact the password of a URL for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * One knex instance for the system of record. With a URL it is a real PostgreSQL pool; without,
 * an embedded PGlite (the same PostgreSQL engine compiled to WASM) under DATA_DIR/pglite, so a
 * first run needs nothing installed and uses the very same migrations.
 */
export function openDatabase(opts: DbOptions): DbHandle {
  if (opts.databaseUrl) {
    const knex = knexFactory({
      client: 'pg',
      connection: { connectionString: opts.databaseUrl, application_name: 'hotline12345' },
      pool: { min: 0, max: opts.poolMax ?? 10 },
      acquireConnectionTimeout: 10_000,
    });
    return { knex: scopedKnex(knex), kind: 'postgres', where: redactUrl(opts.databaseUrl), destroy: () => knex.destroy() };
  }
  const dir = opts.dataDir === 'memory' ? undefined : path.resolve(opts.dataDir ?? './data', 'pglite');
  if (dir) fs.mkdirSync(dir, { recursive: true });
  // One process per embedded directory (throws DataDirBusyError naming the holder's pid).
  const lock = dir ? lockDataDir(dir) : null;
  // A new directory starts as a copy of the pre-initialised template (no initdb, migrations done).
  if (dir && !opts.noTemplate) seedFromTemplate(dir, opts.template);
  const knex = knexFactory({
    client: ClientPgLite as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    connection: dir ? { filename: dir } : {},
  } as Knex.Config);
  return {
    knex: scopedKnex(knex),
    kind: 'pglite',
    where: dir ?? 'memory',
    destroy: async () => {
      try {
        await knex.destroy();
      } finally {
        lock?.release();
      }
    },
  };
}

export const migrationsDirectory = path.resolve(__dirname, '..', '..', 'migrations');

export function migrationConfig(): Knex.MigratorConfig {
  return { migrationSource: new MigrationSource(migrationsDirectory), tableName: 'knex_migrations' };
}

/** Bring the schema up to date. Returns the names of the migrations that ran. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, names] = await knex.migrate.latest(migrationConfig());
  return names as string[];
}

export async function pingDatabase(knex: Knex): Promise<void> {
  await knex.raw('select 1');
}
