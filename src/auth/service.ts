import { AppError, badRequest, conflict, notFound, unauthenticated } from '../http/errors';
import { AuditStore } from '../audit/store';
import { LiveStore } from '../live/store';
import { Logger } from '../logging/logger';
import { hashPassword, newToken, passwordProblem, tokenHash, verifyPassword } from './password';
import { AuthUser, Role } from './roles';
import { SessionCache } from './session-cache';
import { NewUser, UserStore } from './store';

const MAX_FAILURES = 10;
const LOCKOUT_SECONDS = 15 * 60;
/** Live-store channel of session revocations: `{"tokenHash":…}` or `{"userId":…}` (JSON). */
const REVOKED_CHANNEL = 'auth:revoked';
/** How long a resolved token is trusted without asking the database (see SessionCache). */
const SESSION_CACHE_MS = 5_000;
const SESSION_CACHE_MAX = 20_000;

/** The password KDF, injectable so a test can count its invocations (never timing). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}
export const scryptHasher: PasswordHasher = { hash: hashPassword, verify: verifyPassword };

export interface CreateUserInput {
  username: string;
  displayName: string;
  password: string;
  roles: Role[];
  centre?: string | null;
  unitCode?: string | null;
  extension?: string | null;
}

/** Logins, tokens and user administration. */
export class AuthService {
  constructor(
    private readonly users: UserStore,
    private readonly audit: AuditStore,
    private readonly live: LiveStore,
    private readonly log: Logger,
    private readonly tokenTtlHours: number,
    private readonly hasher: PasswordHasher = scryptHasher,
  ) {}

  private readonly sessions = new SessionCache({ ttlMs: SESSION_CACHE_MS, max: SESSION_CACHE_MAX });
  /** Whether revocations reach this instance now; without that, nothing is cached (start() not run, or Redis away). */
  private revocationsHeard = false;
  private unsubscribe: (() => Promise<void>) | null = null;

  /**
   * Listen for session revocations from every instance (this one included), after which resolved
   * tokens are cached for a few seconds. Without start() (the CLI) every token is looked up.
   */
  async start(): Promise<void> {
    this.live.onSubscriptionState?.((up) => {
      // Revocations published while the subscription was down never arrive: forget what they may have ended.
      this.sessions.clear();
      this.revocationsHeard = up && this.unsubscribe !== null;
    });
    this.unsubscribe = await this.live.subscribe(REVOKED_CHANNEL, (message) => this.revoked(message));
    this.sessions.clear();
    this.revocationsHeard = true;
  }

  async stop(): Promise<void> {
    this.revocationsHeard = false;
    this.sessions.clear();
    const u = this.unsubscribe;
    this.unsubscribe = null;
    await u?.().catch(() => undefined);
  }

  private revoked(message: string) {
    try {
      const m = JSON.parse(message) as { tokenHash?: unknown; userId?: unknown };
      if (typeof m.tokenHash === 'string') this.sessions.drop({ tokenHash: m.tokenHash });
      else if (typeof m.userId === 'number') this.sessions.drop({ userId: m.userId });
      else this.sessions.clear();
    } catch {
      this.sessions.clear();
    }
  }

  /**
   * After a change to sessions or users is stored: forget it here before the change is answered,
   * and on every other instance as soon as the message reaches it (Redis has handed it to their
   * connections when it answers PUBLISH; a request arriving at another instance at that very moment
   * may still be answered from its cache, a window of milliseconds, not the entry's 5 s).
   */
  private async announce(what: { tokenHash: string } | { userId: number }): Promise<void> {
    this.sessions.drop(what);
    await this.live.publish(REVOKED_CHANNEL, JSON.stringify(what));
  }

  private dummyHash: Promise<string> | null = null;
  /** A hash of a random password, made once: unknown usernames are checked against it. */
  private dummy(): Promise<string> {
    this.dummyHash ??= this.hasher.hash(newToken());
    return this.dummyHash;
  }

