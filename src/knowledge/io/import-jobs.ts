import crypto from 'node:crypto';
import { Knex } from 'knex';
import { LiveStore } from '../../live/store';
import { WsGateway } from '../../live/ws-gateway';
import { Logger } from '../../logging/logger';
import { notFound } from '../../http/errors';
import { KnowledgeService } from '../service';
import { assertReviewer, isReviewer } from '../permissions';
import { Actor, EntryContent } from '../types';
import { RowError, mapHeaders, validateRow } from './columns';
import { SheetError, SheetFormat, readSheet } from './sheets';

export type ImportMode = 'all_or_nothing' | 'valid_rows';
export type ImportThen = 'draft' | 'submit' | 'publish';
export type JobState = 'queued' | 'validating' | 'importing' | 'done' | 'rejected' | 'failed';
export const IMPORTS_TOPIC = 'knowledge.imports';

export interface ImportJob {
  id: string;
  format: SheetFormat;
  mode: ImportMode;
  state: JobState;
  totalRows: number;
  processedRows: number;
  importedRows: number;
  errors: RowError[];
  message: string | null;
  createdBy: number | null;
  createdAt: Date;
  finishedAt: Date | null;
}

type Row = Record<string, any>;
const toJob = (r: Row): ImportJob => ({
  id: r.id,
  format: r.format,
  mode: r.mode,
  state: r.state,
  totalRows: Number(r.total_rows),
  processedRows: Number(r.processed_rows),
  importedRows: Number(r.imported_rows),
  errors: typeof r.errors === 'string' ? JSON.parse(r.errors) : r.errors,
  message: r.message,
  createdBy: r.created_by === null ? null : Number(r.created_by),
  createdAt: new Date(r.created_at),
  finishedAt: r.finished_at ? new Date(r.finished_at) : null,
});

/**
 * Imports run as jobs: the upload returns a job id at once; progress (rows checked, rows written)
 * lives in the live store so any instance can answer a poll, and is pushed on `knowledge.imports`.
 * Default all-or-nothing: one bad row and nothing is written; `valid_rows` writes the good rows.
 * All writes of a job are one transaction, so a failure half-way writes nothing either.
 */
