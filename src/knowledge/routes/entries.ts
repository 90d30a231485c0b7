import { Api } from '../../http/api';
import { z } from '../../http/zod';
import { KnowledgeService } from '../service';
import { TransitionEvent } from '../state';
import { CreateEntryBody, EntrySchema, IdParams, ListEntriesQuery, TransitionBody, TransitionParams, UpdateEntryBody, VersionSchema, actorOf, entryJson } from '../schemas';

const AUTHORS = ['unit_handler', 'supervisor', 'admin'] as const;
const READERS = ['operator', 'expert', 'supervisor', 'unit_handler', 'admin', 'auditor'] as const;
const TAGS = ['knowledge'];

/** Entries and their review workflow (第二十四条). Units author; supervisors/admins review; auditors read history. */
export function registerEntryRoutes(api: Api, service: KnowledgeService) {
  api.route({
    method: 'get',
    path: '/api/knowledge/entries',
    summary: 'List entries in any state (review queue: ?state=submitted). Unit handlers see their own unit only.',
    tags: TAGS,
    roles: READERS,
    query: ListEntriesQuery,
    response: z.object({ entries: z.array(EntrySchema) }),
    handler: async ({ user, query, requestId }) => {
      const entries = await service.list({ state: query.state, unitCode: query.unitCode, text: query.q, limit: query.limit, beforeId: query.beforeId }, actorOf(user, requestId));
      return { entries: entries.map(entryJson) };
    },
  });

  api.route({
    method: 'post',
    path: '/api/knowledge/entries',
    summary: 'Create an entry as a draft (optionally submit it at once). Unit handlers only for their own unit.',
    tags: TAGS,
    roles: AUTHORS,
    body: CreateEntryBody,
    status: 201,
    response: EntrySchema,
    errors: { 403: 'Not your unit', 422: 'Removal time not after effective time' },
    handler: async ({ user, body, requestId }) => {
      const { submit, reason, ...content } = body;
      return entryJson(await service.create(content, actorOf(user, requestId), { submit, reason }));
    },
  });

  api.route({
    method: 'get',
    path: '/api/knowledge/entries/:id',
    summary: 'One entry in any state (unit handlers: own unit or published).',
    tags: TAGS,
    roles: READERS,
    params: IdParams,
    response: EntrySchema,
    errors: { 404: 'No such entry' },
    handler: async ({ user, params, requestId }) => entryJson(await service.get(params.id, actorOf(user, requestId))),
  });

  api.route({
    method: 'patch',
    path: '/api/knowledge/entries/:id',
    summary: 'Change a draft; the reason is kept in the version history (谁报送谁负责).',
    tags: TAGS,
    roles: AUTHORS,
    params: IdParams,
    body: UpdateEntryBody,
    response: EntrySchema,
    errors: { 404: 'No such entry', 409: 'Not a draft (knowledge.entry_not_editable) or changed meanwhile (knowledge.version_conflict)' },
    handler: async ({ user, params, body, requestId }) => {
      const { reason, expectedVersion, ...patch } = body;
      return entryJson(await service.update(params.id, patch, reason, actorOf(user, requestId), expectedVersion));
    },
  });

  api.route({
    method: 'post',
    path: '/api/knowledge/entries/:id/revisions',
    summary: 'Start a revision of a published entry: a new draft that replaces it when published (the old one stays searchable until then).',
    tags: TAGS,
    roles: AUTHORS,
    params: IdParams,
    body: TransitionBody,
    status: 201,
    response: EntrySchema,
    errors: { 404: 'No such entry', 409: 'Not published, or a revision is already open' },
    handler: async ({ user, params, body, requestId }) => entryJson(await service.revise(params.id, actorOf(user, requestId), body.reason ?? null)),
  });

  api.route({
    method: 'post',
    path: '/api/knowledge/entries/:id/transitions/:event',
    summary:
      'Move an entry through review: submit (unit) · return with reason / approve / publish (supervisor, admin) · withdraw with reason (unit or reviewer) · revise a withdrawn/expired entry back to draft (unit). Illegal moves: 409 knowledge.illegal_transition.',
    tags: TAGS,
    roles: AUTHORS,
    params: TransitionParams,
    body: TransitionBody,
    response: EntrySchema,
    errors: { 404: 'No such entry', 409: 'Illegal transition or self-review', 422: 'Reason required' },
    handler: async ({ user, params, body, requestId }) => entryJson(await service.transition(params.id, params.event as TransitionEvent, body.reason ?? null, actorOf(user, requestId))),
  });

  api.route({
    method: 'get',
    path: '/api/knowledge/entries/:id/versions',
    summary: 'Version history of an entry: who changed what, when and why.',
    tags: TAGS,
    roles: ['auditor', 'supervisor', 'admin', 'unit_handler'],
    params: IdParams,
    response: z.object({ versions: z.array(VersionSchema) }),
    errors: { 404: 'No such entry' },
    handler: async ({ user, params, requestId }) => {
      const versions = await service.versions(params.id, actorOf(user, requestId));
      return { versions: versions.map((v) => ({ ...v, at: v.at.toISOString() })) };
    },
  });
}
