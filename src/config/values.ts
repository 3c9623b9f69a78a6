/**
 * @module config/values
 * What a setting's schema expects, in words ("an integer ≥ 0", `one of "read", "write" or "admin"`), and the first
 * part of a value that does not fit it, so a message can name exactly what is wrong and where; and the checks that
 * no schema can say (an absolute http(s) URL), for every setting that needs them.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './errors';

/** The JSON Schema keywords the configuration uses. */
interface Shape {
  type?: string;
  const?: unknown;
  anyOf?: Shape[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  items?: Shape;
  patternProperties?: Record<string, Shape>;
}

/** What `schema` accepts, as a phrase that follows "must be". */
export function expected(schema: TSchema): string {
  const shape = schema as Shape;
  if (shape.anyOf) {
    const parts = shape.anyOf.map((option) => expected(option as TSchema));
    return shape.anyOf.every((option) => option.const !== undefined) ? `one of ${parts.join(', ')}` : parts.join(' or ');
  }
  if (shape.const !== undefined) return JSON.stringify(shape.const);
  switch (shape.type) {
    case 'integer':
    case 'number': {
      const noun = shape.type === 'integer' ? 'an integer' : 'a number';
      if (shape.minimum !== undefined && shape.maximum !== undefined) return `${noun} from ${shape.minimum} to ${shape.maximum}`;
      if (shape.minimum !== undefined) return `${noun} ≥ ${shape.minimum}`;
      if (shape.maximum !== undefined) return `${noun} ≤ ${shape.maximum}`;
      return noun;
    }
    case 'boolean':
      return 'true or false';
    case 'string':
      if (shape.pattern !== undefined) return `a string matching /${shape.pattern}/`;
      return shape.minLength ? 'a non-empty string' : 'a string';
    case 'array':
      return shape.items?.type === 'string' && !shape.items.anyOf ? 'a list of strings' : `a list whose items are each ${expected((shape.items ?? {}) as TSchema)}`;
    case 'object': {
      const values = Object.values(shape.patternProperties ?? {})[0];
      if (!values || (values.type === undefined && !values.anyOf && values.const === undefined)) return 'a mapping';
      return values.type === 'string' && !values.anyOf ? 'a mapping of names to strings' : `a mapping whose values are each ${expected(values as TSchema)}`;
    }
    default:
      return 'any value';
  }
}

/** Where in a value it went wrong (`""` for the value itself, `boss` or `[2]` inside it), and the part that did. */
export interface Misfit {
  readonly path: string;
  readonly schema: TSchema;
  readonly value: unknown;
}

/** The innermost part of `value` that `schema` refuses, or null when it fits. */
export function misfit(schema: TSchema, value: unknown, path = ''): Misfit | null {
  if (fits(schema, value)) return null;
  const shape = schema as Shape;
  if (shape.type === 'array' && Array.isArray(value) && shape.items) {
    for (const [index, item] of value.entries()) {
      const inner = misfit(shape.items as TSchema, item, `${path}[${index}]`);
      if (inner) return inner;
    }
  }
  const values = Object.values(shape.patternProperties ?? {})[0];
  if (shape.type === 'object' && values && isMapping(value)) {
    for (const [key, item] of Object.entries(value)) {
      const inner = misfit(values as TSchema, item, path ? `${path}.${key}` : key);
      if (inner) return inner;
    }
  }
  return { path, schema, value };
}

/**
 * A value as a message shows it: strings quoted (long ones cut), lists and mappings by kind. With `secret`, only
 * the kind ("a number"), so a misplaced credential is never repeated.
 */
export function shown(value: unknown, secret = false): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (secret) return typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : `${value}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}…` : value);
  return String(value);
}

/** `must be X, got Y`, with a hint when a YAML scalar was read as a number or boolean but text was meant. */
export function mismatch(found: Misfit, secret = false): string {
  const hint = (found.schema as Shape).type === 'string' && (typeof found.value === 'number' || typeof found.value === 'boolean') ? ' (put it in quotes)' : '';
  return `must be ${expected(found.schema)}, got ${shown(found.value, secret)}${hint}`;
}

/** Value.Check without narrowing `value` to never when it fails. */
const fits = (schema: TSchema, value: unknown): boolean => Value.Check(schema, value);

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Throws a ConfigError naming `source` unless `value` is an absolute http(s) URL. */
export function checkUrl(value: string, source: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${source} must be an absolute http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${source} must be an http(s) URL, got "${value}"`);
}
