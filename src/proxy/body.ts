/**
 * @module proxy/body
 * The request body from the arguments: JSON, `application/x-www-form-urlencoded`, `multipart/form-data`,
 * or one argument sent as it is (text, or bytes for a binary body).
 *
 * Binary values (`format: binary`, or OpenAPI 3.1's `contentMediaType` without `contentEncoding`) travel
 * through JSON as base64: standard or URL-safe alphabet, whitespace ignored, or a
 * `data:<type>;base64,…` URL (whose type then labels the part). Plain text is refused there with an error
 * naming the argument, since it cannot be told apart from base64 reliably: a text file is base64-encoded
 * like any other. `format: byte` and `contentEncoding: base64` mean the API itself wants base64 text; those
 * values are sent as they are.
 *
 * Nested values where a format has no rule: in a urlencoded body an object uses brackets
 * (`address[city]=Oslo`) and a list repeats its key; in a multipart body an object or a list of objects is
 * a JSON text part and a list of scalars repeats its part.
 */
import type { BodyBinding } from '../catalog/types';
import { ProxyArgumentError, ProxyError } from './errors';
import { isFormUrlEncoded, isJson, isMultipart, parseMediaType, type MediaType } from './media';
import { entriesOf, isAbsent, isObject, scalarText } from './values';

export interface EncodedBody {
  readonly body: string | Uint8Array | URLSearchParams | FormData;
  /** Absent for `FormData`, whose `Content-Type` (with its boundary) `fetch` writes. */
  readonly contentType?: string;
}

type Schema = Record<string, unknown>;
/** One body field: the argument it came from, its wire name, its value and its schema. */
interface Field {
  readonly argument: string;
  readonly name: string;
  readonly value: unknown;
  readonly schema: Schema | undefined;
}

/**
 * The body for `binding`, or `undefined` when no body is to be sent. `properties` are the tool's input
 * schema properties (for telling binary fields).
 */
export function encodeBody(binding: BodyBinding, args: Readonly<Record<string, unknown>>, properties: Readonly<Record<string, unknown>>): EncodedBody | undefined {
  const media = parseMediaType(binding.contentType);
  if (binding.mode === 'whole') {
    const value = args[binding.argument];
    const schema = schemaOf(properties[binding.argument]);
    // a body the schema allows to be null (`type: ["object", "null"]`) is sent as JSON `null`: what the schema
    // accepted, the gateway sends
    if (value === null && allowsNull(schema) && (isJson(media) || media === undefined || media.essence.includes('*'))) return encodeWhole(binding.argument, null, schema, binding.contentType, media);
    if (isAbsent(value)) {
      if (binding.required) throw new ProxyArgumentError(binding.argument, 'is required (it is the request body)');
      return undefined;
    }
    if (isObject(value) && (isFormUrlEncoded(media) || isMultipart(media))) {
      const nested = schemaOf(schema?.properties) ?? {};
      return encodeFields(media, entriesOf(value).map(([name, v]) => ({ argument: binding.argument, name, value: v, schema: schemaOf(nested[name]) })));
    }
    return encodeWhole(binding.argument, value, schema, binding.contentType, media);
  }
  const fields: Field[] = [];
  for (const { argument, name } of binding.fields) {
    const value = args[argument];
    if (value !== undefined) fields.push({ argument, name, value, schema: schemaOf(properties[argument]) });
  }
  if (fields.length === 0 && !binding.required) return undefined;
  if (isJson(media) || media === undefined || media.essence.includes('*')) {
    return { body: JSON.stringify(Object.fromEntries(fields.map((f) => [f.name, f.value]))), contentType: isJson(media) ? binding.contentType : 'application/json' };
  }
  if (isFormUrlEncoded(media) || isMultipart(media)) return encodeFields(media, fields);
  throw new ProxyError('INVALID_TARGET', `Portico cannot build a "${binding.contentType}" request body from separate fields`);
}

function encodeFields(media: MediaType | undefined, fields: readonly Field[]): EncodedBody {
  if (isMultipart(media)) {
    const form = new FormData();
    for (const field of fields) appendPart(form, field);
    return { body: form };
  }
  const params = new URLSearchParams();
  for (const field of fields) for (const [name, value] of formPairs(field.name, field.value)) params.append(name, value);
  return { body: params, contentType: 'application/x-www-form-urlencoded' };
}

