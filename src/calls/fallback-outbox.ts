import { Knex } from 'knex';
import { Logger } from '../logging/logger';
import { maskPhone } from '../logging/mask';
import { SmsGateway } from '../sms/gateway';
import { PbxControl } from './pbx';
import { RecordingCollector } from './recordings';

export const OUTBOX_FAMILY = 'hotline-outbox';

/** What the outbox needs of the tickets capability: a draft for a voice message, with its call linked. */
export interface TicketDrafts {
  createDraft(input: { callerPhone: string; content: string; linkedid: string }): Promise<string>;
  linkRecording(ticketNo: string, rec: { recordingId: string; linkedid: string; meta?: Record<string, unknown> }): Promise<boolean>;
}

/**
 * The busy fallback's follow-up (第二十条(二)). The dialplan writes what the caller chose into the
 * AstDB family `hotline-outbox` (a durable outbox that outlives a stopped service); the service
 * sends the link by SMS (key `sms-<linkedid>`) or turns a voice message into a ticket draft with its
 * recording (key `message-<linkedid>`), then deletes the key. Each action is idempotent: the SMS is
 * keyed in `sms_outbox`, the draft by the call's linkedid.
 */
export class FallbackOutbox {
  constructor(
    private readonly knex: Knex,
    private readonly pbx: PbxControl,
    private readonly sms: SmsGateway | null,
    private readonly drafts: TicketDrafts | null,
    private readonly recordings: RecordingCollector,
    private readonly smsText: string,
    private readonly log: Logger,
  ) {}

  private readonly draining = new Map<string, Promise<number>>();
  private readonly again = new Set<string>();

  /**
   * Drain every key left in a server's outbox (after a connect or reconnect, and after each fallback
   * call ends). One drain per server at a time; a request that arrives meanwhile runs one more pass.
   */
  drain(serverId: string): Promise<number> {
    const running = this.draining.get(serverId);
    if (running) {
      this.again.add(serverId);
      return running;
    }
    const p = (async () => {
      let done = 0;
      do {
        this.again.delete(serverId);
        done += await this.drainOnce(serverId);
      } while (this.again.has(serverId));
      return done;
    })().finally(() => this.draining.delete(serverId));
    this.draining.set(serverId, p);
    return p;
  }

  private async drainOnce(serverId: string): Promise<number> {
    const entries = await this.pbx.dbList(serverId, OUTBOX_FAMILY);
    let done = 0;
    for (const [key, caller] of Object.entries(entries)) {
      const m = /^(sms|message)-(.+)$/.exec(key);
      if (!m) continue;
      try {
        if (m[1] === 'sms') {
          if (!(await this.sendLink(serverId, m[2], caller))) continue; // another instance is sending it
        } else if (!(await this.messageToDraft(serverId, m[2], caller))) continue; // recording not there yet: keep the key
        await this.pbx.dbDel(serverId, OUTBOX_FAMILY, key);
        done++;
      } catch (err) {
        this.log.warn({ err: (err as Error).message, key: m[1], linkedid: m[2] }, 'fallback outbox entry failed; kept for the next pass');
      }
    }
    return done;
  }

  /**
   * Send the link once: the SMS row is claimed (pending/failed → sending) before the gateway is
   * called, so overlapping drains or instances never text a citizen twice. False while another
   * sender holds it.
   */
  async sendLink(serverId: string, linkedid: string, caller: string): Promise<boolean> {
    const dedupe = `fallback-sms:${serverId}:${linkedid}`;
    await this.knex('sms_outbox').insert({ purpose: 'fallback-link', to_number: caller, body: this.smsText, dedupe_key: dedupe }).onConflict('dedupe_key').ignore();
    const claimed = await this.knex('sms_outbox').where({ dedupe_key: dedupe }).whereIn('status', ['pending', 'failed']).update({ status: 'sending' }).returning('id');
    if (!claimed.length) {
      const row = await this.knex('sms_outbox').where({ dedupe_key: dedupe }).first('status');
      return row?.status === 'sent';
    }
    if (!this.sms) {
      await this.knex('sms_outbox').where({ dedupe_key: dedupe }).update({ status: 'failed', error: 'no SMS gateway configured' });
      throw new Error('no SMS gateway configured');
    }
    try {
      const result = await this.sms.send({ to: caller, body: this.smsText });
      await this.knex('sms_outbox').where({ dedupe_key: dedupe }).update({ status: 'sent', provider_id: result.id, sent_at: this.knex.fn.now() });
    } catch (err) {
      await this.knex('sms_outbox').where({ dedupe_key: dedupe }).update({ status: 'failed', error: (err as Error).message.slice(0, 500) });
      throw err;
    }
    this.log.info({ caller: maskPhone(caller), linkedid }, 'busy-fallback link sent by SMS');
    return true;
  }

