import crypto from 'node:crypto';
import { Knex } from 'knex';

/**
 * The statements seen, by their text as knex compiles it: their name (hashed once, not at every
 * execution) and their text in PostgreSQL's own form ($1, $2 …), or null when it keeps a `?`.
 */
const statements = new Map<string, { name: string; native: string | null }>();
const MAX_STATEMENTS = 1000;

/**
 * A raw statement run as a named prepared statement on a PostgreSQL server: parsed and planned once
 * per connection, not at every execution (issue #13: planning the few large statements of a ticket
 * creation or action cost the database as much as running them). Named by a hash of its SQL text, so
 * every shape of a statement (how many rows, which parts) is prepared once; the first execution on a
 * connection sends the statement with its values in the same round trip.
 *
 * A prepared statement's result columns must not change while a connection holds it, and a newer
 * instance's migration may add a column to a table while this one runs: such statements answer no
 * `*` at their top level (answer rows as json instead; `*` inside, RETURNING of a CTE, is fine).
 * The embedded database (PGlite) runs the statement as before.
 */
export function prepared(knex: Knex | Knex.Transaction, sql: string, bindings: readonly Knex.RawBinding[]): Knex.Raw {
  const raw = knex.raw(sql, bindings as Knex.RawBinding[]);
  if ((knex.client as { config?: { client?: unknown } }).config?.client !== 'pg') return raw;
  // Compiled once (with its nested queries) to name it; what runs is the compiled text and its values.
  const compiled = raw.toSQL();
  let st = statements.get(compiled.sql);
  if (!st) {
    const native = compiled.toNative().sql;
    st = { name: `hl_${crypto.createHash('sha1').update(compiled.sql).digest('hex').slice(0, 24)}`, native: native.includes('?') ? null : native };
    if (statements.size < MAX_STATEMENTS) statements.set(compiled.sql, st);
  }
  // The text in PostgreSQL's form with its values handed to the driver as they are (knex mixes a
  // statement's options into the driver's query): knex has nothing to compile again when it runs it
  // (issue #13: a second pass over the whole text and its values at every execution). Knex's error
  // messages show the $n text either way, without the values. A `?` left in the text (an escaped one)
  // would be taken for a placeholder by knex: such a statement is handed over as before.
  if (st.native === null) return knex.raw(compiled.sql, compiled.bindings as Knex.RawBinding[]).options({ name: st.name });
  return knex.raw(st.native).options({ name: st.name, values: compiled.bindings });
}

/** Names of statements written in PostgreSQL's own form ($1, $2 …), by their text. */
const nativeNames = new Map<string, string>();

/**
 * A statement written in PostgreSQL's form ($1, $2 … each used once, in order) with its values,
 * run as prepared() runs a compiled one, without knex compiling anything (issue #13: building and
 * compiling a creation's four inserts cost ~40 µs each). On the embedded database its placeholders
 * become knex's `?` and it runs as a plain raw statement. The text must hold no other `$n` nor `?`.
 */
export function preparedNative(knex: Knex | Knex.Transaction, sql: string, values: unknown[]): Knex.Raw {
  if ((knex.client as { config?: { client?: unknown } }).config?.client !== 'pg') return knex.raw(sql.replace(/\$\d+/g, '?'), values as Knex.RawBinding[]);
  let name = nativeNames.get(sql);
  if (!name) {
    name = `hl_${crypto.createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
    if (nativeNames.size < MAX_STATEMENTS) nativeNames.set(sql, name);
  }
  return knex.raw(sql).options({ name, values });
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * `insert into "table" ("a", "b") values ($n, $n+1), …` for rows of plain values (no arrays, no raw
 * SQL), numbering placeholders after those already in `values` and appending the rows' values to
 * it. As knex builds it: the columns are every key any row has, sorted; a row's missing or
 * undefined value is DEFAULT. For preparedNative().
 */
export function insertText(table: string, rows: ReadonlyArray<Record<string, unknown>>, values: unknown[]): string {
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) keys.add(k);
  const columns = [...keys].sort();
  const tuples = rows.map((r) => {
    const cells = columns.map((c) => {
      const v = r[c];
      if (v === undefined) return 'DEFAULT';
      values.push(v);
      return `$${values.length}`;
    });
    return `(${cells.join(', ')})`;
  });
  return `insert into ${ident(table)} (${columns.map(ident).join(', ')}) values ${tuples.join(', ')}`;
}

/**
 * `update "table" set "a" = $n, "b" = $n+1` (no WHERE) for a row of plain values, numbering
 * placeholders after those already in `values` and appending the row's values to it. As knex builds
 * it: the columns in the row's key order, an undefined value left out. For preparedNative().
 */
export function updateText(table: string, row: Readonly<Record<string, unknown>>, values: unknown[]): string {
  const sets: string[] = [];
  for (const [c, v] of Object.entries(row)) {
    if (v === undefined) continue;
    values.push(v);
    sets.push(`${ident(c)} = $${values.length}`);
  }
  return `update ${ident(table)} set ${sets.join(', ')}`;
}
