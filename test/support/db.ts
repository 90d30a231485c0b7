import crypto from 'node:crypto';
import knexFactory, { Knex } from 'knex';
import { migrateLatest } from '../../src/db/knex';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  knex: Knex;
  url: string;
  name: string;
  destroy(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A fresh database of its own for one test file, created on the real PostgreSQL server named by
 * TEST_DATABASE_URL and migrated with the project's migrations; dropped again by destroy().
 */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `hl_test_${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: TEST_DATABASE_URL, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`create database ${name}`);
  } finally {
    await admin.destroy();
  }
  const url = withDatabase(TEST_DATABASE_URL, name);
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
  if (opts.migrate !== false) await migrateLatest(knex);
  return {
    knex,
    url,
    name,
    async destroy() {
      await knex.destroy();
      const a = knexFactory({ client: 'pg', connection: TEST_DATABASE_URL, pool: { min: 0, max: 1 } });
      try {
        await a.raw(`drop database if exists ${name} with (force)`);
      } finally {
        await a.destroy();
      }
    },
  };
}
