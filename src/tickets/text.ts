/**
 * Chinese text helpers: PostgreSQL's parsers do not segment Chinese, so the app writes character
 * bigrams (PGlite has no zhparser/pg_trgm). The same bigrams measure how alike two matters are for
 * repeat detection (第十七条(七)).
 */
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

export function tokens(text: string): string[] {
  const out: string[] = [];
  const runs = text.toLowerCase().match(/[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9]+/g) ?? [];
  for (const run of runs) {
    if (CJK.test(run[0])) {
      const chars = Array.from(run);
      if (chars.length === 1) out.push(chars[0]);
      for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
    } else {
      out.push(run);
    }
  }
  return out;
}

/** The space-separated terms stored in tickets.search_terms and matched with plainto_tsquery('simple', …). */
export function searchTerms(...parts: Array<string | null | undefined>): string {
  return [...new Set(parts.flatMap((p) => (p ? tokens(p) : [])))].join(' ');
}

/**
 * How much of the shorter text's bigrams the other contains (overlap coefficient), 0..1: a caller
 * restating the same matter briefly ("烧烤店油烟扰民") still matches the longer first account.
 */
export function similarity(a: string, b: string): number {
  const A = new Set(tokens(a));
  const B = new Set(tokens(b));
  if (A.size === 0 || B.size === 0) return 0;
  let inter = 0;
  for (const t of A) if (B.has(t)) inter++;
  return inter / Math.min(A.size, B.size);
}

/** Caller numbers are compared without punctuation or the +86 country code. */
export function normalizePhone(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let d = raw.replace(/[^\d]/g, '');
  if (d.length === 13 && d.startsWith('86')) d = d.slice(2);
  return d || null;
}
