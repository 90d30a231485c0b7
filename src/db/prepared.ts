import crypto from 'node:crypto';
import { Knex } from 'knex';

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
  const name = `hl_${crypto.createHash('sha1').update(compiled.sql).digest('hex').slice(0, 24)}`;
  return knex.raw(compiled.sql, compiled.bindings as Knex.RawBinding[]).options({ name });
}
