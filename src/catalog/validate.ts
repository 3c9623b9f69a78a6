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
 */
import type { ErrorObject } from 'ajv';
import { validate as metaSchema } from './meta-schema';
import type { JsonSchema } from './types';
import { TOOL_NAME_PATTERN } from './names';

/**
 * Ajv's validator of the 2020-12 meta-schema, made ahead of time (`catalog/meta-schema`, kept current by its test):
 * compiling it took ~120 ms of every start.
 */
const checkMeta = metaSchema as ((schema: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** Keywords whose value is one subschema. */
const ONE = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'contentSchema'] as const;
/** Keywords whose value is a list of subschemas. */
const LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
/** Keywords whose value maps names to subschemas. */
const MAP = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'] as const;

/** Nodes checked already: null when valid, else what is wrong (at the node's own path). */
const checked = new WeakMap<object, string | null>();

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
  const shallow: Record<string, unknown> = { ...node };
  const children: [string, unknown][] = [];
  const schema = node as Record<string, unknown>;
  for (const key of ONE) {
    if (!Object.hasOwn(schema, key) || !isSubschema(schema[key])) continue;
    shallow[key] = true;
    children.push([`/${key}`, schema[key]]);
  }
  for (const key of LIST) {
    const list = schema[key];
    if (!Array.isArray(list) || !list.every(isSubschema)) continue;
    shallow[key] = list.map(() => true);
    list.forEach((child, i) => children.push([`/${key}/${i}`, child]));
  }
  for (const key of MAP) {
    const map = schema[key];
    if (map === null || typeof map !== 'object' || Array.isArray(map) || !Object.values(map).every(isSubschema)) continue;
    shallow[key] = Object.fromEntries(Object.keys(map).map((name) => [name, true]));
    for (const [name, child] of Object.entries(map)) children.push([`/${key}/${escape(name)}`, child]);
  }
  let problem: string | null = null;
  if (!checkMeta(shallow)) {
    const first = checkMeta.errors?.[0];
    problem = first ? `${first.instancePath || '/'} ${first.message}` : '/ unknown error';
  }
  // the node's own verdict is kept without its path: another tool may hold it elsewhere; while its children are
  // checked it counts as valid, so a schema that holds itself is walked once
  checked.set(node, problem);
  for (const [where, child] of children) {
    if (problem !== null) break;
    const childProblem = nodeProblem(child, '');
    if (childProblem !== null) problem = `${where}${childProblem.startsWith('/') ? childProblem : `/${childProblem}`}`;
  }
  checked.set(node, problem);
  return problem === null ? null : `${path}${problem}`;
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
