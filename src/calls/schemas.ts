import { z } from '../http/zod';
import { idParam, instant, queryInt } from '../http/params';
import { PAUSE_REASONS } from './operator-state';
import { isoTime } from '../http/dto';

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
  from: instant.optional(),
  to: instant.optional(),
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

/** The call ringing or answered at the operator's phone (来电弹屏); the number masked per role. */
export const CurrentCallSchema = z
  .object({
    callId: z.number().nullable(), linkedid: z.string(), callerNumber: z.string().nullable(), queue: z.string(), centre: z.string().nullable(),
    centreName: z.string().nullable(), waitSeconds: z.number().nullable(), state: z.enum(['ringing', 'answered']), since: z.number(),
  })
  .openapi('CurrentCall');

const MeExtra = { currentCall: CurrentCallSchema.nullable(), wrapupSeconds: z.number() };
export const OperatorMeSchema = z
  .union([OperatorSchema.extend(MeExtra), z.object({ userId: z.number(), state: z.literal('logged_out'), ...MeExtra })])
  .openapi('OperatorMe');

export const CallerHistorySchema = z
  .object({
    callId: z.number(),
    callerNumber: z.string().nullable(),
    tickets: z.array(z.record(z.unknown())).openapi({ description: 'The caller\'s earlier tickets (summaries), newest first' }),
    restriction: z.object({ id: z.number(), reason: z.string(), expiresAt: z.string() }).nullable(),
  })
  .openapi('CallerHistory');

export const RestrictionBody = z
  .object({
    number: z.string().min(3).max(32),
    reason: z.string().min(2).max(500),
    expiresAt: instant,
  })
  .openapi('RestrictionRequest');

export const MissedResultBody = z.object({ outcome: z.enum(['reached', 'no_answer', 'unreachable']), note: z.string().max(1000).optional() }).openapi('CallbackResult');

export const CallLegSchema = z
  .object({
    id: z.number(), callId: z.number(), serverId: z.string(), channelId: z.string(), channel: z.string(), role: z.string(),
    startedAt: isoTime, answeredAt: isoTime.nullable(), endedAt: isoTime.nullable(), hangupCause: z.number().nullable(),
  })
  .openapi('CallLeg');
export const CallTransitionSchema = z
  .object({ id: z.number(), callId: z.number(), fromState: z.string(), event: z.string(), toState: z.string(), at: isoTime })
  .openapi('CallTransition');
/** A transfer attempt as listed on the call (the full row is at /api/transfers/{id}). */
export const CallTransferSchema = z
  .object({
    id: z.number(), lineCode: z.string(), mode: z.string(), emergency: z.boolean(), status: z.string(), result: z.string().nullable(), ticketNo: z.string().nullable(),
    startedAt: isoTime, answeredAt: isoTime.nullable(), endedAt: isoTime.nullable(),
  })
  .openapi('CallTransferAttempt');
export const CallDetailSchema = CallSchema.extend({
  legs: z.array(CallLegSchema),
  transitions: z.array(CallTransitionSchema),
  recordings: z.array(RecordingSchema),
  transfers: z.array(CallTransferSchema),
}).openapi('CallDetail');

export const RestrictionSchema = z
  .object({ id: z.number(), number: z.string(), reason: z.string(), expiresAt: isoTime, createdBy: z.number(), createdAt: isoTime, revokedAt: isoTime.nullable() })
  .openapi('Restriction');
export const RestrictionHitSchema = z.object({ id: z.number(), number: z.string(), serverId: z.string(), linkedid: z.string(), at: isoTime }).openapi('RestrictionHit');

export const MissedCallSchema = z
  .object({
    id: z.number(), callId: z.number(), callerNumber: z.string(), centre: z.string().nullable(), queue: z.string().nullable(), missedAt: isoTime,
    waitSeconds: z.number().nullable(), reason: z.string(), status: z.string(), claimedBy: z.number().nullable(), claimedAt: isoTime.nullable(),
    attempts: z.number(), lastAttemptAt: isoTime.nullable(), note: z.string().nullable(),
  })
  .openapi('MissedCall');

export const SatisfactionCallSchema = z
  .object({
    id: z.number(), ticketNo: z.string(), serverId: z.string(), channelId: z.string(), requestedBy: z.number().nullable(), startedAt: isoTime,
    endedAt: isoTime.nullable(), key: z.string().nullable(), result: z.string(),
  })
  .openapi('SatisfactionCall');

export const CentreSchema = z
  .object({
    code: z.string(), name: z.string(), kind: z.string(), queue: z.string(), backupQueue: z.string().nullable(), inboundNumber: z.string().nullable(),
    serverId: z.string().nullable(), fallbackWaitSeconds: z.number(), maxWaiting: z.number(),
    shiftProfiles: z.array(z.object({ name: z.string(), days: z.string(), from: z.string(), to: z.string(), targetStaff: z.number() })),
  })
  .openapi('Centre');

const QueueBoardSchema = z.object({
  queue: z.string(),
  waiting: z.array(z.object({ channelId: z.string(), caller: z.string(), since: z.number(), position: z.number() })),
  longestWaitSince: z.number().nullable(), inProgress: z.number(),
  counters: z.object({ offered: z.number(), answered: z.number(), answeredWithinSl: z.number(), abandoned: z.number(), waitAnsweredSum: z.number(), talkSum: z.number(), completed: z.number() }),
  serviceLevel: z.number().nullable(), abandonRate: z.number().nullable(), averageSpeedOfAnswer: z.number().nullable(), averageHandlingTime: z.number().nullable(),
});
export const LiveBoardSchema = z
  .object({
    queues: z.array(QueueBoardSchema),
    operators: z.array(OperatorSchema),
    staffing: z.array(z.object({ centre: z.string(), queue: z.string(), shift: z.string().nullable(), targetStaff: z.number().nullable(), loggedIn: z.number(), ready: z.number(), onCall: z.number(), paused: z.number(), unbound: z.number().openapi({ description: "Of loggedIn: seats Asterisk has in the queue with no account signed in" }) })),
  })
  .openapi('LiveBoard');
