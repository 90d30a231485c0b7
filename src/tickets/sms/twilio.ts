import type twilioType from 'twilio';
import { SmsGateway, SmsMessage, SmsResult } from '../../sms/gateway';

/** Chinese mobile numbers are sent in E.164 (+86…); anything already international is left as is. */
export function toE164(number: string): string {
  const d = number.replace(/[^\d+]/g, '');
  if (d.startsWith('+')) return d;
  if (/^1[3-9]\d{9}$/.test(d)) return `+86${d}`;
  if (/^86\d{11}$/.test(d)) return `+${d}`;
  return d;
}

/**
 * The twilio package, loaded at first use rather than at start: with the default SMS_GATEWAY=log it is
 * never needed (issue #13, memory after start).
 */
function twilio(): typeof twilioType {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('twilio') as typeof twilioType;
}

/** SMS through Twilio's (or a Twilio-compatible gateway's) Messages API, via the official `twilio` package. */
export class TwilioSmsGateway implements SmsGateway {
  readonly name = 'twilio';
  private readonly client: twilioType.Twilio;

  constructor(opts: { accountSid: string; authToken: string; from: string; clientOptions?: twilioType.ClientOpts }, client?: twilioType.Twilio) {
    this.client = client ?? twilio()(opts.accountSid, opts.authToken, opts.clientOptions);
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
  return twilio().validateRequest(authToken, signature, url, params);
}
