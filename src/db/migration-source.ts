import fs from 'node:fs';
import path from 'node:path';
import { Knex } from 'knex';

/**
 * Reads migrations/ ourselves instead of letting knex guess file extensions: the same files run
 * under tsx (.ts, development and tests) and from a build (.js), in file-name order.
 */
export class MigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly dir: string) {}

  async getMigrations(): Promise<string[]> {
    const files = fs.readdirSync(this.dir).filter((f) => /^\d{14}_[a-z0-9_]+\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'));
    // A name is the file without its extension, so a .ts and its built .js are one migration.
    return [...new Set(files.map((f) => f.replace(/\.(ts|js)$/, '')))].sort();
  }

  getMigrationName(migration: string): string {
    return migration;
  }

  async getMigration(migration: string): Promise<Knex.Migration> {
    const ts = path.join(this.dir, `${migration}.ts`);
    const file = fs.existsSync(ts) ? ts : path.join(this.dir, `${migration}.js`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as Knex.Migration;
    if (typeof mod.up !== 'function' || typeof mod.down !== 'function') {
      throw new Error(`Migration ${migration} must export both up and down`);
    }
    return mod;
  }
}
