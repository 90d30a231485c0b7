import { z } from '../http/zod';
import { idParam, queryInt } from '../http/params';
import { PAUSE_REASONS } from './operator-state';

export { IdParams } from '../http/params';

export const CallSchema = z
  .object({
    id: z.number(),
    serverId: z.string(),
    linkedid: z.string(),
    callerNumber: z.string().nullable(),
    centre: z.string().nullable(),
    queue: z.string().nullable(),
    state: z.string(),
    outcome: z.string().nullable(),
    startedAt: z.string(),
    queueEnteredAt: z.string().nullable(),
    answeredAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    waitSeconds: z.number().nullable(),
    talkSeconds: z.number().nullable(),
    operatorInterface: z.string().nullable(),
    transferred: z.boolean(),
    fallback: z.string(),
    ticketNo: z.string().nullable(),
    reconciled: z.boolean(),
  })
  .openapi('Call');

export const CallListQuery = z.object({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  outcome: z.enum(['answered', 'abandoned', 'fallback', 'fallback-sms', 'fallback-message', 'transferred', 'restricted', 'unanswered']).optional(),
  centre: z.string().max(32).optional(),
  callerNumber: z.string().max(32).optional(),
  limit: queryInt(1, 500).optional(),
  beforeId: idParam.optional(),
});

export const RecordingSchema = z
  .object({
    id: z.number(),
    callId: z.number().nullable(),
    linkedid: z.string().nullable(),
    kind: z.string(),
    format: z.string(),
    durationSeconds: z.number().nullable(),
    sizeBytes: z.number().nullable(),
    sha256: z.string().nullable(),
    state: z.string(),
  })
  .openapi('Recording');

export const PauseBody = z.object({ reason: z.enum(Object.keys(PAUSE_REASONS) as [keyof typeof PAUSE_REASONS, ...Array<keyof typeof PAUSE_REASONS>]) }).openapi('PauseRequest');
export const LoginBody = z.object({ queues: z.array(z.string().max(64)).max(10).optional() }).openapi('OperatorLoginRequest');

export const OperatorSchema = z
  .object({
    userId: z.number(),
    username: z.string(),
    displayName: z.string(),
    interface: z.string(),
    serverId: z.string(),
    queues: z.array(z.string()),
    state: z.string(),
    reason: z.string().nullable(),
    reasonLabel: z.string().nullable(),
    since: z.number(),
    pendingPause: z.string().nullable(),
  })
  .openapi('Operator');

export const RestrictionBody = z
  .object({
    number: z.string().min(3).max(32),
    reason: z.string().min(2).max(500),
    expiresAt: z.coerce.date(),
  })
  .openapi('RestrictionRequest');

export const MissedResultBody = z.object({ outcome: z.enum(['reached', 'no_answer', 'unreachable']), note: z.string().max(1000).optional() }).openapi('CallbackResult');
