import { z } from '../http/zod';
import { ROLES } from './roles';

export const RoleSchema = z.enum(ROLES).openapi('Role');

export const UserSchema = z
  .object({
    id: z.number().int(),
    username: z.string(),
    displayName: z.string(),
    roles: z.array(RoleSchema),
    centre: z.string().nullable(),
    unitCode: z.string().nullable(),
    extension: z.string().nullable(),
    active: z.boolean().optional(),
  })
  .openapi('User');

export const LoginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }).openapi('LoginRequest');
export const LoginResponse = z.object({ token: z.string(), expiresAt: z.string(), user: UserSchema }).openapi('LoginResponse');

const username = z.string().regex(/^[a-zA-Z0-9_.-]{3,64}$/, '3-64 letters, digits, _ . -');
export const CreateUserBody = z
  .object({
    username,
    displayName: z.string().min(1).max(128),
    password: z.string().min(1).max(256),
    roles: z.array(RoleSchema).min(1),
    centre: z.string().max(64).nullable().optional(),
    unitCode: z.string().max(64).nullable().optional(),
    extension: z.string().max(64).nullable().optional(),
  })
  .openapi('CreateUserRequest');

export const UpdateUserBody = z
  .object({
    displayName: z.string().min(1).max(128).optional(),
    password: z.string().min(1).max(256).optional(),
    roles: z.array(RoleSchema).min(1).optional(),
    centre: z.string().max(64).nullable().optional(),
    unitCode: z.string().max(64).nullable().optional(),
    extension: z.string().max(64).nullable().optional(),
    active: z.boolean().optional(),
  })
  .openapi('UpdateUserRequest');

export { IdParams } from '../http/params';