  /** Exchange a username and password for a bearer token. Repeated failures lock the account for a while. */
  async login(username: string, password: string, requestId?: string): Promise<{ token: string; expiresAt: Date; user: AuthUser }> {
    const failKey = `auth:fail:${username}`;
    const failures = Number((await this.live.get(failKey)) ?? 0);
    if (failures >= MAX_FAILURES) {
      throw new AppError(429, 'auth.locked', '登录失败次数过多，请稍后再试', { retryAfterSeconds: LOCKOUT_SECONDS });
    }
    const found = await this.users.findCredentials(username);
    // The KDF runs whether or not the username exists, so the response time does not tell which
    // usernames exist: an unknown or inactive one is checked against a dummy hash and fails anyway.
    const usable = found !== null && found.user.active;
    const verified = await this.hasher.verify(password, usable ? found.passwordHash : await this.dummy());
    const ok = usable && verified;
    if (!ok) {
      await this.live.incr(failKey, LOCKOUT_SECONDS);
      await this.audit.record({ actor: username, action: 'auth.login_failed', requestId });
      throw new AppError(401, 'auth.invalid_credentials', '用户名或密码错误');
    }
    await this.live.del(failKey);
    const token = newToken();
    const expiresAt = new Date(Date.now() + this.tokenTtlHours * 3600_000);
    await this.users.createSession(tokenHash(token), found.user.id, expiresAt);
    await this.audit.record({ actorUserId: found.user.id, actor: found.user.username, action: 'auth.login', requestId });
    const { active: _active, ...user } = found.user;
    return { token, expiresAt, user };
  }

  /** Resolve a bearer token to its user, or null when it is unknown, expired, revoked or the user is inactive. */
  async authenticate(token: string): Promise<AuthUser | null> {
    if (!token || token.length > 200) return null;
    const hash = tokenHash(token);
    const cached = this.revocationsHeard ? this.sessions.get(hash) : undefined;
    if (cached) return cached;
    const began = this.sessions.begin();
    const found = await this.users.findSessionUser(hash, new Date());
    if (!found || !found.user.active) return null;
    const { active: _active, ...user } = found.user;
    if (this.revocationsHeard) this.sessions.put(hash, user, found.expiresAt, began);
    return user;
  }

  async requireUser(token: string | undefined): Promise<AuthUser> {
    const u = token ? await this.authenticate(token) : null;
    if (!u) throw unauthenticated();
    return u;
  }

  async logout(token: string): Promise<void> {
    const hash = tokenHash(token);
    await this.users.revokeSession(hash);
    await this.announce({ tokenHash: hash });
  }

  async createUser(input: CreateUserInput, actor: { id?: number; username: string }): Promise<AuthUser> {
    const problem = passwordProblem(input.password);
    if (problem) throw badRequest('auth.weak_password', `密码需要${problem}`, { field: 'password' });
    if (input.roles.includes('unit_handler') && !input.unitCode) {
      throw badRequest('auth.unit_required', '承办单位账号必须指定所属单位（unitCode）', { field: 'unitCode' });
    }
    const existing = await this.users.findCredentials(input.username);
    if (existing) throw conflict('auth.username_taken', '该用户名已被使用', { username: input.username });
    const row: NewUser = { ...input, passwordHash: await this.hasher.hash(input.password) };
    const user = await this.users.insert(row);
    await this.audit.record({ actorUserId: actor.id ?? null, actor: actor.username, action: 'user.create', targetType: 'user', targetId: String(user.id), details: { username: user.username, roles: user.roles } });
    this.log.info({ userId: user.id, roles: user.roles }, 'user created');
    return user;
  }

  async listUsers() {
    return this.users.list();
  }

  async updateUser(id: number, patch: { displayName?: string; roles?: Role[]; centre?: string | null; unitCode?: string | null; extension?: string | null; active?: boolean; password?: string }, actor: AuthUser) {
    let passwordHash: string | undefined;
    if (patch.password !== undefined) {
      const problem = passwordProblem(patch.password);
      if (problem) throw badRequest('auth.weak_password', `密码需要${problem}`, { field: 'password' });
      passwordHash = await this.hasher.hash(patch.password);
    }
    if (patch.roles?.includes('unit_handler') && patch.unitCode === undefined) {
      const current = await this.users.findById(id);
      if (current && !current.unitCode) throw badRequest('auth.unit_required', '承办单位账号必须指定所属单位（unitCode）', { field: 'unitCode' });
    }
    if (patch.unitCode === null && (patch.roles ?? (await this.users.findById(id))?.roles ?? []).includes('unit_handler')) {
      throw badRequest('auth.unit_required', '承办单位账号必须指定所属单位（unitCode）', { field: 'unitCode' });
    }
    const { password: _pw, ...rest } = patch;
    const updated = await this.users.update(id, { ...rest, passwordHash });
    if (!updated) throw notFound('user.not_found', '用户不存在', { id });
    if (passwordHash || patch.active === false || patch.roles) await this.users.revokeAllSessions(id);
    // Any field of the user is in what a token resolves to (name, unit, centre …): cached answers go.
    await this.announce({ userId: id });
    await this.audit.record({ actorUserId: actor.id, actor: actor.username, action: 'user.update', targetType: 'user', targetId: String(id), details: { fields: Object.keys(rest).concat(passwordHash ? ['password'] : []) } });
    return updated;
  }

  async userCount(): Promise<number> {
    return this.users.count();
  }
}
