/**
 * Schema-valid arguments for a tool, from its `inputSchema` alone (JSON Schema 2020-12, as Portico lists it), made
 * by json-schema-faker with a seed derived from the tool's name: the same tool gets the same arguments on every run.
 * Two variants: `required` (required properties only, at every depth) and `full` (every optional property too).
 * Each set is checked with Ajv 2020 (formats on, as the gateway checks) against the schema; one that does not fit is
 * the generator's weakness, not Portico's, and is skipped and counted.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { generateSync } from 'json-schema-faker';
import { FIELDS, PAGES } from '../../src/catalog/answer-arguments';

/** Larger arguments are not sent: a generator accident, not a call an agent makes. */
const MAX_ARGUMENTS_SIZE = 256 * 1024;

export type Variant = 'required' | 'full';

export type Generated = { readonly ok: true; readonly args: Record<string, unknown> } | { readonly ok: false; readonly why: string };

const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
addFormats.default(ajv);
const compiled = new WeakMap<object, ValidateFunction>();

/** A 32-bit FNV-1a hash: the seed of a tool's arguments, and the order of the deterministic sample. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Why `args` do not fit `schema`, or null. */
export function schemaErrors(schema: object, args: unknown): string | null {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(args)) return null;
  return (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}

/**
 * Up to four attempts, the first that fits wins: the plain generator; then with the schema's own `examples` and
 * `default`s (json-schema-faker cannot meet a `pattern` together with lengths, e.g. Supabase's project ref
 * `^[a-z]+$` of exactly 20 characters, whose example fits); then two other seeds.
 */
export function generateArguments(given: { name: string; inputSchema: object }, variant: Variant): Generated {
  const tool = { name: given.name, inputSchema: apiArguments(given.inputSchema) };
  const seed = hash(`${tool.name}/${variant}`) || 1;
  const attempts = [{ seed }, { seed, useExamplesValue: true, useDefaultValue: true }, { seed: seed + 1 }, { seed: seed + 2 }];
  let first: Generated | undefined;
  for (const attempt of attempts) {
    const generated = attemptArguments(tool, variant, attempt);
    if (generated.ok) return generated;
    first ??= generated;
  }
  return first!;
}

/**
 * The schema without the gateway's own arguments (`fields`, `pages`: catalog/answer-arguments), which the API never
 * receives: this check is of what reaches the API. Their own tests are test/calls/answers.test.ts (and a `fields` that
 * is not JMESPath is refused on purpose, saying why: no JSON Schema can describe that language).
 */
function apiArguments(schema: object): object {
  const properties = (schema as { properties?: Record<string, unknown> }).properties;
  if (!properties || (!Object.hasOwn(properties, FIELDS) && !Object.hasOwn(properties, PAGES))) return schema;
  const { [FIELDS]: _fields, [PAGES]: _pages, ...rest } = properties;
  return { ...schema, properties: rest };
}

function attemptArguments(tool: { name: string; inputSchema: object }, variant: Variant, attempt: { seed: number; useExamplesValue?: boolean; useDefaultValue?: boolean }): Generated {
  let args: unknown;
  try {
    args = generateSync(tool.inputSchema as never, {
      ...attempt,
      ...(variant === 'required' ? { optionalsProbability: 0 } : { alwaysFakeOptionals: true }),
      maxDepth: 4,
      maxDefaultItems: 2,
      // documents say maxLength: 152133 or maxItems: 1521 (Discord) for "no real limit": json-schema-faker would make
      // strings and arrays that long (300 MB of arguments); a value these overrides make too short is caught below
      maxItems: 3,
      maxLength: 48,
      failOnInvalidTypes: false,
    });
  } catch (error) {
    return { ok: false, why: `generator threw: ${String(error).slice(0, 200)}` };
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return { ok: false, why: `generator made ${JSON.stringify(args)?.slice(0, 80)}` };
  const size = JSON.stringify(args).length;
  if (size > MAX_ARGUMENTS_SIZE) return { ok: false, why: `generator made ${size} characters of arguments` };
  let invalid: string | null;
  try {
    invalid = schemaErrors(tool.inputSchema, args);
  } catch (error) {
    return { ok: false, why: `schema does not compile: ${String(error).slice(0, 200)}` };
  }
  return invalid ? { ok: false, why: `not schema-valid: ${invalid}` } : { ok: true, args: args as Record<string, unknown> };
}
