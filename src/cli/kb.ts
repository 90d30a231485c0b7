import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, migrateLatest } from '../db/knex';
import { silentLogger } from '../logging/logger';
import { AuditStore } from '../audit/store';
import { MemoryLiveStore } from '../live/memory-store';
import { KnowledgeStore } from '../knowledge/store';
import { KnowledgeSearch } from '../knowledge/search/sync';
import { knowledgeSnapshotFile } from '../knowledge/search/snapshot';
import { KnowledgeService } from '../knowledge/service';
import { ImportJobs } from '../knowledge/io/import-jobs';
import { writeCsv, writeXlsx } from '../knowledge/io/sheets';
import { templateInstructions, templateRows } from '../knowledge/io/templates';
import { seedIfEmpty } from '../knowledge/seed/load';
import { REGION_LEVELS, RegionLevel, SYSTEM_ACTOR, basisText } from '../knowledge/types';
import { CliError, configFromEnv, parseFlags, runCli } from './common';

const USAGE = `usage: npm run -s kb -- <command>
  search "<question>" [--json] [--limit N] [--region city|county|township] [--unit CODE] [--category 一级/二级]
  seed                          load the starter entries if the knowledge base is empty
  template --out FILE [--kind general|township]      write the 一问一答 template (.xlsx or .csv by extension)
  import FILE [--mode all_or_nothing|valid_rows] [--then draft|submit|publish]
(DATABASE_URL selects the server; unset = embedded PGlite under DATA_DIR)`;

runCli(async (argv) => {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === 'help') throw new CliError(USAGE);
  if (cmd === 'template') return template(rest);
  if (!['search', 'seed', 'import'].includes(cmd)) throw new CliError(`unknown command "${cmd}"\n${USAGE}`);
  const { flags, positional } = parseFlags(rest, { json: 'boolean', limit: 'string', region: 'string', unit: 'string', category: 'string', mode: 'string', then: 'string' });
  // Validate everything before opening the database.
  let limit = 5;
  if (cmd === 'search') {
    if (positional.length !== 1 || !positional[0].trim()) throw new CliError(`search needs exactly one question in quotes\n${USAGE}`);
    if (flags.limit !== undefined) {
      limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new CliError('--limit expects a whole number from 1 to 50');
    }
    if (flags.region !== undefined && !REGION_LEVELS.includes(flags.region as RegionLevel)) throw new CliError('--region expects city, county or township');
  }
  if (cmd === 'import') {
    if (positional.length !== 1) throw new CliError(`import needs one file (.xlsx or .csv)\n${USAGE}`);
    if (!/\.(xlsx|csv)$/i.test(positional[0])) throw new CliError('import expects a .xlsx or .csv file');
    if (!fs.existsSync(positional[0])) throw new CliError(`no such file: ${positional[0]}`);
    if (flags.mode !== undefined && !['all_or_nothing', 'valid_rows'].includes(String(flags.mode))) throw new CliError('--mode expects all_or_nothing or valid_rows');
    if (flags.then !== undefined && !['draft', 'submit', 'publish'].includes(String(flags.then))) throw new CliError('--then expects draft, submit or publish');
  }

  const config = configFromEnv();
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgliteSharedBuffers: config.pgliteSharedBuffers });
  try {
    await migrateLatest(db.knex);
    const log = silentLogger();
    const store = new KnowledgeStore(db.knex);
    const search = new KnowledgeSearch(store, null, log, undefined, 0, knowledgeSnapshotFile(config));
    const service = new KnowledgeService(db.knex, store, new AuditStore(db.knex), search, log);
    const seeded = await seedIfEmpty(db.knex, service);
    if (cmd === 'seed') {
      process.stdout.write(seeded.length ? `已载入初始知识 ${seeded.length} 条（${db.where}）\n` : `知识库非空，未载入（现有 ${await store.count()} 条）\n`);
      return 0;
    }
    if (cmd === 'import') {
      const live = new MemoryLiveStore();
      const jobs = new ImportJobs(db.knex, service, live, null, log);
      const file = positional[0];
      const job = await jobs.start(fs.readFileSync(file), { format: file.toLowerCase().endsWith('.csv') ? 'csv' : 'xlsx', mode: (flags.mode as 'valid_rows') ?? 'all_or_nothing', then: (flags.then as 'draft') ?? 'draft' }, SYSTEM_ACTOR('cli'));
      await jobs.drain();
      const done = await jobs.get(job.id, SYSTEM_ACTOR('cli'));
      for (const e of done.errors) process.stderr.write(`第${e.row}行 ${e.column}：${e.problem}\n`);
      process.stdout.write(`${done.message ?? done.state}\n`);
      await live.close();
      return done.state === 'done' ? 0 : 1;
    }
    await search.open();
    await search.stop(); // a rebuilt index is saved for the next run before the database closes
    const hits = search.current.search(positional[0], { limit, regionLevel: flags.region as RegionLevel | undefined, unitCode: flags.unit as string | undefined, category: flags.category ? String(flags.category).split('/') : undefined });
    if (flags.json) {
      process.stdout.write(JSON.stringify(hits.map((h) => ({ id: h.id, question: h.question, answer: h.answer, basis: h.basis })), null, 2) + '\n');
    } else if (!hits.length) {
      process.stdout.write('没有找到相关知识条目\n');
    } else {
      hits.forEach((h, i) => process.stdout.write(`${i + 1}. [#${h.id}] ${h.question}\n   ${h.answer}\n   依据：${basisText(h.basis)}\n`));
    }
    return 0;
  } finally {
    await db.destroy();
  }
});

async function template(rest: string[]): Promise<number> {
  const { flags } = parseFlags(rest, { out: 'string', kind: 'string' });
  const out = flags.out as string | undefined;
  if (!out || !/\.(xlsx|csv)$/i.test(out)) throw new CliError('template needs --out FILE ending in .xlsx or .csv');
  const kind = (flags.kind ?? 'general') as string;
  if (kind !== 'general' && kind !== 'township') throw new CliError('--kind expects general or township');
  const rows = templateRows(kind);
  const body = out.toLowerCase().endsWith('.csv') ? writeCsv(rows) : await writeXlsx({ sheetName: '一问一答', rows, instructions: templateInstructions(kind) });
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, body);
  process.stdout.write(`已写出模板 ${out}\n`);
  return 0;
}
