// Types shared with the API: inferred from the service's zod schemas (type-only imports, erased at
// build time, so nothing of the server is bundled). Where a route has no schema, the service's own
// TypeScript interface is used.
import type { z } from 'zod';
import type { TicketSummary, TicketDetail as TicketDetailSchema, CreateTicketBody, ActionBodies, AttachmentSchema } from '../../../src/tickets/schemas';
import type { UserSchema, LoginResponse as LoginResponseSchema } from '../../../src/auth/schemas';
import type { CallSchema, RecordingSchema, MissedCallSchema } from '../../../src/calls/schemas';
import type { TransferSchema, ConferenceSchema, MyConferenceSchema, MonitorSessionSchema, EmergencyResultSchema } from '../../../src/calls/linkage/views';
import type { SearchHitSchema } from '../../../src/knowledge/schemas';
import type { OperatorView } from '../../../src/calls/operators';
import type { CurrentCallView } from '../../../src/calls/current-call';
import type { Line } from '../../../src/calls/linkage/lines';
import type { Role } from '../../../src/auth/roles';
import type { CentreView, NetTicket, NetTicketDetail } from '../../../src/network/routes';
import type {
  ReportJobSchema, ReportJobListSchema, ReportSchema, ReportRowSchema, FigureCatalogue as FigureCatalogueSchema, DrillResponse,
  AssessmentRunSchema, AssessmentRunListSchema, AssessmentExplainSchema, SchemeResponse, ManualItemBody,
} from '../../../src/reports/schemas';
import type { Scheme as SchemeSchema } from '../../../src/reports/scheme';

export type User = z.infer<typeof UserSchema>;
export type LoginResponse = z.infer<typeof LoginResponseSchema>;
export type Ticket = z.infer<typeof TicketSummary>;
export type TicketDetail = z.infer<typeof TicketDetailSchema>;
export type Attachment = z.infer<typeof AttachmentSchema>;
export type Deadline = Ticket['deadlines'][number];
export type NewTicket = z.input<typeof CreateTicketBody>;
export type ActionName = keyof typeof ActionBodies;
export type ActionBody<N extends ActionName> = z.input<(typeof ActionBodies)[N]>;
export type Call = z.infer<typeof CallSchema>;
export type Recording = z.infer<typeof RecordingSchema>;
export type MissedCall = z.infer<typeof MissedCallSchema>;
export type Transfer = z.infer<typeof TransferSchema>;
export type Conference = z.infer<typeof ConferenceSchema>;
export type MyConference = z.infer<typeof MyConferenceSchema>;
export type MonitorSession = z.infer<typeof MonitorSessionSchema>;
export type EmergencyResult = z.infer<typeof EmergencyResultSchema>;
export type KnowledgeHit = z.infer<typeof SearchHitSchema>;
export type Operator = OperatorView & { currentCall?: CurrentCallView | null };
export type CurrentCall = CurrentCallView;
export type LineInfo = Line;
export type { Role };
export type NetworkCentre = z.infer<typeof CentreView>;
export type NetworkTicket = z.infer<typeof NetTicket>;
export type NetworkTicketDetail = z.infer<typeof NetTicketDetail>;

export interface CallerHistory {
  callId: number;
  callerNumber: string | null;
  tickets: Array<{ no: string; status: string; statusLabel: string; category: string; categoryLabel: string; content: string; mainUnit: string | null; createdAt: string }>;
  restriction: { id: number; reason: string; expiresAt: string } | null;
}

/** A linkage event on the operator / queues topics (transfers, three-way calls, emergency). */
export interface LinkageEvent {
  kind: string;
  transferId?: number;
  conferenceId?: number;
  callId: number;
  line: string;
  mode?: string;
  emergency?: boolean;
  // Transfers carry their status; conference events only their kind (conference.joined …).
  status?: string;
  result?: string | null;
  ticketNo?: string | null;
  message: string;
}

export interface Catalogue {
  categories: Record<string, string>;
  channels: Record<string, string>;
  statuses: Record<string, string>;
  deadlines: Record<string, string>;
  satisfaction: Record<string, string>;
  domains: Array<{ code: string; name: string; children?: Array<{ code: string; name: string }> }> | Record<string, unknown>;
  notAcceptedReasons: Record<string, { article: string; text: string }>;
}

export interface Unit {
  code: string;
  name: string;
  kind: string;
  parentCode: string | null;
  countyCode: string | null;
  active: boolean;
}

// Reports (第二十六条) and the 100-point assessment (第二十八、二十九条).
export type ReportJob = z.infer<typeof ReportJobSchema>;
export type ReportJobList = z.infer<typeof ReportJobListSchema>;
export type Report = z.infer<typeof ReportSchema>;
export type ReportRow = z.infer<typeof ReportRowSchema>;
export type FigureCatalogue = z.infer<typeof FigureCatalogueSchema>;
export type ReportDimension = FigureCatalogue['dimensions'][number]['id'];
export type DrillDown = z.infer<typeof DrillResponse>;
export type HotTerm = Report['hotTopics']['terms'][number];
export type AssessmentRun = z.infer<typeof AssessmentRunSchema>;
export type AssessmentRunList = z.infer<typeof AssessmentRunListSchema>;
export type AssessmentScore = AssessmentRun['scores'][number];
export type IndicatorScore = AssessmentScore['indicators'][number];
export type AssessmentExplanation = z.infer<typeof AssessmentExplainSchema>;
export type AssessmentScheme = z.infer<typeof SchemeResponse>;
export type SchemeBody = z.input<typeof SchemeSchema>;
export type ManualItem = z.input<typeof ManualItemBody>;
