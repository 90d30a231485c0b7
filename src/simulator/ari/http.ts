/** Minimal routing for the ARI REST API. */
export interface Req { params: Record<string, string>; query: Record<string, string>; body: unknown; host: string }
export interface Res {
  status: number; reason: string; body?: unknown; raw?: Buffer; contentType?: string;
  headers?: Record<string, string>;
  /** Runs after the response is written (events that follow the response, e.g. PlaybackStarted). */
  after?: () => void;
}
export interface Route { method: string; pattern: string; handler: (r: Req) => Res | Promise<Res> }

export class AriError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string, readonly body: unknown = { message }) { super(message); }
}

export const noContent = (after?: () => void): Res => ({ status: 204, reason: 'No Content', after });
export const okJson = (body: unknown, after?: () => void): Res => ({ status: 200, reason: 'OK', body, after });
export const fail = (status: number, reason: string, message: string): never => { throw new AriError(status, reason, message); };

export function matchRoute(routes: Route[], method: string, path: string): { route: Route; params: Record<string, string> } | 'nomethod' | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let pathMatched = false;
  for (const r of routes) {
    const pp = r.pattern.split('/').filter(Boolean);
    if (pp.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pp.length; i++) {
      if (pp[i].startsWith(':')) params[pp[i].slice(1)] = parts[i];
      else if (pp[i] !== parts[i]) { ok = false; break; }
    }
    if (!ok) continue;
    pathMatched = true;
    if (r.method === method.toUpperCase()) return { route: r, params };
  }
  return pathMatched ? 'nomethod' : undefined;
}

/** ARI variables body: `{variables: {K: "v" | {value: "v"}}}`; anything else is ignored (capture 06). */
export function bodyVariables(body: unknown): Array<[string, string]> {
  if (!body || typeof body !== 'object') return [];
  const v = (body as Record<string, unknown>).variables;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  return Object.entries(v as Record<string, unknown>).map(([k, val]) => [k, typeof val === 'object' && val !== null ? String((val as Record<string, unknown>).value ?? '') : String(val)]);
}
