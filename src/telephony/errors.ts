import { AppError } from '../http/errors';

/**
 * Telephony failures as AppErrors, so a route that calls a command can simply let them propagate:
 * 503 when the PBX link is down, 504 when Asterisk did not answer in time, 502 when it refused.
 */
export class TelephonyError extends AppError {
  constructor(status: number, id: string, message: string, details: Record<string, unknown> = {}) {
    super(status, id, message, details);
    this.name = 'TelephonyError';
  }
}

export const notConnected = (serverId: string, link: string) =>
  new TelephonyError(503, 'telephony.unavailable', `Telephony link ${link} to ${serverId} is not connected`, { serverId, link });

export const disconnected = (serverId: string, link: string, action: string) =>
  new TelephonyError(503, 'telephony.disconnected', `Connection to ${serverId} was lost before ${action} completed`, { serverId, link, action });

export const timedOut = (serverId: string, link: string, action: string, ms: number) =>
  new TelephonyError(504, 'telephony.timeout', `${action} on ${serverId} got no answer within ${ms} ms`, { serverId, link, action, timeoutMs: ms });

export const rejected = (serverId: string, link: string, action: string, message: string, status?: number) =>
  new TelephonyError(502, 'telephony.command_failed', `${action} failed on ${serverId}: ${message}`, { serverId, link, action, asteriskMessage: message, asteriskStatus: status });

export const unknownServer = (serverId: string) =>
  new TelephonyError(404, 'telephony.unknown_server', `No Asterisk server configured with id ${serverId}`, { serverId });
