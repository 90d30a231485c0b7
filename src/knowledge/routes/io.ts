import { Request } from 'express';
import { Api } from '../../http/api';
import { z } from '../../http/zod';
import { AppError, badRequest } from '../../http/errors';
import { ImportJobs, ImportJob } from '../io/import-jobs';
import { entryToRow } from '../io/columns';
import { writeCsv, writeXlsx } from '../io/sheets';
import { templateInstructions, templateRows } from '../io/templates';
import { KnowledgeService } from '../service';
import { ENTRY_STATES } from '../types';
import { actorOf } from '../schemas';

const MAX_UPLOAD = 20 * 1024 * 1024;
const MIME = { xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', csv: 'text/csv; charset=utf-8' } as const;

const JobSchema = z
  .object({
    id: z.string(),
    format: z.enum(['xlsx', 'csv']),
    mode: z.enum(['all_or_nothing', 'valid_rows']),
    state: z.enum(['queued', 'validating', 'importing', 'done', 'rejected', 'failed']),
    totalRows: z.number().int(),
    processedRows: z.number().int(),
    importedRows: z.number().int(),
    errors: z.array(z.object({ row: z.number().int(), column: z.string(), problem: z.string() })).openapi({ description: 'row-level error report' }),
    message: z.string().nullable(),
    createdBy: z.number().int().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi('KnowledgeImportJob');

const jobJson = (j: ImportJob) => ({ ...j, createdAt: j.createdAt.toISOString(), finishedAt: j.finishedAt?.toISOString() ?? null });

/** The request body as bytes, for uploads sent as the raw file (not JSON). */
async function rawBody(req: Request): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_UPLOAD) throw new AppError(413, 'request.too_large', '上传文件超过20MB');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Import/export in xlsx and CSV with templates (general and 乡镇知识库), imports as pollable jobs. */
export function registerIoRoutes(api: Api, service: KnowledgeService, jobs: ImportJobs) {
  api.route({
    method: 'get',
    path: '/api/knowledge/import-template',
    summary: 'Download the 一问一答 template: kind=general or township (乡镇知识库), format=xlsx or csv.',
    tags: ['knowledge'],
    roles: ['unit_handler', 'supervisor', 'admin'],
    query: z.object({ kind: z.enum(['general', 'township']).default('general'), format: z.enum(['xlsx', 'csv']).default('xlsx') }),
    handler: async ({ query, res }) => {
      const rows = templateRows(query.kind);
      const name = query.kind === 'township' ? '乡镇知识库一问一答模板' : '知识库一问一答模板';
      const body = query.format === 'xlsx' ? await writeXlsx({ sheetName: '一问一答', rows, instructions: templateInstructions(query.kind) }) : writeCsv(rows);
      res.setHeader('content-type', MIME[query.format]);
      res.setHeader('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(`${name}.${query.format}`)}`);
      res.end(body);
      return undefined;
    },
  });

  api.route({
    method: 'post',
    path: '/api/knowledge/imports',
    summary:
      'Start an import. Send the file raw (Content-Type text/csv or the xlsx type, options in the query) or as JSON {contentBase64, format, mode, then}. Returns a job to poll at GET /api/knowledge/imports/{id}; progress also on WebSocket topic knowledge.imports. mode=all_or_nothing (default) imports nothing if any row has errors; valid_rows imports the good rows.',
    tags: ['knowledge'],
    roles: ['unit_handler', 'supervisor', 'admin'],
    query: z.object({
      format: z.enum(['xlsx', 'csv']).optional(),
      mode: z.enum(['all_or_nothing', 'valid_rows']).optional(),
      then: z.enum(['draft', 'submit', 'publish']).optional().openapi({ description: 'state of imported entries; publish is for reviewers only' }),
    }),
    body: z
      .object({
        contentBase64: z.string().max(2_000_000).optional(),
        format: z.enum(['xlsx', 'csv']).optional(),
        mode: z.enum(['all_or_nothing', 'valid_rows']).optional(),
        then: z.enum(['draft', 'submit', 'publish']).optional(),
      })
      .default({}),
    status: 202,
    response: JobSchema,
    // The file itself may be the body (CSV or xlsx), or JSON carrying it in base64.
    accepts: ['application/json', 'text/csv', MIME.xlsx, 'application/octet-stream'],
    errors: { 413: 'File too large' },
    handler: async ({ user, query, body, req, requestId }) => {
      const isJson = (req.headers['content-type'] ?? '').includes('json');
      const data = isJson ? Buffer.from(body.contentBase64 ?? '', 'base64') : await rawBody(req);
      const ct = String(req.headers['content-type'] ?? '');
      const format = body.format ?? query.format ?? (ct.includes('spreadsheetml') ? 'xlsx' : ct.includes('csv') ? 'csv' : undefined);
      if (!format) throw badRequest('knowledge.import_format', '请指明文件格式 format=xlsx 或 csv');
      if (!data.length) throw badRequest('knowledge.import_empty', '上传的文件为空');
      const job = await jobs.start(data, { format, mode: body.mode ?? query.mode ?? 'all_or_nothing', then: body.then ?? query.then ?? 'draft' }, actorOf(user, requestId));
      return jobJson(job);
    },
  });

  api.route({
    method: 'get',
    path: '/api/knowledge/imports/:id',
    summary: 'Progress and row-level error report (row, column, problem) of an import job.',
    tags: ['knowledge'],
    roles: ['unit_handler', 'supervisor', 'admin'],
    params: z.object({ id: z.string().max(64) }),
    response: JobSchema,
    errors: { 404: 'No such job' },
    handler: async ({ user, params, requestId }) => jobJson(await jobs.get(params.id, actorOf(user, requestId))),
  });

  api.route({
    method: 'get',
    path: '/api/knowledge/export',
    summary: 'Export entries as xlsx or CSV in the template’s columns (plus id, state, version). Unit handlers export their own unit’s.',
    tags: ['knowledge'],
    roles: ['unit_handler', 'supervisor', 'admin', 'auditor'],
    query: z.object({
      format: z.enum(['xlsx', 'csv']).default('xlsx'),
      state: z.string().max(200).optional().transform((s) => (s ? s.split(',') : ['published'])).pipe(z.array(z.enum(ENTRY_STATES))),
      unitCode: z.string().max(64).optional(),
    }),
    handler: async ({ user, query, res, requestId }) => {
      const actor = actorOf(user, requestId);
      const rows: string[][] = [];
      let beforeId: number | undefined;
      for (;;) {
        const page = await service.list({ state: query.state, unitCode: query.unitCode, limit: 500, beforeId }, actor);
        rows.push(...page.map(entryToRow));
        if (page.length < 500) break;
        beforeId = page[page.length - 1].id;
      }
      const body = query.format === 'xlsx' ? await writeXlsx({ sheetName: '知识库导出', rows, export: true }) : writeCsv(rows, true);
      res.setHeader('content-type', MIME[query.format]);
      res.setHeader('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(`知识库导出.${query.format}`)}`);
      res.end(body);
      return undefined;
    },
  });
}
