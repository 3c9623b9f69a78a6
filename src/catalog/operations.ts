/**
 * @module catalog/operations
 * Reads the operations out of a Swagger 2.0 or OpenAPI 3.x document into one shape, so the tool builder
 * does not care which version it came from. Schemas stay raw (with the URI of the document they sit in);
 * the builder converts them. One broken operation is reported on its own and never stops the others.
 */
import { refOf, type DocumentSet } from './documents';
import { SpecError } from './errors';
import { isPlainObject, setOwn } from './schema';
import { displayUri } from './source';
import type { ParameterLocation } from './types';

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
  readonly examples?: unknown[];
}

export interface RawBody {
  readonly contentType: string;
  readonly required: boolean;
  readonly description?: string;
  readonly schema: SchemaSource;
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
const LOCATIONS = new Set<string>(['path', 'query', 'header', 'cookie']);
/** OpenAPI: header parameters with these names are ignored (the transport owns them). */
const RESERVED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

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

/** A path item or operation with the URI of the document it sits in (the base for its refs). */
interface LocatedItem {
  readonly item: Record<string, unknown>;
  readonly base: string;
}
interface LocatedOperation {
  readonly operation: Record<string, unknown>;
  readonly base: string;
}

interface OperationReader {
  read(method: string, path: string, item: LocatedItem, operation: LocatedOperation): RawOperation;
}

/** Fields common to both readers. */
function common(method: string, path: string, operation: Record<string, unknown>) {
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(operation)) if (key.startsWith('x-')) extensions[key] = value;
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

class Swagger2Reader implements OperationReader {
  private readonly serverUrl: string;

  constructor(
    private readonly documents: DocumentSet,
    private readonly root: Record<string, unknown>,
  ) {
    const rootUrl = new URL(documents.rootUri);
    const fromWeb = rootUrl.protocol !== 'file:';
    const schemes = Array.isArray(root.schemes) ? root.schemes.filter((s): s is string => typeof s === 'string') : [];
    const scheme = schemes.includes('https') ? 'https' : (schemes[0] ?? (fromWeb ? rootUrl.protocol.slice(0, -1) : 'https'));
    const basePath = typeof root.basePath === 'string' ? root.basePath.replace(/\/+$/, '') : '';
    if (typeof root.host === 'string' && root.host) this.serverUrl = `${scheme}://${root.host}${basePath}`;
    else this.serverUrl = fromWeb ? `${rootUrl.origin}${basePath}` : basePath; // Swagger 2.0: the host serving the document
  }

