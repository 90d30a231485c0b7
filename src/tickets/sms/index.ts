import { AppConfig } from '../../config/load';
import { Logger } from '../../logging/logger';
import { SmsGateway } from '../../sms/gateway';
import { LogSmsGateway } from './log';
import { TwilioSmsGateway } from './twilio';

/** The adapter SMS_GATEWAY names (config validation already demands the TWILIO_* values for twilio). */
export function createSmsGateway(config: AppConfig, log: Logger): SmsGateway {
  if (config.smsGateway === 'twilio') {
    return new TwilioSmsGateway({ accountSid: config.twilioAccountSid!, authToken: config.twilioAuthToken!, from: config.twilioFrom! });
  }
  return new LogSmsGateway(log.child({ component: 'sms' }));
}
