/**
 * Typed application errors. Each carries an HTTP status, a stable `id` that clients may switch on,
 * a Simplified Chinese message for people, and `details` for machines. The error middleware turns
 * them into `{ error: { id, message, details } }`.
 */
export class AppError extends Error {
  constructor(
    public readonly status: number,
    public readonly id: string,
    message: string,
    public readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (id: string, message: string, details?: Record<string, unknown>) => new AppError(400, id, message, details);
export const unauthenticated = (message = '请先登录') => new AppError(401, 'auth.unauthenticated', message);
export const forbidden = (details?: Record<string, unknown>) => new AppError(403, 'auth.forbidden', '您的角色无权执行此操作', details);
export const notFound = (id: string, message: string, details?: Record<string, unknown>) => new AppError(404, id, message, details);
export const conflict = (id: string, message: string, details?: Record<string, unknown>) => new AppError(409, id, message, details);
export const unprocessable = (id: string, message: string, details?: Record<string, unknown>) => new AppError(422, id, message, details);
export const unavailable = (id: string, message: string, details?: Record<string, unknown>) => new AppError(503, id, message, details);