  read(method: string, path: string, { item, base: itemBase }: LocatedItem, { operation, base }: LocatedOperation): RawOperation {
    const label = `${method} ${path}`;
    const params = mergeParameters(this.documents, { list: item.parameters, base: itemBase }, { list: operation.parameters, base }, label);
    const consumes = mediaTypes(operation.consumes ?? this.root.consumes) ?? ['application/json'];
    const produces = mediaTypes(operation.produces ?? this.root.produces) ?? ['application/json'];
    const parameters: RawParameter[] = [];
    let body: RawBody | undefined;
    const formFields: Record<string, unknown> = {};
    const formRequired: string[] = [];
    let formBase = base;
    let hasFile = false;
    for (const { node, base: paramBase } of params) {
      const where = `${label}, parameter "${String(node.name)}"`;
      const name = requireName(node, where);
      if (node.in === 'body') {
        body = {
          contentType: pickMediaType(consumes) ?? 'application/json',
          required: node.required === true,
          description: typeof node.description === 'string' ? node.description : undefined,
          schema: { node: node.schema, base: paramBase },
        };
      } else if (node.in === 'formData') {
        setOwn(formFields, name, node);
        formBase = paramBase;
        if (node.required === true) formRequired.push(name);
        if (node.type === 'file') hasFile = true;
      } else if (LOCATIONS.has(String(node.in))) {
        const location = node.in as ParameterLocation;
        if (location === 'header' && RESERVED_HEADERS.has(name.toLowerCase())) continue;
        const [style, explode] = collectionStyle(node.collectionFormat);
        parameters.push({
          name,
          in: location,
          required: location === 'path' || node.required === true,
          description: typeof node.description === 'string' ? node.description : undefined,
          deprecated: false,
          schema: { node, base: paramBase }, // a 2.0 parameter carries its schema keywords itself
          style: location === 'path' || location === 'header' ? 'simple' : style,
          explode,
          examples: 'x-example' in node ? [node['x-example']] : undefined,
        });
      } else {
        throw new SpecError('SPEC_INVALID', `${where} has an unknown location "in: ${String(node.in)}"`);
      }
    }
    if (!body && Object.keys(formFields).length > 0) {
      const multipart = hasFile || consumes.some((type) => type.startsWith('multipart/form-data'));
      body = {
        contentType: multipart ? 'multipart/form-data' : 'application/x-www-form-urlencoded',
        required: formRequired.length > 0,
        schema: { node: { type: 'object', properties: formFields, required: formRequired }, base: formBase },
      };
    }
    const output = firstSuccess(this.documents, operation.responses, base, label, (response, responseBase) =>
      response.schema !== undefined && pickMediaType(produces) !== undefined ? { node: response.schema, base: responseBase } : undefined,
    );
    return { ...common(method, path, operation), parameters, body, output, serverUrl: this.serverUrl };
  }
}

class OpenApi3Reader implements OperationReader {
  constructor(
    private readonly documents: DocumentSet,
    private readonly root: Record<string, unknown>,
  ) {}

  read(method: string, path: string, { item, base: itemBase }: LocatedItem, { operation, base: operationBase }: LocatedOperation): RawOperation {
    const label = `${method} ${path}`;
    const parameters: RawParameter[] = [];
    const located = mergeParameters(this.documents, { list: item.parameters, base: itemBase }, { list: operation.parameters, base: operationBase }, label);
    for (const { node, base } of located) {
      const where = `${label}, parameter "${String(node.name)}"`;
      const name = requireName(node, where);
      if (!LOCATIONS.has(String(node.in))) throw new SpecError('SPEC_INVALID', `${where} has an unknown location "in: ${String(node.in)}"`);
      const location = node.in as ParameterLocation;
      if (location === 'header' && RESERVED_HEADERS.has(name.toLowerCase())) continue;
      let schema: SchemaSource = { node: node.schema, base };
      if (node.schema === undefined && isPlainObject(node.content)) {
        const type = pickMediaType(Object.keys(node.content));
        const media = type ? node.content[type] : undefined;
        if (isPlainObject(media)) schema = { node: media.schema, base };
      }
      const style = typeof node.style === 'string' ? node.style : location === 'query' || location === 'cookie' ? 'form' : 'simple';
      parameters.push({
        name,
        in: location,
        required: location === 'path' || node.required === true,
        description: typeof node.description === 'string' ? node.description : undefined,
        deprecated: node.deprecated === true,
        schema,
        style,
        explode: typeof node.explode === 'boolean' ? node.explode : style === 'form',
        examples: parameterExamples(node),
      });
    }
    let body: RawBody | undefined;
    if (operation.requestBody !== undefined) {
      const { value, base } = this.deref(operation.requestBody, operationBase, `${label}, requestBody`);
      if (isPlainObject(value) && isPlainObject(value.content)) {
        const type = pickMediaType(Object.keys(value.content));
        const media = type ? value.content[type] : undefined;
        if (type && isPlainObject(media)) {
          body = {
            contentType: type,
            required: value.required === true,
            description: typeof value.description === 'string' ? value.description : undefined,
            schema: { node: media.schema, base },
          };
        }
      }
    }
    const output = firstSuccess(this.documents, operation.responses, operationBase, label, (response, base) => {
      if (!isPlainObject(response.content)) return undefined;
      const type = pickMediaType(Object.keys(response.content), true);
      const media = type ? response.content[type] : undefined;
      return isPlainObject(media) && media.schema !== undefined ? { node: media.schema, base } : undefined;
    });
    const servers = firstServers(operation.servers) ?? firstServers(item.servers) ?? firstServers(this.root.servers);
    return { ...common(method, path, operation), parameters, body, output, serverUrl: this.serverUrl(servers) };
  }

