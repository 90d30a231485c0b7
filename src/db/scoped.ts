import { AsyncLocalStorage } from 'node:async_hooks';
import { Knex } from 'knex';

/**
 * Transaction scoping for the system of record.
 *
 * Why: the embedded database (PGlite) has exactly one connection. A repository call that runs on the
 * root knex while a transaction holds that connection waits for it forever (issue #10: a unit's 签收
 * froze the whole service for 60 s and failed). On PostgreSQL the same mistake silently reads outside
 * the transaction. Passing `trx` by hand to every repository call is easy to forget, so the wrong
 * thing is made impossible instead: while a transaction callback runs, every query issued through
 * the scoped knex in that async context — by any repository, with or without an explicit `trx` —
 * goes to the open transaction. `transaction()` inside a transaction becomes a savepoint.
 *
 * Shape: `scopedKnex(root)` returns a knex with the same API. Root-only members (destroy, migrate,
 * client, seed, initialize) always reach the root. A transaction that has already completed (work
 * that outlived its callback, e.g. a timer started inside it) is no longer current.
 */
export function scopedKnex(root: Knex): Knex {
  const als = new AsyncLocalStorage<Knex.Transaction>();
  const current = (): Knex => {
    const trx = als.getStore();
    return trx && !trx.isCompleted() ? trx : root;
  };
  const ROOT_ONLY = new Set<PropertyKey>(['destroy', 'migrate', 'seed', 'client', 'initialize', 'context', 'userParams', 'withUserParams', 'isTransaction']);

  function transaction(this: unknown, ...args: unknown[]): unknown {
    const [first, second] = args;
    const target = current();
    if (typeof first === 'function') {
      const fn = first as (trx: Knex.Transaction) => unknown;
      return (target.transaction as (cb: (trx: Knex.Transaction) => unknown, cfg?: unknown) => unknown)((trx) => als.run(trx, () => fn(trx)), second);
    }
    // transaction(config) / transaction(): a provider the caller commits by hand; scoping follows
    // only callback transactions, where the extent of the transaction is the callback's.
    return (target.transaction as (...a: unknown[]) => unknown)(...args);
  }

  return new Proxy(root, {
    apply(_target, _this, args: unknown[]) {
      return (current() as unknown as (...a: unknown[]) => unknown)(...args);
    },
    get(target, prop, receiver) {
      if (prop === 'transaction') return transaction;
      if (prop === 'isScoped') return true;
      // Whether a query issued here now would run inside a transaction (callers that tune a
      // statement's own commit must not change an enclosing transaction's).
      if (prop === 'inTransaction') return current() !== root;
      if (ROOT_ONLY.has(prop)) return Reflect.get(target, prop, receiver);
      const cur = current();
      const v = (cur as unknown as Record<PropertyKey, unknown>)[prop];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(cur) : v;
    },
  });
}
