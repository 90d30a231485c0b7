import { z } from '../http/zod';
import { MAX_QUERY_TEXT, queryInt } from '../http/params';
import {
  CATEGORIES, CHANNELS, DEADLINE_KINDS, DISSATISFACTION_CAUSES, DOMAINS, NOT_ACCEPTED_REASON_CODES, SATISFACTION_LEVELS, STATUSES,
} from './model';

const [firstReason, ...otherReasons] = NOT_ACCEPTED_REASON_CODES;
export const TicketNo = z.string().regex(/^[A-Z0-9]{10,32}$/).openapi({ example: 'QY20261127000123', description: 'centre prefix + date + sequence' });
export const NoParams = z.object({ no: TicketNo });
const text = (max: number) => z.string().trim().min(1).max(max);
const reason = z.string().trim().max(2000).optional();
const limitSpec = z.string().regex(/^[1-9]\d{0,4}(wd|wh|h|m)$/).openapi({ example: '5wd', description: '<N>wd | <N>wh | <N>h | <N>m' });

export const CreateTicketBody = z
  .object({
    channel: z.enum(CHANNELS),
    callerName: z.string().trim().max(64).nullish(),
    callerPhone: z.string().trim().regex(/^\+?[\d\- ]{3,20}$/).nullish(),
    confidential: z.boolean().optional().openapi({ description: 'the caller asked that their identity be kept confidential' }),
    content: text(5000),
    category: z.enum(CATEGORIES).openapi({ description: '第二十条: 咨询 求助 投诉 举报 建议 致谢 其他' }),
    domain: z.enum(DOMAINS).openapi({ description: '第十六条: 经济调节 市场监管 社会管理 公共服务 生态环境保护' }),
    subdomain: z.string().max(64).nullish(),
    matterTime: z.string().datetime({ offset: true }).nullish(),
    matterPlace: z.string().trim().max(500).nullish(),
    emergency: z.boolean().optional(),
    linkedid: z.string().max(64).nullish().openapi({ description: 'Asterisk linkedid of the call' }),
    accept: z.boolean().optional().openapi({ description: 'decide acceptance now (default true): repeat detection, then 受理 or 不予受理' }),
  })
  .openapi('CreateTicket');

/** Every lifecycle action: its URL segment, body and who may call it. */
export const ActionBodies = {
  accept: z.object({ reason }),
  'not-accept': z.object({ reasonCode: z.enum([firstReason, ...otherReasons]).openapi({ description: '第十七条 coded reason' }), reason }),
  'close-immediately': z.object({ resolution: text(5000), reason }),
  dispatch: z.object({ mainUnit: text(64), coUnits: z.array(text(64)).max(20).default([]), legalLimit: limitSpec.nullish().openapi({ description: '依规定时限: a limit fixed by law' }), reason }),
  sign: z.object({ reason }),
  feedback: z.object({ text: text(5000), reason }),
  progress: z.object({ text: text(5000), reason }),
  'co-opinion': z.object({ text: text(5000), reason }),
  extension: z.object({ extra: limitSpec, reason: text(2000) }),
  'extension/approve': z.object({ reason }),
  'extension/reject': z.object({ reason: text(2000) }),
  return: z.object({ reason: text(2000), basis: text(2000), suggestedUnit: z.string().trim().min(1).max(64).openapi({ description: '转送建议: the unit this matter belongs to (required, 第二十一条(二))' }) }),
  'return/approve': z.object({ reason }),
  'return/reject': z.object({ reason: text(2000) }),
  reply: z.object({ text: text(5000), reason }),
  visit: z.object({ level: z.enum(SATISFACTION_LEVELS), cause: z.enum(DISSATISFACTION_CAUSES).nullish(), reason }),
  withdraw: z.object({ reason: text(2000) }),
  urge: z.object({ note: text(2000), reason }),
  escalate: z.object({ note: text(2000), reason }),
  merge: z.object({ into: TicketNo, reason }),
} as const;
export type ActionName = keyof typeof ActionBodies;

