/**
 * @module catalog/operations
 * Reads the operations out of a Swagger 2.0 or OpenAPI 3.x document into one shape, so the tool builder
 * does not care which version it came from. Schemas stay raw (with the URI of the document they sit in);
 * the builder converts them. One broken operation is reported on its own and never stops the others.
 */
import { refOf, type DocumentSet } from './documents';
import { SpecError } from './errors';
import { isPlainObject } from './json';
import { OpenApi3Reader } from './openapi3';
import { Swagger2Reader } from './swagger2';
import { displayUri } from './source';
import type { FieldEncoding, ParameterLocation } from './types';

export type Dialect = 'swagger2' | 'oas30' | 'oas31';

/** A raw schema and the document it sits in. */
export interface SchemaSource {
  readonly node: unknown;
  readonly base: string;
}

export interface RawParameter {
  readonly name: string;
  readonly in: ParameterLocation;
  readonly required: boolean;
  readonly description?: string;
  readonly deprecated: boolean;
  readonly schema: SchemaSource;
  readonly style: string;
  readonly explode: boolean;
  /** A query parameter that may be sent empty (`?name=`): OpenAPI's `allowEmptyValue`, false unless said. */
  readonly allowEmptyValue: boolean;
  /** A query parameter whose reserved characters are sent as they are: OpenAPI's `allowReserved`. */
  readonly allowReserved: boolean;
  /** The media type of a parameter described by `content` (OpenAPI 3) instead of a schema. */
  readonly contentType?: string;
  readonly examples?: unknown[];
}

export interface RawBody {
  readonly contentType: string;
  readonly required: boolean;
  readonly description?: string;
  readonly schema: SchemaSource;
  /** Form bodies: how each property is written (OpenAPI 3 `encoding`, Swagger 2.0 `collectionFormat`). */
  readonly encoding?: Record<string, FieldEncoding>;
}

export interface RawOperation {
  readonly method: string;
  readonly path: string;
  readonly operationId?: string;
  readonly summary?: string;
  readonly description?: string;
  readonly deprecated: boolean;
  readonly tags: string[];
  /** The operation's `x-` extensions. */
  readonly extensions: Record<string, unknown>;
  readonly parameters: RawParameter[];
  readonly body?: RawBody;
  /** The schema of the first 2xx JSON response, if any. */
  readonly output?: SchemaSource;
  readonly serverUrl: string;
}

/** An operation that could not be read, with the reason. */
export interface BrokenOperation {
  readonly method: string;
  readonly path: string;
  readonly operationId?: string;
  readonly error: SpecError;
}

export interface ReadDocument {
  readonly dialect: Dialect;
  readonly specVersion: string;
  readonly title: string;
  readonly version: string;
  readonly operations: (RawOperation | BrokenOperation)[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Identifies the document's dialect and reads all its operations. Throws for a document that is not OpenAPI. */
export function readOperations(documents: DocumentSet): ReadDocument {
  const root = documents.root;
  const where = `"${displayUri(documents.rootUri)}"`;
  if (!isPlainObject(root)) throw new SpecError('SPEC_INVALID', `${where} is not an OpenAPI document: expected an object at the top level`);
  const dialect = detectDialect(root, where);
  const specVersion = versionText(dialect === 'swagger2' ? root.swagger : root.openapi);
  const info = isPlainObject(root.info) ? root.info : {};
  const paths = root.paths;
  if (paths === undefined && dialect === 'oas31' && root.webhooks !== undefined) {
    // A 3.1 document may describe only webhooks: valid, but there is nothing to call.
  } else if (!isPlainObject(paths)) {
    throw new SpecError('SPEC_INVALID', `${where} has no "paths" object: there are no operations to turn into tools`);
  }
  const operations: (RawOperation | BrokenOperation)[] = [];
  const reader = dialect === 'swagger2' ? new Swagger2Reader(documents, root) : new OpenApi3Reader(documents, root);
  for (const [path, rawItem] of Object.entries(isPlainObject(paths) ? paths : {})) {
    let item: Record<string, unknown>;
    let itemBase = documents.rootUri;
    try {
      const ref = refOf(rawItem);
      if (ref !== undefined) {
        const resolved = documents.resolve(ref, documents.rootUri, `paths["${path}"]`);
        if (!isPlainObject(resolved.value)) throw new SpecError('SPEC_INVALID', `paths["${path}"] is not a path item`);
        item = { ...resolved.value, ...withoutRef(rawItem as Record<string, unknown>) };
        itemBase = resolved.base;
      } else if (isPlainObject(rawItem)) {
        item = rawItem;
      } else {
        throw new SpecError('SPEC_INVALID', `paths["${path}"] is not an object`);
      }
    } catch (error) {
      operations.push({ method: '*', path, error: asSpecError(error) });
      continue;
    }
    for (const method of METHODS) {
      let operation = item[method];
      if (operation === undefined) continue;
      let operationBase = itemBase;
      try {
        // Not allowed by OpenAPI, but DigitalOcean's spec keeps each operation in a file of its own
        const ref = refOf(operation);
        if (ref !== undefined) ({ value: operation, base: operationBase } = documents.resolve(ref, itemBase, `${method.toUpperCase()} ${path}`));
        if (!isPlainObject(operation)) throw new SpecError('SPEC_INVALID', 'the operation is not an object');
        operations.push(reader.read(method.toUpperCase(), path, { item, base: itemBase }, { operation, base: operationBase }));
      } catch (error) {
        const operationId = isPlainObject(operation) && typeof operation.operationId === 'string' ? operation.operationId : undefined;
        operations.push({ method: method.toUpperCase(), path, operationId, error: asSpecError(error) });
      }
    }
  }
  return {
    dialect,
    specVersion,
    title: typeof info.title === 'string' ? info.title : 'API',
    version: typeof info.version === 'string' || typeof info.version === 'number' ? String(info.version) : '',
    operations,
  };
}

export function isBroken(operation: RawOperation | BrokenOperation): operation is BrokenOperation {
  return 'error' in operation;
}

/** The version field as written; unquoted in YAML (`swagger: 2.0`) it arrives as the number 2. */
function versionText(value: unknown): string {
  return typeof value === 'number' && Number.isInteger(value) ? value.toFixed(1) : String(value);
}

function detectDialect(root: Record<string, unknown>, where: string): Dialect {
  if (root.swagger !== undefined) {
    const version = versionText(root.swagger);
    if (version.startsWith('2.')) return 'swagger2';
    throw new SpecError('SPEC_INVALID', `${where} declares swagger "${version}"; only Swagger 2.0 and OpenAPI 3.0/3.1 are supported`);
  }
  if (typeof root.openapi === 'string' || typeof root.openapi === 'number') {
    const version = versionText(root.openapi);
    if (version.startsWith('3.0')) return 'oas30';
    if (version.startsWith('3.1') || version.startsWith('3.2')) return 'oas31';
    throw new SpecError('SPEC_INVALID', `${where} declares openapi "${version}"; only Swagger 2.0 and OpenAPI 3.0/3.1 are supported`);
  }
  throw new SpecError('SPEC_INVALID', `${where} is not an OpenAPI document: it has neither an "openapi" nor a "swagger" field`);
}

function withoutRef(node: Record<string, unknown>): Record<string, unknown> {
  const { $ref: _, ...rest } = node;
  return rest;
}

function asSpecError(error: unknown): SpecError {
  if (error instanceof SpecError) return error;
  return new SpecError('SPEC_INVALID', error instanceof Error ? error.message : String(error), { cause: error });
}
