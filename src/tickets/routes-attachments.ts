import { Api } from '../http/api';
import { z } from '../http/zod';
import { idParam } from '../http/params';
import { AppError, conflict, notFound } from '../http/errors';
import { TERMINAL } from './model';
import { HOTLINE_STAFF, Role } from '../auth/roles';
import { AuditStore } from '../audit/store';
import { AttachmentSchema } from './schemas';
import { TicketRouteDeps, visibleTicket } from './routes';
import { actorOf } from './service';
import { ATTACHMENT_TYPES, AttachmentFiles, cleanFileName, mediaType } from './attachments';

const TAGS = ['tickets'];
const WRITERS: Role[] = [...HOTLINE_STAFF, 'unit_handler'];
const READERS: Role[] = [...HOTLINE_STAFF, 'unit_handler', 'auditor'];

export interface AttachmentRouteDeps extends TicketRouteDeps {
  files: AttachmentFiles;
  audit: AuditStore;
}

/**
 * Upload and download of ticket attachments (附件). Uploads are the raw file (Content-Type one of
 * ATTACHMENT_TYPES, file name in the query), so no base64 inflation; every download is audited, as an
 * attachment may carry the caller's personal information (第二十七条).
 */
export function registerAttachmentRoutes(api: Api, d: AttachmentRouteDeps) {
  api.route({
    method: 'post', path: '/api/tickets/:no/attachments',
    summary: 'Attach a file (the raw bytes as the body, Content-Type its media type, ?fileName= its name); stored hashed, size-capped (ATTACHMENT_MAX_MB)',
    tags: TAGS, roles: WRITERS,
    params: z.object({ no: z.string().min(1).max(32) }),
    query: z.object({ fileName: z.string().min(1).max(255) }),
    body: z.unknown().openapi({ type: 'string', format: 'binary' } as never),
    accepts: Object.keys(ATTACHMENT_TYPES),
    status: 201, response: AttachmentSchema,
    errors: { 404: 'No such ticket (or not your unit\'s)', 413: 'Larger than the cap', 415: 'Type not accepted, or the bytes are not of that type' },
    handler: async ({ user, params, query, req, requestId }) => {
      const t = await visibleTicket(d, params.no, user!);
      if (TERMINAL.includes(t.status)) throw conflict('attachment.ticket_closed', '工单已结束，不能再上传附件', { status: t.status });
      const fileName = cleanFileName(query.fileName);
      if (!fileName) throw new AppError(400, 'attachment.bad_name', '附件文件名无效', { fileName: query.fileName });
      const contentType = mediaType(req.header('content-type'));
      const stored = await d.files.save(params.no, contentType, req);
      let id: number;
      try {
        id = await d.links.addAttachment(params.no, { fileName, contentType, ...stored }, actorOf(user!, requestId));
      } catch (err) {
        // No file without its row: the ticket may have gone meanwhile, or the database refused.
        await d.files.remove(stored.storageKey);
        throw err;
      }
      const a = (await d.tickets.store.attachment(params.no, id))!;
      return { id, fileName, contentType, sizeBytes: stored.sizeBytes, sha256: stored.sha256, uploadedBy: a.uploadedBy as string, uploadedAt: new Date(a.uploadedAt as Date).toISOString() };
    },
  });

  api.route({
    method: 'get', path: '/api/tickets/:no/attachments/:id/file',
    summary: 'The attachment\'s bytes, as uploaded; every access audited (ticket.attachment_read)',
    tags: TAGS, roles: READERS,
    params: z.object({ no: z.string().min(1).max(32), id: idParam }),
    errors: { 404: 'No such ticket or attachment' },
    handler: async ({ user, params, res, requestId }) => {
      await visibleTicket(d, params.no, user!);
      const a = await d.tickets.store.attachment(params.no, params.id);
      const file = a && d.files.pathOf(a.storageKey);
      if (!a || !file) throw notFound('attachment.not_found', '附件不存在', { no: params.no, id: params.id });
      await d.audit.record({ actorUserId: user!.id, actor: user!.username, action: 'ticket.attachment_read', targetType: 'ticket', targetId: params.no, requestId, details: { attachmentId: a.id, fileName: a.fileName } });
      res.setHeader('content-type', a.contentType);
      res.setHeader('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(a.fileName)}`);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('cache-control', 'private, no-store');
      if (a.sha256) res.setHeader('x-attachment-sha256', a.sha256 as string);
      await new Promise<void>((resolve, reject) => res.sendFile(file, { lastModified: false, maxAge: 0, dotfiles: 'allow' }, (err) => (err && !res.headersSent ? reject(err) : resolve())));
      return undefined;
    },
  });
}
