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
