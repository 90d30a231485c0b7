import { z } from '../http/zod';
import { IdParams, MAX_QUERY_TEXT, idNumber, idParam, instant, queryInt } from '../http/params';
import { AuthUser } from '../auth/roles';
import { ENTRY_STATES, REGION_LEVELS, VISIBILITIES, Actor, Entry, basisText } from './types';
import { TRANSITION_EVENTS } from './state';

export const BasisSchema = z
  .object({
    document: z.string().trim().min(1).max(200).openapi({ example: '庆阳市12345政务服务便民热线管理办法' }),
    number: z.string().trim().max(100).nullish().openapi({ example: '庆政办发〔2022〕157号' }),
    article: z.string().trim().max(100).nullish().openapi({ example: '第二十一条' }),
  })
  .openapi('KnowledgeBasis');

const isoDate = instant;

/** The fields a unit writes (第二十四条(三): 一问一答, 依据, 生效及下架时间, 公开属性). */
export const EntryContentSchema = z
  .object({
    question: z.string().trim().min(2).max(200),
    answer: z.string().trim().min(2).max(3000).openapi({ description: '答复口径' }),
    basis: z.array(BasisSchema).min(1).max(10).openapi({ description: '依据 (document name, number, article)' }),
    unitCode: z.string().trim().regex(/^[A-Za-z0-9_.-]{1,64}$/),
    unitName: z.string().trim().min(1).max(128),
    regionLevel: z.enum(REGION_LEVELS),
    regionName: z.string().trim().min(1).max(64),
    categoryPath: z.array(z.string().trim().min(1).max(40)).max(6).default([]),
    keywords: z.array(z.string().trim().min(1).max(40)).max(30).default([]),
    effectiveFrom: isoDate,
    removalAt: isoDate.nullable().default(null),
    visibility: z.enum(VISIBILITIES),
  })
  .openapi('KnowledgeEntryContent');

export const CreateEntryBody = EntryContentSchema.extend({
  submit: z.boolean().default(false).openapi({ description: 'submit for review at once' }),
  reason: z.string().trim().max(500).nullish(),
});

export const UpdateEntryBody = EntryContentSchema.partial()
  .extend({
    reason: z.string().trim().min(1).max(500).openapi({ description: 'why (kept in the version history)' }),
    expectedVersion: idNumber.optional().openapi({ description: 'refuse with 409 if the entry moved on' }),
  })
  .openapi('KnowledgeEntryUpdate');

export const TransitionBody = z.object({ reason: z.string().trim().max(500).nullish() });
export const TransitionParams = z.object({ id: idParam, event: z.enum(TRANSITION_EVENTS.filter((e) => e !== 'expire') as [string, ...string[]]) });
export { IdParams };

export const EntrySchema = EntryContentSchema.extend({
  id: z.number().int(),
  state: z.enum(ENTRY_STATES),
  version: z.number().int(),
  supersedesId: z.number().int().nullable(),
  reviewNote: z.string().nullable(),
  createdBy: z.number().int().nullable(),
  submittedBy: z.number().int().nullable(),
  source: z.enum(['manual', 'import', 'seed']),
  basisText: z.string(),
  effectiveFrom: z.string(),
  removalAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  publishedAt: z.string().nullable(),
}).openapi('KnowledgeEntry');

export function entryJson(e: Entry) {
  return {
    ...e,
    basisText: basisText(e.basis),
    effectiveFrom: e.effectiveFrom.toISOString(),
    removalAt: e.removalAt?.toISOString() ?? null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    publishedAt: e.publishedAt?.toISOString() ?? null,
  };
}

export const VersionSchema = z
  .object({
    id: z.number().int(),
    entryId: z.number().int(),
    version: z.number().int(),
    action: z.string(),
    fromState: z.enum(ENTRY_STATES).nullable(),
    toState: z.enum(ENTRY_STATES),
    changedFields: z.array(z.string()),
    reason: z.string().nullable(),
    snapshot: z.record(z.unknown()),
    actorUserId: z.number().int().nullable(),
    actor: z.string(),
    actorUnit: z.string().nullable(),
    at: z.string(),
  })
  .openapi('KnowledgeEntryVersion');

export const ListEntriesQuery = z.object({
  state: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',') : undefined))
    .pipe(z.array(z.enum(ENTRY_STATES)).optional())
    .openapi({ type: 'string', description: 'comma-separated states' }),
  unitCode: z.string().max(64).optional(),
  q: z.string().max(100).optional().openapi({ description: 'substring of question or answer' }),
  limit: queryInt(1, 500).default('50'),
  beforeId: idParam.optional(),
});

const csvList = z
  .string()
  .optional()
  .transform((s) => (s ? s.split(/[/,]/).map((x) => x.trim()).filter(Boolean) : undefined));

export const SearchQuery = z.object({
  q: z.string().trim().min(1).max(MAX_QUERY_TEXT).openapi({ description: "the caller's question" }),
  limit: queryInt(1, 50).default('10'),
  regionLevel: z.enum(REGION_LEVELS).optional(),
  regionName: z.string().max(64).optional(),
  unitCode: z.string().max(64).optional(),
  category: csvList.openapi({ type: 'string', description: 'category path prefix, `/`-separated' }),
  visibility: z.enum(VISIBILITIES).optional().openapi({ description: 'public = only entries that may be shown on the web/WeChat' }),
  at: instant.optional().openapi({ type: 'string', format: 'date-time', description: 'reviewers only: evaluate validity at this instant (preview)' }),
});

export const SuggestBody = z.object({
  text: z.string().max(5000).openapi({ description: 'the ticket text as typed so far' }),
  limit: z.number().int().min(1).max(20).default(5),
  regionLevel: z.enum(REGION_LEVELS).optional(),
  regionName: z.string().max(64).optional(),
  unitCode: z.string().max(64).optional(),
  category: z.array(z.string().max(40)).max(6).optional(),
});

export const SearchHitSchema = z
  .object({
    id: z.number().int(),
    question: z.string(),
    answer: z.string(),
    basis: z.array(BasisSchema),
    basisText: z.string(),
    unitCode: z.string(),
    unitName: z.string(),
    regionLevel: z.enum(REGION_LEVELS),
    regionName: z.string(),
    categoryPath: z.array(z.string()),
    visibility: z.enum(VISIBILITIES),
    score: z.number(),
    highlight: z.object({ question: z.string(), answer: z.string() }).openapi({ description: 'HTML-escaped, matches in <em>' }),
    matchedTerms: z.array(z.string()),
  })
  .openapi('KnowledgeSearchHit');

export function actorOf(user: AuthUser | null, requestId?: string): Actor {
  if (!user) throw new Error('route without a user');
  return { userId: user.id, username: user.username, displayName: user.displayName, roles: user.roles, unitCode: user.unitCode, requestId: requestId ?? null };
}
