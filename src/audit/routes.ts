import { Api } from '../http/api';
import { z } from '../http/zod';
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
      action: z.string().optional(),
      targetType: z.string().optional(),
      targetId: z.string().optional(),
      actor: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
      beforeId: z.coerce.number().int().positive().optional(),
    }),
    response: z.array(AuditRowSchema),
    handler: async ({ query }) => (await audit.list(query)).map((r) => ({ ...r, at: r.at.toISOString() })),
  });
}
