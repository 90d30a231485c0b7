import { AuthUser, seesPersonalData } from '../auth/roles';
import { maskName, maskPhone } from '../logging/mask';
import { formatShanghai } from './calendar/calendar';
import { CATEGORY_LABELS, CHANNEL_LABELS, DEADLINE_LABELS, STATUS_LABELS, WINDOW_KINDS } from './model';
import { allowedEvents } from './state';
import { AttachmentRow, CallLink, DeadlineRow, EventRow, RecordingLink, TicketRecord, TicketStore, UnitAssignment, VisitRow } from './store';

/**
 * What a reader sees of a ticket's caller. Name and number are personal data (第二十七条): shown in full
 * only to roles that need them (seesPersonalData); masked for others.
 *
 * A caller who asked for confidentiality (保密) is seen in full only by the operator who registered the
 * ticket and by hotline staff while the ticket is waiting for their call back (回访 of a replied
 * ticket, or the manual call back after a dissatisfied SMS rating, 第二十二条(三)). Other hotline staff
 * see it masked; units and auditors not at all. Routes audit every unmasked read (callerReads()).
 */
export function callerView(t: Pick<TicketRecord, 'callerName' | 'callerPhone' | 'confidential' | 'createdBy' | 'status' | 'flow'>, user: AuthUser | null) {
  const full = { name: t.callerName, phone: t.callerPhone, confidential: t.confidential, masked: false };
  const masked = { name: t.callerName ? maskName(t.callerName) : null, phone: t.callerPhone ? maskPhone(t.callerPhone) : null, confidential: t.confidential, masked: true };
  if (t.confidential) {
    if (user && (user.id === t.createdBy || mustCallBack(t, user))) return full;
    if (seesPersonalData(user)) return masked;
    return { name: null, phone: null, confidential: true, masked: true };
  }
  if (seesPersonalData(user)) return full;
  // 第二十一条(一): the handling unit must contact the caller, so a unit handler (who only ever sees the
  // tickets dispatched to their unit) gets the contact in full.
  if (user?.roles.includes('unit_handler')) return full;
  return masked;
}

/** Hotline staff whose duty right now is to call this caller back (第二十二条(三)). */
function mustCallBack(t: Pick<TicketRecord, 'status' | 'flow'>, user: AuthUser): boolean {
  if (!user.roles.includes('operator') && !user.roles.includes('supervisor')) return false;
  return t.status === 'replied' || !!t.flow.smsDissatisfied;
}

/** The ticket numbers among `views` whose caller contact was shown unmasked (to be audited, 第二十七条). */
export function callerReads(views: Array<{ no: string; caller: { masked: boolean; name: string | null; phone: string | null } }>): string[] {
  return views.filter((v) => !v.caller.masked && (v.caller.phone || v.caller.name)).map((v) => v.no);
}

export function deadlineView(d: DeadlineRow) {
  return {
    kind: d.kind, label: DEADLINE_LABELS[d.kind], limit: d.limit, startedAt: d.startedAt.toISOString(), dueAt: d.dueAt.toISOString(), dueAtLocal: formatShanghai(d.dueAt),
    state: d.state, endedAt: d.endedAt?.toISOString() ?? null, missed: d.missed, remindedAt: d.remindedAt?.toISOString() ?? null, alertedAt: d.alertedAt?.toISOString() ?? null,
  };
}

export function ticketSummary(t: TicketRecord, user: AuthUser | null, openDeadlines: DeadlineRow[] = []) {
  return {
    no: t.no, centre: t.centre, status: t.status, statusLabel: STATUS_LABELS[t.status], channel: t.channel, channelLabel: CHANNEL_LABELS[t.channel],
    caller: callerView(t, user), content: t.content, category: t.category, categoryLabel: CATEGORY_LABELS[t.category], domain: t.domain, subdomain: t.subdomain,
    matterTime: t.matterTime?.toISOString() ?? null, matterPlace: t.matterPlace, emergency: t.emergency, mainUnit: t.mainUnit, coUnits: t.coUnits,
    handleLimit: t.handleLimit, notAcceptedReason: t.notAcceptedReason, repeatOf: t.repeatOf, mergedInto: t.mergedInto, replyText: t.replyText,
    repliedAt: t.repliedAt?.toISOString() ?? null, closedAt: t.closedAt?.toISOString() ?? null, flow: t.flow, version: t.version,
    createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString(), deadlines: openDeadlines.map(deadlineView), origin: t.origin ?? null,
  };
}

