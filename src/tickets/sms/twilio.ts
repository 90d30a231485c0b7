import twilio from 'twilio';
import { SmsGateway, SmsMessage, SmsResult } from '../../sms/gateway';

/** Chinese mobile numbers are sent in E.164 (+86…); anything already international is left as is. */
export function toE164(number: string): string {
  const d = number.replace(/[^\d+]/g, '');
  if (d.startsWith('+')) return d;
  if (/^1[3-9]\d{9}$/.test(d)) return `+86${d}`;
  if (/^86\d{11}$/.test(d)) return `+${d}`;
  return d;
}

/** SMS through Twilio's (or a Twilio-compatible gateway's) Messages API, via the official `twilio` package. */
export class TwilioSmsGateway implements SmsGateway {
  readonly name = 'twilio';
  private readonly client: twilio.Twilio;

  constructor(opts: { accountSid: string; authToken: string; from: string; clientOptions?: twilio.ClientOpts }, client?: twilio.Twilio) {
    this.client = client ?? twilio(opts.accountSid, opts.authToken, opts.clientOptions);
    this.from = opts.from;
  }

  private readonly from: string;

  async send(message: SmsMessage): Promise<SmsResult> {
    const m = await this.client.messages.create({ to: toE164(message.to), from: this.from, body: message.body });
    return { id: m.sid, status: String(m.status) };
  }
}

/** Twilio's webhook signature check (X-Twilio-Signature over the public URL and the form fields). */
export function validTwilioSignature(authToken: string, signature: string | undefined, url: string, params: Record<string, string>): boolean {
  if (!signature) return false;
  return twilio.validateRequest(authToken, signature, url, params);
}
