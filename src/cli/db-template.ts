import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, migrateLatest } from '../db/knex';
import { TEMPLATE_DIR, writeTemplateMeta } from '../db/template';

/**
 * Build the pre-initialised embedded database (see src/db/template.ts): run by npm's prepare script
 * after the web app, so `npm ci && npm start` starts on a migrated database without running initdb.
 * Builds in a temporary directory and moves the result into place, so an interrupted build leaves no
 * half template. Exits non-zero with a message if it cannot.
 */
/** Build a template at `target` (default dist/pglite-template); answers the migrations it holds. */
export async function buildTemplate(target = TEMPLATE_DIR): Promise<string[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-template-'));
  try {
    const db = openDatabase({ dataDir: work, noTemplate: true });
    const ran = await migrateLatest(db.knex);
    await db.destroy();
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // The description goes first and comes back last: a starting service never seeds from a half copy.
    fs.rmSync(`${target}.json`, { force: true });
    const staged = `${target}.tmp-${process.pid}`;
    fs.rmSync(staged, { recursive: true, force: true });
    fs.cpSync(path.join(work, 'pglite'), staged, { recursive: true });
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staged, target);
    writeTemplateMeta(target, ran);
    return ran;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const target = process.argv[2] ? path.resolve(process.argv[2]) : TEMPLATE_DIR;
  buildTemplate(target)
    .then((ran) => console.log(`embedded database template ready (${ran.length} migrations): ${path.relative(process.cwd(), target)}`))
    .catch((err) => {
      console.error(`cannot build the embedded database template: ${(err as Error).message}`);
      process.exit(1);
    });
}
