import { Request } from 'express';
import { Api } from '../http/api';
import { z } from '../http/zod';
import { unauthenticated } from '../http/errors';
import { AuthService } from './service';
import { CreateUserBody, IdParams, LoginBody, LoginResponse, UpdateUserBody, UserSchema } from './schemas';
import { ANY_ROLE } from './roles';

/** The bearer token of a request: `Authorization: Bearer …`. */
export function bearerToken(req: Request): string | undefined {
  const h = req.header('authorization');
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1] : undefined;
}

export function registerAuthRoutes(api: Api, auth: AuthService) {
  api.route({
    method: 'post',
    path: '/api/auth/login',
    summary: 'Log in with username and password; returns a bearer token',
    tags: ['auth'],
    roles: 'public',
    body: LoginBody,
    response: LoginResponse,
    errors: { 401: 'Wrong username or password', 429: 'Locked after repeated failures' },
    handler: async ({ body, requestId }) => {
      const r = await auth.login(body.username, body.password, requestId);
      return { token: r.token, expiresAt: r.expiresAt.toISOString(), user: r.user };
    },
  });
  api.route({
    method: 'post',
    path: '/api/auth/logout',
    summary: 'Revoke the token used for this request',
    tags: ['auth'],
    roles: ANY_ROLE,
    response: z.object({ ok: z.literal(true) }),
    handler: async ({ req }) => {
      const token = bearerToken(req);
      if (!token) throw unauthenticated();
      await auth.logout(token);
      return { ok: true as const };
    },
  });
  api.route({
    method: 'get',
    path: '/api/auth/me',
    summary: 'The logged-in user',
    tags: ['auth'],
    roles: ANY_ROLE,
    response: UserSchema,
    handler: ({ user }) => user,
  });
  api.route({
    method: 'get',
    path: '/api/users',
    summary: 'List accounts',
    tags: ['users'],
    roles: ['admin'],
    response: z.array(UserSchema),
    handler: () => auth.listUsers(),
  });
  api.route({
    method: 'post',
    path: '/api/users',
    summary: 'Create an account (operators, experts, supervisors, unit handlers, admins, auditors)',
    tags: ['users'],
    roles: ['admin'],
    body: CreateUserBody,
    response: UserSchema,
    status: 201,
    errors: { 409: 'Username taken' },
    handler: ({ body, user }) => auth.createUser(body, { id: user!.id, username: user!.username }),
  });
  api.route({
    method: 'patch',
    path: '/api/users/:id',
    summary: 'Change an account: roles, binding, password, active (changes revoke its sessions)',
    tags: ['users'],
    roles: ['admin'],
    params: IdParams,
    body: UpdateUserBody,
    response: UserSchema,
    errors: { 404: 'No such user' },
    handler: ({ params, body, user }) => auth.updateUser(params.id, body, user!),
  });
}
