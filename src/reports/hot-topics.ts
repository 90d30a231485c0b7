import { Knex } from 'knex';
import { Segmenter, getSegmenter, normalize } from '../knowledge/search/analyzer';

/**
 * 热点 (第二十六条: 对企业和群众关注的热点难点问题进行统计分析): terms and places rising week over
 * week in the tickets' text. A term's weight is the number of tickets that use it (document
 * frequency), so one long complaint does not make a topic. The week is the period's last 7 days,
 * compared with the 7 days before; for a weekly report that is exactly week over week.
 */
export interface HotTerm {
  term: string;
  current: number;
  previous: number;
  change: number;
  /** The tickets of the current week that use the term (drill-down), at most 50. */
  ticketNos: string[];
}

export interface HotTopics {
  currentFrom: string;
  currentTo: string;
  previousFrom: string;
  terms: HotTerm[];
  places: HotTerm[];
}

/** Words every ticket uses: they rise with the volume, not with a topic. */
const STOP = new Set(
  ('的 了 吗 呢 啊 吧 呀 我 我们 你 您 他 她 它 他们 是 在 和 与 及 或 就 都 也 还 又 这 那 这个 那个 个 有 被 把 给 对 从 向 到 让 为 着 过 得 地 之 其 等 '
    + '反映 问题 要求 希望 诉求 来电 市民 群众 咨询 相关 部门 处理 解决 情况 目前 现在 已经 没有 不能 一直 进行 需要 能否 是否 请求 帮助 表示 称 其 该 此 现 后 时 今年 今天 多次 尽快')
    .split(/\s+/),
);
const CJK_WORD = /^[\u3400-\u9fff]{2,}$/;
const DAY_MS = 86_400_000;

function keep(word: string): boolean {
  return CJK_WORD.test(word) && !STOP.has(word);
}

function documentFrequency(rows: Array<{ no: string; text: string | null }>, seg: Segmenter): Map<string, string[]> {
  const df = new Map<string, string[]>();
  for (const r of rows) {
    if (!r.text) continue;
    const words = new Set(seg.cutPrecise(normalize(r.text)).filter(keep));
    for (const w of words) {
      const list = df.get(w);
      if (list) list.push(r.no);
      else df.set(w, [r.no]);
    }
  }
  return df;
}

function rising(cur: Map<string, string[]>, prev: Map<string, string[]>, top: number, minCount: number): HotTerm[] {
  const out: HotTerm[] = [];
  for (const [term, nos] of cur) {
    const previous = prev.get(term)?.length ?? 0;
    if (nos.length < minCount || nos.length <= previous) continue;
    out.push({ term, current: nos.length, previous, change: nos.length - previous, ticketNos: nos.slice().sort().slice(0, 50) });
  }
  // Biggest rise first; ties by volume, then by the term so the order is stable.
  return out.sort((a, b) => b.change - a.change || b.current - a.current || (a.term < b.term ? -1 : 1)).slice(0, top);
}

/**
 * `network`: on the city, the tickets its counties pushed count too (第二十六条: the city sums the
 * counties), named centre:number as in the figures; a county copy of a city ticket does not.
 */
export async function hotTopics(knex: Knex, periodEnd: Date, opts: { centre?: string | null; top?: number; minCount?: number; segmenter?: Segmenter; network?: boolean } = {}): Promise<HotTopics> {
  const seg = opts.segmenter ?? getSegmenter();
  const curFrom = new Date(periodEnd.getTime() - 7 * DAY_MS);
  const prevFrom = new Date(periodEnd.getTime() - 14 * DAY_MS);
  const q = knex('tickets').where('created_at', '>=', prevFrom).where('created_at', '<', periodEnd).select('no', 'content', 'matter_place', 'created_at');
  if (opts.centre) q.where({ centre: opts.centre });
  if (opts.network) {
    const n = knex('network_tickets').where('counted', true).where('created_at', '>=', prevFrom).where('created_at', '<', periodEnd)
      .select(knex.raw(`centre || ':' || no as no`), 'content', knex.raw(`ticket->>'matterPlace' as matter_place`), 'created_at');
    if (opts.centre) n.where({ centre: opts.centre });
    q.unionAll(n);
  }
  const rows = (await q) as Array<{ no: string; content: string; matter_place: string | null; created_at: Date }>;
  const cur = rows.filter((r) => r.created_at >= curFrom);
  const prev = rows.filter((r) => r.created_at < curFrom);
  const top = opts.top ?? 20;
  const min = opts.minCount ?? 2;
  const text = (r: (typeof rows)[number]) => ({ no: r.no, text: r.content });
  const place = (r: (typeof rows)[number]) => ({ no: r.no, text: r.matter_place });
  return {
    currentFrom: curFrom.toISOString(),
    currentTo: periodEnd.toISOString(),
    previousFrom: prevFrom.toISOString(),
    terms: rising(documentFrequency(cur.map(text), seg), documentFrequency(prev.map(text), seg), top, min),
    places: rising(documentFrequency(cur.map(place), seg), documentFrequency(prev.map(place), seg), top, min),
  };
}
