/**
 * @module catalog/validate
 * The last gate before a tool is published: its schemas must be valid JSON Schema 2020-12 and fit what
 * MCP clients accept. One invalid tool can make a client drop the whole list, so a tool that fails here
 * is skipped, never published.
 *
 * A schema is checked node by node, each node once however many tools share it. Inlined `$ref`s are shared
 * objects (GitHub's `simple-user` sits in hundreds of tools), and Ajv's whole-schema check walked every copy
 * again: 30% of building GitHub's catalog. Here each node is checked against the meta-schema with its
 * subschemas stood in for by `true` (always valid), then each subschema the same way; a node already checked
 * is known by its identity. The meta-schema's rules are each about one node's own keywords, so the verdict is
 * the whole check's.
 *
 * Most nodes hold only keywords whose rule is a plain type check (`type`, `description`, `properties`…): those are
 * judged here directly (`plainlyValid`), which is all a catalog's nodes need. A node with anything else, or a value
 * that might break a rule, goes to Ajv's validator, which gives the verdict and the message: Ajv runs only where
 * there may be something to say, and is loaded only then.
 */
import type { ErrorObject } from 'ajv';
import type { JsonSchema } from './types';
import { TOOL_NAME_PATTERN } from './names';

type MetaCheck = ((schema: unknown) => boolean) & { errors?: ErrorObject[] | null };
let metaCheck: MetaCheck | undefined;
/**
 * Ajv's validator of the 2020-12 meta-schema, made ahead of time (`catalog/meta-schema`, kept current by its test):
 * compiling it took ~120 ms of every start. Loaded on first use: most catalogs never need it.
 */
function checkMeta(): MetaCheck {
  return (metaCheck ??= (require('./meta-schema') as { validate: MetaCheck }).validate);
}

/** Keywords whose value is one subschema. */
const ONE = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'contentSchema'] as const;
/** Keywords whose value is a list of subschemas. */
const LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
/** Keywords whose value maps names to subschemas. */
const MAP = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'] as const;

/** Nodes checked already: null when valid, else what is wrong (at the node's own path). */
let checked = new WeakMap<object, string | null>();

/** Forgets the verdicts: they serve one build (see `forgetFitting`). */
export function forgetChecks(): void {
  checked = new WeakMap();
}

/** Why `schema` is not a valid 2020-12 schema for a tool, or null when it is. */
export function schemaProblem(schema: JsonSchema, label: string): string | null {
  if (schema.type !== 'object') return `${label} must have "type": "object" at the top level`;
  for (const keyword of ['oneOf', 'anyOf', 'allOf', 'not', '$ref']) {
    if (keyword in schema) return `${label} has "${keyword}" at the top level, which several clients reject`;
  }
  const problem = nodeProblem(schema, '');
  return problem === null ? null : `${label} is not valid JSON Schema 2020-12: ${problem}`;
}

/** What is wrong with `node` or any subschema under it (`path`: where it is, for the message), or null. */
function nodeProblem(node: unknown, path: string): string | null {
  if (typeof node === 'boolean') return null;
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return `${path || '/'} must be object,boolean`;
  const known = checked.get(node);
  if (known !== undefined) return known === null ? null : `${path}${known}`;
  const schema = node as Record<string, unknown>;
  let problem = plainlyValid(schema) ? null : metaProblem(schema);
  // the node's own verdict is kept without its path: another tool may hold it elsewhere; while its children are
  // checked it counts as valid, so a schema that holds itself is walked once
  checked.set(node, problem);
  if (problem !== null) return `${path}${problem}`;
  // the children in the order of the node's keys, in one pass; only when one is wrong, again in the keywords' order,
  // which decides which problem is told
  if (!childrenValid(schema)) {
    problem = firstChildProblem(schema);
    checked.set(node, problem);
  }
  return problem === null ? null : `${path}${problem}`;
}

/** Whether every subschema of `schema` (a node whose own keywords are valid) is valid. */
function childrenValid(schema: Record<string, unknown>): boolean {
  for (const key in schema) {
    const value = schema[key];
    switch (key) {
      case 'items':
      case 'additionalProperties':
      case 'not':
      case 'if':
      case 'then':
      case 'else':
      case 'contains':
      case 'propertyNames':
      case 'unevaluatedItems':
      case 'unevaluatedProperties':
      case 'contentSchema':
        if (isSubschema(value) && nodeProblem(value, '') !== null) return false;
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
      case 'prefixItems':
        if (Array.isArray(value) && value.every(isSubschema)) for (const child of value) if (nodeProblem(child, '') !== null) return false;
        break;
      case 'properties':
      case 'patternProperties':
      case '$defs':
      case 'definitions':
      case 'dependentSchemas':
        if (isSubschemaMap(value)) for (const name in value as object) if (Object.hasOwn(value as object, name) && nodeProblem((value as Record<string, unknown>)[name], '') !== null) return false;
        break;
    }
  }
  return true;
}

