import fc from 'fast-check';
import { hostileValue } from './hostile-values.js';

/** The slice of an OpenAPI 3 schema this generator reads. */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  maxLength?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  example?: unknown;
}

export type Components = Record<string, Schema>;

function resolve(schema: Schema, components: Components): Schema {
  let s = schema;
  for (let i = 0; s.$ref !== undefined && i < 10; i++)
    s = components[s.$ref.replace('#/components/schemas/', '')] ?? {};
  if (s.allOf !== undefined)
    return s.allOf.reduce<Schema>(
      (acc, part) => {
        const r = resolve(part, components);
        return {
          ...acc,
          ...r,
          properties: { ...acc.properties, ...r.properties },
          required: [...(acc.required ?? []), ...(r.required ?? [])],
        };
      },
      { type: 'object' },
    );
  return s;
}

/**
 * A value that follows `schema` (its example, an enum member, a plausible string or number),
 * with hostile values mixed in at every level (a third of the time), missing required fields
 * and unknown extra fields: most requests come close to valid, so they reach the deep code.
 */
export function fromSchema(
  schema: Schema,
  components: Components,
  depth = 0,
): fc.Arbitrary<unknown> {
  const s = resolve(schema, components);
  const plausible = plausibleFor(s, components, depth);
  return fc.oneof({ weight: 2, arbitrary: plausible }, { weight: 1, arbitrary: hostileValue });
}

function plausibleFor(s: Schema, components: Components, depth: number): fc.Arbitrary<unknown> {
  if (depth > 4) return fc.constant(null);
  if (s.enum !== undefined && s.enum.length > 0) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'object': {
      const props = Object.entries(s.properties ?? {});
      if (props.length === 0 && s.additionalProperties && s.additionalProperties !== true) {
        const value = fromSchema(s.additionalProperties, components, depth + 1);
        return fc.dictionary(
          fc.constantFrom('EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v', 'x'),
          value,
          {
            maxKeys: 2,
          },
        );
      }
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, prop] of props) record[name] = fromSchema(prop, components, depth + 1);
      const required = new Set(s.required ?? []);
      return fc
        .tuple(
          fc.record(record, { requiredKeys: props.map(([n]) => n).filter((n) => required.has(n)) }),
          fc.option(fc.dictionary(fc.string({ maxLength: 12 }), hostileValue, { maxKeys: 2 }), {
            freq: 5,
          }),
          fc.option(fc.constantFrom(...(props.length > 0 ? props.map(([n]) => n) : ['x'])), {
            freq: 5,
          }),
        )
        .map(([value, extra, drop]) => {
          const out: Record<string, unknown> = { ...(extra ?? {}), ...value };
          if (drop !== null) delete out[drop];
          return out;
        });
    }
    case 'array':
      return fc.array(fromSchema(s.items ?? {}, components, depth + 1), { maxLength: 3 });
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number':
      return fc.oneof(fc.constant(s.example ?? 1), fc.integer({ min: -10, max: 1_000 }));
    case 'string':
    default:
      if (s.format === 'uuid') return fc.uuid();
      return fc.oneof(
        fc.constant(typeof s.example === 'string' ? s.example : 'x'),
        fc.constantFrom('0.001', '0.5', '1', '2.000000001', '100'),
        fc.string({ maxLength: s.maxLength ?? 30 }),
      );
  }
}
