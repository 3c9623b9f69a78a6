/**
 * @module proxy/query
 * Query (and cookie) parameters by OpenAPI style. Names and values are percent-encoded (everything but
 * unreserved characters, or with `allowReserved` everything but what RFC 6570's reserved expansion keeps: see
 * `encodeReserved`); only the style's own delimiters stay literal: `,` (form), `%20` (spaceDelimited), `|`
 * (pipeDelimited), `%09` (Swagger 2.0 `tsv`), `[`/`]` (deepObject). The string is assembled here, never by a URL
 * builder that would read `&` or `=` inside a value. A parameter described by `content` is written in its media
 * type (JSON text for JSON) and then encoded as one value.
 *
 * The same styles write the fields of form bodies (`proxy/body`), percent-encoded for
 * `application/x-www-form-urlencoded` and as they are for `multipart/form-data` (`RAW`).
 *
 * Rules where OpenAPI has none: an empty list sends nothing; a nested object under deepObject continues the
 * brackets (`filter[size][min]=1`) and a list under it repeats the key (`filter[tag]=a&filter[tag]=b`);
 * any other nesting is sent as JSON.
 *
 * Cookies: `form` (the default) is RFC 6570's form expansion as for a query, one cookie per parameter
 * (`ids=3&ids=4` exploded, `ids=3,4` not); OpenAPI 3.2's `cookie` style writes each pair as a cookie of its own
 * (`ids=3; ids=4`) with no escaping, so a value holding what a cookie cannot carry is refused.
 *
 * @see https://spec.openapis.org/oas/v3.1.1#style-examples
 */
import type { ParameterBinding } from '../catalog/types';
import { ProxyArgumentError } from './errors';
import { isJson, parseMediaType } from './media';
import { encodeReserved, encodeStrict, entriesOf, isAbsent, isObject, mediaText, scalarText } from './values';

/** How a style's pieces are written: the parameter's name, its values (and member names), its delimiters. */
export interface StyleWriter {
  readonly name: (text: string) => string;
  readonly value: (text: string) => string;
  readonly delimiters: Readonly<Record<string, string>>;
}

const URL_DELIMITERS = { form: ',', spaceDelimited: '%20', pipeDelimited: '|', tabDelimited: '%09' };
/** For a URL: everything but unreserved characters encoded. */
export const STRICT: StyleWriter = { name: encodeStrict, value: encodeStrict, delimiters: URL_DELIMITERS };
/** For a URL, with `allowReserved`: reserved characters kept (the name is encoded all the same). */
export const RESERVED: StyleWriter = { name: encodeStrict, value: encodeReserved, delimiters: URL_DELIMITERS };
/** As they are: for a multipart part, which needs no escaping. */
export const RAW: StyleWriter = { name: (text) => text, value: (text) => text, delimiters: { form: ',', spaceDelimited: ' ', pipeDelimited: '|', tabDelimited: '\t' } };

/** The encoded `name=value` pairs of one query parameter (none when the argument is absent). */
export function queryPairs(binding: ParameterBinding, value: unknown): string[] {
  if (isAbsent(value)) return [];
  const writer = binding.allowReserved ? RESERVED : STRICT;
  if (binding.contentType) return [`${writer.name(binding.name)}=${writer.value(mediaText(value, isJson(parseMediaType(binding.contentType))))}`];
  return stylePairs(binding.name, binding.style, binding.explode, value, writer).map(([name, text]) => `${name}=${text}`);
}

/** The `[name, value]` pairs of `value` in a query-like `style` (form, the delimited styles, deepObject), written by `writer`. */
export function stylePairs(name: string, style: string, explode: boolean, value: unknown, writer: StyleWriter): [string, string][] {
  if (isAbsent(value)) return [];
  const key = writer.name(name);
  const text = (v: unknown) => writer.value(scalarText(v));
  if (style === 'deepObject' && isObject(value)) return deepObjectPairs(key, value, writer);
  const delimiter = writer.delimiters[style] ?? writer.delimiters.form!;
  if (Array.isArray(value)) {
    const items = value.filter((v) => !isAbsent(v));
    if (items.length === 0) return [];
    if (explode) return items.map((v) => [key, text(v)]);
    return [[key, items.map(text).join(delimiter)]];
  }
  if (isObject(value)) {
    const entries = entriesOf(value);
    if (entries.length === 0) return [];
    // form + explode: each property is a parameter of its own (OpenAPI's `R=100&G=200`)
    if (explode) return entries.map(([k, v]) => [writer.value(k), text(v)]);
    return [[key, entries.map(([k, v]) => `${writer.value(k)}${delimiter}${text(v)}`).join(delimiter)]];
  }
  return [[key, text(value)]];
}

function deepObjectPairs(prefix: string, value: Record<string, unknown>, writer: StyleWriter): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [key, v] of entriesOf(value)) {
    const name = `${prefix}[${writer.value(key)}]`;
    if (isObject(v)) {
      pairs.push(...deepObjectPairs(name, v, writer));
    } else if (Array.isArray(v)) {
      for (const item of v) if (!isAbsent(item)) pairs.push([name, writer.value(scalarText(item))]);
    } else {
      pairs.push([name, writer.value(scalarText(v))]);
    }
  }
  return pairs;
}

/** What a cookie value may hold as it is (RFC 6265 cookie-octet). */
const COOKIE_OCTETS = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;

/** The cookie pairs (`name=value`, each one cookie of the `Cookie` header) of one cookie parameter. */
export function cookiePairs(binding: ParameterBinding, value: unknown): string[] {
  if (isAbsent(value)) return [];
  if (binding.style === 'cookie' && !binding.contentType) {
    const checked = (text: string) => {
      if (!COOKIE_OCTETS.test(text)) throw new ProxyArgumentError(binding.argument, 'must not contain spaces, quotes, commas, semicolons, backslashes or non-ASCII characters (it is sent as a cookie, unescaped)');
      return text;
    };
    const writer: StyleWriter = { name: (text) => text, value: checked, delimiters: RAW.delimiters };
    return stylePairs(binding.name, 'form', binding.explode, value, writer).map(([name, text]) => `${name}=${text}`);
  }
  const pairs = queryPairs({ ...binding, style: 'form', allowReserved: false }, value);
  return pairs.length > 0 ? [pairs.join('&')] : [];
}
