/**
 * Outgoing SMS, shared by every feature that texts a caller (tickets' replies and satisfaction
 * visits, 第二十一条(四) and 第二十二条(三); later the calls feature). A feature looks for an existing
 * gateway in `ctx.services.get('sms')` before building its own, so one adapter serves all.
 */
export interface SmsMessage {
  /** Recipient number (E.164 or a Chinese mobile number). */
  to: string;
  body: string;
}

export interface SmsResult {
  /** The provider's message id (Twilio SID, or a local id for the log adapter). */
  id: string;
  status: string;
}

export interface SmsGateway {
  readonly name: string;
  send(message: SmsMessage): Promise<SmsResult>;
}

export const SMS_SERVICE_KEY = 'sms';