export class ImportJobs {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly knex: Knex,
    private readonly service: KnowledgeService,
    private readonly live: LiveStore,
    private readonly ws: WsGateway | null,
    private readonly log: Logger,
  ) {}

  async start(data: Buffer, opts: { format: SheetFormat; mode: ImportMode; then: ImportThen }, actor: Actor): Promise<ImportJob> {
    if (opts.then === 'publish') assertReviewer(actor);
    const id = crypto.randomUUID();
    const [row] = await this.knex('kb_import_jobs')
      .insert({ id, format: opts.format, mode: opts.mode, state: 'queued', created_by: actor.userId, created_by_name: actor.displayName ?? actor.username })
      .returning('*');
    const p = this.run(id, data, opts, actor)
      .catch((err) => this.log.error({ err: (err as Error).message, jobId: id }, 'knowledge import failed'))
      .finally(() => this.running.delete(p));
    this.running.add(p);
    return toJob(row);
  }

  async get(id: string, actor: Actor): Promise<ImportJob> {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw notFound('knowledge.import_not_found', '导入任务不存在', { id });
    const liveState = await this.live.hgetall(`kb:import:${id}`);
    const r = await this.knex('kb_import_jobs').where({ id }).first();
    if (!r) throw notFound('knowledge.import_not_found', '导入任务不存在', { id });
    if (!isReviewer(actor) && Number(r.created_by) !== actor.userId) throw notFound('knowledge.import_not_found', '导入任务不存在', { id });
    const job = toJob(r);
    // While the job runs, the live store is ahead of the row (the row is written at the end).
    if (liveState.state && !['done', 'rejected', 'failed'].includes(job.state)) {
      job.state = liveState.state as JobState;
      job.totalRows = Number(liveState.total ?? 0);
      job.processedRows = Number(liveState.processed ?? 0);
    }
    return job;
  }

  /** Wait for running jobs (service stop, tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.running]);
  }

  private async progress(id: string, state: JobState, total: number, processed: number, actor: Actor) {
    await this.live.hset(`kb:import:${id}`, { state, total: String(total), processed: String(processed) });
    await this.ws?.publish(IMPORTS_TOPIC, { jobId: id, userId: actor.userId, state, totalRows: total, processedRows: processed }).catch(() => undefined);
  }

  private async finish(id: string, f: { state: JobState; total: number; processed: number; imported: number; errors: RowError[]; message: string | null }, actor: Actor) {
    await this.knex('kb_import_jobs').where({ id }).update({
      state: f.state,
      total_rows: f.total,
      processed_rows: f.processed,
      imported_rows: f.imported,
      errors: JSON.stringify(f.errors.slice(0, 5000)),
      message: f.message,
      finished_at: new Date(),
    });
    await this.progress(id, f.state, f.total, f.processed, actor);
    await this.live.del(`kb:import:${id}`);
    await this.ws?.publish(IMPORTS_TOPIC, { jobId: id, userId: actor.userId, state: f.state, importedRows: f.imported, errorCount: f.errors.length }).catch(() => undefined);
  }

  private async run(id: string, data: Buffer, opts: { format: SheetFormat; mode: ImportMode; then: ImportThen }, actor: Actor): Promise<void> {
    let total = 0;
    try {
      await this.progress(id, 'validating', 0, 0, actor);
      const sheet = await readSheet(data, opts.format);
      total = sheet.rows.length;
      const { keys, errors: headerErrors } = mapHeaders(sheet.header);
      if (headerErrors.length) return await this.finish(id, { state: 'rejected', total, processed: 0, imported: 0, errors: headerErrors, message: '表头不符合模板，未导入任何条目' }, actor);
      const onlyUnit = actor.roles.every((r) => r === 'unit_handler') ? actor.unitCode ?? '' : null;
      const errors: RowError[] = [];
      const valid: { rowNo: number; content: EntryContent }[] = [];
      const seen = new Map<string, number>();
      for (const { rowNo, cells } of sheet.rows) {
        const byKey: Record<string, unknown> = {};
        keys.forEach((k, i) => k && (byKey[k] = cells[i]));
        const r = validateRow(byKey, rowNo, { onlyUnit });
        if (r.content) {
          const dupKey = `${r.content.unitCode}\u0000${r.content.question}`;
          const first = seen.get(dupKey);
          if (first) r.errors.push({ row: rowNo, column: '问题', problem: `与第${first}行问题重复` });
          else seen.set(dupKey, rowNo);
        }
        errors.push(...r.errors);
        if (r.content && !r.errors.length) valid.push({ rowNo, content: r.content });
      }
      if (!total) return await this.finish(id, { state: 'rejected', total, processed: 0, imported: 0, errors: [], message: '文件中没有数据行' }, actor);
      if (errors.length && opts.mode === 'all_or_nothing') {
        return await this.finish(id, { state: 'rejected', total, processed: total, imported: 0, errors, message: `发现${errors.length}处错误，未导入任何条目；请改正后重新上传，或选择只导入无误的行` }, actor);
      }
      await this.progress(id, 'importing', total, 0, actor);
      const published: number[] = [];
      let last = Date.now();
      await this.knex.transaction(async (trx) => {
        for (let i = 0; i < valid.length; i++) {
          const e = await this.service.importOne(trx, valid[i].content, actor, opts.then);
          if (e.state === 'published') published.push(e.id);
          if (Date.now() - last > 200 || i === valid.length - 1) {
            last = Date.now();
            await this.progress(id, 'importing', total, i + 1, actor);
          }
        }
      });
      if (published.length) await this.service.search.changed(published);
      const skipped = total - valid.length;
      await this.finish(id, { state: 'done', total, processed: total, imported: valid.length, errors, message: skipped ? `已导入${valid.length}条，跳过有错误的${skipped}行` : `已导入${valid.length}条` }, actor);
    } catch (err) {
      const message = err instanceof SheetError ? err.message : `导入失败：${(err as Error).message}`;
      if (!(err instanceof SheetError)) this.log.error({ err, jobId: id }, 'knowledge import failed');
      await this.finish(id, { state: err instanceof SheetError ? 'rejected' : 'failed', total, processed: 0, imported: 0, errors: [], message }, actor);
    }
  }
}

