import { Api } from '../http/api';
import { z } from '../http/zod';
import { idParam, queryInt } from '../http/params';
import { AuditStore } from './store';

const AuditRowSchema = z
  .object({
    id: z.number(),
    at: z.string(),
    actorUserId: z.number().nullable().optional(),
    actor: z.string(),
    action: z.string(),
    targetType: z.string().nullable().optional(),
    targetId: z.string().nullable().optional(),
    requestId: z.string().nullable().optional(),
    details: z.record(z.unknown()).optional(),
  })
  .openapi('AuditEntry');

export function registerAuditRoutes(api: Api, audit: AuditStore) {
  api.route({
    method: 'get',
    path: '/api/audit',
    summary: 'The audit trail (newest first): logins, user changes, recording access, supervisor monitoring, ticket actions',
    tags: ['audit'],
    roles: ['auditor', 'admin'],
    query: z.object({
      action: z.string().max(64).optional(),
      targetType: z.string().max(64).optional(),
      targetId: z.string().max(128).optional(),
      actor: z.string().max(128).optional(),
      limit: queryInt(1, 1000).optional(),
      beforeId: idParam.optional(),
    }),
    response: z.array(AuditRowSchema),
    handler: async ({ query }) => (await audit.list(query)).map((r) => ({ ...r, at: r.at.toISOString() })),
  });
}
