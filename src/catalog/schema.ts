/**
 * @module catalog/schema
 * Converts OpenAPI schemas (Swagger 2.0, OpenAPI 3.0 and 3.1 dialects) to self-contained JSON Schema
 * 2020-12: every `$ref` inlined, recursion cut, OpenAPI-only keywords translated or dropped.
 *
 * Inlined subtrees are memoised and shared between tools, which keeps huge interlinked specs (Microsoft
 * Graph) fast and small. Shared subtrees are never mutated after they are built.
 */
import { refOf, type DocumentSet, type Resolved } from './documents';
import { SpecError } from './errors';
import { markOrigin, stub, withFields } from './fit';
import { clip, escapePointer, isPlainObject, JSON_TYPES, setOwn, typeList } from './json';
import type { JsonSchema } from './types';

/** Input schemas drop `readOnly` properties; output schemas drop `writeOnly` ones and are lenient. */
export type SchemaMode = 'input' | 'output';

/** What a conversion noticed, for the tool's description and the catalog's warnings. */
export interface ConversionNotes {
  /** Names of schemas whose recursion was cut. */
  readonly recursive: Set<string>;
  /** Names of schemas left as stubs to keep a tool's schema within its size budget. */
  readonly truncated: Set<string>;
}

export const newNotes = (): ConversionNotes => ({ recursive: new Set(), truncated: new Set() });

function mergeNotes(into: ConversionNotes, from: ConversionNotes): void {
  for (const name of from.recursive) into.recursive.add(name);
  for (const name of from.truncated) into.truncated.add(name);
}


