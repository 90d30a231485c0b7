import { z } from './zod';

/**
 * Rows to response DTOs. The database keeps snake_case columns; the API speaks camelCase only.
 * A DTO's zod schema is the one list of what is sent: `toDto` picks exactly the schema's keys
 * from a row (each camelCase key read from its snake_case column), turns timestamps into ISO
 * strings and bigint columns (strings from the driver) into numbers where the schema says number.
 * The same schema documents the response in /openapi.json, so the two cannot drift apart.
 */
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function base(t: z.ZodTypeAny): z.ZodTypeAny {
  let s = t;
  for (;;) {
    if (s instanceof z.ZodNullable || s instanceof z.ZodOptional) s = s.unwrap();
    else if (s instanceof z.ZodDefault) s = s._def.innerType;
    else return s;
  }
}

function convert(schema: z.ZodTypeAny, v: unknown): unknown {
  if (v === undefined) return null;
  if (v === null) return null;
  if (v instanceof Date) return v.toISOString();
  const b = base(schema);
  if (b instanceof z.ZodNumber && typeof v === 'string' && v !== '') return Number(v);
  if (b instanceof z.ZodString && typeof v === 'number') return String(v);
  if (b instanceof z.ZodArray && Array.isArray(v)) return v.map((x) => convert(b.element, x));
  if (b instanceof z.ZodObject && typeof v === 'object') return toDto(b as z.AnyZodObject, v as Record<string, unknown>);
  return v;
}

export function toDto<S extends z.AnyZodObject>(schema: S, row: Record<string, unknown>): z.infer<S> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodTypeAny>)) {
    const v = key in row ? row[key] : row[snake(key)];
    out[key] = convert(field, v);
  }
  return out as z.infer<S>;
}

/** A mapper for one schema, for `.map(...)`. */
export const dto = <S extends z.AnyZodObject>(schema: S) => (row: object) => toDto(schema, row as Record<string, unknown>);

const ts = z.string().openapi({ format: 'date-time' });
/** An ISO 8601 timestamp in a response. */
export const isoTime = ts;
