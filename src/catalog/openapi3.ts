/**
 * @module catalog/openapi3
 * Reads an OpenAPI 3.0/3.1 operation: parameters with style/explode/allowReserved (or `content`), the request
 * body's preferred media type with its Encoding Objects, server URLs with their variables.
 */
import { refOf, type DocumentSet } from './documents';
import { SpecError } from './errors';
import { isPlainObject } from './json';
import type { RawBody, RawOperation, RawParameter, SchemaSource } from './operations';
import { commonFields, firstSuccess, LOCATIONS, mergeParameters, pickMediaType, requireName, type LocatedItem, type LocatedOperation, type OperationReader } from './spec-objects';
import type { FieldEncoding, ParameterLocation } from './types';

export class OpenApi3Reader implements OperationReader {
  /**
   * Parameters read, by their object in the document: one shared by many operations (a `$ref` to
   * `components/parameters`, a path item's own) is read once, and is then one object in every operation, so what
   * is built from it can be built once too (`catalog/build`).
   */
  private readonly parameters = new WeakMap<object, { base: string; parameter: RawParameter }>();

  constructor(
    private readonly documents: DocumentSet,
    private readonly root: Record<string, unknown>,
  ) {}

  read(method: string, path: string, { item, base: itemBase }: LocatedItem, { operation, base: operationBase }: LocatedOperation): RawOperation {
    const label = `${method} ${path}`;
    const parameters: RawParameter[] = [];
    const located = mergeParameters(this.documents, { list: item.parameters, base: itemBase }, { list: operation.parameters, base: operationBase }, label);
    for (const { node, base } of located) {
      const known = this.parameters.get(node);
      if (known && known.base === base) {
        parameters.push(known.parameter);
        continue;
      }
      const where = `${label}, parameter "${String(node.name)}"`;
      const name = requireName(node, where);
      if (!LOCATIONS.has(String(node.in))) throw new SpecError('SPEC_INVALID', `${where} has an unknown location "in: ${String(node.in)}"`);
      const location = node.in as ParameterLocation;
      let schema: SchemaSource = { node: node.schema, base };
      let contentType: string | undefined;
      if (node.schema === undefined && isPlainObject(node.content)) {
        const type = pickMediaType(Object.keys(node.content));
        const media = type ? node.content[type] : undefined;
        if (isPlainObject(media)) {
          schema = { node: media.schema, base };
          contentType = type;
        }
      }
      const style = typeof node.style === 'string' ? node.style : location === 'query' || location === 'cookie' ? 'form' : 'simple';
      const parameter: RawParameter = {
        name,
        in: location,
        required: location === 'path' || node.required === true,
        description: typeof node.description === 'string' ? node.description : undefined,
        deprecated: node.deprecated === true,
        schema,
        style,
        // `cookie` is OpenAPI 3.2's style for cookies: it explodes by default, as `form` does
        explode: typeof node.explode === 'boolean' ? node.explode : style === 'form' || style === 'cookie',
        allowEmptyValue: node.allowEmptyValue === true,
        allowReserved: location === 'query' && node.allowReserved === true,
        ...(contentType ? { contentType } : {}),
        examples: parameterExamples(node),
      };
      this.parameters.set(node, { base, parameter });
      parameters.push(parameter);
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
            encoding: readEncoding(media.encoding),
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
    return { ...commonFields(method, path, operation), parameters, body, output, serverUrl: this.serverUrlOf(servers) };
  }

  /** Server URLs worked out, by the server object (most operations share the document's first). */
  private readonly serverUrls = new Map<Record<string, unknown> | undefined, string>();

  private serverUrlOf(server: Record<string, unknown> | undefined): string {
    let url = this.serverUrls.get(server);
    if (url === undefined) this.serverUrls.set(server, (url = this.serverUrl(server)));
    return url;
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

/**
 * A Media Type Object's `encoding`: property name → how it is written. With any of `style`, `explode`,
 * `allowReserved` given, the others take their query defaults (form, explode with form, false); with none, only
 * `contentType` counts (OpenAPI 3.0.4 / 3.1.1, Encoding Object). `headers` are not read: no argument fills them.
 */
function readEncoding(value: unknown): Record<string, FieldEncoding> | undefined {
  if (!isPlainObject(value)) return undefined;
  const encoding: Record<string, FieldEncoding> = Object.create(null);
  for (const [name, node] of Object.entries(value)) {
    if (!isPlainObject(node)) continue;
    const contentType = typeof node.contentType === 'string' && node.contentType.trim() ? node.contentType.trim() : undefined;
    const styled = typeof node.style === 'string' || typeof node.explode === 'boolean' || typeof node.allowReserved === 'boolean';
    if (!styled) {
      if (contentType) encoding[name] = { contentType };
      continue;
    }
    const style = typeof node.style === 'string' ? node.style : 'form';
    encoding[name] = {
      ...(contentType ? { contentType } : {}),
      style,
      explode: typeof node.explode === 'boolean' ? node.explode : style === 'form',
      allowReserved: node.allowReserved === true,
    };
  }
  return Object.keys(encoding).length > 0 ? encoding : undefined;
}

function firstServers(value: unknown): Record<string, unknown> | undefined {
  return Array.isArray(value) && isPlainObject(value[0]) ? value[0] : undefined;
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

