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
  new TelephonyError(503, 'telephony.unavailable', `与 Asterisk 服务器 ${serverId} 的 ${link} 连接未建立`, { serverId, link });

export const disconnected = (serverId: string, link: string, action: string) =>
  new TelephonyError(503, 'telephony.disconnected', `${action} 完成前与 Asterisk 服务器 ${serverId} 的连接已断开`, { serverId, link, action });

export const timedOut = (serverId: string, link: string, action: string, ms: number) =>
  new TelephonyError(504, 'telephony.timeout', `Asterisk 服务器 ${serverId} 在 ${ms} 毫秒内未响应 ${action}`, { serverId, link, action, timeoutMs: ms });

export const rejected = (serverId: string, link: string, action: string, message: string, status?: number) =>
  new TelephonyError(502, 'telephony.command_failed', `Asterisk 服务器 ${serverId} 执行 ${action} 失败：${message}`, { serverId, link, action, asteriskMessage: message, asteriskStatus: status });

export const unknownServer = (serverId: string) =>
  new TelephonyError(404, 'telephony.unknown_server', `未配置 id 为 ${serverId} 的 Asterisk 服务器`, { serverId });
