import crypto from 'node:crypto';
import knexFactory from 'knex';
import { Analyzer } from '../src/knowledge/search/analyzer';
import { IndexedEntry } from '../src/knowledge/search/inverted-index';

/**
 * The alternative measured against the in-memory index: PostgreSQL full text with a `simple`
 * tsvector over jieba-segmented text (works on PGlite too: no zhparser), question weighted A.
 */
export async function benchPostgres(entries: IndexedEntry[], queries: string[], analyzer: Analyzer): Promise<{ loadMs: number; times: number[] }> {
  const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const name = `kb_bench_${crypto.randomBytes(3).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const knex = knexFactory({ client: 'pg', connection: u.toString(), pool: { min: 0, max: 2 } });
  const seg = (s: string) => {
    const a = analyzer.analyze(s, { bigrams: false });
    return [...a.words, ...a.concepts.map((c) => 'syn' + c.slice(1))].join(' ');
  };
  try {
    const t0 = Date.now();
    await knex.raw(`create table kb (id int primary key, question text, answer text, tsv tsvector)`);
    for (let i = 0; i < entries.length; i += 2000) {
      const rows = entries.slice(i, i + 2000).map((e) => ({ id: e.id, question: e.question, answer: e.answer, q: seg(e.question), a: seg(e.answer) }));
      await knex.raw(
        `insert into kb (id, question, answer, tsv) select (r->>'id')::int, r->>'question', r->>'answer',
           setweight(to_tsvector('simple', r->>'q'), 'A') || setweight(to_tsvector('simple', r->>'a'), 'B')
         from jsonb_array_elements(?::jsonb) r`,
        [JSON.stringify(rows)],
      );
    }
    await knex.raw(`create index kb_tsv on kb using gin (tsv)`);
    await knex.raw(`analyze kb`);
    const loadMs = Date.now() - t0;
    const times: number[] = [];
    for (const q of queries) {
      const terms = [...new Set(seg(q).split(' ').filter(Boolean))].map((t) => t.replace(/[^\p{L}\p{N}]/gu, '')).filter(Boolean);
      if (!terms.length) continue;
      const t = process.hrtime.bigint();
      await knex.raw(`select id, question, answer, ts_rank(tsv, query) as score from kb, to_tsquery('simple', ?) query where tsv @@ query order by score desc limit 10`, [terms.join(' | ')]);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return { loadMs, times };
  } finally {
    await knex.destroy();
    await admin.raw(`drop database if exists ${name} with (force)`);
    await admin.destroy();
  }
}
