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
 * Form fields follow OpenAPI's Encoding Object (`binding.encoding`; Swagger 2.0's `collectionFormat` arrives as
 * one). A field with a `style`, `explode` or `allowReserved` is written as a query parameter of that style would
 * be (`proxy/query`): percent-encoded in `application/x-www-form-urlencoded`, as it is in a multipart part.
 * Without them, by media type (OpenAPI 3.0.4/3.1.1: the field's `contentType`, or the default for its type):
 * - urlencoded: a scalar as its text, an object as JSON text (`address=%7B%22city%22…`), a list repeats its key,
 *   each item as a scalar or JSON;
 * - multipart (`proxy/multipart`): a list is one part per item (RFC 7578 §4.3), each by its own type: a file
 *   (`format: binary`) as its bytes, `application/octet-stream` unless a `data:` URL or the encoding names the
 *   type; an object or list as JSON with `Content-Type: application/json`; a scalar as text (no `Content-Type`:
 *   text/plain), or as JSON text when the encoding says JSON. An object whose encoding names another type (XML)
 *   is still sent as JSON, labelled as JSON: Portico writes no other format.
 * The Encoding Object's `headers` are not sent: no argument could fill them.
 */
import type { BodyBinding, FieldEncoding } from '../catalog/types';
import { ProxyArgumentError, ProxyError } from './errors';
import { isFormUrlEncoded, isJson, isMultipart, parseMediaType, type MediaType } from './media';
import { multipartBody, type Part } from './multipart';
import { RAW, RESERVED, STRICT, stylePairs } from './query';
import { encodeStrict, entriesOf, isAbsent, isObject, scalarText } from './values';

export interface EncodedBody {
  readonly body: string | Uint8Array;
  readonly contentType: string;
}

type Schema = Record<string, unknown>;
/** One body field: the argument it came from, its wire name, its value and its schema. */
interface Field {
  readonly argument: string;
  readonly name: string;
  readonly value: unknown;
  readonly schema: Schema | undefined;
  readonly encoding: FieldEncoding | undefined;
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
      const schemaFor = (name: string) => (Object.hasOwn(nested, name) ? schemaOf(nested[name]) : schemaOf(schema?.additionalProperties));
      return encodeFields(media, entriesOf(value).map(([name, v]) => ({ argument: binding.argument, name, value: v, schema: schemaFor(name), encoding: encodingOf(binding, name) })));
    }
    return encodeWhole(binding.argument, value, schema, binding.contentType, media);
  }
  const fields: Field[] = [];
  for (const { argument, name } of binding.fields) {
    const value = args[argument];
    if (value !== undefined) fields.push({ argument, name, value, schema: schemaOf(properties[argument]), encoding: encodingOf(binding, name) });
  }
  if (fields.length === 0 && !binding.required) return undefined;
  if (isJson(media) || media === undefined || media.essence.includes('*')) {
    return { body: JSON.stringify(Object.fromEntries(fields.map((f) => [f.name, f.value]))), contentType: isJson(media) ? binding.contentType : 'application/json' };
  }
  if (isFormUrlEncoded(media) || isMultipart(media)) return encodeFields(media, fields);
  throw new ProxyError('INVALID_TARGET', `Portico cannot build a "${binding.contentType}" request body from separate fields`);
}

function encodeFields(media: MediaType | undefined, fields: readonly Field[]): EncodedBody {
  if (isMultipart(media)) return multipartBody(fields.flatMap(fieldParts), media!.essence);
  return { body: fields.flatMap(formPairs).join('&'), contentType: 'application/x-www-form-urlencoded' };
}

function encodingOf(binding: BodyBinding, name: string): FieldEncoding | undefined {
  return binding.encoding && Object.hasOwn(binding.encoding, name) ? binding.encoding[name] : undefined;
}

/** Whether the field follows a style (any of `style`, `explode`, `allowReserved` given) rather than a media type. */
function styled(encoding: FieldEncoding | undefined): encoding is FieldEncoding {
  return encoding !== undefined && (encoding.style !== undefined || encoding.explode !== undefined || encoding.allowReserved !== undefined);
}

function styledPairs(field: Field & { encoding: FieldEncoding }, writer: typeof RAW): [string, string][] {
  const style = field.encoding.style ?? 'form';
  return stylePairs(field.name, style, field.encoding.explode ?? style === 'form', field.value, writer);
}

/** The first concrete media type of an encoding's `contentType` (which may be a list, or hold wildcards). */
function declaredType(encoding: FieldEncoding | undefined): string | undefined {
  return encoding?.contentType?.split(',').map((type) => type.trim()).find((type) => !type.includes('*') && parseMediaType(type) !== undefined);
}

/** The encoded `name=value` pairs of one urlencoded field. */
function formPairs(field: Field): string[] {
  const { name, value, encoding } = field;
  if (isAbsent(value)) return [];
  if (styled(encoding)) return styledPairs({ ...field, encoding }, encoding.allowReserved ? RESERVED : STRICT).map(([key, text]) => `${key}=${text}`);
  const json = isJson(parseMediaType(declaredType(encoding)));
  const text = (v: unknown) => encodeStrict(json || isObject(v) || Array.isArray(v) ? JSON.stringify(v) : scalarText(v));
  const items = Array.isArray(value) && !json ? value.filter((v) => !isAbsent(v)) : [value];
  return items.map((v) => `${encodeStrict(name)}=${text(v)}`);
}

/** The parts of one multipart field. */
function fieldParts(field: Field): Part[] {
  const { argument, name, value, schema, encoding } = field;
  if (isAbsent(value)) return [];
  const items = Array.isArray(value) ? value.filter((v) => !isAbsent(v)) : [value];
  const itemSchema = Array.isArray(value) ? schemaOf(schema?.items) : schema;
  const declared = declaredType(encoding);
  if (isBinary(itemSchema) || (Array.isArray(value) && isBinary(schema))) {
    const fallback = declared ?? (typeof itemSchema?.contentMediaType === 'string' ? itemSchema.contentMediaType : 'application/octet-stream');
    return items.map((item) => {
      if (typeof item !== 'string') throw new ProxyArgumentError(argument, 'must be base64 text (it is a file)');
      const { bytes, type } = decodeBase64(argument, item);
      return { name, body: bytes, filename: name, contentType: type ?? fallback };
    });
  }
  if (styled(encoding)) return styledPairs({ ...field, encoding }, RAW).map(([key, text]) => ({ name: key, body: text }));
  const json = isJson(parseMediaType(declared));
  return items.map((item): Part => {
    if (isObject(item) || Array.isArray(item)) return { name, body: JSON.stringify(item), contentType: json ? declared : 'application/json' };
    return declared ? { name, body: json ? JSON.stringify(item) : scalarText(item), contentType: declared } : { name, body: scalarText(item) };
  });
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
    if (dataUrl[1]) {
      // the type becomes a header (of the request or of a part): only a well-formed one
      type = parseMediaType(dataUrl[1])?.essence;
      if (!type || /\s/.test(dataUrl[1])) throw new ProxyArgumentError(argument, `has a data: URL whose media type "${dataUrl[1].replace(/[\u0000-\u001f]/g, ' ')}" is not valid`);
    }
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
