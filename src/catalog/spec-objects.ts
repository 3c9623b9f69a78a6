/**
 * @module catalog/spec-objects
 * Reading the parts of an operation that Swagger 2.0 and OpenAPI 3.x share: parameter lists with their
 * refs, media types, 2xx responses.
 */
import { refOf, type DocumentSet } from './documents';
import { SpecError } from './errors';
import type { RawOperation, SchemaSource } from './operations';
import { isPlainObject } from './json';

export const LOCATIONS = new Set<string>(['path', 'query', 'header', 'cookie']);
/** OpenAPI: header parameters with these names are ignored (the transport owns them). */
/**
 * Headers no argument may set, so no tool offers them: the transport's, the credential's, and those an upstream may
 * trust for identity or routing. The catalog leaves header parameters of these names out of every tool, and the
 * proxy refuses them too (`proxy/headers`): what a schema offers, the gateway sends.
 */
export const NEVER_SENT_HEADERS: ReadonlySet<string> = new Set([
  'accept', 'authorization', 'proxy-authorization', 'cookie', 'host', 'content-length', 'transfer-encoding', 'connection',
  'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect', 'content-type', 'content-encoding',
  'accept-encoding', 'forwarded', 'x-real-ip', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto',
  'x-forwarded-port', 'x-forwarded-prefix', 'x-forwarded-server', 'x-original-url', 'x-rewrite-url', 'x-http-method-override',
]);

/** Identifies the document's dialect and reads all its operations. Throws for a document that is not OpenAPI. */
/** A path item or operation with the URI of the document it sits in (the base for its refs). */
export interface LocatedItem {
  readonly item: Record<string, unknown>;
  readonly base: string;
}
export interface LocatedOperation {
  readonly operation: Record<string, unknown>;
  readonly base: string;
}

export interface OperationReader {
  read(method: string, path: string, item: LocatedItem, operation: LocatedOperation): RawOperation;
}

/** Fields common to both readers. */
export function commonFields(method: string, path: string, operation: Record<string, unknown>) {
  const extensions: Record<string, unknown> = {};
  for (const key in operation) if (key.startsWith('x-') && Object.hasOwn(operation, key)) extensions[key] = operation[key];
  return {
    method,
    path,
    operationId: typeof operation.operationId === 'string' && operation.operationId.trim() ? operation.operationId.trim() : undefined,
    summary: typeof operation.summary === 'string' ? operation.summary : undefined,
    description: typeof operation.description === 'string' ? operation.description : undefined,
    deprecated: operation.deprecated === true,
    tags: Array.isArray(operation.tags) ? operation.tags.filter((t): t is string => typeof t === 'string') : [],
    extensions,
  };
}

/** Path-item parameters overridden by the operation's own (same name and location), refs resolved. */
export function mergeParameters(
  documents: DocumentSet,
  fromItem: { list: unknown; base: string },
  fromOperation: { list: unknown; base: string },
  label: string,
): { node: Record<string, unknown>; base: string }[] {
  const merged = new Map<string, { node: Record<string, unknown>; base: string }>();
  for (const { list, base } of [fromItem, fromOperation]) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new SpecError('SPEC_INVALID', `${label}: "parameters" is not a list`);
    list.forEach((raw, index) => {
      const where = () => `${label}, parameters[${index}]`;
      const ref = refOf(raw);
      const resolved = ref === undefined ? { value: raw, base } : documents.resolve(ref, base, where());
      if (!isPlainObject(resolved.value)) throw new SpecError('SPEC_INVALID', `${where()} is not a parameter object`);
      merged.set(`${String(resolved.value.in)}:${String(resolved.value.name)}`, { node: resolved.value, base: resolved.base });
    });
  }
  return [...merged.values()];
}

export function requireName(node: Record<string, unknown>, where: string): string {
  if (typeof node.name !== 'string' || node.name === '') throw new SpecError('SPEC_INVALID', `${where} has no name`);
  return node.name;
}

export function mediaTypes(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.length > 0 ? value.filter((t): t is string => typeof t === 'string') : undefined;
}

const essence = (type: string) => type.split(';')[0]!.trim().toLowerCase();
const isJson = (type: string) => {
  const base = essence(type);
  return base === 'application/json' || base.endsWith('+json') || base === '*/*' || base === 'application/*';
};

/**
 * Which media type to speak: JSON first, then forms, then whatever comes first. With `jsonOnly`, only a
 * JSON type (for output schemas: other responses do not become structured content).
 */
export function pickMediaType(types: string[], jsonOnly = false): string | undefined {
  const json = types.find((type) => essence(type) === 'application/json') ?? types.find(isJson);
  if (json || jsonOnly) return json;
  return (
    types.find((type) => essence(type) === 'application/x-www-form-urlencoded') ??
    types.find((type) => essence(type) === 'multipart/form-data') ??
    types[0]
  );
}

/** The first 2xx response (in status order) that `pick` accepts. */
export function firstSuccess(
  documents: DocumentSet,
  responses: unknown,
  base: string,
  label: string,
  pick: (response: Record<string, unknown>, base: string) => SchemaSource | undefined,
): SchemaSource | undefined {
  if (!isPlainObject(responses)) return undefined;
  const codes = Object.keys(responses)
    .filter((code) => /^2(\d\d|XX)$/i.test(code))
    .sort();
  for (const code of codes) {
    const where = `${label}, responses["${code}"]`;
    const ref = refOf(responses[code]);
    const resolved = ref === undefined ? { value: responses[code], base } : documents.resolve(ref, base, where);
    if (!isPlainObject(resolved.value)) continue;
    const schema = pick(resolved.value, resolved.base);
    if (schema) return schema;
  }
  return undefined;
}
