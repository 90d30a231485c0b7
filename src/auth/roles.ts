/** The roles of a 12345 centre. Every route declares which of them it admits. */
export const ROLES = ['operator', 'expert', 'supervisor', 'unit_handler', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Hotline staff who handle calls and tickets inside the centre. */
export const HOTLINE_STAFF: Role[] = ['operator', 'expert', 'supervisor', 'admin'];
/** Everyone with an account. */
export const ANY_ROLE: Role[] = [...ROLES];

/** Roles that may see callers' numbers and names unmasked (第二十七条: only those who need them). */
export const SEES_PERSONAL_DATA: Role[] = ['operator', 'expert', 'supervisor'];

export interface AuthUser {
  id: number;
  username: string;
  displayName: string;
  roles: Role[];
  centre: string | null;
  unitCode: string | null;
  extension: string | null;
}

export function hasAnyRole(user: AuthUser, roles: readonly Role[]): boolean {
  return user.roles.some((r) => roles.includes(r));
}

export function seesPersonalData(user: AuthUser | null | undefined): boolean {
  return !!user && hasAnyRole(user, SEES_PERSONAL_DATA);
}