/** Keywords whose value is one schema. */
const SCHEMA_KEYWORDS = ['not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'contentSchema'] as const;
/** Keywords whose value is a list of schemas. */
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
/** Keywords whose value is a map of schemas. */
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', 'dependentSchemas'] as const;
/** Keywords copied as they are (after a type check where the meta-schema is strict about them). */
const NUMBER_KEYWORDS = ['multipleOf', 'maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum'] as const;
const COUNT_KEYWORDS = ['maxLength', 'minLength', 'maxItems', 'minItems', 'maxProperties', 'minProperties', 'maxContains', 'minContains'] as const;
/** Base64 (standard or URL-safe; the last group may go without its padding), after a base64 `data:` URL's head with a valid media type or none: what the proxy decodes. */
export const BASE64_PATTERN = "^(data:([!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+)?(;[^;,]*)*;base64,)?(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$";

/** A `contentMediaType` the proxy sends as bytes (any but text, JSON and XML): a file. */
function isFileMedia(type: unknown): boolean {
  return typeof type === 'string' && !/^(text\/|application\/(json|xml))/i.test(type);
}

const STRING_KEYWORDS = ['title', 'description', 'format', 'contentMediaType', 'contentEncoding'] as const;
const BOOLEAN_KEYWORDS = ['uniqueItems', 'deprecated', 'readOnly', 'writeOnly'] as const;

/**
 * Output schemas describe the shape of a response; they must not reject a real response that drifts from
 * its spec (an enum value added upstream, a missing field), or clients that validate would refuse it.
 */
const OUTPUT_DROPPED = new Set<string>([
  'required', 'enum', 'const', 'format', 'pattern', 'multipleOf', 'maximum', 'minimum', 'exclusiveMaximum',
  'exclusiveMinimum', 'maxLength', 'minLength', 'maxItems', 'minItems', 'uniqueItems', 'maxProperties',
  'minProperties', 'maxContains', 'minContains', 'dependentRequired',
]);

const OUTPUT_SKIPPED = new Set<string>(['not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties']);

export class SchemaConverter {
  /**
   * One conversion per target and mode. A subtree converted under one path may have a ref to an ancestor
   * of that path cut; reusing it elsewhere only means a recursive type is expanded a little less there.
   * Without this, schemas whose types all link to each other (Stripe, Graph) take exponential time.
   */
  private readonly memo = new Map<string, { schema: JsonSchema; notes: ConversionNotes }>();
  private readonly active = new Set<string>();

  constructor(private readonly documents: DocumentSet) {}

  /**
   * Converts the schema `node` found in the document `base` at `where` (used in error messages).
   * Throws a `SpecError` for a dangling `$ref`.
   */
  convert(node: unknown, base: string, where: string, mode: SchemaMode, notes: ConversionNotes): JsonSchema {
    return this.walk(node, base, where, mode, notes);
  }

  private walk(node: unknown, base: string, where: string, mode: SchemaMode, notes: ConversionNotes): JsonSchema {
    if (node === true || node === undefined) return {};
    if (node === false) return { not: {} };
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return {};
    const ref = refOf(node);
    if (ref !== undefined) return this.walkRef(node as Record<string, unknown>, ref, base, where, mode, notes);
    return this.walkObject(node as Record<string, unknown>, base, where, mode, notes);
  }

  private walkRef(node: Record<string, unknown>, ref: string, base: string, where: string, mode: SchemaMode, notes: ConversionNotes): JsonSchema {
    let target: Resolved;
    try {
      target = this.documents.resolve(ref, base, where);
    } catch (error) {
      // `A: {$ref: A}` says nothing about A's values: accept any, and say so.
      if (!(error instanceof SpecError) || error.code !== 'SPEC_REF_LOOP') throw error;
      return { description: `${schemaName(ref)} (a reference to itself: any value)` };
    }
    const name = schemaName(target.key);
    let schema: JsonSchema;
    const memoKey = `${mode}|${target.key}`;
    const hit = this.memo.get(memoKey);
    if (hit) {
      mergeNotes(notes, hit.notes);
      schema = hit.schema;
    } else if (this.active.has(target.key)) {
      notes.recursive.add(name);
      schema = stub(target.value, `${name} (recursive reference; not expanded further)`, mode);
    } else {
      const own = newNotes();
      this.active.add(target.key);
      try {
        schema = this.walk(target.value, target.base, `${where} → ${ref}`, mode, own);
      } finally {
        this.active.delete(target.key);
      }
      this.memo.set(memoKey, { schema, notes: own });
      mergeNotes(notes, own);
    }
    markOrigin(schema, name);
    // Siblings of $ref (allowed in 3.1, common everywhere): the local description says more than the target's.
    const siblings = Object.keys(node).filter((key) => key !== '$ref');
    if (siblings.length === 0) return schema;
    const local = this.walkObject(omit(node, '$ref'), base, where, mode, notes);
    if (Object.keys(local).length === 0) return schema;
    const merged = { ...schema, ...local };
    markOrigin(merged, name);
    return merged;
  }

  /**
   * The entries of a `properties`-like map. DigitalOcean writes `properties: {$ref: …}` for a whole map
   * kept elsewhere; a string can never be a property's schema, so such a `$ref` is that map.
   */
  private mapEntries(map: Record<string, unknown>, base: string, where: string): [string, unknown, string][] {
    const entries: [string, unknown, string][] = [];
    const ref = map.$ref;
    if (typeof ref === 'string') {
      const target = this.documents.resolve(ref, base, where);
      if (isPlainObject(target.value)) for (const [name, value] of Object.entries(target.value)) entries.push([name, value, target.base]);
    }
    for (const [name, value] of Object.entries(map)) if (!(name === '$ref' && typeof value === 'string')) entries.push([name, value, base]);
    return entries;
  }

  private walkObject(node: Record<string, unknown>, base: string, where: string, mode: SchemaMode, notes: ConversionNotes): JsonSchema {
    const sub = (value: unknown, path: string) => this.walk(value, base, `${where}/${path}`, mode, notes);
    const out: JsonSchema = {};

    // type, with OpenAPI's nullable forms folded in
    let types = typeList(node.type);
    if (types?.includes('file')) {
      types = types.map((t) => (t === 'file' ? 'string' : t));
      out.format = 'binary';
    }
    types = types?.filter((t) => JSON_TYPES.has(t));
    const nullable = node.nullable === true || node['x-nullable'] === true;
    if (types && types.length > 0) {
      if (nullable && !types.includes('null')) types = [...types, 'null'];
      out.type = types.length === 1 ? types[0] : [...new Set(types)];
    }

    for (const key of STRING_KEYWORDS) {
      const value = node[key];
      if (typeof value === 'string' && value !== '') out[key] = key === 'description' ? clip(value) : value;
    }
    for (const key of NUMBER_KEYWORDS) if (isFiniteNumber(node[key])) out[key] = node[key];
    for (const key of COUNT_KEYWORDS) {
      const value = node[key];
      if (Number.isInteger(value) && (value as number) >= 0) out[key] = value;
    }
    for (const key of BOOLEAN_KEYWORDS) if (typeof node[key] === 'boolean') out[key] = node[key];
    if (typeof node.multipleOf === 'number' && node.multipleOf <= 0) delete out.multipleOf;
    // OpenAPI 3.0 / Swagger 2.0: exclusiveMinimum/Maximum are booleans qualifying minimum/maximum
    for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
      if (node[flag] === true && isFiniteNumber(node[bound])) {
        out[flag] = node[bound];
        delete out[bound];
      }
    }
    if (typeof node.pattern === 'string' && isUsableRegex(node.pattern)) out.pattern = node.pattern;
    // An empty enum admits nothing, and Ajv (which clients use) refuses to compile it
    if (Array.isArray(node.enum) && node.enum.length > 0) {
      out.enum = nullable && !node.enum.includes(null) ? [...node.enum, null] : node.enum;
    }
    if ('const' in node) out.const = node.const;
    if ('default' in node) out.default = node.default;
    // `example: {$ref: '#/components/examples/…'}` (GitHub) points at an Example Object, not at a value
    const examples = (Array.isArray(node.examples) ? node.examples : 'example' in node ? [node.example] : []).filter((value) => refOf(value) === undefined);
    if (examples.length > 0) out.examples = examples;
    if (Array.isArray(node.required)) {
      const required = [...new Set(node.required.filter((name): name is string => typeof name === 'string'))];
      if (required.length > 0) out.required = required;
    }
    if (isPlainObject(node.dependentRequired)) out.dependentRequired = node.dependentRequired;

    for (const key of SCHEMA_KEYWORDS) {
      // Output schemas describe shape: negations and conditionals only add ways to reject a real response
      if (key in node && !(mode === 'output' && OUTPUT_SKIPPED.has(key))) out[key] = sub(node[key], key);
    }
    for (const key of SCHEMA_LIST_KEYWORDS) {
      const list = node[key];
      if (Array.isArray(list) && list.length > 0) out[key] = list.map((item, i) => sub(item, `${key}/${i}`));
    }
    for (const key of SCHEMA_MAP_KEYWORDS) {
      const map = node[key];
      if (!isPlainObject(map)) continue;
      const converted: Record<string, JsonSchema> = {};
      for (const [name, value, mapBase] of this.mapEntries(map, base, `${where}/${key}`)) {
        const path = `${where}/${key}/${escapePointer(name)}`;
        setOwn(converted, name, mapBase === base ? sub(value, `${key}/${escapePointer(name)}`) : this.walk(value, mapBase, path, mode, notes));
      }
      out[key] = converted;
    }
    if ('items' in node) {
      // Swagger 2.0 / OAS 3.0 tuple form
      if (Array.isArray(node.items)) out.prefixItems = node.items.map((item, i) => sub(item, `items/${i}`));
      else out.items = sub(node.items, 'items');
    }
    if (typeof node.additionalProperties === 'boolean') out.additionalProperties = node.additionalProperties;
    else if (isPlainObject(node.additionalProperties)) out.additionalProperties = sub(node.additionalProperties, 'additionalProperties');

    if (mode === 'input' && out.contentEncoding === undefined && (out.format === 'binary' || isFileMedia(out.contentMediaType))) {
      // The proxy takes file content as base64 (JSON has no bytes): say so where the model reads it, and hold the
      // argument to what decodes (whole groups of four, or a base64 data: URL), so the schema refuses what the proxy would
      // (`format: binary` marks it ours: a document's own `contentEncoding: base64` is text the API wants as it is)
      out.format = 'binary';
      out.contentEncoding = 'base64';
      out.pattern = BASE64_PATTERN;
      out.description = clip(`${typeof out.description === 'string' ? `${out.description} ` : ''}(file content, base64-encoded)`);
    }
    if (Array.isArray(out.allOf)) mergeAllOf(out);
    if (nullable) allowNull(out);
    dropHiddenProperties(out, mode === 'input' ? 'readOnly' : 'writeOnly');
    if (mode === 'output') loosen(out);
    return out;
  }
}