  /** True when the draft exists (made now or before); false while the message recording is not collected yet. */
  async messageToDraft(serverId: string, linkedid: string, caller: string): Promise<boolean> {
    if (!this.drafts) throw new Error('tickets are not available for voice messages');
    const name = `/var/spool/asterisk/monitor/hotline-messages/${linkedid}.wav`;
    // The dialplan writes this entry only after Record() returned (the file is closed); the collector
    // still takes the file only with its final header.
    let rec = await this.knex('recordings').where({ server_id: serverId, name }).first();
    if (!rec || rec.state === 'recording' || rec.state === 'finished') {
      if (!rec) await this.recordings.started({ serverId, file: name, linkedid, kind: 'message', at: new Date() });
      await this.recordings.finished(serverId, name, new Date());
      rec = await this.knex('recordings').where({ server_id: serverId, name }).first();
    }
    if (rec?.state === 'missing') {
      // Nothing was recorded (the caller hung up during the beep): no draft pointing at a missing
      // file. The call stays on the callback list (fallback-message needs a call back).
      this.log.warn({ caller: maskPhone(caller), linkedid }, 'voice message has no recording; no ticket draft made');
      return true;
    }
    if (rec?.state !== 'collected') return false;
    // Claim the draft first: one ticket per message, whatever drains overlap. A claim left by a crashed
    // drain (no ticket after 10 minutes) may be taken again.
    const fresh = await this.knex('fallback_drafts').insert({ server_id: serverId, linkedid }).onConflict(['server_id', 'linkedid']).ignore().returning('linkedid');
    if (!fresh.length) {
      const existing = await this.knex('fallback_drafts').where({ server_id: serverId, linkedid }).first();
      if (existing?.ticket_no) return true;
      const stale = await this.knex('fallback_drafts').where({ server_id: serverId, linkedid }).whereNull('ticket_no').where('claimed_at', '<', new Date(Date.now() - 10 * 60_000)).update({ claimed_at: this.knex.fn.now() }).returning('linkedid');
      if (!stale.length) return false;
    }
    const call = await this.knex('calls').where({ server_id: serverId, linkedid }).first();
    let ticketNo: string;
    try {
      ticketNo = await this.drafts.createDraft({ callerPhone: caller, linkedid, content: `【语音留言】线路繁忙时来电留言，请回听录音后补充诉求内容。来电时间：${new Date(call?.started_at ?? Date.now()).toISOString()}` });
    } catch (err) {
      // Give the claim back so the next pass tries again at once.
      await this.knex('fallback_drafts').where({ server_id: serverId, linkedid }).whereNull('ticket_no').del();
      throw err;
    }
    await this.knex('fallback_drafts').where({ server_id: serverId, linkedid }).update({ ticket_no: ticketNo });
    const recording = await this.knex('recordings').where({ server_id: serverId, name }).first();
    await this.drafts.linkRecording(ticketNo, { recordingId: String(recording.id), linkedid, meta: { kind: 'message', path: recording.path } });
    await this.knex('calls').where({ server_id: serverId, linkedid }).update({ ticket_no: ticketNo });
    this.log.info({ caller: maskPhone(caller), linkedid, ticketNo }, 'voice message became a ticket draft');
    return true;
  }
}
