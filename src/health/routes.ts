import client from 'prom-client';
import { Api } from '../http/api';
import { z } from '../http/zod';
import { Readiness } from './readiness';
import { hasAnyRole } from '../auth/roles';

const ComponentStatusSchema = z.object({ ok: z.boolean(), state: z.string(), details: z.record(z.unknown()).optional() });

export function registerHealthRoutes(api: Api, deps: { readiness: Readiness; metrics: client.Registry; openapi: () => unknown; startedAt: Date }) {
  api.route({
    method: 'get',
    path: '/healthz',
    summary: 'The process is alive',
    tags: ['health'],
    roles: 'public',
    response: z.object({ status: z.literal('ok'), uptimeSeconds: z.number() }),
    handler: () => ({ status: 'ok' as const, uptimeSeconds: Math.round((Date.now() - deps.startedAt.getTime()) / 1000) }),
  });
  api.route({
    method: 'get',
    path: '/readyz',
    summary: 'Database, live store and each Asterisk connection, with their state (details such as last errors for admins and supervisors only)',
    tags: ['health'],
    roles: 'public',
    response: z.object({ ready: z.boolean(), components: z.record(ComponentStatusSchema) }),
    errors: { 503: 'Some component is not ready (same body)' },
    handler: async ({ res, user }) => {
      const report = await deps.readiness.report();
      // The probe is public, but link details (last errors naming internal hosts and ports) are
      // for the people who run the service, not for anyone who can reach the port.
      const detailed = !!user && hasAnyRole(user, ['admin', 'supervisor']);
      const components = detailed ? report.components : Object.fromEntries(Object.entries(report.components).map(([k, c]) => [k, { ok: c.ok, state: c.state }]));
      res.status(report.ready ? 200 : 503).json({ ready: report.ready, components });
      return undefined;
    },
  });
  api.route({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tags: ['health'],
    roles: 'public',
    handler: async ({ res }) => {
      res.setHeader('content-type', deps.metrics.contentType);
      res.send(await deps.metrics.metrics());
      return undefined;
    },
  });
  api.route({
    method: 'get',
    path: '/openapi.json',
    summary: 'This API, generated from the schemas that validate requests',
    tags: ['health'],
    roles: 'public',
    handler: () => deps.openapi(),
  });
}
