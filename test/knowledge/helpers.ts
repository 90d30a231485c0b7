import { Knex } from 'knex';
import { AuditStore } from '../../src/audit/store';
import { silentLogger } from '../../src/logging/logger';
import { KnowledgeStore } from '../../src/knowledge/store';
import { KnowledgeSearch } from '../../src/knowledge/search/sync';
import { KnowledgeService } from '../../src/knowledge/service';
import { Actor, EntryContent } from '../../src/knowledge/types';

/** The knowledge services over a test database, without HTTP (no live bus: one instance). */
export function knowledgeOn(knex: Knex) {
  const log = silentLogger();
  const store = new KnowledgeStore(knex);
  const audit = new AuditStore(knex);
  const search = new KnowledgeSearch(store, null, log, undefined, 0);
  const service = new KnowledgeService(knex, store, audit, search, log);
  return { store, audit, search, service };
}

let users = 1000;
export function unitHandler(unitCode = 'QY-RSJ'): Actor {
  const id = ++users;
  return { userId: id, username: `unit${id}`, displayName: `单位经办人${id}`, roles: ['unit_handler'], unitCode };
}
export function reviewer(): Actor {
  const id = ++users;
  return { userId: id, username: `rev${id}`, displayName: `审核员${id}`, roles: ['supervisor'], unitCode: null };
}
export function operator(): Actor {
  const id = ++users;
  return { userId: id, username: `op${id}`, displayName: `话务员${id}`, roles: ['operator'], unitCode: null };
}

export function content(over: Partial<EntryContent> = {}): EntryContent {
  return {
    question: '灵活就业人员怎么参加养老保险？',
    answer: '持身份证到户籍所在地社保经办机构办理灵活就业人员参保登记，按月或按年缴费。',
    basis: [{ document: '社会保险法', number: null, article: '第十条' }],
    unitCode: 'QY-RSJ',
    unitName: '庆阳市人力资源和社会保障局',
    regionLevel: 'city',
    regionName: '庆阳市',
    categoryPath: ['社会保障', '养老保险'],
    keywords: ['灵活就业', '参保'],
    effectiveFrom: new Date(Date.now() - 86_400_000),
    removalAt: null,
    visibility: 'public',
    ...over,
  };
}

/** Create, submit, approve (a different reviewer), publish. */
export async function publish(service: KnowledgeService, c: EntryContent, unit = unitHandler(c.unitCode)) {
  const e = await service.create(c, unit, { submit: true });
  const r = reviewer();
  await service.transition(e.id, 'approve', null, r);
  return service.transition(e.id, 'publish', null, r);
}
