import { AuthUser } from '../../auth/roles';
import { ConferenceService } from './conference';
import { LinkageDeps, actorOf } from './live';
import { TransferService } from './transfers';
import { RULES } from '../../tickets/state';

export const EMERGENCY_SERVICES = ['110', '119', '120', '122'] as const;
export type EmergencyService = (typeof EMERGENCY_SERVICES)[number];

/**
 * Emergency linkage (第十二条; 第十七条(四): matters of 110/119/120/122 are theirs, not 12345's;
 * 国办发〔2022〕12号: 12345 and 110 transfer to each other with one key, and hold a three-way call
 * with the caller when responsibility is unclear). `transfer` hands the caller over at once, whatever
 * the line's hours or reachable flag (it is still attempted, and a failure rings the operator back);
 * `three_way` keeps the operator on the line with the caller and the emergency centre.
 * The ticket records it: linked to the call, an audited linkage entry, and — for a handed-over matter
 * still awaiting acceptance — 不予受理 with reason emergency_line (第十七条(四)).
 */
const HANDOVER_FROM: readonly string[] = RULES.emergency_handover.from;

export class EmergencyLinkage {
  constructor(private readonly d: LinkageDeps, private readonly transfers: TransferService, private readonly conferences: ConferenceService) {}

  async link(user: AuthUser, callId: number, req: { service: EmergencyService; mode: 'transfer' | 'three_way'; ticketNo?: string | null; summary?: string | null }, requestId?: string) {
    const line = await this.d.lines.get(req.service);
    const result = req.mode === 'transfer'
      ? { transfer: await this.transfers.start(user, callId, { line: line.code, mode: 'blind', ticketNo: req.ticketNo, summary: req.summary, emergency: true }, requestId) }
      : { conference: await this.conferences.start(user, callId, { line: line.code, ticketNo: req.ticketNo, emergency: true }, requestId) };
    const ticketNo = result.transfer?.ticket_no ?? result.conference?.ticket_no ?? null;
    const tickets = this.d.tickets();
    let ticketAction: string | null = null;
    if (ticketNo && tickets) {
      const call = await this.d.store.getCall(callId);
      if (call) await tickets.linkCall(ticketNo, call.linkedid);
      await this.d.audit.record({ actorUserId: user.id, actor: user.username, action: 'ticket.emergency_linkage', targetType: 'ticket', targetId: ticketNo, requestId, details: { service: req.service, mode: req.mode, callId, line: line.name } });
      const t = await tickets.get(ticketNo);
      // 第十七条(四): the matter belongs to the emergency line, whatever state it was registered in
      // (the default registration accepts at once): the ticket ends as 不予受理 with that reason.
      // A three-way call is for a matter whose responsibility is still unclear: the ticket stays open.
      if (req.mode === 'transfer' && HANDOVER_FROM.includes(t.status)) {
        await tickets.act(ticketNo, { type: 'emergency_handover', line: line.code, reason: `已一键转接${line.name}` }, actorOf(user, requestId));
        ticketAction = 'not_accept';
      }
    }
    return { service: req.service, mode: req.mode, ticketNo, ticketAction, ...result };
  }
}
