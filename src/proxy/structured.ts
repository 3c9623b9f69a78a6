/**
 * @module proxy/structured
 * `structuredContent` that always validates against the tool's output schema. The MCP SDK's client
 * rejects a whole result whose structured content does not match, so an API drifting from its spec (a Go
 * API sending `null` for a list, a number as a string) would otherwise make a working call fail.
 *
 * A copy of the value is repaired by removing what fails (object properties deleted, list items dropped),
 * a few passes at most; if the top level itself cannot be kept, the smallest value the schema accepts is
 * used. The text content carries the API's JSON untouched either way.
 *
 * Validation uses Ajv configured as the SDK's `AjvJsonSchemaValidator` configures it (default draft,
 * `strict: false`, `allErrors`), directly rather than through that class, because the repair needs each
 * error's instance path, which the class reduces to one message. Formats are not checked: output schemas
 * carry none (the catalog drops them) and `ajv-formats` is not a dependency of ours. One validator per
 * output schema, compiled on first use, held as long as the schema object lives (a new catalog brings new
 * schema objects; the old validators go with the old catalog).
 */
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { isObject } from './values';

/** Repair passes before falling back to the smallest valid value. */
export const MAX_REPAIR_PASSES = 8;

/** Made with the first validator: loading Ajv and making an instance is a few tens of ms no start should pay. */
let ajv: Ajv | undefined;
/** `null` marks a schema Ajv could not compile (then the value is passed on unchecked). */
const validators = new WeakMap<object, ValidateFunction | null>();

export interface Structured {
  readonly value: Record<string, unknown>;
  /** JSON pointers of the values removed to make `value` valid (empty when none). */
  readonly removed: readonly string[];
}

/**
 * The structured content for `value` under `tool`'s output schema, repaired if needed; `undefined` when
 * the tool has no output schema or no valid value could be found.
 */
export function structuredFor(tool: Tool, value: unknown): Structured | undefined {
  const schema = tool.outputSchema;
  if (!schema) return undefined;
  const validate = validatorFor(schema);
  if (validate === null) return isObject(value) ? { value, removed: [] } : undefined;
  if (validate(value)) return { value: value as Record<string, unknown>, removed: [] };
  let copy: unknown = structuredClone(value);
  const removed: string[] = [];
  for (let pass = 0; pass < MAX_REPAIR_PASSES; pass++) {
    const paths = outermost((validate.errors ?? []).map(removalPath));
    if (paths.includes('')) break; // the top level itself is wrong: nothing to remove
    for (const path of paths) remove(copy, path);
    copy = prune(copy);
    removed.push(...paths);
    if (validate(copy)) return { value: copy as Record<string, unknown>, removed };
  }
  const minimal = smallestValue(schema);
  return validate(minimal) ? { value: minimal as Record<string, unknown>, removed: [''] } : undefined;
}

function validatorFor(schema: object): ValidateFunction | null {
  let validate = validators.get(schema);
  if (validate !== undefined) return validate;
  ajv ??= new (require('ajv') as typeof import('ajv')).Ajv({ strict: false, validateSchema: false, allErrors: true, validateFormats: false });
  try {
    validate = ajv.compile(schema);
    ajv.removeSchema(schema); // Ajv's own cache would keep every schema ever compiled
  } catch {
    validate = null;
  }
  validators.set(schema, validate);
  return validate;
}

/** What to remove for one error: the property that is not allowed, or the failing value itself. */
function removalPath(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return `${error.instancePath}/${escape(String(error.params.additionalProperty))}`;
  return error.instancePath; // for `required`, the object missing the property
}

/** The paths that have no ancestor among the others (removing the ancestor removes them too). */
function outermost(paths: string[]): string[] {
  const unique = [...new Set(paths)].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const path of unique) if (!kept.some((outer) => outer === '' || path.startsWith(`${outer}/`))) kept.push(path);
  return kept;
}

const REMOVED = Symbol('removed');

/** Marks the value at JSON pointer `path` for removal (`prune` then drops the marks). */
function remove(root: unknown, path: string): void {
  const tokens = path.split('/').slice(1).map(unescape);
  let node: unknown = root;
  for (const token of tokens.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string, unknown>)[token];
  }
  const last = tokens.at(-1);
  if (last === undefined || node === null || typeof node !== 'object' || !Object.hasOwn(node, last)) return;
  (node as Record<string, unknown>)[last] = REMOVED;
}

function prune(node: unknown): unknown {
  if (Array.isArray(node)) return node.filter((item) => item !== REMOVED).map(prune);
  if (isObject(node)) {
    for (const key of Object.keys(node)) {
      if (node[key] === REMOVED) delete node[key];
      else node[key] = prune(node[key]);
    }
  }
  return node;
}

/** The smallest value `schema` accepts: required properties filled with their own smallest values. */
function smallestValue(schema: unknown, depth = 0): unknown {
  if (!isObject(schema) || depth > 8) return {};
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('null')) return null;
  if (types.includes('object') || isObject(schema.properties)) {
    const value: Record<string, unknown> = {};
    const properties = isObject(schema.properties) ? schema.properties : {};
    for (const name of Array.isArray(schema.required) ? schema.required : []) {
      Object.defineProperty(value, String(name), { value: smallestValue(properties[String(name)], depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return value;
  }
  if (types.includes('array')) return [];
  if (types.includes('string')) return '';
  if (types.includes('integer') || types.includes('number')) return 0;
  if (types.includes('boolean')) return false;
  return null;
}

const escape = (token: string) => token.replaceAll('~', '~0').replaceAll('/', '~1');
const unescape = (token: string) => token.replaceAll('~1', '/').replaceAll('~0', '~');
