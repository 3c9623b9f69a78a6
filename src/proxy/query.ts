/**
 * @module proxy/query
 * Query (and cookie) parameters by OpenAPI style. Names and values are percent-encoded (everything but
 * unreserved characters); only the style's own delimiters stay literal: `,` (form), `%20`
 * (spaceDelimited), `|` (pipeDelimited), `%09` (Swagger 2.0 `tsv`), `[`/`]` (deepObject). The string is
 * assembled here, never by a URL builder that would read `&` or `=` inside a value.
 *
 * Rules where OpenAPI has none: an empty list sends nothing; a nested object under deepObject continues the
 * brackets (`filter[size][min]=1`) and a list under it repeats the key (`filter[tag]=a&filter[tag]=b`);
 * any other nesting is sent as JSON.
 *
 * @see https://spec.openapis.org/oas/v3.1.0#style-examples
 */
import type { ParameterBinding } from '../catalog/types';
import { encodeStrict, entriesOf, isAbsent, isObject, scalarText } from './values';

const DELIMITERS: Record<string, string> = { form: ',', spaceDelimited: '%20', pipeDelimited: '|', tabDelimited: '%09' };

/** The encoded `name=value` pairs of one query parameter (none when the argument is absent). */
export function queryPairs(binding: ParameterBinding, value: unknown): string[] {
  if (isAbsent(value)) return [];
  const name = encodeStrict(binding.name);
  const text = (v: unknown) => encodeStrict(scalarText(v));
  if (binding.style === 'deepObject' && isObject(value)) return deepObjectPairs(name, value);
  const delimiter = DELIMITERS[binding.style] ?? ',';
  if (Array.isArray(value)) {
    const items = value.filter((v) => !isAbsent(v));
    if (items.length === 0) return [];
    if (binding.explode) return items.map((v) => `${name}=${text(v)}`);
    return [`${name}=${items.map(text).join(delimiter)}`];
  }
  if (isObject(value)) {
    const entries = entriesOf(value);
    if (entries.length === 0) return [];
    // form + explode: each property is a parameter of its own (OpenAPI's `R=100&G=200`)
    if (binding.explode) return entries.map(([k, v]) => `${encodeStrict(k)}=${text(v)}`);
    return [`${name}=${entries.map(([k, v]) => `${encodeStrict(k)}${delimiter}${text(v)}`).join(delimiter)}`];
  }
  return [`${name}=${text(value)}`];
}

function deepObjectPairs(prefix: string, value: Record<string, unknown>): string[] {
  const pairs: string[] = [];
  for (const [key, v] of entriesOf(value)) {
    const name = `${prefix}[${encodeStrict(key)}]`;
    if (isObject(v)) {
      pairs.push(...deepObjectPairs(name, v));
    } else if (Array.isArray(v)) {
      for (const item of v) if (!isAbsent(item)) pairs.push(`${name}=${encodeStrict(scalarText(item))}`);
    } else {
      pairs.push(`${name}=${encodeStrict(scalarText(v))}`);
    }
  }
  return pairs;
}

/** The `Cookie` pairs (`name=value`) of the cookie parameters, in the form style. */
export function cookiePairs(binding: ParameterBinding, value: unknown): string[] {
  return queryPairs({ ...binding, style: 'form' }, value);
}
