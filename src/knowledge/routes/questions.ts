import { Api } from '../../http/api';
import { z } from '../../http/zod';
import { idNumber, idParam, queryInt } from '../../http/params';
import { KnowledgeQuestions, KnowledgeQuestion } from '../questions';
import { FLAG_KINDS, Flag, KnowledgeFlags } from '../flags';
import { IdParams, actorOf } from '../schemas';

const QuestionSchema = z
  .object({
    id: z.number().int(),
    question: z.string(),
    context: z.string().nullable(),
    unitCode: z.string(),
    state: z.enum(['open', 'answered', 'cancelled']),
    askedBy: z.number().int().nullable(),
    askedByName: z.string(),
    askedAt: z.string(),
    dueAt: z.string().openapi({ description: '2 working days after askedAt (第二十四条(二))' }),
    answer: z.string().nullable(),
    answeredBy: z.number().int().nullable(),
    answeredByName: z.string().nullable(),
    answeredAt: z.string().nullable(),
    entryId: z.number().int().nullable(),
    overdue: z.boolean(),
  })
  .openapi('KnowledgeQuestion');

const FlagSchema = z
  .object({
    id: z.number().int(),
    entryId: z.number().int(),
    unitCode: z.string(),
    kind: z.enum(FLAG_KINDS),
    reason: z.string(),
    state: z.enum(['open', 'resolved', 'rejected']),
    raisedBy: z.number().int().nullable(),
    raisedByName: z.string(),
    raisedAt: z.string(),
    resolution: z.string().nullable(),
    resolvedBy: z.number().int().nullable(),
    resolvedAt: z.string().nullable(),
  })
  .openapi('KnowledgeFlag');

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const qJson = (q: KnowledgeQuestion) => ({ ...q, askedAt: q.askedAt.toISOString(), dueAt: q.dueAt.toISOString(), answeredAt: iso(q.answeredAt) });
const fJson = (f: Flag) => ({ ...f, raisedAt: f.raisedAt.toISOString(), resolvedAt: iso(f.resolvedAt) });
const HOTLINE = ['operator', 'expert', 'supervisor', 'admin'] as const;

/** 知识提问 (hotline asks a unit, 2 working days) and flags on wrong/outdated answers (第二十四条). */
export function registerQuestionRoutes(api: Api, questions: KnowledgeQuestions, flags: KnowledgeFlags) {
  api.route({
    method: 'post',
    path: '/api/knowledge/questions',
    summary: 'Ask a unit a knowledge question (知识提问); it is due 2 working days later on the tickets’ working-day calendar.',
    tags: ['knowledge'],
    roles: HOTLINE,
    body: z.object({ question: z.string().trim().min(2).max(1000), context: z.string().max(2000).nullish(), unitCode: z.string().trim().regex(/^[A-Za-z0-9_.-]{1,64}$/) }),
    status: 201,
    response: QuestionSchema,
    handler: async ({ user, body, requestId }) => qJson(await questions.ask(body, actorOf(user, requestId))),
  });

  api.route({
    method: 'get',
    path: '/api/knowledge/questions',
    summary: 'Knowledge questions; ?overdue=true lists open ones past their due time (oldest first). Unit handlers see their own unit’s.',
    tags: ['knowledge'],
    roles: [...HOTLINE, 'unit_handler', 'auditor'],
    query: z.object({
      state: z.enum(['open', 'answered', 'cancelled']).optional(),
      unitCode: z.string().max(64).optional(),
      overdue: z.enum(['true', 'false']).optional().transform((v) => v === 'true'),
      limit: queryInt(1, 500).default('100'),
    }),
    response: z.object({ questions: z.array(QuestionSchema) }),
    handler: async ({ user, query, requestId }) => ({ questions: (await questions.list(query, actorOf(user, requestId))).map(qJson) }),
  });

  api.route({
    method: 'get',
    path: '/api/knowledge/questions/:id',
    summary: 'One knowledge question.',
    tags: ['knowledge'],
    roles: [...HOTLINE, 'unit_handler', 'auditor'],
    params: IdParams,
    response: QuestionSchema,
    errors: { 404: 'No such question' },
    handler: async ({ user, params, requestId }) => qJson(await questions.get(params.id, actorOf(user, requestId))),
  });

  api.route({
    method: 'post',
    path: '/api/knowledge/questions/:id/answer',
    summary: 'The unit answers a knowledge question (optionally naming the entry it wrote).',
    tags: ['knowledge'],
    roles: ['unit_handler', 'supervisor', 'admin'],
    params: IdParams,
    body: z.object({ answer: z.string().trim().min(2).max(3000), entryId: idNumber.nullish() }),
    response: QuestionSchema,
    errors: { 404: 'No such question', 409: 'Already answered or cancelled' },
    handler: async ({ user, params, body, requestId }) => qJson(await questions.answer(params.id, body, actorOf(user, requestId))),
  });

  api.route({
    method: 'post',
    path: '/api/knowledge/questions/:id/cancel',
    summary: 'Cancel an open knowledge question (the asker or a supervisor).',
    tags: ['knowledge'],
    roles: HOTLINE,
    params: IdParams,
    body: z.object({ reason: z.string().trim().min(1).max(500) }),
    response: QuestionSchema,
    errors: { 404: 'No such question', 409: 'Closed, or not yours' },
    handler: async ({ user, params, body, requestId }) => qJson(await questions.cancel(params.id, body.reason, actorOf(user, requestId))),
  });

  api.route({
    method: 'post',
    path: '/api/knowledge/entries/:id/flags',
    summary: 'Flag an answer as wrong, outdated or unclear; goes to the owning unit and the reviewers (WebSocket topic knowledge.flags).',
    tags: ['knowledge'],
    roles: ['operator', 'expert', 'supervisor'],
    params: IdParams,
    body: z.object({ kind: z.enum(FLAG_KINDS), reason: z.string().trim().min(2).max(1000) }),
    status: 201,
    response: FlagSchema,
    errors: { 404: 'No such entry' },
    handler: async ({ user, params, body, requestId }) => fJson(await flags.raise(params.id, body, actorOf(user, requestId))),
  });

  api.route({
    method: 'get',
    path: '/api/knowledge/flags',
    summary: 'Flags on entries (unit handlers: their own unit’s).',
    tags: ['knowledge'],
    roles: ['unit_handler', 'supervisor', 'admin', 'auditor'],
    query: z.object({ state: z.enum(['open', 'resolved', 'rejected']).optional(), unitCode: z.string().max(64).optional(), entryId: idParam.optional(), limit: queryInt(1, 500).default('100') }),
    response: z.object({ flags: z.array(FlagSchema) }),
    handler: async ({ user, query, requestId }) => ({ flags: (await flags.list(query, actorOf(user, requestId))).map(fJson) }),
  });

  api.route({
    method: 'post',
    path: '/api/knowledge/flags/:id/resolve',
    summary: 'Close a flag as resolved (the entry was corrected) or rejected (the answer stands), with an explanation.',
    tags: ['knowledge'],
    roles: ['unit_handler', 'supervisor', 'admin'],
    params: IdParams,
    body: z.object({ outcome: z.enum(['resolved', 'rejected']), resolution: z.string().trim().min(2).max(1000) }),
    response: FlagSchema,
    errors: { 404: 'No such flag', 409: 'Already closed' },
    handler: async ({ user, params, body, requestId }) => fJson(await flags.resolve(params.id, body, actorOf(user, requestId))),
  });
}