/** OpenAPI's `nullable` on a schema whose type comes from `allOf` or a union (`nullable` + `allOf: [$ref]`). */
function allowNull(schema: JsonSchema): void {
  const types = typeList(schema.type);
  if (types) {
    if (!types.includes('null')) schema.type = [...types, 'null'];
  } else if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
    const key = Array.isArray(schema.anyOf) ? 'anyOf' : 'oneOf';
    const branches = schema[key] as JsonSchema[];
    if (!branches.some((branch) => branch.type === 'null')) schema[key] = [...branches, { type: 'null' }];
  }
}

/** `allOf` is merged into its parent so clients see one flat object. */
function mergeAllOf(schema: JsonSchema): void {
  const branches = schema.allOf as JsonSchema[];
  delete schema.allOf;
  const own = { ...schema };
  for (const key of Object.keys(schema)) delete schema[key];
  const leftovers: JsonSchema[] = [];
  for (const branch of [...branches, own]) {
    for (const [key, value] of Object.entries(branch)) {
      if (key === 'allOf') {
        leftovers.push(...(value as JsonSchema[]));
        continue;
      }
      const current = schema[key];
      if (current === undefined) {
        schema[key] = key === 'properties' ? { ...(value as object) } : value;
      } else if (key === 'properties') {
        const merged = current as Record<string, JsonSchema>;
        for (const [name, property] of Object.entries(value as Record<string, JsonSchema>)) {
          const existing = Object.hasOwn(merged, name) ? merged[name] : undefined;
          setOwn(merged, name, existing === undefined || existing === property ? property : mergedPair(existing, property));
        }
      } else if (key === 'required') {
        schema.required = [...new Set([...(current as string[]), ...(value as string[])])];
      } else if (key === 'type') {
        const common = typeList(current)!.filter((t) => typeList(value)!.includes(t));
        if (common.length > 0) schema.type = common.length === 1 ? common[0] : common;
      } else if (key === 'oneOf' || key === 'anyOf' || key === 'not' || key === 'if') {
        leftovers.push({ [key]: value });
      } else if (branch === own && (key === 'description' || key === 'title')) {
        schema[key] = value; // the schema's own words beat its parents'
      }
    }
  }
  if (leftovers.length > 0) schema.allOf = leftovers;
}

