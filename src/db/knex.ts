import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { PGlite } from '@electric-sql/pglite';
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
  /** shared_buffers of the embedded database (default PGLITE_SHARED_BUFFERS_DEFAULT); ignored with a URL. */
  pgliteSharedBuffers?: string;
}

/** The embedded database's shared_buffers unless PGLITE_SHARED_BUFFERS says otherwise (its default in config/schema.ts). */
export const PGLITE_SHARED_BUFFERS_DEFAULT = '16MB';

/**
 * knex-pglite names a delete's command "DEL" (the query method upper-cased), where knex's pg client
 * looks for "DELETE" to answer the affected row count: `.del()` gave the raw result, so a
 * "was a row deleted?" check was always false on the embedded database (a calendar override could
 * not be removed). The method is named as knex's pg client expects.
 */
class PgLiteClient extends (ClientPgLite as unknown as new (config: unknown) => { processResponse(obj: { method?: string }, runner: unknown): unknown }) {
  override processResponse(obj: { method?: string }, runner: unknown) {
    return super.processResponse(obj.method === 'del' ? { ...obj, method: 'delete' } : obj, runner);
  }
}

/**
 * PostgreSQL memory settings of the embedded database, as `postgres -c` options (they override the
 * data directory's postgresql.conf, so they apply to existing directories and the template alike).
 *
 * Why (issue #13, ≤ 250 MB RSS after start): PGlite runs PostgreSQL inside one WebAssembly memory,
 * which never shrinks, and PostgreSQL's shared memory is allocated and zeroed at start, so every
 * megabyte of it is resident from the first second. initdb's shared_buffers = 128MB alone was
 * 120 MB of the 470 MB the service took after `npm start` (bench/memory.ts). PGlite reads and writes
 * the data directory through the real file system, so a page PostgreSQL does not hold comes from the
 * operating system's page cache in microseconds: a big buffer pool only caches the same pages twice
 * (bench/pglite-buffers.ts: no measurable difference on a 200 MB table between 16MB and
 * 128MB). A centre with a large database may still raise it (PGLITE_SHARED_BUFFERS).
 * - max_connections: PGlite is one process with one backend; PostgreSQL reserves per-connection
 *   state (PGPROC, lock table slots) for 100 at start. 10 keeps headroom and saves ~2 MB.
 * wal_buffers (-1 = 1/32 of shared_buffers), work_mem and maintenance_work_mem stay PostgreSQL's:
 * they are not allocated at start.
 */
export function pgliteStartParams(sharedBuffers = PGLITE_SHARED_BUFFERS_DEFAULT): string[] {
  const settings = { shared_buffers: sharedBuffers, max_connections: '10' };
  return [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
}

export interface DbHandle {
  knex: Knex;
  kind: 'postgres' | 'pglite';
  /** Where the data lives, without credentials (for logs and /readyz). */
  where: string;
  destroy(): Promise<void>;
}

/** Redact the password of a URL for logs. */
/**
 * Whether `err` is knex's "Timeout acquiring a connection" (no pooled connection within
 * acquireConnectionTimeout): the statement never reached the database, so it is safe to try again.
 */
export function isPoolTimeout(err: unknown): boolean {
  return (err as Error)?.name === 'KnexTimeoutError' && /acquiring a connection/i.test((err as Error).message);
}

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
    client: PgLiteClient as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    // Our own PGlite instance (knex-pglite takes one as `connection.pglite`), for its start parameters.
    connection: { pglite: new PGlite({ dataDir: dir, startParams: pgliteStartParams(opts.pgliteSharedBuffers) }) },
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
