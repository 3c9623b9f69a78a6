/**
 * @module catalog/fit
 * Keeps published schemas to a size: inlined `$ref`s are shared, so a schema can be small in memory and
 * still expand to gigabytes of JSON (Stripe's expandable fields do).
 */
import { clip, isPlainObject, JSON_TYPES, typeList } from './json';
import type { SchemaMode } from './schema';
import type { JsonSchema } from './types';

/** Schemas that came from a `$ref`, by the name of their target: where `fitSchema` may cut. */
let origins = new WeakMap<JsonSchema, string>();

/** Remembers that `schema` is the expansion of the `$ref` target `name`: `fitSchema` may cut it there. */
export function markOrigin(schema: JsonSchema, name: string): void {
  origins.set(schema, name);
}

/**
 * A copy of `schema` with `fields` set over it, still known as the `$ref` expansion it was. Every copy of a
 * schema the builder makes (to describe an argument, to type an output) goes through here: the mark lives
 * beside the object, so a plain spread would drop it and the budget would cut inside the schema instead.
 */
export function withFields(schema: JsonSchema, fields: JsonSchema): JsonSchema {
  const copy = { ...schema, ...fields };
  const name = origins.get(schema);
  if (name !== undefined) origins.set(copy, name);
  return copy;
}

let sizes = new WeakMap<object, number>();
const SIZE_CAP = 1e9;

/** The number of schema nodes `schema` has once every shared subtree is written out in full. */
export function expandedSize(schema: unknown): number {
  if (schema === null || typeof schema !== 'object') return 0;
  const known = sizes.get(schema);
  if (known !== undefined) return known;
  let size = 1;
  if (Array.isArray(schema)) {
    for (const child of schema) if (child !== null && typeof child === 'object') size += expandedSize(child);
  } else {
    for (const key in schema) {
      const child = (schema as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object') size += expandedSize(child);
    }
  }
  size = Math.min(size, SIZE_CAP);
  sizes.set(schema, size);
  return size;
}

/**
 * Keeps a schema within `budget` nodes when written out. Inlined `$ref`s are shared, so a schema can be
 * small in memory and still expand to gigabytes of JSON (Stripe's expandable fields do). Where the budget
 * runs out, a subtree that came from a `$ref` is replaced by a stub naming the schema; small children are
 * served first so one huge property cannot starve its siblings.
 */
export function fitSchema(schema: JsonSchema, budget: number, mode: SchemaMode): { schema: JsonSchema; cut: string[] } {
  const cut = new Set<string>();
  const fitted = fit(schema, budget, mode, cut, true) as JsonSchema;
  return { schema: fitted, cut: [...cut] };
}

/** A subtree as fitted to a budget, and the names cut in it. */
interface Fitted {
  readonly value: unknown;
  readonly cut: readonly string[];
}

/**
 * Subtrees already fitted, by node, mode and budget: a shared subtree (Graph's entity types, in thousands of tools)
 * is fitted to the same budget again and again, each time into new objects. Fitting is a function of the node and
 * the budget, so the first result serves them all (as one object, as an inlined `$ref` is).
 */
let fittedNodes = { input: new WeakMap<object, Map<number, Fitted>>(), output: new WeakMap<object, Map<number, Fitted>>() };

/**
 * Forgets what these caches know (marks, sizes, fitted subtrees): they serve one build, and kept by the catalog's
 * nodes they would outlive it (Microsoft Graph: megabytes more for as long as its catalog is served).
 */
export function forgetFitting(): void {
  origins = new WeakMap();
  sizes = new WeakMap();
  fittedNodes = { input: new WeakMap(), output: new WeakMap() };
}

function fit(node: unknown, budget: number, mode: SchemaMode, cut: Set<string>, isRoot: boolean): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (expandedSize(node) <= budget) return node;
  if (isRoot) return fitNode(node, budget, mode, cut, true);
  let known = fittedNodes[mode].get(node);
  const hit = known?.get(budget);
  if (hit) {
    for (const name of hit.cut) cut.add(name);
    return hit.value;
  }
  const own = new Set<string>();
  const value = fitNode(node, budget, mode, own, false);
  if (!known) fittedNodes[mode].set(node, (known = new Map()));
  known.set(budget, { value, cut: [...own] });
  for (const name of own) cut.add(name);
  return value;
}

/** `fit` of a node over its budget. */
function fitNode(node: object, budget: number, mode: SchemaMode, cut: Set<string>, isRoot: boolean): unknown {
  const name = origins.get(node as JsonSchema);
  if (name !== undefined && !isRoot) {
    cut.add(name);
    return stub(node, `${name} (not expanded here to keep the schema small)${describe(node)}`, mode);
  }
  const entries = Object.entries(node);
  const order = entries.map((_, i) => i).sort((a, b) => expandedSize(entries[a]![1]) - expandedSize(entries[b]![1]));
  const out: unknown[] = new Array(entries.length);
  let remaining = Math.max(budget - 1, 0);
  order.forEach((index, position) => {
    const value = entries[index]![1];
    const share = Math.floor(remaining / (order.length - position));
    const fitted = fit(value, share, mode, cut, false);
    remaining -= expandedSize(fitted);
    out[index] = fitted;
  });
  if (Array.isArray(node)) return out;
  return Object.fromEntries(entries.map(([key], i) => [key, out[i]]));
}

function describe(node: object): string {
  const description = (node as JsonSchema).description;
  return typeof description === 'string' ? `: ${clip(description, 300)}` : '';
}

export /** The placeholder for a schema that is not expanded: its type where that is simple, and why. */
function stub(target: unknown, description: string, mode: SchemaMode): JsonSchema {
  const node = isPlainObject(target) ? target : {};
  const types = typeList(node.type)?.filter((t) => JSON_TYPES.has(t)) ?? branchType(node);
  const looksObject = node.properties !== undefined || node.allOf !== undefined || node.additionalProperties !== undefined;
  const schema: JsonSchema = { description };
  if (types && types.length === 1) schema.type = types[0];
  else if (looksObject && mode === 'input') schema.type = 'object';
  // an argument must still name what the API requires of it: an object without them would be refused there
  if (mode === 'input' && schema.type === 'object' && Array.isArray(node.required) && node.required.length > 0) schema.required = [...(node.required as string[])];
  return schema;
}

/** The one type every branch of a `oneOf`/`anyOf` has (a union of objects is an object), if they share one. */
function branchType(node: Record<string, unknown>): string[] | undefined {
  const branches = (Array.isArray(node.oneOf) ? node.oneOf : Array.isArray(node.anyOf) ? node.anyOf : undefined) as unknown[] | undefined;
  if (!branches || branches.length === 0) return undefined;
  const types = new Set<string>();
  for (const branch of branches) {
    if (!isPlainObject(branch)) return undefined;
    const own = typeList(branch.type)?.filter((t) => JSON_TYPES.has(t)) ?? (branch.properties !== undefined ? ['object'] : undefined);
    if (!own || own.length !== 1) return undefined;
    types.add(own[0]!);
  }
  return types.size === 1 ? [...types] : undefined;
}

