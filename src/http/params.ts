import { z } from './zod';

/**
 * Shared request-parameter schemas. Every id in a path or query goes through `idParam`, so no
 * route can hand PostgreSQL a number its bigint columns cannot hold (`99999999999999999999` used
 * to reach the database and come back as a 500 "out of range for type bigint"), nor a float,
 * hex or exponent spelling that `Number()` would happily accept.
 */
const DIGITS = /^[1-9]\d{0,15}$/;

/** A positive whole number written in decimal digits, at most Number.MAX_SAFE_INTEGER (fits bigint). */
export const idParam = z
  .string()
  .regex(DIGITS, 'a positive whole number')
  .transform(Number)
  .refine((n) => Number.isSafeInteger(n), 'a positive whole number no larger than 9007199254740991')
  .openapi({ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, example: 42 } as never);

/** The same for ids sent as JSON numbers in a body. */
export const idNumber = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** `{ id }` path parameters. */
export const IdParams = z.object({ id: idParam });

/** A whole number in a query string within [min, max] (limits, offsets), digits only. */
export function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,16}$/, 'a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `a whole number from ${min} to ${max}`)
    .openapi({ type: 'integer', minimum: min, maximum: max } as never);
}

/** Longest free-text query parameter (search boxes); longer ones are refused with 400, not sent to the database. */
export const MAX_QUERY_TEXT = 200;

/** A calendar day `YYYY-MM-DD` that exists (no month 35, no 30 February), years 1900-2199. */
export const isoDay = z
  .string()
  .regex(/^(19|20|21)\d{2}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD')
  .refine((d) => {
    const [y, m, day] = d.split('-').map(Number);
    const t = new Date(Date.UTC(y, m - 1, day));
    return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === day;
  }, 'a day that exists in the calendar')
  .openapi({ type: 'string', format: 'date', example: '2026-10-01' } as never);

/** An instant (ISO 8601 or epoch ms) within 1900-2199, so PostgreSQL never sees a timestamp it cannot store. */
export const instant = z.coerce
  .date()
  .refine((d) => d.getUTCFullYear() >= 1900 && d.getUTCFullYear() < 2200, 'a time between 1900 and 2199')
  .openapi({ type: 'string', format: 'date-time' } as never);
