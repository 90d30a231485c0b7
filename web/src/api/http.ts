import { clearSession, session } from '../session';

/** An API error as the service renders it: {error:{id,message,details}}. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly id: string, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

// Chinese wording for the errors a user meets most; other messages come from the service as they are.
const MESSAGES: Record<string, string> = {
  'auth.invalid_credentials': '用户名或密码错误',
  'auth.locked': '登录失败次数过多，请稍后再试',
  'auth.unauthenticated': '登录已失效，请重新登录',
  'auth.forbidden': '当前角色无权执行此操作',
  'request.invalid': '填写的内容不完整或格式不对',
  'validation.failed': '填写的内容不完整或格式不对',
  'operator.already_logged_in': '已签入',
  'operator.not_logged_in': '请先签入',
  'operator.no_extension': '账号未绑定软电话分机，请联系管理员',
  'operator.illegal_transition': '当前状态下不能执行该操作',
  'ticket.illegal_transition': '工单当前状态下不能执行该操作',
  'call.ended': '通话已结束',
  'call.not_connected': '来电当前未与话务员通话',
  'monitor.no_extension': '值班长账号未绑定分机，无法监听',
  'missed_call.not_pending': '该回拨已被他人领取',
};

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return MESSAGES[err.id] ?? err.message;
  return '无法连接服务器';
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const e = data?.error ?? { id: 'http.' + res.status, message: res.statusText, details: {} };
    if (res.status === 401 && path !== '/api/auth/login') {
      clearSession();
      location.assign('/login');
    }
    throw new ApiError(res.status, e.id, e.message, e.details);
  }
  return data as T;
}

export const get = <T = unknown>(path: string) => api<T>('GET', path);
export const post = <T = unknown>(path: string, body: unknown = {}) => api<T>('POST', path, body);

export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** Send a file as the request body itself (its own media type), e.g. a ticket attachment. */
export async function uploadFile<T = unknown>(path: string, file: File, contentType = file.type || 'application/octet-stream'): Promise<T> {
  const res = await fetch(path, { method: 'POST', headers: { authorization: `Bearer ${session.token}`, 'content-type': contentType }, body: file });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = data?.error ?? { id: 'http.' + res.status, message: res.status === 413 ? '文件过大' : res.statusText, details: {} };
    throw new ApiError(res.status, e.id, e.message, e.details);
  }
  return data as T;
}

/** Fetch a protected file with the session's token and hand it to the browser as a download. */
export async function downloadFile(path: string, name: string): Promise<void> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${session.token}` } });
  if (!res.ok) throw new ApiError(res.status, 'download.failed', '下载失败');
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
