/**
 * @module catalog/swagger2
 * Reads a Swagger 2.0 operation: `in: body` and `formData` parameters become a request body,
 * `collectionFormat` becomes a style (of a parameter, or of a form field's encoding), `schemes`/`host`/`basePath`
 * the server URL.
 *
 * Path and header parameters keep the delimiter of their collectionFormat (`ssv` → `spaceDelimited`…): the proxy
 * joins their lists with it as the simple style joins with a comma. `multi` is for query and formData only; on a
 * path or header it is read as the default, `csv`.
 */
import type { DocumentSet } from './documents';
import { SpecError } from './errors';
import { isPlainObject, setOwn } from './json';
import type { RawBody, RawOperation, RawParameter } from './operations';
import { commonFields, firstSuccess, LOCATIONS, mediaTypes, mergeParameters, pickMediaType, requireName, type LocatedItem, type LocatedOperation, type OperationReader } from './spec-objects';
import type { FieldEncoding, ParameterLocation } from './types';

export class Swagger2Reader implements OperationReader {
  private readonly serverUrl: string;
  /** Parameters read, by their object in the document: one shared by many operations is one object in each (see `OpenApi3Reader`). */
  private readonly parameters = new WeakMap<object, { base: string; parameter: RawParameter }>();

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
    const formEncoding: Record<string, FieldEncoding> = Object.create(null);
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
        if (node.type === 'array' || node.collectionFormat !== undefined) {
          const [style, explode] = collectionStyle(node.collectionFormat);
          formEncoding[name] = { style, explode, allowReserved: false };
        }
      } else if (LOCATIONS.has(String(node.in))) {
        const known = this.parameters.get(node);
        if (known && known.base === paramBase) {
          parameters.push(known.parameter);
          continue;
        }
        const location = node.in as ParameterLocation;
        const [style, explode] = collectionStyle(location === 'path' || location === 'header' ? (node.collectionFormat === 'multi' ? 'csv' : node.collectionFormat) : node.collectionFormat);
        const parameter: RawParameter = {
          name,
          in: location,
          required: location === 'path' || node.required === true,
          description: typeof node.description === 'string' ? node.description : undefined,
          deprecated: false,
          schema: { node, base: paramBase }, // a 2.0 parameter carries its schema keywords itself
          style: (location === 'path' || location === 'header') && style === 'form' ? 'simple' : style,
          explode,
          allowEmptyValue: node.allowEmptyValue === true,
          allowReserved: false,
          examples: 'x-example' in node ? [node['x-example']] : undefined,
        };
        this.parameters.set(node, { base: paramBase, parameter });
        parameters.push(parameter);
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
        encoding: Object.keys(formEncoding).length > 0 ? formEncoding : undefined,
      };
    }
    const output = firstSuccess(this.documents, operation.responses, base, label, (response, responseBase) =>
      response.schema !== undefined && pickMediaType(produces) !== undefined ? { node: response.schema, base: responseBase } : undefined,
    );
    return { ...commonFields(method, path, operation), parameters, body, output, serverUrl: this.serverUrl };
  }
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

