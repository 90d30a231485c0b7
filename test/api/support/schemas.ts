import { z } from '../../../src/http/zod';

/**
 * The response schema made strict all the way down: an object refuses keys it does not declare
 * (unless the schema says passthrough on purpose), so a response that sends more than the
 * documentation says fails the parse. Records (dictionaries keyed by codes) stay records.
 */
export function strictify(s: z.ZodTypeAny): z.ZodTypeAny {
  if (s instanceof z.ZodObject) {
    const shape = Object.fromEntries(Object.entries(s.shape as Record<string, z.ZodTypeAny>).map(([k, v]) => [k, strictify(v)]));
    const o = z.object(shape);
    return s._def.unknownKeys === 'passthrough' ? o.passthrough() : o.strict();
  }
  if (s instanceof z.ZodArray) return z.array(strictify(s.element));
  if (s instanceof z.ZodNullable) return strictify(s.unwrap()).nullable();
  if (s instanceof z.ZodOptional) return strictify(s.unwrap()).optional();
  if (s instanceof z.ZodDefault) return strictify(s._def.innerType);
  if (s instanceof z.ZodUnion) return z.union((s.options as z.ZodTypeAny[]).map(strictify) as unknown as [z.ZodTypeAny, z.ZodTypeAny]);
  if (s instanceof z.ZodRecord) return z.record(strictify(s._def.valueType));
  if (s instanceof z.ZodEffects) return strictify(s._def.schema);
  return s;
}

/** Declared field names that are not camelCase, anywhere in a schema (dictionary keys excepted). */
export function nonCamelFields(s: z.ZodTypeAny, at = '$', out: string[] = [], seen = new Set<z.ZodTypeAny>()): string[] {
  if (seen.has(s)) return out;
  seen.add(s);
  if (s instanceof z.ZodObject) {
    for (const [k, v] of Object.entries(s.shape as Record<string, z.ZodTypeAny>)) {
      if (!/^[a-z][a-zA-Z0-9]*$/.test(k)) out.push(`${at}.${k}`);
      nonCamelFields(v, `${at}.${k}`, out, seen);
    }
  } else if (s instanceof z.ZodArray) nonCamelFields(s.element, `${at}[]`, out, seen);
  else if (s instanceof z.ZodNullable || s instanceof z.ZodOptional) nonCamelFields(s.unwrap(), at, out, seen);
  else if (s instanceof z.ZodDefault) nonCamelFields(s._def.innerType, at, out, seen);
  else if (s instanceof z.ZodUnion) for (const o of s.options as z.ZodTypeAny[]) nonCamelFields(o, at, out, seen);
  else if (s instanceof z.ZodRecord) nonCamelFields(s._def.valueType, `${at}{}`, out, seen);
  else if (s instanceof z.ZodEffects) nonCamelFields(s._def.schema, at, out, seen);
  return out;
}

/**
 * Keys with `_` in an actual response, walked along its schema: every object key is a field name
 * and must not contain `_`, except the keys of records the schema declares as dictionaries keyed
 * by codes (status labels and the like), whose values are still walked.
 */
export function snakeKeys(schema: z.ZodTypeAny | undefined, value: unknown, at = '$', out: string[] = []): string[] {
  if (value === null || typeof value !== 'object') return out;
  let s = schema;
  while (s && (s instanceof z.ZodNullable || s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodEffects)) {
    s = s instanceof z.ZodDefault ? s._def.innerType : s instanceof z.ZodEffects ? s._def.schema : (s as z.ZodNullable<z.ZodTypeAny>).unwrap();
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) snakeKeys(s instanceof z.ZodArray ? s.element : undefined, v, `${at}[${i}]`, out);
    return out;
  }
  if (s instanceof z.ZodUnion) {
    const match = (s.options as z.ZodTypeAny[]).find((o) => o.safeParse(value).success);
    return snakeKeys(match, value, at, out);
  }
  const dictionary = s instanceof z.ZodRecord;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!dictionary && k.includes('_')) out.push(`${at}.${k}`);
    const next = s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodTypeAny>)[k] : s instanceof z.ZodRecord ? s._def.valueType : undefined;
    snakeKeys(next, v, `${at}.${k}`, out);
  }
  return out;
}