/** A body that is one argument, as it is. */
function encodeWhole(argument: string, value: unknown, schema: Schema | undefined, contentType: string, media: MediaType | undefined): EncodedBody {
  const wildcard = media === undefined || media.essence.includes('*');
  if (isJson(media) || (wildcard && typeof value !== 'string')) return { body: JSON.stringify(value), contentType: wildcard ? 'application/json' : contentType };
  if (typeof value !== 'string') throw new ProxyArgumentError(argument, `must be a string: the request body is sent as "${contentType}"`);
  if (isBinary(schema)) {
    const { bytes, type } = decodeBase64(argument, value);
    return { body: bytes, contentType: wildcard ? (type ?? 'application/octet-stream') : contentType };
  }
  return { body: value, contentType: wildcard ? 'text/plain; charset=utf-8' : contentType };
}

function appendPart(form: FormData, { argument, name, value, schema }: Field): void {
  if (isAbsent(value)) return;
  const items = Array.isArray(value) ? value : [value];
  const itemSchema = Array.isArray(value) ? schemaOf(schema?.items) : schema;
  if (isBinary(itemSchema) || (Array.isArray(value) && isBinary(schema))) {
    for (const item of items) {
      if (typeof item !== 'string') throw new ProxyArgumentError(argument, 'must be base64 text (it is a file)');
      const { bytes, type } = decodeBase64(argument, item);
      const mediaType = type ?? (typeof itemSchema?.contentMediaType === 'string' ? itemSchema.contentMediaType : 'application/octet-stream');
      form.append(name, new Blob([bytes], { type: mediaType }), name);
    }
    return;
  }
  if (Array.isArray(value) && value.every((v) => !isObject(v) && !Array.isArray(v))) {
    for (const item of value) if (!isAbsent(item)) form.append(name, scalarText(item));
    return;
  }
  form.append(name, isObject(value) || Array.isArray(value) ? JSON.stringify(value) : scalarText(value));
}

/** Raw (unencoded) urlencoded pairs for one field. */
function formPairs(name: string, value: unknown): [string, string][] {
  if (isAbsent(value)) return [];
  if (Array.isArray(value)) return value.flatMap((item) => (isObject(item) ? [[name, JSON.stringify(item)] as [string, string]] : formPairs(name, item)));
  if (isObject(value)) return entriesOf(value).flatMap(([key, v]) => formPairs(`${name}[${key}]`, v));
  return [[name, scalarText(value)]];
}

/** Whether `schema` accepts `null` (its type, a `const`/`enum` of null, or a branch of a union). */
function allowsNull(schema: Schema | undefined): boolean {
  if (!schema) return false;
  if (schema.type === 'null' || (Array.isArray(schema.type) && schema.type.includes('null'))) return true;
  if (schema.const === null || (Array.isArray(schema.enum) && schema.enum.includes(null))) return true;
  return (['anyOf', 'oneOf'] as const).some((key) => Array.isArray(schema[key]) && (schema[key] as unknown[]).some((branch) => allowsNull(schemaOf(branch))));
}

/** `true` for a schema (or one branch of a union) of raw bytes. */
export function isBinary(schema: Schema | undefined): boolean {
  if (!schema) return false;
  if (schema.format === 'binary') return true;
  if (typeof schema.contentMediaType === 'string' && schema.contentEncoding === undefined && !/^(text\/|application\/(json|xml))/i.test(schema.contentMediaType)) return true;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.some((branch) => isBinary(schemaOf(branch)))) return true;
  }
  return false;
}

const DATA_URL = /^data:([^;,]*)(?:;[^;,]*)*;base64,/i;

/** Decodes base64 (standard or URL-safe, whitespace ignored) or a base64 `data:` URL. */
export function decodeBase64(argument: string, text: string): { bytes: Uint8Array; type?: string } {
  let type: string | undefined;
  let data = text;
  const dataUrl = DATA_URL.exec(text);
  if (dataUrl) {
    type = dataUrl[1] || undefined;
    data = text.slice(dataUrl[0].length);
  }
  data = data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(data) || data.replace(/=+$/, '').length % 4 === 1) {
    throw new ProxyArgumentError(argument, 'must be base64-encoded data (or a data: URL with ;base64): it is sent as a file');
  }
  return { bytes: new Uint8Array(Buffer.from(data.replace(/-/g, '+').replace(/_/g, '/'), 'base64')), type };
}

function schemaOf(value: unknown): Schema | undefined {
  return isObject(value) ? value : undefined;
}