/** A property that two `allOf` branches both define: one schema that satisfies both. */
function mergedPair(first: JsonSchema, second: JsonSchema): JsonSchema {
  const schema: JsonSchema = { allOf: [first, second] };
  mergeAllOf(schema);
  return schema;
}

function dropHiddenProperties(schema: JsonSchema, flag: 'readOnly' | 'writeOnly'): void {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties) return;
  const hidden = Object.keys(properties).filter((name) => properties[name]?.[flag] === true);
  if (hidden.length === 0) return;
  const kept: Record<string, JsonSchema> = {};
  for (const [name, value] of Object.entries(properties)) if (!hidden.includes(name)) setOwn(kept, name, value);
  schema.properties = kept;
  if (Array.isArray(schema.required)) {
    const required = (schema.required as string[]).filter((name) => !hidden.includes(name));
    if (required.length > 0) schema.required = required;
    else delete schema.required;
  }
}

function loosen(schema: JsonSchema): void {
  for (const key of OUTPUT_DROPPED) delete schema[key];
  if (schema.additionalProperties === false) delete schema.additionalProperties;
  // Without `required`, the branches of a oneOf often all match: anyOf says the same thing and still validates.
  if (schema.oneOf) {
    schema.anyOf = schema.anyOf ? [{ anyOf: schema.anyOf }, { anyOf: schema.oneOf }] : schema.oneOf;
    delete schema.oneOf;
  }
}

