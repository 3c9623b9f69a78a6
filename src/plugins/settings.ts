/**
 * @module plugins/settings
 * A plugin's own settings checked against the schema it declares (`api.settingsSchema`), at start: a typo or
 * a wrong value in `pluginSettings` stops the start with the plugin, the setting and what it must be, instead
 * of surfacing on the first call — or never, as a policy silently off. A plugin cannot import TypeBox (the
 * compiled binary has no npm packages), so the builder is handed over: the part of TypeBox's `Type` that
 * settings need, typed in `plugins/portico.d.ts` without importing it. The messages are written from the
 * schema (what the setting must be), not from TypeBox's (which check failed), since an operator reads them.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import type { SettingSchema, SettingsBuilder } from '../../plugins/portico';

/** Settings that do not fit their plugin's schema; the loader turns it into the start-stopping `PluginError`, as it is. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/**
 * The builder plugins get: TypeBox's constructors for what settings hold. Objects refuse keys they do not
 * list (a misspelt setting must not pass as absent) unless their options say `additionalProperties: true`.
 * The cast is the one place TypeBox's types meet the self-contained ones of `portico.d.ts`, which mirror them.
 */
export const settingsBuilder = Object.freeze({
  String: (options?: object) => Type.String(options),
  Number: (options?: object) => Type.Number(options),
  Integer: (options?: object) => Type.Integer(options),
  Boolean: (options?: object) => Type.Boolean(options),
  Literal: (value: string | number | boolean, options?: object) => Type.Literal(value, options),
  Union: (members: TSchema[], options?: object) => Type.Union(members, options),
  Array: (items: TSchema, options?: object) => Type.Array(items, options),
  Object: (properties: Record<string, TSchema>, options?: object) => Type.Object(properties, { additionalProperties: false, ...options }),
  Record: (key: TSchema, value: TSchema, options?: object) => Type.Record(key, value, options),
  Optional: (schema: TSchema) => Type.Optional(schema),
  Unknown: (options?: object) => Type.Unknown(options),
}) as unknown as SettingsBuilder;

/**
 * `settings` against the schema `build` makes, with its defaults filled in (a copy: the configuration is not
 * changed). Throws `SettingsError` naming `plugin` and each setting at fault; `TypeError` for a schema that is
 * not an object's (the plugin's mistake, not the operator's).
 */
export function checkedSettings(plugin: string, settings: Readonly<Record<string, unknown>>, build: (builder: SettingsBuilder) => SettingSchema): unknown {
  if (typeof build !== 'function') throw new TypeError(`${plugin}: settingsSchema needs a function (T) => T.Object({ … })`);
  const schema = build(settingsBuilder) as unknown as TSchema;
  if (!schema || typeof schema !== 'object' || schema.type !== 'object') throw new TypeError(`${plugin}: settingsSchema must return T.Object({ … }): settings are an object of named values`);
  const value = Value.Default(schema, structuredClone(settings));
  if (Value.Check(schema, value)) return value;
  const problems = new Map<string, string>();
  for (const error of Value.Errors(schema, value)) {
    // one problem per setting: a missing one is reported as missing, not also as of the wrong type
    if (!problems.has(error.path)) problems.set(error.path, problemOf(error, value));
  }
  const shown = [...problems.values()];
  const more = shown.length > MAX_SHOWN ? `; and ${shown.length - MAX_SHOWN} more` : '';
  throw new SettingsError(`${plugin}: ${shown.slice(0, MAX_SHOWN).join('; ')}${more}`);
}

const MAX_SHOWN = 5;

function problemOf(error: ValueError, root: unknown): string {
  const name = settingName(error.path, root);
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const known = Object.keys((error.schema as { properties?: object }).properties ?? {});
      return `unknown setting "${name}"; known: ${known.join(', ') || 'none'}`;
    }
    case ValueErrorType.ObjectRequiredProperty:
      return `setting "${name}" is required: ${expected(error.schema)}`;
    default:
      return `setting "${name}" must be ${expected(error.schema)} (got ${shown(error.value)})`;
  }
}

/** A JSON pointer into the settings as an operator writes it: `/pin/list_projects/0` → `pin.list_projects[0]`. */
function settingName(pointer: string, root: unknown): string {
  let name = '';
  let at: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    name += Array.isArray(at) ? `[${key}]` : name === '' ? key : `.${key}`;
    at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  }
  return name;
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

type Schema = Readonly<Record<string, unknown>>;

/** What a value of `schema` must be, as a phrase: "an integer ≥ 1", "a list of strings", "one of "a", "b"". */
function expected(schema: Schema): string {
  if ('const' in schema) return JSON.stringify(schema.const);
  const members = schema.anyOf as Schema[] | undefined;
  if (members) {
    return members.every((member) => 'const' in member) ? `one of ${members.map((member) => JSON.stringify(member.const)).join(', ')}` : members.map(expected).join(' or ');
  }
  switch (schema.type) {
    case 'string':
      return `a ${schema.minLength === 1 ? 'non-empty ' : ''}string${typeof schema.pattern === 'string' ? ` matching /${schema.pattern}/` : ''}`;
    case 'integer':
      return `an integer${bounds(schema)}`;
    case 'number':
      return `a number${bounds(schema)}`;
    case 'boolean':
      return 'true or false';
    case 'array':
      return `a ${typeof schema.minItems === 'number' && schema.minItems > 0 ? 'non-empty ' : ''}list of ${plural(schema.items as Schema)}`;
    case 'object': {
      const values = Object.values((schema.patternProperties ?? {}) as Record<string, Schema>)[0];
      if (values) return Object.keys(values).length === 0 ? 'an object' : `an object whose values are ${plural(values)}`;
      const keys = Object.keys((schema.properties ?? {}) as object);
      return keys.length > 0 ? `an object with ${keys.join(', ')}` : 'an object';
    }
    default:
      return 'anything';
  }
}

/** `schema` for the items of a list or the values of a map: "strings", "integers ≥ 1", "values among …". */
function plural(schema: Schema): string {
  const one = expected(schema);
  const simple = /^an? (non-empty )?(string|integer|number|list|object)\b(.*)$/.exec(one);
  if (simple) return `${simple[1] ?? ''}${simple[2]}s${simple[3]}`;
  return `values that are each ${one}`;
}

function bounds(schema: Schema): string {
  const parts: string[] = [];
  if (typeof schema.minimum === 'number') parts.push(`≥ ${schema.minimum}`);
  if (typeof schema.exclusiveMinimum === 'number') parts.push(`> ${schema.exclusiveMinimum}`);
  if (typeof schema.maximum === 'number') parts.push(`≤ ${schema.maximum}`);
  if (typeof schema.exclusiveMaximum === 'number') parts.push(`< ${schema.exclusiveMaximum}`);
  return parts.length > 0 ? ` ${parts.join(' and ')}` : '';
}