export const ListQuery = z.object({
  status: z.union([z.enum(STATUSES), z.array(z.enum(STATUSES))]).optional(),
  category: z.enum(CATEGORIES).optional(),
  domain: z.enum(DOMAINS).optional(),
  channel: z.enum(CHANNELS).optional(),
  emergency: z.enum(['true', 'false']).optional(),
  unit: z.string().max(64).optional(),
  q: z.string().max(MAX_QUERY_TEXT).optional().openapi({ description: 'full-text search (Chinese by character bigrams)' }),
  callerPhone: z.string().max(32).optional(),
  overdue: z.enum(['true', 'false']).optional(),
  createdFrom: z.string().datetime({ offset: true }).optional(),
  createdTo: z.string().datetime({ offset: true }).optional(),
  limit: queryInt(1, 200).optional(),
  offset: queryInt(0, 1_000_000).optional(),
});

const Caller = z.object({ name: z.string().nullable(), phone: z.string().nullable(), confidential: z.boolean(), masked: z.boolean() });
export const DeadlineView = z.object({
  kind: z.enum(DEADLINE_KINDS), label: z.string(), limit: z.string(), startedAt: z.string(), dueAt: z.string(), dueAtLocal: z.string(), state: z.string(),
  endedAt: z.string().nullable(), missed: z.boolean().nullable(), remindedAt: z.string().nullable(), alertedAt: z.string().nullable(),
  // On the list and the detail's open deadlines: working time left on the calendar (negative: overdue by).
  overdue: z.boolean().optional(), remainingWorkingMinutes: z.number().optional(), workingDayMinutes: z.number().optional(),
});
export const TicketSummary = z
  .object({
    no: z.string(), centre: z.string(), status: z.enum(STATUSES), statusLabel: z.string(), channel: z.enum(CHANNELS), channelLabel: z.string(), caller: Caller,
    content: z.string(), category: z.enum(CATEGORIES), categoryLabel: z.string(), domain: z.enum(DOMAINS), subdomain: z.string().nullable(),
    matterTime: z.string().nullable(), matterPlace: z.string().nullable(), emergency: z.boolean(), mainUnit: z.string().nullable(), coUnits: z.array(z.string()),
    handleLimit: z.string().nullable(), notAcceptedReason: z.string().nullable(), repeatOf: z.string().nullable(), mergedInto: z.string().nullable(),
    replyText: z.string().nullable(), repliedAt: z.string().nullable(), closedAt: z.string().nullable(), flow: z.record(z.unknown()), version: z.number(),
    createdAt: z.string(), updatedAt: z.string(), deadlines: z.array(DeadlineView),
    origin: z.object({ centre: z.string(), no: z.string() }).nullable().openapi({ description: 'the city ticket this one was sent down from (工单流转)' }),
  })
  .openapi('TicketSummary');
/** A ticket attachment's metadata (附件); the bytes at GET /api/tickets/{no}/attachments/{id}/file. */
export const AttachmentSchema = z
  .object({
    id: z.number().int(),
    fileName: z.string(),
    contentType: z.string(),
    sizeBytes: z.number().int().openapi({ description: 'bytes' }),
    sha256: z.string().nullable(),
    uploadedBy: z.string(),
    uploadedAt: z.string().openapi({ description: 'UTC, ISO 8601' }),
  })
  .openapi('TicketAttachment');

export const TicketDetail = TicketSummary.extend({
  deadlineHistory: z.array(DeadlineView),
  events: z.array(z.object({ id: z.number(), at: z.string(), event: z.string(), fromStatus: z.string().nullable(), toStatus: z.string(), actor: z.string(), actorUnit: z.string().nullable(), reason: z.string().nullable(), data: z.record(z.unknown()) }).passthrough()),
  calls: z.array(z.object({ linkedid: z.string(), linkedAt: z.string() })),
  recordings: z.array(z.object({ recordingId: z.string(), linkedid: z.string().nullable(), meta: z.record(z.unknown()), linkedAt: z.string() })),
  attachments: z.array(AttachmentSchema),
  visits: z.array(z.record(z.unknown())),
  units: z.array(z.object({ unitCode: z.string(), role: z.string(), active: z.boolean(), assignedAt: z.string(), releasedAt: z.string().nullable() })),
  allowedEvents: z.array(z.string()),
}).openapi('TicketDetail');
export const TicketList = z
  .object({
    total: z.number().openapi({ description: 'matching tickets: exact when totalExact, otherwise an estimate (never below the matches known)' }),
    totalExact: z.boolean().openapi({ description: 'false beyond 5,000 matches (1,000 for a full-text search q): total is then the database planner\'s estimate' }),
    items: z.array(TicketSummary),
  })
  .openapi('TicketList');