/** `uri#/components/schemas/Pet` → `Pet`. */
export function schemaName(key: string): string {
  const hash = key.indexOf('#');
  const pointer = hash >= 0 ? key.slice(hash + 1) : '';
  const last = pointer.split('/').pop();
  if (last) return last.replaceAll('~1', '/').replaceAll('~0', '~');
  const file = key.slice(0, hash >= 0 ? hash : undefined).split('/').pop() ?? key;
  return file.replace(/\.(ya?ml|json)$/i, '');
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

const regexCache = new Map<string, boolean>();
/** Clients compile `pattern` as a JavaScript unicode regex; one they cannot compile breaks the tool. */
function isUsableRegex(pattern: string): boolean {
  let ok = regexCache.get(pattern);
  if (ok === undefined) {
    try {
      new RegExp(pattern, 'u');
      ok = true;
    } catch {
      ok = false;
    }
    regexCache.set(pattern, ok);
  }
  return ok;
}

function omit(node: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _, ...rest } = node;
  return rest;
}

/** What a style can write as one piece of a list or an object: a scalar (`null` members are left out). */
const SCALAR_TYPES = ['string', 'number', 'boolean'];

/**
 * A parameter's (or a styled form field's) schema with the members inside it, list items and property values,
 * held to scalars where the schema leaves them open: every style but deepObject writes a list or an object as
 * pieces joined by delimiters, and OpenAPI has no rule for a piece that is itself a list or an object. So an
 * untyped member becomes `string | number | boolean`, a member that may be an object or a scalar loses the
 * object, and a free-form object's other properties are scalars. A member the document types only as an object
 * or a list stays as it is, and is sent as JSON text (`proxy/values`): the one shape left with no rule. Never
 * mutates `schema`.
 */
export function scalarMembers(schema: JsonSchema): JsonSchema {
  const fields: JsonSchema = {};
  const types = typeList(schema.type);
  if (isPlainObject(schema.items)) {
    const items = scalarOnly(schema.items);
    if (items !== schema.items) fields.items = items;
  } else if (types?.includes('array') && schema.items === undefined && schema.prefixItems === undefined) {
    fields.items = { type: SCALAR_TYPES };
  }
  if (isPlainObject(schema.properties)) {
    const properties: Record<string, JsonSchema> = {};
    let changed = false;
    for (const [name, property] of Object.entries(schema.properties as Record<string, JsonSchema>)) {
      const narrowed = isPlainObject(property) ? scalarOnly(property) : property;
      changed ||= narrowed !== property;
      setOwn(properties, name, narrowed);
    }
    if (changed) fields.properties = properties;
  }
  if (types?.includes('object') || (types === undefined && isPlainObject(schema.properties))) {
    if (schema.additionalProperties === undefined || schema.additionalProperties === true) fields.additionalProperties = { type: SCALAR_TYPES };
    else if (isPlainObject(schema.additionalProperties)) {
      const narrowed = scalarOnly(schema.additionalProperties);
      if (narrowed !== schema.additionalProperties) fields.additionalProperties = narrowed;
    }
  }
  return Object.keys(fields).length > 0 ? withFields(schema, fields) : schema;
}

/** `schema` without the object and list types, where it has other types (or none at all). */
function scalarOnly(schema: JsonSchema): JsonSchema {
  if (['anyOf', 'oneOf', 'allOf', 'not', 'enum', 'const', 'properties', 'items', 'prefixItems'].some((key) => key in schema)) return schema;
  const types = typeList(schema.type);
  if (types === undefined) return withFields(schema, { type: SCALAR_TYPES });
  const kept = types.filter((type) => type !== 'object' && type !== 'array');
  if (kept.length === types.length || kept.every((type) => type === 'null')) return schema;
  return withFields(schema, { type: kept.length === 1 ? kept[0] : kept });
}
