import crypto from 'node:crypto';
import { SmsGateway, SmsMessage, SmsResult } from '../../sms/gateway';
import { Logger } from '../../logging/logger';
import { maskPhone } from '../../logging/mask';

/** The default gateway: writes to the log (number masked, 第二十七条) and keeps the last messages in memory for inspection. */
export class LogSmsGateway implements SmsGateway {
  readonly name = 'log';
  readonly sent: Array<SmsMessage & { id: string; at: Date }> = [];

  constructor(private readonly log: Logger, private readonly keep = 1000) {}

  async send(message: SmsMessage): Promise<SmsResult> {
    const id = `log-${crypto.randomUUID()}`;
    this.sent.push({ ...message, id, at: new Date() });
    if (this.sent.length > this.keep) this.sent.shift();
    this.log.info({ smsId: id, to: maskPhone(message.to), chars: message.body.length }, 'sms (log gateway, not sent)');
    return { id, status: 'logged' };
  }
}
