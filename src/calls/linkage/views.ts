import { z } from '../../http/zod';
import { dto, isoTime } from '../../http/dto';

/** What the linkage routes send: camelCase DTOs of the call_transfers / conference / monitor rows. */
export const TransferSchema = z
  .object({
    id: z.number(), callId: z.number(), serverId: z.string(), linkedid: z.string(), lineCode: z.string(), mode: z.string(), emergency: z.boolean(),
    ticketNo: z.string().nullable(), summary: z.string().nullable(), operatorUserId: z.number().nullable(), operatorInterface: z.string().nullable(),
    callerChannelId: z.string().nullable(), targetChannelId: z.string().nullable(), status: z.string(), result: z.string().nullable(), error: z.string().nullable(),
    startedAt: isoTime, answeredAt: isoTime.nullable(), endedAt: isoTime.nullable(),
    operatorLeftAt: isoTime.nullable().openapi({ description: 'the operator hung up a consultation before the target answered: the caller hears the target ringing, and the target alone decides the outcome' }),
  })
  .openapi('Transfer');

export const ConferenceLegSchema = z
  .object({
    id: z.number(), conferenceId: z.number(), role: z.string(), channelId: z.string(), channel: z.string().nullable(), recordingName: z.string().nullable(),
    joinedAt: isoTime.nullable(), leftAt: isoTime.nullable(), leftReason: z.string().nullable().openapi({ description: "Why the leg left or never joined (Asterisk hangup cause, failed origination), in Chinese" }),
  })
  .openapi('ConferenceLeg');

export const ConferenceSchema = z
  .object({
    id: z.number(), callId: z.number(), serverId: z.string(), linkedid: z.string(), room: z.string(), lineCode: z.string(), emergency: z.boolean(),
    ticketNo: z.string().nullable(), operatorUserId: z.number().nullable(), state: z.string(), startedAt: isoTime, endedAt: isoTime.nullable(),
    legs: z.array(ConferenceLegSchema),
  })
  .openapi('Conference');

export const MyConferenceSchema = ConferenceSchema.extend({ answers: z.number().int().openapi({ description: 'expert answers written so far' }) }).openapi('MyConference');

export const MonitorSessionSchema = z
  .object({
    id: z.number(), callId: z.number(), supervisorUserId: z.number(), supervisorInterface: z.string(), mode: z.string(), targetChannel: z.string(),
    spyChannelId: z.string(), startedAt: isoTime, endedAt: isoTime.nullable(),
  })
  .openapi('MonitorSession');

export const ExpertAnswerSchema = z.object({ id: z.number(), conferenceId: z.number(), ticketNo: z.string(), text: z.string(), at: isoTime }).openapi('ExpertAnswer');

export const EmergencyResultSchema = z
  .object({
    service: z.string(), mode: z.string(), ticketNo: z.string().nullable(), ticketAction: z.string().nullable(),
    transfer: TransferSchema.optional(), conference: ConferenceSchema.optional(),
  })
  .openapi('EmergencyLinkageResult');

export const LineSchema = z
  .object({
    code: z.string(), name: z.string(), kind: z.string(), centre: z.string().nullable(), dial: z.string(), hours: z.string(), reachable: z.boolean(),
    ticketUnit: z.string().nullable(), sort: z.number(), note: z.string().nullable(),
  })
  .openapi('Line');

export const transferView = dto(TransferSchema);
export const conferenceView = dto(ConferenceSchema);
export const monitorView = dto(MonitorSessionSchema);
export const lineView = dto(LineSchema);
export function emergencyView(r: { service: string; mode: string; ticketNo: string | null; ticketAction: string | null; transfer?: object; conference?: object }) {
  return {
    service: r.service, mode: r.mode, ticketNo: r.ticketNo, ticketAction: r.ticketAction,
    ...(r.transfer ? { transfer: transferView(r.transfer) } : {}),
    ...(r.conference ? { conference: conferenceView(r.conference) } : {}),
  };
}
