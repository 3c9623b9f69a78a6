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
import { clip, emptyObject, escapePointer, isPlainObject, JSON_TYPES, setOwn, typeList } from './json';
import type { JsonSchema } from './types';

/** Input schemas drop `readOnly` properties; output schemas drop `writeOnly` ones and are lenient. */
export type SchemaMode = 'input' | 'output';

/**
 * What a conversion noticed, for the tool's description and the catalog's warnings. Each set is made with its first
 * name: nearly every conversion notices nothing, and two empty sets for each were garbage made for nothing (Microsoft
 * Graph: 110,000 sets alive at the end of its build).
 */
export interface ConversionNotes {
  /** Names of schemas whose recursion was cut. */
  recursive?: Set<string>;
  /** Names of schemas left as stubs to keep a tool's schema within its size budget. */
  truncated?: Set<string>;
}

export const newNotes = (): ConversionNotes => ({});

/** Adds `names` to what `notes` says was cut for recursion (`recursive`) or for size (`truncated`). */
export function addNotes(notes: ConversionNotes, kind: keyof ConversionNotes, names: Iterable<string>): void {
  for (const name of names) (notes[kind] ??= new Set()).add(name);
}

function mergeNotes(into: ConversionNotes, from: ConversionNotes): void {
  if (from.recursive) addNotes(into, 'recursive', from.recursive);
  if (from.truncated) addNotes(into, 'truncated', from.truncated);
}

/** Base64 (standard or URL-safe; the last group may go without its padding), after a base64 `data:` URL's head with a valid media type or none: what the proxy decodes. */
export const BASE64_PATTERN = "^(data:([!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+)?(;[^;,]*)*;base64,)?(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$";

/** A `contentMediaType` the proxy sends as bytes (any but text, JSON and XML): a file. */
function isFileMedia(type: unknown): boolean {
  return typeof type === 'string' && !/^(text\/|application\/(json|xml))/i.test(type);
}

export class SchemaConverter {
  /**
   * One conversion per target and mode. A subtree converted under one path may have a ref to an ancestor
   * of that path cut; reusing it elsewhere only means a recursive type is expanded a little less there.
   * Without this, schemas whose types all link to each other (Stripe, Graph) take exponential time.
   */
  private readonly memo = { input: new Map<string, { schema: JsonSchema; notes: ConversionNotes }>(), output: new Map<string, { schema: JsonSchema; notes: ConversionNotes }>() };
  private readonly names = new Map<string, string>();
  private readonly active = new Set<string>();

  constructor(private readonly documents: DocumentSet) {}

  /**
   * Conversions asked for by `convert`, by node and mode. Many operations hold the same schema object (a shared
   * parameter's, a path item's): converting it again would make the same schema anew, as object and as notes (the
   * `$ref`s directly inside it resolve to what the first conversion memoised), so the first is kept and shared.
   */
  private readonly converted = { input: new WeakMap<object, Converted>(), output: new WeakMap<object, Converted>() };

  /**
   * Converts the schema `node` found in the document `base` at `where` (used in error messages; a function making
   * it, for a caller that would make it for nothing most times). Throws a `SpecError` for a dangling `$ref`.
   */
  convert(node: unknown, base: string, where: string | (() => string), mode: SchemaMode, notes: ConversionNotes): JsonSchema {
    if (!isPlainObject(node)) return this.walk(node, base, typeof where === 'string' ? where : where(), mode, notes);
    const hit = this.converted[mode].get(node);
    if (hit && hit.base === base) {
      mergeNotes(notes, hit.notes);
      return hit.schema;
    }
    const own = newNotes();
    const schema = this.walk(node, base, typeof where === 'string' ? where : where(), mode, own);
    this.converted[mode].set(node, { base, schema, notes: own });
    mergeNotes(notes, own);
    return schema;
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
    let schema: JsonSchema;
    const hit = this.memo[mode].get(target.key);
    if (hit) {
      // marked as the expansion of its target when it was made
      mergeNotes(notes, hit.notes);
      schema = hit.schema;
    } else if (this.active.has(target.key)) {
      const name = this.nameOf(target.key);
      addNotes(notes, 'recursive', [name]);
      schema = stub(target.value, `${name} (recursive reference; not expanded further)`, mode);
      markOrigin(schema, name);
    } else {
      const own = newNotes();
      this.active.add(target.key);
      try {
        schema = this.walk(target.value, target.base, `${where} → ${ref}`, mode, own);
      } finally {
        this.active.delete(target.key);
      }
      this.memo[mode].set(target.key, { schema, notes: own });
      mergeNotes(notes, own);
      markOrigin(schema, this.nameOf(target.key));
    }
    // Siblings of $ref (allowed in 3.1, common everywhere): the local description says more than the target's.
    if (!hasOtherKey(node, '$ref')) return schema;
    const local = this.walkObject(omit(node, '$ref'), base, where, mode, notes);
    if (Object.keys(local).length === 0) return schema;
    const merged = { ...schema, ...local };
    markOrigin(merged, this.nameOf(target.key));
    return merged;
  }

