import { Feature, ServiceContext } from '../app/context';
import { KnowledgeStore } from './store';
import { KnowledgeSearch } from './search/sync';
import { knowledgeSnapshotFile } from './search/snapshot';
import { KnowledgeService } from './service';
import { KnowledgeQuestions } from './questions';
import { FLAGS_TOPIC, Flag, KnowledgeFlags } from './flags';
import { IMPORTS_TOPIC, ImportJobs } from './io/import-jobs';
import { WorkingCalendar, ticketsWorkingCalendar } from './calendar';
import { seedIfEmpty } from './seed/load';
import { registerEntryRoutes } from './routes/entries';
import { registerSearchRoutes } from './routes/search';
import { registerQuestionRoutes } from './routes/questions';
import { registerIoRoutes } from './routes/io';
import { SYSTEM_ACTOR } from './types';
import { hasAnyRole } from '../auth/roles';

export interface KnowledgeFeatureOptions {
  /** Working-day calendar for 知识提问 deadlines; default: the tickets' SLA clock (shared under services 'tickets.clock' if present). */
  calendar?: WorkingCalendar;
  /** Load the starter entries into an empty knowledge base (default true). */
  seed?: boolean;
  /** How often an instance compares its index with the database to catch missed change messages. */
  resyncMs?: number;
  /** How often the leader moves entries past their removal time to `expired` (search hides them regardless). */
  expiryIntervalMs?: number;
  /** The search index's snapshot file (default from KNOWLEDGE_INDEX_DIR / DATA_DIR); null: none, rebuilt at every start. */
  snapshotFile?: string | null;
}

/** What other features may use, under `ctx.services.get('knowledge')`. */
export interface KnowledgeServices {
  service: KnowledgeService;
  search: KnowledgeSearch;
  questions: KnowledgeQuestions;
  flags: KnowledgeFlags;
  imports: ImportJobs;
}

function isCalendar(x: unknown): x is WorkingCalendar {
  return !!x && typeof (x as WorkingCalendar).addWorkingDays === 'function';
}

/** The 一问一答 knowledge base (第二十四条): entries, review, 知识提问, flags, search, import/export. */
export function createKnowledgeFeature(opts: KnowledgeFeatureOptions = {}): Feature {
  let ctx: ServiceContext;
  let k: KnowledgeServices;
  let expiryTimer: NodeJS.Timeout | null = null;
  return {
    name: 'knowledge',
    register(c) {
      ctx = c;
      const log = c.log.child({ component: 'knowledge' });
      const store = new KnowledgeStore(c.knex);
      const snapshot = opts.snapshotFile !== undefined ? opts.snapshotFile : knowledgeSnapshotFile(c.config);
      const search = new KnowledgeSearch(store, c.live, log, undefined, opts.resyncMs ?? 30_000, snapshot);
      const service = new KnowledgeService(c.knex, store, c.audit, search, log);
      // The tickets' clock (working-day calendar with its database overrides, reloaded when they change)
      // is asked at each use, so a holiday update applies to 知识提问 deadlines too.
      const tickets = c.services.get('tickets') as { clock?: () => WorkingCalendar } | undefined;
      const shared = c.services.get('tickets.clock');
      const calendar: WorkingCalendar =
        opts.calendar ??
        (tickets?.clock ? { addWorkingDays: (from: Date, n: number) => tickets.clock!().addWorkingDays(from, n) } : isCalendar(shared) ? shared : ticketsWorkingCalendar(c.config.officeHours));
      const questions = new KnowledgeQuestions(c.knex, calendar, c.audit);
      const flags = new KnowledgeFlags(c.knex, store, c.audit, c.ws);
      const imports = new ImportJobs(c.knex, service, c.live, c.ws, log);
      k = { service, search, questions, flags, imports };
      c.services.set('knowledge', k);

      c.ws.registerTopic(FLAGS_TOPIC, {
        roles: ['unit_handler', 'supervisor', 'admin'],
        // A unit hears about flags on its own entries; reviewers hear about all.
        filter: (user, event) => hasAnyRole(user, ['supervisor', 'admin']) || (event as { flag?: Flag }).flag?.unitCode === user.unitCode,
      });
      c.ws.registerTopic(IMPORTS_TOPIC, {
        roles: ['unit_handler', 'supervisor', 'admin'],
        filter: (user, event) => hasAnyRole(user, ['supervisor', 'admin']) || (event as { userId?: number }).userId === user.id,
      });
      c.readiness.register('knowledge-index', async () => ({
        ok: search.isLoaded,
        state: search.isLoaded ? 'loaded' : 'loading',
        details: { entries: search.current.index.size, loadedFrom: search.loadedFrom?.from ?? null, loadMs: search.loadedFrom?.ms ?? null },
      }));

      registerSearchRoutes(c.api, search);
      registerEntryRoutes(c.api, service);
      registerQuestionRoutes(c.api, questions, flags);
      registerIoRoutes(c.api, service, imports);
    },
    async start() {
      if (opts.seed !== false) {
        const ids = await seedIfEmpty(ctx.knex, k.service);
        if (ids.length) ctx.log.info({ entries: ids.length }, 'knowledge base seeded with the starter entries');
      }
      await k.search.start();
      const every = opts.expiryIntervalMs ?? 30_000;
      expiryTimer = setInterval(() => {
        if (!ctx.leader.isLeader) return;
        k.service.expireDue(SYSTEM_ACTOR('expiry')).catch((err) => ctx.log.warn({ err: (err as Error).message }, 'knowledge expiry failed'));
      }, every);
      expiryTimer.unref();
    },
    async stop() {
      if (expiryTimer) clearInterval(expiryTimer);
      await k.imports.drain();
      await k.search.stop();
    },
  };
}
