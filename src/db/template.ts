import fs from 'node:fs';
import path from 'node:path';

/**
 * A pre-initialised embedded database (issue #13: a fresh `npm start` spent most of its time in
 * PGlite's initdb and the migrations). `npm ci` builds it once (npm's prepare script runs
 * `src/cli/db-template.ts`): an empty, fully migrated PGlite data directory under dist/. A new
 * DATA_DIR starts as a copy of it, which takes a fraction of a second; PGlite then resumes it as it
 * resumes any data directory, and the migrations added since (if any) run as usual. Without a
 * template, or one made by another PGlite version, the database is initialised as before.
 */
export const TEMPLATE_DIR = path.resolve(__dirname, '..', '..', 'dist', 'pglite-template');

interface TemplateMeta {
  pglite: string;
  migrations: string[];
  builtAt: string;
}

export function pgliteVersion(): string {
  // The package exports no package.json: walk up from its entry point to its own.
  let dir = path.dirname(require.resolve('@electric-sql/pglite'));
  while (!fs.existsSync(path.join(dir, 'package.json')) || !dir.endsWith(path.join('@electric-sql', 'pglite'))) {
    const up = path.dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

const metaFile = (template: string) => `${template}.json`;
const MIGRATIONS = path.resolve(__dirname, '..', '..', 'migrations');

/** The migrations this code has, in order, named as knex records them. */
function codeMigrations(): string[] {
  return fs
    .readdirSync(MIGRATIONS)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => f.replace(/\.(ts|js)$/, ''))
    .sort();
}

/** The template's description, or null when there is no usable one. */
export function readTemplate(template = TEMPLATE_DIR): TemplateMeta | null {
  try {
    const meta = JSON.parse(fs.readFileSync(metaFile(template), 'utf8')) as TemplateMeta;
    return fs.existsSync(path.join(template, 'PG_VERSION')) ? meta : null;
  } catch {
    return null;
  }
}

/**
 * Copy the template into `dir` if `dir` holds no database yet. Returns whether it did. The caller
 * holds the directory's lock, so no second process can be initialising it meanwhile.
 */
export function seedFromTemplate(dir: string, template = TEMPLATE_DIR): boolean {
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return false;
  const meta = readTemplate(template);
  if (!meta || meta.pglite !== pgliteVersion()) return false;
  // Its migrations must be the code's first ones (a template from another branch is not ours).
  const code = codeMigrations();
  if (meta.migrations.length > code.length || meta.migrations.some((m, i) => m !== code[i])) return false;
  // Only into an empty directory: a half-written one is left for PGlite to report, never overwritten.
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) return false;
  const partial = `${dir}.seeding`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.cpSync(template, partial, { recursive: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  return true;
}

/** Record a freshly built template (the CLI builds the data directory itself, then calls this). */
export function writeTemplateMeta(template: string, migrations: string[]): void {
  const meta: TemplateMeta = { pglite: pgliteVersion(), migrations, builtAt: new Date().toISOString() };
  fs.writeFileSync(metaFile(template), JSON.stringify(meta, null, 2));
}