/** Everything a ticket's detail view shows besides the ticket row itself. */
export interface DetailParts {
  deadlines: DeadlineRow[];
  events: EventRow[];
  calls: CallLink[];
  recordings: RecordingLink[];
  attachments: AttachmentRow[];
  visits: VisitRow[];
  units: UnitAssignment[];
}

export async function ticketDetail(store: TicketStore, t: TicketRecord, user: AuthUser | null) {
  const [deadlines, events, calls, recordings, attachments, visits, units] = await Promise.all([
    store.deadlines(t.no), store.events(t.no), store.calls(t.no), store.recordings(t.no), store.attachments(t.no), store.visits(t.no), store.unitAssignments(t.no),
  ]);
  return ticketDetailOf(t, { deadlines, events, calls, recordings, attachments, visits, units }, user);
}

/** The detail of a ticket just created, from what its creation wrote (nothing else can be attached yet). */
export function newTicketDetail(c: { ticket: TicketRecord; deadlines: DeadlineRow[]; events: EventRow[]; calls: DetailParts['calls'] }, user: AuthUser | null) {
  return ticketDetailOf(c.ticket, { deadlines: c.deadlines, events: c.events, calls: c.calls, recordings: [], attachments: [], visits: [], units: [] }, user);
}

/** The detail view of a ticket from its parts (read, or known from the transaction that just wrote them). */
export function ticketDetailOf(t: TicketRecord, p: DetailParts, user: AuthUser | null) {
  const { deadlines, events, calls, recordings, attachments, visits, units } = p;
  return {
    ...ticketSummary(t, user, deadlines.filter((d) => d.state === 'open')),
    deadlineHistory: deadlines.map(deadlineView),
    events: events.map((e) => ({ ...e, at: e.at.toISOString() })),
    calls: calls.map((c) => ({ linkedid: c.linkedid, linkedAt: c.linkedAt.toISOString() })),
    recordings: recordings.map((r) => ({ ...r, linkedAt: r.linkedAt.toISOString() })),
    // Where the bytes are stored is the service's business, not the reader's.
    attachments: attachments.map(({ storageKey: _key, ...a }) => ({ ...a, uploadedAt: a.uploadedAt.toISOString() })),
    visits: visits.map((v) => ({ ...v, at: v.at.toISOString() })),
    units: units.map((u) => ({ ...u, assignedAt: u.assignedAt.toISOString(), releasedAt: u.releasedAt?.toISOString() ?? null })),
    allowedEvents: allowedEvents(t.status),
  };
}

/**
 * Each open deadline with the working time left (第二十一条 limits run in working time), so a desk can
 * say "剩余 1个工作日3小时" without a calendar of its own. Negative when overdue (working minutes past).
 */
export function withRemaining<T extends { deadlines: Array<{ dueAt: string; kind: string }> }>(summary: T, clock: { workingMinutesBetween(a: Date, b: Date): number; officeHours: ReadonlyArray<readonly [number, number]> }, now: Date) {
  const dayMinutes = clock.officeHours.reduce((n, [a, b]) => n + (b - a), 0);
  // A window passed (the 1 working day to return, 第二十一条(二)) is closed, not overdue: not shown.
  const open = summary.deadlines.filter((d) => !(WINDOW_KINDS as readonly string[]).includes(d.kind) || new Date(d.dueAt) > now);
  return {
    ...summary,
    deadlines: open.map((d) => {
      const due = new Date(d.dueAt);
      const remaining = due > now ? clock.workingMinutesBetween(now, due) : -clock.workingMinutesBetween(due, now);
      return { ...d, overdue: due <= now, remainingWorkingMinutes: remaining, workingDayMinutes: dayMinutes };
    }),
  };
}
