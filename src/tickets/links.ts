import { Knex } from 'knex';
import { notFound } from '../http/errors';
import { AuditStore } from '../audit/store';
import { Actor } from './service';

export interface RecordingRef {
  /** The recording's id as the calls feature knows it (e.g. Asterisk recording name / file). */
  recordingId: string;
  /** Asterisk linkedid of the call it belongs to (every leg — transfer, conference — shares it). */
  linkedid?: string | null;
  meta?: Record<string, unknown>;
}

/**
 * Links between tickets and calls/recordings, keyed by Asterisk linkedid and recording id.
 * Idempotent: a replayed link is a no-op (architecture: writes from events are keyed).
 */
export class TicketLinks {
  constructor(private readonly knex: Knex, private readonly audit: AuditStore, private readonly now: () => Date) {}

  private async mustExist(no: string, trx: Knex | Knex.Transaction) {
    if (!(await trx('tickets').where({ no }).first('no'))) throw notFound('ticket.not_found', `工单 ${no} 不存在`, { no });
  }

  /** Link a call (by linkedid) and any recordings of it already finished. Returns whether the call link is new. */
  async linkCall(ticketNo: string, linkedid: string, recordings: RecordingRef[] = [], actor?: Actor): Promise<boolean> {
    const at = this.now();
    return this.knex.transaction(async (trx) => {
      await this.mustExist(ticketNo, trx);
      const r = await trx('ticket_calls').insert({ ticket_no: ticketNo, linkedid, linked_at: at }).onConflict(['ticket_no', 'linkedid']).ignore().returning('linkedid');
      for (const rec of recordings) await this.insertRecording(trx, ticketNo, { ...rec, linkedid: rec.linkedid ?? linkedid }, at);
      if (r.length) await this.audit.record({ actorUserId: actor?.userId ?? null, actor: actor?.username ?? 'system:calls', action: 'ticket.link_call', targetType: 'ticket', targetId: ticketNo, details: { linkedid } }, trx);
      return r.length > 0;
    });
  }

  async linkRecording(ticketNo: string, rec: RecordingRef): Promise<boolean> {
    const at = this.now();
    return this.knex.transaction(async (trx) => {
      await this.mustExist(ticketNo, trx);
      return this.insertRecording(trx, ticketNo, rec, at);
    });
  }

  /**
   * A recording finished after the ticket was made (issue 6 §4): link it to every ticket of its call.
   * Returns the tickets it was linked to (none when no ticket has that call yet; linkCall brings it later).
   */
  async recordingLanded(rec: RecordingRef & { linkedid: string }): Promise<string[]> {
    const at = this.now();
    return this.knex.transaction(async (trx) => {
      const tickets = (await trx('ticket_calls').where({ linkedid: rec.linkedid }).select('ticket_no')).map((r: { ticket_no: string }) => r.ticket_no);
      const linked: string[] = [];
      for (const no of tickets) if (await this.insertRecording(trx, no, rec, at)) linked.push(no);
      return linked;
    });
  }

  async ticketsForCall(linkedid: string): Promise<string[]> {
    return (await this.knex('ticket_calls').where({ linkedid }).orderBy('linked_at').select('ticket_no')).map((r: { ticket_no: string }) => r.ticket_no);
  }

  private async insertRecording(trx: Knex.Transaction, ticketNo: string, rec: RecordingRef, at: Date): Promise<boolean> {
    const r = await trx('ticket_recordings')
      .insert({ ticket_no: ticketNo, recording_id: rec.recordingId, linkedid: rec.linkedid ?? null, meta: JSON.stringify(rec.meta ?? {}), linked_at: at })
      .onConflict(['ticket_no', 'recording_id'])
      .ignore()
      .returning('recording_id');
    return r.length > 0;
  }

  /** Attachment metadata (the bytes live in object storage / RECORDINGS_DIR-like storage, named by storageKey). */
  async addAttachment(ticketNo: string, a: { fileName: string; contentType: string; sizeBytes: number; storageKey: string; sha256?: string | null }, actor: Actor) {
    const at = this.now();
    return this.knex.transaction(async (trx) => {
      await this.mustExist(ticketNo, trx);
      const [row] = await trx('ticket_attachments')
        .insert({ ticket_no: ticketNo, file_name: a.fileName, content_type: a.contentType, size_bytes: a.sizeBytes, storage_key: a.storageKey, sha256: a.sha256 ?? null, uploaded_by: actor.username, uploaded_at: at })
        .returning('id');
      await this.audit.record({ actorUserId: actor.userId, actor: actor.username, action: 'ticket.attach', targetType: 'ticket', targetId: ticketNo, requestId: actor.requestId, details: { fileName: a.fileName } }, trx);
      return Number(row.id ?? row);
    });
  }
}