  /** `schemaName` of a target's key, worked out once per key. */
  private nameOf(key: string): string {
    let name = this.names.get(key);
    if (name === undefined) this.names.set(key, (name = schemaName(key)));
    return name;
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

  /**
   * One schema object. Its keywords are read in one pass over its own keys (a node has a handful of the fifty
   * keywords looked for: asking for each by name cost most of the walk), then written out in a fixed order, which
   * is the order of the keys in the published schema and the order its subschemas are walked in.
   *
   * Output schemas describe the shape of a response; they must not reject a real response that drifts from its spec
   * (an enum value added upstream, a missing field), or clients that validate would refuse it. So an output schema
   * gets no `required`, `enum`, `const`, `format`, `pattern`, bounds, counts, `uniqueItems`, `dependentRequired` nor
   * `additionalProperties: false`, and no negations and conditionals (`not`, `if`…): they are never written (adding
   * and then deleting them left every output node a slow dictionary object).
   */
  private walkObject(node: Record<string, unknown>, base: string, where: string, mode: SchemaMode, notes: ConversionNotes): JsonSchema {
    const sub = (value: unknown, path: string) => this.walk(value, base, `${where}/${path}`, mode, notes);
    const input = mode === 'input';
    let type: unknown, nullable = false, title: unknown, description: unknown, format: unknown, contentMediaType: unknown, contentEncoding: unknown;
    let multipleOf: unknown, maximum: unknown, minimum: unknown, exclusiveMaximum: unknown, exclusiveMinimum: unknown;
    let maxLength: unknown, minLength: unknown, maxItems: unknown, minItems: unknown, maxProperties: unknown, minProperties: unknown, maxContains: unknown, minContains: unknown;
    let uniqueItems: unknown, deprecated: unknown, readOnly: unknown, writeOnly: unknown, pattern: unknown, enumValues: unknown;
    let constValue: unknown = ABSENT, defaultValue: unknown = ABSENT, examples: unknown, example: unknown = ABSENT, required: unknown, dependentRequired: unknown;
    let not: unknown = ABSENT, ifSchema: unknown = ABSENT, thenSchema: unknown = ABSENT, elseSchema: unknown = ABSENT, contains: unknown = ABSENT, propertyNames: unknown = ABSENT;
    let unevaluatedItems: unknown = ABSENT, unevaluatedProperties: unknown = ABSENT, contentSchema: unknown = ABSENT;
    let allOf: unknown, anyOf: unknown, oneOf: unknown, prefixItems: unknown, properties: unknown, patternProperties: unknown, dependentSchemas: unknown;
    let items: unknown = ABSENT, additionalProperties: unknown;
    for (const key in node) {
      const value = node[key];
      switch (key) {
        case 'type': type = value; break;
        case 'nullable': case 'x-nullable': if (value === true) nullable = true; break;
        case 'title': title = value; break;
        case 'description': description = value; break;
        case 'format': format = value; break;
        case 'contentMediaType': contentMediaType = value; break;
        case 'contentEncoding': contentEncoding = value; break;
        case 'multipleOf': multipleOf = value; break;
        case 'maximum': maximum = value; break;
        case 'minimum': minimum = value; break;
        case 'exclusiveMaximum': exclusiveMaximum = value; break;
        case 'exclusiveMinimum': exclusiveMinimum = value; break;
        case 'maxLength': maxLength = value; break;
        case 'minLength': minLength = value; break;
        case 'maxItems': maxItems = value; break;
        case 'minItems': minItems = value; break;
        case 'maxProperties': maxProperties = value; break;
        case 'minProperties': minProperties = value; break;
        case 'maxContains': maxContains = value; break;
        case 'minContains': minContains = value; break;
        case 'uniqueItems': uniqueItems = value; break;
        case 'deprecated': deprecated = value; break;
        case 'readOnly': readOnly = value; break;
        case 'writeOnly': writeOnly = value; break;
        case 'pattern': pattern = value; break;
        case 'enum': enumValues = value; break;
        case 'const': constValue = value; break;
        case 'default': defaultValue = value; break;
        case 'examples': examples = value; break;
        case 'example': example = value; break;
        case 'required': required = value; break;
        case 'dependentRequired': dependentRequired = value; break;
        case 'not': not = value; break;
        case 'if': ifSchema = value; break;
        case 'then': thenSchema = value; break;
        case 'else': elseSchema = value; break;
        case 'contains': contains = value; break;
        case 'propertyNames': propertyNames = value; break;
        case 'unevaluatedItems': unevaluatedItems = value; break;
        case 'unevaluatedProperties': unevaluatedProperties = value; break;
        case 'contentSchema': contentSchema = value; break;
        case 'allOf': allOf = value; break;
        case 'anyOf': anyOf = value; break;
        case 'oneOf': oneOf = value; break;
        case 'prefixItems': prefixItems = value; break;
        case 'properties': properties = value; break;
        case 'patternProperties': patternProperties = value; break;
        case 'dependentSchemas': dependentSchemas = value; break;
        case 'items': items = value; break;
        case 'additionalProperties': additionalProperties = value; break;
      }
    }
    let out: JsonSchema = emptyObject();

    // type, with OpenAPI's nullable forms folded in
    let types = typeList(type);
    if (types?.includes('file')) {
      types = types.map((t) => (t === 'file' ? 'string' : t));
      if (input) out.format = 'binary';
    }
    types = types?.filter((t) => JSON_TYPES.has(t));
    if (types && types.length > 0) {
      if (nullable && !types.includes('null')) types = [...types, 'null'];
      out.type = types.length === 1 ? types[0] : [...new Set(types)];
    }

    if (typeof title === 'string' && title !== '') out.title = title;
    if (typeof description === 'string' && description !== '') out.description = clip(description);
    if (input && typeof format === 'string' && format !== '') out.format = format;
    if (typeof contentMediaType === 'string' && contentMediaType !== '') out.contentMediaType = contentMediaType;
    if (typeof contentEncoding === 'string' && contentEncoding !== '') out.contentEncoding = contentEncoding;
    if (input) {
      // OpenAPI 3.0 / Swagger 2.0: exclusiveMinimum/Maximum are booleans qualifying minimum/maximum
      const exclusiveLow = exclusiveMinimum === true && isFiniteNumber(minimum);
      const exclusiveHigh = exclusiveMaximum === true && isFiniteNumber(maximum);
      if (isFiniteNumber(multipleOf) && multipleOf > 0) out.multipleOf = multipleOf;
      if (isFiniteNumber(maximum) && !exclusiveHigh) out.maximum = maximum;
      if (isFiniteNumber(minimum) && !exclusiveLow) out.minimum = minimum;
      if (isFiniteNumber(exclusiveMaximum)) out.exclusiveMaximum = exclusiveMaximum;
      if (isFiniteNumber(exclusiveMinimum)) out.exclusiveMinimum = exclusiveMinimum;
      if (isCount(maxLength)) out.maxLength = maxLength;
      if (isCount(minLength)) out.minLength = minLength;
      if (isCount(maxItems)) out.maxItems = maxItems;
      if (isCount(minItems)) out.minItems = minItems;
      if (isCount(maxProperties)) out.maxProperties = maxProperties;
      if (isCount(minProperties)) out.minProperties = minProperties;
      if (isCount(maxContains)) out.maxContains = maxContains;
      if (isCount(minContains)) out.minContains = minContains;
      if (typeof uniqueItems === 'boolean') out.uniqueItems = uniqueItems;
      if (typeof deprecated === 'boolean') out.deprecated = deprecated;
      if (typeof readOnly === 'boolean') out.readOnly = readOnly;
      if (typeof writeOnly === 'boolean') out.writeOnly = writeOnly;
      if (exclusiveLow) out.exclusiveMinimum = minimum;
      if (exclusiveHigh) out.exclusiveMaximum = maximum;
      if (typeof pattern === 'string' && isUsableRegex(pattern)) out.pattern = pattern;
      // An empty enum admits nothing, and Ajv (which clients use) refuses to compile it
      if (Array.isArray(enumValues) && enumValues.length > 0) out.enum = nullable && !enumValues.includes(null) ? [...enumValues, null] : enumValues;
      if (constValue !== ABSENT) out.const = constValue;
    } else {
      if (typeof deprecated === 'boolean') out.deprecated = deprecated;
      if (typeof readOnly === 'boolean') out.readOnly = readOnly;
      if (typeof writeOnly === 'boolean') out.writeOnly = writeOnly;
    }
    if (defaultValue !== ABSENT) out.default = defaultValue;
    // `example: {$ref: '#/components/examples/…'}` (GitHub) points at an Example Object, not at a value
    const given = Array.isArray(examples) ? examples : example !== ABSENT ? [example] : undefined;
    if (given !== undefined) {
      const values = given.filter((value) => refOf(value) === undefined);
      if (values.length > 0) out.examples = values;
    }
    if (input) {
      if (Array.isArray(required)) {
        const names = [...new Set(required.filter((name): name is string => typeof name === 'string'))];
        if (names.length > 0) out.required = names;
      }
      if (isPlainObject(dependentRequired)) out.dependentRequired = dependentRequired;
    }

    // Output schemas describe shape: negations and conditionals only add ways to reject a real response
    if (input) {
      if (not !== ABSENT) out.not = sub(not, 'not');
      if (ifSchema !== ABSENT) out.if = sub(ifSchema, 'if');
      if (thenSchema !== ABSENT) out.then = sub(thenSchema, 'then');
      if (elseSchema !== ABSENT) out.else = sub(elseSchema, 'else');
      if (contains !== ABSENT) out.contains = sub(contains, 'contains');
      if (propertyNames !== ABSENT) out.propertyNames = sub(propertyNames, 'propertyNames');
      if (unevaluatedItems !== ABSENT) out.unevaluatedItems = sub(unevaluatedItems, 'unevaluatedItems');
      if (unevaluatedProperties !== ABSENT) out.unevaluatedProperties = sub(unevaluatedProperties, 'unevaluatedProperties');
    }
    if (contentSchema !== ABSENT) out.contentSchema = sub(contentSchema, 'contentSchema');
    if (Array.isArray(allOf) && allOf.length > 0) out.allOf = allOf.map((item, i) => sub(item, `allOf/${i}`));
    if (Array.isArray(anyOf) && anyOf.length > 0) out.anyOf = anyOf.map((item, i) => sub(item, `anyOf/${i}`));
    if (Array.isArray(oneOf) && oneOf.length > 0) out.oneOf = oneOf.map((item, i) => sub(item, `oneOf/${i}`));
    if (Array.isArray(prefixItems) && prefixItems.length > 0) out.prefixItems = prefixItems.map((item, i) => sub(item, `prefixItems/${i}`));
    if (isPlainObject(properties)) out.properties = this.walkMap(properties, 'properties', base, where, mode, notes);
    if (isPlainObject(patternProperties)) out.patternProperties = this.walkMap(patternProperties, 'patternProperties', base, where, mode, notes);
    if (isPlainObject(dependentSchemas)) out.dependentSchemas = this.walkMap(dependentSchemas, 'dependentSchemas', base, where, mode, notes);
    if (items !== ABSENT) {
      // Swagger 2.0 / OAS 3.0 tuple form
      if (Array.isArray(items)) out.prefixItems = items.map((item, i) => sub(item, `items/${i}`));
      else out.items = sub(items, 'items');
    }
    if (typeof additionalProperties === 'boolean') {
      if (input || additionalProperties) out.additionalProperties = additionalProperties;
    } else if (isPlainObject(additionalProperties)) out.additionalProperties = sub(additionalProperties, 'additionalProperties');

    if (input && out.contentEncoding === undefined && (out.format === 'binary' || isFileMedia(out.contentMediaType))) {
      // The proxy takes file content as base64 (JSON has no bytes): say so where the model reads it, and hold the
      // argument to what decodes (whole groups of four, or a base64 data: URL), so the schema refuses what the proxy would
      // (`format: binary` marks it ours: a document's own `contentEncoding: base64` is text the API wants as it is)
      out.format = 'binary';
      out.contentEncoding = 'base64';
      out.pattern = BASE64_PATTERN;
      out.description = clip(`${typeof out.description === 'string' ? `${out.description} ` : ''}(file content, base64-encoded)`);
    }
    if (Array.isArray(out.allOf)) out = mergedAllOf(out);
    if (nullable) allowNull(out);
    dropHiddenProperties(out, input ? 'readOnly' : 'writeOnly');
    return input ? out : loosened(out);
  }

  /** A `properties`-like map, each of its schemas walked. */
  private walkMap(map: Record<string, unknown>, key: string, base: string, where: string, mode: SchemaMode, notes: ConversionNotes): Record<string, JsonSchema> {
    const converted = emptyObject<JsonSchema>();
    if (typeof map.$ref !== 'string') {
      for (const name in map) setOwn(converted, name, this.walk(map[name], base, `${where}/${key}/${escapePointer(name)}`, mode, notes));
      return converted;
    }
    for (const [name, value, mapBase] of this.mapEntries(map, base, `${where}/${key}`)) {
      const path = `${where}/${key}/${escapePointer(name)}`;
      setOwn(converted, name, mapBase === base ? this.walk(value, base, path, mode, notes) : this.walk(value, mapBase, path, mode, notes));
    }
    return converted;
  }
}

/** A conversion `convert` made: of a node in the document `base`. */
interface Converted {
  readonly base: string;
  readonly schema: JsonSchema;
  readonly notes: ConversionNotes;
}

/** Marks a keyword the node does not have, where any value (`null` too) is one it may have. */
const ABSENT = Symbol('absent');

function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
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

/**
 * `schema` with its `allOf` merged into it, so clients see one flat object: a new object (a node emptied and filled
 * again in place became a slow dictionary object), its keys in the order they are first met in the branches, then
 * in `schema` itself.
 */
function mergedAllOf(schema: JsonSchema): JsonSchema {
  const { allOf, ...own } = schema;
  const branches = allOf as JsonSchema[];
  const merged: JsonSchema = emptyObject();
  const leftovers: JsonSchema[] = [];
  for (const branch of [...branches, own]) {
    for (const [key, value] of Object.entries(branch)) {
      if (key === 'allOf') {
        leftovers.push(...(value as JsonSchema[]));
        continue;
      }
      const current = merged[key];
      if (current === undefined) {
        merged[key] = key === 'properties' ? { ...(value as object) } : value;
      } else if (key === 'properties') {
        const properties = current as Record<string, JsonSchema>;
        for (const [name, property] of Object.entries(value as Record<string, JsonSchema>)) {
          const existing = Object.hasOwn(properties, name) ? properties[name] : undefined;
          setOwn(properties, name, existing === undefined || existing === property ? property : mergedPair(existing, property));
        }
      } else if (key === 'required') {
        merged.required = [...new Set([...(current as string[]), ...(value as string[])])];
      } else if (key === 'type') {
        const common = typeList(current)!.filter((t) => typeList(value)!.includes(t));
        if (common.length > 0) merged.type = common.length === 1 ? common[0] : common;
      } else if (key === 'oneOf' || key === 'anyOf' || key === 'not' || key === 'if') {
        leftovers.push({ [key]: value });
      } else if (branch === own && (key === 'description' || key === 'title')) {
        merged[key] = value; // the schema's own words beat its parents'
      }
    }
  }
  if (leftovers.length > 0) merged.allOf = leftovers;
  return merged;
}

/** A property that two `allOf` branches both define: one schema that satisfies both. */
function mergedPair(first: JsonSchema, second: JsonSchema): JsonSchema {
  return mergedAllOf({ allOf: [first, second] });
}

function dropHiddenProperties(schema: JsonSchema, flag: 'readOnly' | 'writeOnly'): void {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties) return;
  let hidden: string[] | undefined;
  for (const name in properties) if (properties[name]?.[flag] === true) (hidden ??= []).push(name);
  if (!hidden) return;
  const kept = emptyObject<JsonSchema>();
  for (const [name, value] of Object.entries(properties)) if (!hidden.includes(name)) setOwn(kept, name, value);
  schema.properties = kept;
  if (Array.isArray(schema.required)) {
    const required = (schema.required as string[]).filter((name) => !hidden.includes(name));
    if (required.length > 0) schema.required = required;
    else delete schema.required;
  }
}

