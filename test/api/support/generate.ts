import fc from 'fast-check';

/** A JSON schema as /openapi.json states it (OpenAPI 3.0 dialect). */
export interface JsonSchema {
  $ref?: string; type?: string; nullable?: boolean; enum?: unknown[]; format?: string; pattern?: string;
  minLength?: number; maxLength?: number; minimum?: number; maximum?: number; exclusiveMinimum?: boolean | number;
  items?: JsonSchema; minItems?: number; maxItems?: number; properties?: Record<string, JsonSchema>; required?: string[];
  additionalProperties?: boolean | JsonSchema; allOf?: JsonSchema[]; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; default?: unknown;
}

export type Resolve = (s: JsonSchema) => JsonSchema;

export function resolver(doc: { components?: { schemas?: Record<string, JsonSchema> } }): Resolve {
  return (s) => {
    let cur = s;
    while (cur.$ref) cur = doc.components!.schemas![cur.$ref.replace('#/components/schemas/', '')];
    return cur;
  };
}

const NASTY_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\uFEFF', '\u202Eabc', '😀'.repeat(50), '\uD800', "'; drop table users; --", '<script>alert(1)</script>', '../../etc/passwd',
  '%00', '${jndi:ldap://x}', '{{7*7}}', 'null', 'undefined', 'NaN', '-0', '1e309', '0x10', '  13800138000  ', '社会保险'.repeat(3),
];
const NASTY_NUMBERS = [0, -1, -0, 1.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 1e20, 1e308, -1e308, Number.MIN_VALUE, 99999999999999999999];

/** Any JSON value, including the ones that break naive code. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.constantFrom(...NASTY_NUMBERS),
  fc.constantFrom(null, true, false, [], {}),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.constant('x'.repeat(70_000)),
  fc.integer({ min: 10, max: 2000 }).map((depth) => { let v: unknown = 1; for (let i = 0; i < depth; i++) v = [v]; return v; }),
  fc.integer({ min: 10, max: 2000 }).map((depth) => { let v: unknown = 1; for (let i = 0; i < depth; i++) v = { a: v }; return v; }),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 2000 }),
);

function stringFor(s: JsonSchema): fc.Arbitrary<string> {
  if (s.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01') }).map((d) => d.toISOString());
  if (s.pattern) {
    try {
      return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= (s.maxLength ?? 200) && v.length >= (s.minLength ?? 0));
    } catch {
      /* a pattern fast-check cannot read: plain strings */
    }
  }
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 40, min + 40);
  return fc.oneof(fc.string({ minLength: min, maxLength: max }), fc.constantFrom('社会保险办理', '西峰区南大街油烟扰民', 'QY-RSJ', 'HX', '13800138000').filter((v) => v.length >= min && v.length <= (s.maxLength ?? 1e9)));
}

/** A value that satisfies the schema (as far as JSON schema can say: refinements may still refuse it). */
export function valid(s0: JsonSchema, resolve: Resolve, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(s0);
  const core = ((): fc.Arbitrary<unknown> => {
    if (s.enum) return fc.constantFrom(...s.enum);
    if (s.allOf) return fc.tuple(...s.allOf.map((p) => valid(p, resolve, depth + 1))).map((parts) => Object.assign({}, ...parts.filter((p) => p && typeof p === 'object')));
    if (s.anyOf || s.oneOf) return fc.oneof(...(s.anyOf ?? s.oneOf)!.map((p) => valid(p, resolve, depth + 1)));
    switch (s.type) {
      case 'string': return stringFor(s);
      case 'integer': return fc.integer({ min: Math.max(s.minimum ?? -1000, -1e6), max: Math.min(s.maximum ?? 1000, 1e6) });
      case 'number': return fc.double({ min: Math.max(s.minimum ?? -1000, -1e6), max: Math.min(s.maximum ?? 1000, 1e6), noNaN: true });
      case 'boolean': return fc.boolean();
      case 'array': return depth > 4 ? fc.constant([]) : fc.array(valid(s.items ?? {}, resolve, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 3, 3) });
      case 'object': {
        const props = s.properties ?? {};
        const req = new Set(s.required ?? []);
        const rec: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(props)) rec[k] = valid(v, resolve, depth + 1);
        return fc.record(rec, { requiredKeys: Object.keys(props).filter((k) => req.has(k)) });
      }
      default: return fc.oneof(fc.string({ maxLength: 10 }), fc.integer());
    }
  })();
  return s.nullable ? fc.oneof({ weight: 5, arbitrary: core }, { weight: 1, arbitrary: fc.constant(null) }) : core;
}

/** A value that is probably wrong for the schema: wrong type, out of range, too long, missing or extra fields. */
export function broken(s0: JsonSchema, resolve: Resolve): fc.Arbitrary<unknown> {
  const s = resolve(s0);
  const variants: fc.Arbitrary<unknown>[] = [anyJson];
  if (s.type === 'object' || s.properties) {
    const props = Object.entries(s.properties ?? {});
    if (props.length) {
      // one field broken, the rest valid; or a required field missing; or extra fields
      variants.push(fc.tuple(valid(s, resolve), fc.constantFrom(...props.map(([k]) => k)), anyJson).map(([v, k, bad]) => ({ ...(v as object), [k]: bad })));
      variants.push(fc.tuple(valid(s, resolve), fc.constantFrom(...props.map(([k]) => k))).map(([v, k]) => { const o = { ...(v as Record<string, unknown>) }; delete o[k]; return o; }));
      variants.push(fc.tuple(valid(s, resolve), fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 3 })).map(([v, extra]) => ({ ...extra, ...(v as object), __proto__x: 1, constructor: 'x' })));
    }
  }
  if (s.type === 'string') variants.push(fc.constantFrom('x'.repeat((s.maxLength ?? 1000) + 1), 12345, true, ['a']));
  if (s.type === 'integer' || s.type === 'number') variants.push(fc.constantFrom((s.maximum ?? 1e9) + 1, (s.minimum ?? -1e9) - 1, 1.5, '12', '', 'abc', 1e300));
  return fc.oneof(...variants);
}

/** A string for a path segment or query value: valid-looking or nasty. */
export function paramString(s: JsonSchema | undefined, resolve: Resolve, known: string[]): fc.Arbitrary<string> {
  const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');
  const options: fc.Arbitrary<string>[] = [
    fc.constantFrom(...NASTY_STRINGS.filter(Boolean)),
    fc.constantFrom(...NASTY_NUMBERS.map(String), '99999999999999999999', '9007199254740993', '-5', '1.0', '+1', '1e3', ' 1'),
    fc.string({ minLength: 1, maxLength: 30 }),
    fc.constant('q'.repeat(3000)),
  ];
  if (known.length) options.push(fc.constantFrom(...known));
  if (s) options.push(valid(s, resolve).map(asText));
  return fc.oneof(...options);
}
