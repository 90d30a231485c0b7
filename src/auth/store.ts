import { Knex } from 'knex';
import { prepared } from '../db/prepared';
import { AuthUser, Role } from './roles';

interface UserRow {
  id: string | number;
  username: string;
  display_name: string;
  password_hash: string;
  roles: Role[];
  centre: string | null;
  unit_code: string | null;
  extension: string | null;
  active: boolean;
}

export interface NewUser {
  username: string;
  displayName: string;
  passwordHash: string;
  roles: Role[];
  centre?: string | null;
  unitCode?: string | null;
  extension?: string | null;
}

function toUser(r: Omit<UserRow, 'password_hash'>): AuthUser & { active: boolean } {
  return {
    id: Number(r.id),
    username: r.username,
    displayName: r.display_name,
    roles: r.roles,
    centre: r.centre,
    unitCode: r.unit_code,
    extension: r.extension,
    active: r.active,
  };
}

/** Users and login sessions in PostgreSQL. */
export class UserStore {
  constructor(private readonly knex: Knex) {}

  async insert(u: NewUser): Promise<AuthUser> {
    const [row] = await this.knex('users')
      .insert({
        username: u.username,
        display_name: u.displayName,
        password_hash: u.passwordHash,
        roles: u.roles,
        centre: u.centre ?? null,
        unit_code: u.unitCode ?? null,
        extension: u.extension ?? null,
      })
      .returning('*');
    return toUser(row);
  }

  async findCredentials(username: string): Promise<{ user: AuthUser & { active: boolean }; passwordHash: string } | null> {
    const row = (await this.knex('users').where({ username }).first()) as UserRow | undefined;
    return row ? { user: toUser(row), passwordHash: row.password_hash } : null;
  }

  async findById(id: number): Promise<(AuthUser & { active: boolean }) | null> {
    const row = (await this.knex('users').where({ id }).first()) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  async list(): Promise<(AuthUser & { active: boolean })[]> {
    const rows = (await this.knex('users').orderBy('id')) as UserRow[];
    return rows.map(toUser);
  }

  async count(): Promise<number> {
    const [{ n }] = await this.knex('users').count<{ n: string }[]>({ n: '*' });
    return Number(n);
  }

  async update(id: number, patch: Partial<{ displayName: string; roles: Role[]; centre: string | null; unitCode: string | null; extension: string | null; active: boolean; passwordHash: string }>): Promise<(AuthUser & { active: boolean }) | null> {
    const row: Record<string, unknown> = { updated_at: this.knex.fn.now() };
    if (patch.displayName !== undefined) row.display_name = patch.displayName;
    if (patch.roles !== undefined) row.roles = patch.roles;
    if (patch.centre !== undefined) row.centre = patch.centre;
    if (patch.unitCode !== undefined) row.unit_code = patch.unitCode;
    if (patch.extension !== undefined) row.extension = patch.extension;
    if (patch.active !== undefined) row.active = patch.active;
    if (patch.passwordHash !== undefined) row.password_hash = patch.passwordHash;
    const [r] = await this.knex('users').where({ id }).update(row).returning('*');
    return r ? toUser(r) : null;
  }

  async createSession(tokenHash: string, userId: number, expiresAt: Date): Promise<void> {
    await this.knex('sessions').insert({ token_hash: tokenHash, user_id: userId, expires_at: expiresAt });
  }

  /**
   * Runs with every authenticated request not answered by the session cache: SQL text of its own (no
   * builder to compile) as a prepared statement (planned once per connection; issue #13). Its columns
   * are named, not `*` (see prepared()). Answers the session's expiry too (how long it may be cached).
   */
  async findSessionUser(tokenHash: string, now: Date): Promise<{ user: AuthUser & { active: boolean }; expiresAt: Date } | null> {
    const r = await prepared(
      this.knex,
      `select u.id, u.username, u.display_name, u.roles, u.centre, u.unit_code, u.extension, u.active, s.expires_at
       from sessions as s join users as u on u.id = s.user_id
       where s.token_hash = ? and s.revoked_at is null and s.expires_at > ? limit 1`,
      [tokenHash, now],
    );
    const row = r.rows[0] as (Omit<UserRow, 'password_hash'> & { expires_at: Date | string }) | undefined;
    return row ? { user: toUser(row), expiresAt: new Date(row.expires_at) } : null;
  }

  async revokeSession(tokenHash: string): Promise<void> {
    await this.knex('sessions').where({ token_hash: tokenHash }).update({ revoked_at: this.knex.fn.now() });
  }

  async revokeAllSessions(userId: number): Promise<void> {
    await this.knex('sessions').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: this.knex.fn.now() });
  }
}
