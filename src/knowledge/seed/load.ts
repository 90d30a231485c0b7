import { Knex } from 'knex';
import { KnowledgeService } from '../service';
import { Basis, EntryContent, SYSTEM_ACTOR } from '../types';
import { STARTER_A } from './starter-a';
import { STARTER_B } from './starter-b';
import { MEASURES, NOTICE, StarterEntry } from './types';

export const STARTER_ENTRIES: readonly StarterEntry[] = [...STARTER_A, ...STARTER_B];

/** The measures were issued on 2022-11-29 and apply from that day (第三十七条). */
const MEASURES_EFFECTIVE = new Date('2022-11-29T00:00:00+08:00');
export const HOTLINE_UNIT = { code: 'QY-12345', name: '庆阳市12345政务服务便民热线中心' } as const;

export function starterContent(s: StarterEntry): EntryContent {
  const basis: Basis[] = [{ ...MEASURES, article: s.art }];
  if (s.notice) basis.push({ ...NOTICE, article: s.notice });
  return {
    question: s.q,
    answer: s.a,
    basis,
    unitCode: HOTLINE_UNIT.code,
    unitName: HOTLINE_UNIT.name,
    regionLevel: 'city',
    regionName: '庆阳市',
    categoryPath: ['12345热线', ...s.cat],
    keywords: s.kw,
    effectiveFrom: MEASURES_EFFECTIVE,
    removalAt: null,
    visibility: 'public',
  };
}

/**
 * Loads the starter entries, published, when the knowledge base is empty. An advisory lock keeps
 * two instances starting together from both seeding. Returns the ids inserted (none if not empty).
 */
export async function seedIfEmpty(knex: Knex, service: KnowledgeService): Promise<number[]> {
  const ids = await knex.transaction(async (trx) => {
    await trx.raw(`select pg_advisory_xact_lock(hashtext('kb_entries_seed'))`);
    const [{ n }] = await trx('kb_entries').count({ n: '*' });
    if (Number(n) > 0) return [];
    const out: number[] = [];
    for (const s of STARTER_ENTRIES) {
      const e = await service.insertPublished(trx, starterContent(s), SYSTEM_ACTOR('seed'), 'seed', '初始知识：依据《庆阳市12345政务服务便民热线管理办法》整理');
      out.push(e.id);
    }
    return out;
  });
  if (ids.length) await service.search.changed(ids);
  return ids;
}
