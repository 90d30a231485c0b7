import { reactive } from 'vue';
import type { User, Role } from './api/types';

// The login token lives in this tab only (sessionStorage): closing the tab ends the session here.
const TOKEN = 'hotline.token';
const USER = 'hotline.user';

export const session = reactive<{ token: string | null; user: User | null }>({
  token: sessionStorage.getItem(TOKEN),
  user: JSON.parse(sessionStorage.getItem(USER) ?? 'null') as User | null,
});

export function saveSession(token: string, user: User) {
  sessionStorage.setItem(TOKEN, token);
  sessionStorage.setItem(USER, JSON.stringify(user));
  session.token = token;
  session.user = user;
}

export function clearSession() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(USER);
  session.token = null;
  session.user = null;
}

export const hasRole = (...roles: Role[]) => !!session.user && session.user.roles.some((r) => roles.includes(r));

/** Where each role works all day (the first that applies). */
export function homeOf(user: User | null): string {
  if (!user) return '/login';
  const r = user.roles;
  if (r.includes('operator') || r.includes('expert')) return '/operator';
  if (r.includes('supervisor')) return '/supervisor';
  if (r.includes('unit_handler')) return '/unit';
  if (r.includes('admin')) return '/admin';
  if (r.includes('auditor')) return '/audit';
  return '/tickets';
}
