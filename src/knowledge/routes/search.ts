import { Api } from '../../http/api';
import { z } from '../../http/zod';
import { hasAnyRole } from '../../auth/roles';
import { unavailable } from '../../http/errors';
import { KnowledgeSearch } from '../search/sync';
import { SearchHitSchema, SearchQuery, SuggestBody } from '../schemas';

const SEARCHERS = ['operator', 'expert', 'supervisor', 'admin', 'unit_handler'] as const;

/**
 * Search for operators on a call (第二十条(三): 一般咨询类诉求由话务员查询知识库直接回复). Only
 * published entries inside their validity window are returned; no expired answer is ever shown.
 */
export function registerSearchRoutes(api: Api, search: KnowledgeSearch) {
  const engine = () => {
    if (!search.isLoaded) throw unavailable('knowledge.index_loading', '知识库索引正在加载，请稍后重试');
    return search.current;
  };

  api.route({
    method: 'get',
    path: '/api/knowledge/search',
    summary: 'Chinese full-text search (jieba segmentation, synonyms, question-weighted ranking) over currently effective published entries, with highlights.',
    tags: ['knowledge'],
    roles: SEARCHERS,
    query: SearchQuery,
    response: z.object({ query: z.string(), hits: z.array(SearchHitSchema), tookMs: z.number() }),
    errors: { 503: 'Index still loading' },
    handler: ({ user, query }) => {
      const started = process.hrtime.bigint();
      // Previewing another instant is for reviewers checking a validity window, not for answering callers.
      const at = query.at && user && hasAnyRole(user, ['supervisor', 'admin']) ? query.at : undefined;
      const hits = engine().search(query.q, { ...query, at });
      return { query: query.q, hits, tookMs: Number(process.hrtime.bigint() - started) / 1e6 };
    },
  });

  api.route({
    method: 'post',
    path: '/api/knowledge/suggest',
    summary: "Suggestions from a ticket's free text as the operator types it (most telling terms of the text).",
    tags: ['knowledge'],
    roles: ['operator', 'expert', 'supervisor', 'admin'],
    body: SuggestBody,
    response: z.object({ hits: z.array(SearchHitSchema) }),
    errors: { 503: 'Index still loading' },
    handler: ({ body }) => {
      if (!body.text.trim()) return { hits: [] };
      return { hits: engine().suggest(body.text, body) };
    },
  });
}