  private deref(value: unknown, base: string, where: string): { value: unknown; base: string } {
    const ref = refOf(value);
    return ref === undefined ? { value, base } : this.documents.resolve(ref, base, where);
  }

  private serverUrl(server: Record<string, unknown> | undefined): string {
    let url = server && typeof server.url === 'string' ? server.url : '/';
    const variables = server && isPlainObject(server.variables) ? server.variables : {};
    url = url.replace(/\{([^}]+)\}/g, (whole, name: string) => {
      const variable = variables[name];
      return isPlainObject(variable) && variable.default !== undefined ? String(variable.default) : whole;
    });
    const rootUrl = new URL(this.documents.rootUri);
    // OpenAPI 3: a relative server URL is relative to where the document was served from
    if (!/^[a-z][a-z0-9+.-]*:/i.test(url) && rootUrl.protocol !== 'file:') url = new URL(url, rootUrl).href;
    return url.replace(/\/+$/, '');
  }
}

function firstServers(value: unknown): Record<string, unknown> | undefined {
  return Array.isArray(value) && isPlainObject(value[0]) ? value[0] : undefined;
}

/** Path-item parameters overridden by the operation's own (same name and location), refs resolved. */
function mergeParameters(
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
      const where = `${label}, parameters[${index}]`;
      const ref = refOf(raw);
      const resolved = ref === undefined ? { value: raw, base } : documents.resolve(ref, base, where);
      if (!isPlainObject(resolved.value)) throw new SpecError('SPEC_INVALID', `${where} is not a parameter object`);
      merged.set(`${String(resolved.value.in)}:${String(resolved.value.name)}`, { node: resolved.value, base: resolved.base });
    });
  }
  return [...merged.values()];
}

function requireName(node: Record<string, unknown>, where: string): string {
  if (typeof node.name !== 'string' || node.name === '') throw new SpecError('SPEC_INVALID', `${where} has no name`);
  return node.name;
}

function parameterExamples(node: Record<string, unknown>): unknown[] | undefined {
  if ('example' in node) return [node.example];
  if (isPlainObject(node.examples)) {
    const values = Object.values(node.examples)
      .filter((example): example is Record<string, unknown> => isPlainObject(example) && 'value' in example)
      .map((example) => example.value);
    return values.length > 0 ? values : undefined;
  }
  return undefined;
}

/** Swagger 2.0 collectionFormat → OpenAPI 3 style/explode. */
function collectionStyle(format: unknown): [string, boolean] {
  switch (format) {
    case 'multi':
      return ['form', true];
    case 'ssv':
      return ['spaceDelimited', false];
    case 'pipes':
      return ['pipeDelimited', false];
    case 'tsv':
      return ['tabDelimited', false];
    default:
      return ['form', false]; // csv, the 2.0 default
  }
}

function mediaTypes(value: unknown): string[] | undefined {
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
function pickMediaType(types: string[], jsonOnly = false): string | undefined {
  const json = types.find((type) => essence(type) === 'application/json') ?? types.find(isJson);
  if (json || jsonOnly) return json;
  return (
    types.find((type) => essence(type) === 'application/x-www-form-urlencoded') ??
    types.find((type) => essence(type) === 'multipart/form-data') ??
    types[0]
  );
}

/** The first 2xx response (in status order) that `pick` accepts. */
function firstSuccess(
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

function withoutRef(node: Record<string, unknown>): Record<string, unknown> {
  const { $ref: _, ...rest } = node;
  return rest;
}

function asSpecError(error: unknown): SpecError {
  if (error instanceof SpecError) return error;
  return new SpecError('SPEC_INVALID', error instanceof Error ? error.message : String(error), { cause: error });
}