/** The first problem among `schema`'s subschemas, in the keywords' order (`ONE`, `LIST`, `MAP`), with where it is. */
function firstChildProblem(schema: Record<string, unknown>): string | null {
  for (const key of ONE) {
    if (!Object.hasOwn(schema, key) || !isSubschema(schema[key])) continue;
    const found = nodeProblem(schema[key], '');
    if (found !== null) return under(`/${key}`, found);
  }
  for (const key of LIST) {
    const list = schema[key];
    if (!Array.isArray(list) || !list.every(isSubschema)) continue;
    for (let i = 0; i < list.length; i++) {
      const found = nodeProblem(list[i], '');
      if (found !== null) return under(`/${key}/${i}`, found);
    }
  }
  for (const key of MAP) {
    const map = schema[key] as Record<string, unknown>;
    if (!isSubschemaMap(map)) continue;
    for (const name in map) {
      if (!Object.hasOwn(map, name)) continue;
      const found = nodeProblem(map[name], '');
      if (found !== null) return under(`/${key}/${escape(name)}`, found);
    }
  }
  return null;
}

/** A child's problem as its parent reports it: the child's place, then the problem's own path. */
function under(where: string, problem: string): string {
  return `${where}${problem.startsWith('/') ? problem : `/${problem}`}`;
}

/** What Ajv finds wrong with `schema`'s own keywords (its subschemas stood in for by `true`), or null. */
export function metaProblem(schema: Record<string, unknown>): string | null {
  const shallow: Record<string, unknown> = { ...schema };
  for (const key of ONE) if (Object.hasOwn(schema, key) && isSubschema(schema[key])) shallow[key] = true;
  for (const key of LIST) {
    const list = schema[key];
    if (Array.isArray(list) && list.every(isSubschema)) shallow[key] = list.map(() => true);
  }
  for (const key of MAP) {
    const map = schema[key];
    if (isSubschemaMap(map)) shallow[key] = Object.fromEntries(Object.keys(map as object).map((name) => [name, true]));
  }
  const validate = checkMeta();
  if (validate(shallow)) return null;
  const first = validate.errors?.[0];
  return first ? `${first.instancePath || '/'} ${first.message}` : '/ unknown error';
}

/** The meta-schema's simple types. */
const SIMPLE_TYPES = new Set(['array', 'boolean', 'integer', 'null', 'number', 'object', 'string']);

/**
 * True when every keyword of `schema` is one whose rule in the 2020-12 meta-schema is a plain check of its value, and
 * its value passes it: then the meta-schema holds for the node (its subschemas are checked on their own). False says
 * only "ask Ajv": an unknown keyword, a `$`-keyword, a value of another shape. Exported for its parity test
 * (test/catalog/plain-validity.test.ts): whatever it passes, Ajv must pass.
 */
export function plainlyValid(schema: Record<string, unknown>): boolean {
  for (const key in schema) {
    const value = schema[key];
    switch (key) {
      case 'title':
      case 'description':
      case 'format':
      case 'pattern':
      case 'contentEncoding':
      case 'contentMediaType':
        if (typeof value !== 'string') return false;
        break;
      case 'deprecated':
      case 'readOnly':
      case 'writeOnly':
      case 'uniqueItems':
        if (typeof value !== 'boolean') return false;
        break;
      case 'maximum':
      case 'minimum':
      case 'exclusiveMaximum':
      case 'exclusiveMinimum':
        if (typeof value !== 'number' || !Number.isFinite(value)) return false;
        break;
      case 'multipleOf':
        if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return false;
        break;
      case 'maxLength':
      case 'minLength':
      case 'maxItems':
      case 'minItems':
      case 'maxProperties':
      case 'minProperties':
      case 'maxContains':
      case 'minContains':
        if (!Number.isInteger(value) || (value as number) < 0) return false;
        break;
      case 'const':
      case 'default':
        break;
      case 'enum':
      case 'examples':
        if (!Array.isArray(value)) return false;
        break;
      case 'type':
        if (typeof value === 'string') {
          if (!SIMPLE_TYPES.has(value)) return false;
        } else if (!Array.isArray(value) || value.length === 0 || !value.every((type) => typeof type === 'string' && SIMPLE_TYPES.has(type)) || new Set(value).size !== value.length) return false;
        break;
      case 'required':
        if (!isStringSet(value)) return false;
        break;
      case 'dependentRequired':
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
        for (const name in value) if (!isStringSet((value as Record<string, unknown>)[name])) return false;
        break;
      case 'items':
      case 'additionalProperties':
      case 'not':
      case 'if':
      case 'then':
      case 'else':
      case 'contains':
      case 'propertyNames':
      case 'unevaluatedItems':
      case 'unevaluatedProperties':
      case 'contentSchema':
        if (!isSubschema(value)) return false;
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
      case 'prefixItems':
        if (!Array.isArray(value) || value.length === 0 || !value.every(isSubschema)) return false;
        break;
      case 'properties':
      case 'patternProperties':
      case 'dependentSchemas':
      case '$defs':
      case 'definitions':
        if (!isSubschemaMap(value)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** An array of distinct strings (the meta-schema's `stringArray`). */
function isStringSet(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return value.length < 2 || new Set(value).size === value.length;
}

/** An object whose every own value may be a subschema. */
function isSubschemaMap(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const name in value) if (Object.hasOwn(value, name) && !isSubschema((value as Record<string, unknown>)[name])) return false;
  return true;
}

/** A value a subschema may be (anything else under these keywords is for the meta-schema to refuse). */
function isSubschema(value: unknown): boolean {
  return typeof value === 'boolean' || (value !== null && typeof value === 'object' && !Array.isArray(value));
}

function escape(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Why `name` is not a valid tool name, or null when it is. */
export function nameProblem(name: string): string | null {
  return TOOL_NAME_PATTERN.test(name) ? null : `tool name "${name}" does not match ${TOOL_NAME_PATTERN}`;
}