/**
 * An output schema with its `oneOf` as `anyOf`: without `required`, the branches of a oneOf often all match; anyOf
 * says the same thing and still validates. `anyOf` keeps its place, or comes last (a new object: no key deleted).
 */
function loosened(schema: JsonSchema): JsonSchema {
  if (!schema.oneOf) return schema;
  const anyOf = schema.anyOf ? [{ anyOf: schema.anyOf }, { anyOf: schema.oneOf }] : schema.oneOf;
  const out: JsonSchema = emptyObject();
  for (const key in schema) if (key !== 'oneOf') out[key] = key === 'anyOf' ? anyOf : schema[key];
  if (!schema.anyOf) out.anyOf = anyOf;
  return out;
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

/** Whether `node` has a key besides `key`. */
function hasOtherKey(node: Record<string, unknown>, key: string): boolean {
  for (const other in node) if (other !== key) return true;
  return false;
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
  const fields: JsonSchema = emptyObject();
  const types = typeList(schema.type);
  if (isPlainObject(schema.items)) {
    const items = scalarOnly(schema.items);
    if (items !== schema.items) fields.items = items;
  } else if (types?.includes('array') && schema.items === undefined && schema.prefixItems === undefined) {
    fields.items = { type: SCALAR_TYPES };
  }
  if (isPlainObject(schema.properties)) {
    const properties = emptyObject<JsonSchema>();
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
