import express, { Request, Response, Router } from 'express';
import { OpenAPIRegistry, OpenApiGeneratorV3, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from './zod';
import { AuthUser, Role, hasAnyRole } from '../auth/roles';
import { AppError, forbidden, unauthenticated } from './errors';
import { Logger } from '../logging/logger';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type AnyZodObject = z.ZodObject<z.ZodRawShape>;

export interface RequestContext<P, Q, B> {
  user: AuthUser | null;
  params: P;
  query: Q;
  body: B;
  requestId: string;
  log: Logger;
  req: Request;
  res: Response;
}

/** A route's whole contract: the same zod schemas validate requests and generate /openapi.json. */
export interface RouteSpec<P extends AnyZodObject, Q extends AnyZodObject, B extends z.ZodTypeAny> {
  method: Method;
  /** Express-style path, e.g. `/api/tickets/:no`. */
  path: string;
  summary: string;
  tags: string[];
  /** Who may call it. `public` only for login, health and the documentation itself. */
  roles: readonly Role[] | 'public';
  params?: P;
  query?: Q;
  body?: B;
  /** Schema of the 200/201 JSON body, for the documentation. */
  response?: z.ZodTypeAny;
  /** Status for a successful JSON result (default 200). */
  status?: number;
  /** Other statuses this route answers with, for the documentation. */
  errors?: Record<number, string>;
  /**
   * Media types a request body may have (default JSON only). A body of another type is refused
   * with 415 before validation, instead of being validated as if it were empty.
   */
  accepts?: readonly string[];
  /**
   * Returns the JSON body, or `undefined` after writing the response itself (streams, files).
   */
  handler: (ctx: RequestContext<z.infer<P>, z.infer<Q>, z.infer<B>>) => unknown | Promise<unknown>;
}

export interface RouteInfo {
  method: Method;
  path: string;
  roles: readonly Role[] | 'public';
  /** The documented JSON response (undefined for routes that write files, metrics or XML). */
  response?: z.ZodTypeAny;
  status: number;
  /** The body schema, when the route takes one. */
  body?: z.ZodTypeAny;
}

export type Authenticator = (req: Request) => Promise<AuthUser | null>;

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export const ErrorBody = z
  .object({ error: z.object({ id: z.string(), message: z.string(), details: z.record(z.unknown()) }) })
  .openapi('Error');

const WHERE = { path: '路径参数', query: '查询参数', body: '内容' } as const;

/** Whether the request carries a body (a length above zero, or a chunked one). */
function hasBody(req: Request): boolean {
  const len = req.header('content-length');
  if (len !== undefined) return Number(len) > 0;
  return req.header('transfer-encoding') !== undefined;
}

function zodDetails(err: z.ZodError) {
  return { issues: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code })) };
}

/**
 * Routes are declared here, not on express directly, so no route exists without its roles,
 * its validation and its documentation.
 */
export class Api {
  readonly registry = new OpenAPIRegistry();
  readonly router: Router = express.Router();
  private readonly routes: RouteInfo[] = [];

  constructor(private readonly authenticate: Authenticator) {
    this.registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  }

  listRoutes(): readonly RouteInfo[] {
    return this.routes;
  }

  route<P extends AnyZodObject = AnyZodObject, Q extends AnyZodObject = AnyZodObject, B extends z.ZodTypeAny = z.ZodUnknown>(spec: RouteSpec<P, Q, B>): void {
    if (spec.roles !== 'public' && spec.roles.length === 0) throw new Error(`route ${spec.method} ${spec.path} admits no role`);
    this.routes.push({ method: spec.method, path: spec.path, roles: spec.roles, response: spec.response, status: spec.status ?? 200, body: spec.body });
    this.doc = null;
    this.document(spec as unknown as RouteSpec<AnyZodObject, AnyZodObject, z.ZodTypeAny>);
    this.router[spec.method](spec.path, async (req: Request, res: Response) => {
      const user = await this.authenticate(req);
      if (spec.roles !== 'public') {
        if (!user) throw unauthenticated();
        if (!hasAnyRole(user, spec.roles)) throw forbidden({ requiredRoles: spec.roles });
      }
      if (spec.body && hasBody(req)) {
        const accepts = spec.accepts ?? ['application/json'];
        if (!req.is(accepts as string[])) {
          throw new AppError(415, 'request.unsupported_media_type', `请求体格式不受支持，请使用 ${accepts.join(' 或 ')}`, { contentType: req.header('content-type') ?? null, accepts });
        }
      }
      const parse = <S extends z.ZodTypeAny>(schema: S | undefined, value: unknown, where: 'path' | 'query' | 'body') => {
        if (!schema) return value;
        const r = schema.safeParse(value);
        if (!r.success) throw new AppError(400, 'request.invalid', `请求${WHERE[where]}无效`, { in: where, ...zodDetails(r.error) });
        return r.data;
      };
      const params = parse(spec.params, req.params, 'path');
      const query = parse(spec.query, req.query, 'query');
      const body = parse(spec.body, req.body ?? {}, 'body');
      const ctx = {
        user,
        params,
        query,
        body,
        requestId: String(res.locals.requestId ?? ''),
        log: (res.locals.log as Logger) ?? (req as unknown as { log: Logger }).log,
        req,
        res,
      } as RequestContext<z.infer<P>, z.infer<Q>, z.infer<B>>;
      const result = await spec.handler(ctx);
      if (result === undefined) return;
      res.status(spec.status ?? 200).json(result);
    });
  }

  private document(spec: RouteSpec<AnyZodObject, AnyZodObject, z.ZodTypeAny>) {
    const responses: RouteConfig['responses'] = {
      [spec.status ?? 200]: spec.response
        ? { description: 'OK', content: { 'application/json': { schema: spec.response } } }
        : { description: 'OK' },
      400: { description: 'Invalid request', content: { 'application/json': { schema: ErrorBody } } },
    };
    if (spec.roles !== 'public') {
      responses[401] = { description: 'Not logged in', content: { 'application/json': { schema: ErrorBody } } };
      responses[403] = { description: 'Role not admitted', content: { 'application/json': { schema: ErrorBody } } };
    }
    if (spec.body) responses[415] = { description: 'Body is not of an accepted media type', content: { 'application/json': { schema: ErrorBody } } };
    for (const [code, description] of Object.entries(spec.errors ?? {})) {
      responses[Number(code)] = { description, content: { 'application/json': { schema: ErrorBody } } };
    }
    const config: RouteConfig = {
      method: spec.method,
      path: toOpenApiPath(spec.path),
      summary: spec.summary,
      tags: spec.tags,
      security: spec.roles === 'public' ? [] : [{ bearer: [] }],
      request: {
        params: spec.params,
        query: spec.query,
        body: spec.body ? { content: Object.fromEntries((spec.accepts ?? ['application/json']).map((t) => [t, { schema: spec.body! }])) } : undefined,
      },
      responses,
      'x-roles': spec.roles === 'public' ? ['public'] : [...spec.roles],
    } as RouteConfig;
    this.registry.registerPath(config);
  }

  /** Generated once (it takes a fifth of a second) and again only after a route is added. */
  private doc: { key: string; value: ReturnType<OpenApiGeneratorV3['generateDocument']> } | null = null;

  openApiDocument(info: { title: string; version: string; description?: string }) {
    const key = JSON.stringify(info);
    if (this.doc?.key !== key) {
      const generator = new OpenApiGeneratorV3(this.registry.definitions);
      this.doc = { key, value: generator.generateDocument({ openapi: '3.0.3', info, servers: [{ url: '/' }] }) };
    }
    return this.doc.value;
  }
}
