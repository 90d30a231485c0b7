import { Api } from '../http/api';
import { z } from '../http/zod';
import { Role } from '../auth/roles';
import { AssessmentService } from './assessment';
import { METRICS, Scheme, TARGET_KINDS } from './scheme';
import { AssessmentExplainSchema, AssessmentRunListSchema, AssessmentRunSchema, ManualItemBody, SchemeResponse } from './schemas';

/** The city scores (第二十八条 由市12345热线负责制定考核细则和指标): admins edit and publish; supervisors and auditors read. */
const READERS: Role[] = ['supervisor', 'admin', 'auditor'];
const CITY: Role[] = ['admin'];
const Kind = z.object({ kind: z.enum(TARGET_KINDS).openapi({ description: 'county (centres) | unit (承办单位)' }) });
const RunId = z.object({ id: z.coerce.number().int().positive() });
const metrics = Object.entries(METRICS).map(([id, m]) => ({ id, label: m.label }));

export function registerAssessmentRoutes(api: Api, d: { assessment: AssessmentService }) {
  const actor = (user: { username: string; id: number } | null, requestId: string) => ({ username: user!.username, userId: user!.id, requestId });

  api.route({
    method: 'get', path: '/api/assessment/schemes/:kind', summary: 'The 100-point scheme (第二十九条) of counties or units, with the measurable metrics', tags: ['assessment'], roles: READERS,
    params: Kind, response: SchemeResponse,
    handler: async ({ params }) => ({ ...(await d.assessment.scheme(params.kind)), metrics }),
  });

  api.route({
    method: 'put', path: '/api/assessment/schemes/:kind', summary: 'Replace the scheme: indicators and weights summing to 100', tags: ['assessment'], roles: CITY,
    params: Kind, body: Scheme, response: SchemeResponse, errors: { 422: '权重之和不是100分或指标不完整' },
    handler: async ({ params, body, user, requestId }) => ({ ...(await d.assessment.saveScheme(params.kind, body, actor(user, requestId))), metrics }),
  });

  api.route({
    method: 'post', path: '/api/assessment/manual-items', summary: 'Enter a manual check (材料审核、台账记录、人工拨测) with its evidence', tags: ['assessment'], roles: CITY, status: 201,
    body: ManualItemBody, response: z.object({ id: z.number().int() }), errors: { 409: '该期考核已通报', 422: '不是人工指标或超过分值' },
    handler: async ({ body, user, requestId, res }) => {
      res.status(201);
      return d.assessment.addManual(body, actor(user, requestId));
    },
  });

  api.route({
    method: 'post', path: '/api/assessment/runs', summary: 'Score a month or a year (a draft, recomputed until published)', tags: ['assessment'], roles: CITY,
    body: z.object({ targetKind: z.enum(TARGET_KINDS), periodKind: z.enum(['month', 'year']), periodKey: z.string().max(16) }).openapi('AssessmentRunRequest'),
    response: AssessmentRunSchema, errors: { 400: '考核期格式错误', 409: '已通报，结果冻结' },
    handler: async ({ body, user, requestId }) => d.assessment.compute(body.targetKind, body.periodKind, body.periodKey, actor(user, requestId)),
  });

  api.route({
    method: 'get', path: '/api/assessment/runs', summary: 'Scored periods, newest first', tags: ['assessment'], roles: READERS,
    query: z.object({ targetKind: z.enum(TARGET_KINDS).optional() }),
    response: AssessmentRunListSchema,
    handler: async ({ query }) => ({ items: await d.assessment.list(query.targetKind) }),
  });

  api.route({
    method: 'get', path: '/api/assessment/runs/:id', summary: 'A scored period: every target, every indicator with its explanation', tags: ['assessment'], roles: READERS,
    params: RunId, response: AssessmentRunSchema, errors: { 404: '考核结果不存在' },
    handler: async ({ params }) => d.assessment.run(params.id),
  });

  api.route({
    method: 'post', path: '/api/assessment/runs/:id/publish', summary: 'Publish (通报): the scores are frozen from now on', tags: ['assessment'], roles: CITY,
    params: RunId, response: AssessmentRunSchema, errors: { 404: '考核结果不存在', 409: '已通报' },
    handler: async ({ params, user, requestId }) => d.assessment.publish(params.id, actor(user, requestId)),
  });

  api.route({
    method: 'get', path: '/api/assessment/runs/:id/explain', summary: 'The tickets and calls behind one indicator of one target, as scored', tags: ['assessment'], roles: READERS,
    params: RunId, query: z.object({ target: z.string().min(1).max(64), indicator: z.string().min(1).max(48) }),
    response: AssessmentExplainSchema, errors: { 404: '没有该对象或指标' },
    handler: async ({ params, query }) => d.assessment.explain(params.id, query.target, query.indicator),
  });
}
