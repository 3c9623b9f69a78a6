/**
 * @module proxy/headers
 * The request headers: header and cookie parameters, then the deployment's credential, set last.
 *
 * An argument can only set a header the operation declares, and never one of `FORBIDDEN_HEADERS` or a
 * credential header: those belong to the transport or to the deployment. Values must be printable ASCII
 * (CR, LF, NUL and other control characters are refused before `Headers` could throw, so a smuggling
 * attempt is a clear error naming the argument). The MCP client's own `Authorization` never gets here:
 * the proxy is handed arguments, not the client's request.
 */
import { NEVER_SENT_HEADERS } from '../catalog/spec-objects';
import type { ParameterBinding } from '../catalog/types';
import { ProxyArgumentError, ProxyError } from './errors';
import { isJson, parseMediaType } from './media';
import { cookiePairs } from './query';
import { entriesOf, isAbsent, isObject, scalarText } from './values';

/** Headers no argument may set: the transport's, the credential's, and those an upstream may trust for identity (one list with the catalog, which offers none of them). */
export const FORBIDDEN_HEADERS: ReadonlySet<string> = NEVER_SENT_HEADERS;
/** Longest header value an argument may set. */
export const MAX_HEADER_VALUE = 8 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PRINTABLE = /^[\t\x20-\x7e]*$/;

/** What every request carries unless the credential says otherwise. */
const DEFAULT_HEADERS: Readonly<Record<string, string>> = {
  accept: 'application/json, */*;q=0.8',
  'user-agent': 'Portico',
};

/**
 * All request headers for these parameters and arguments (and the body's `contentType`), names lower-cased.
 * `credential` (lower-cased names) is applied last; a `Cookie` in it comes first in the cookie header and
 * its cookie names cannot be set by arguments. A plain record: `fetch` takes it for less than a `Headers`.
 */
export function requestHeaders(
  parameters: readonly ParameterBinding[],
  args: Readonly<Record<string, unknown>>,
  credential: ReadonlyMap<string, string>,
  contentType?: string,
): Record<string, string> {
  // no prototype: a header parameter may be named `__proto__`
  const headers: Record<string, string> = Object.assign(Object.create(null), DEFAULT_HEADERS);
  if (contentType) headers['content-type'] = contentType;
  const cookies: string[] = [];
  let credentialCookies: ReadonlySet<string> | undefined;
  for (const binding of parameters) {
    const value = args[binding.argument];
    if (isAbsent(value)) continue;
    if (binding.in === 'header') {
      const name = binding.name.toLowerCase();
      if (!TOKEN.test(binding.name)) throw new ProxyError('INVALID_TARGET', `The operation declares a header parameter with an invalid name "${binding.name}"`);
      if (FORBIDDEN_HEADERS.has(name) || credential.has(name)) {
        throw new ProxyArgumentError(binding.argument, `sets the header "${binding.name}", which Portico never lets an argument set`);
      }
      headers[name] = headerValue(binding, value);
    } else if (binding.in === 'cookie') {
      if (!TOKEN.test(binding.name)) throw new ProxyError('INVALID_TARGET', `The operation declares a cookie parameter with an invalid name "${binding.name}"`);
      credentialCookies ??= new Set((credential.get('cookie') ?? '').split(';').map((c) => c.split('=')[0]!.trim()).filter(Boolean));
      if (credentialCookies.has(binding.name)) throw new ProxyArgumentError(binding.argument, `sets the cookie "${binding.name}", which carries the API credential`);
      cookies.push(...cookiePairs(binding, value));
    }
  }
  const credentialCookie = credential.get('cookie');
  if (credentialCookie) cookies.unshift(credentialCookie);
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
  for (const [name, value] of credential) if (name !== 'cookie') headers[name] = value;
  return headers;
}

/** Swagger 2.0's collection formats other than csv, as styles: their delimiter in a header. */
const DELIMITERS: Readonly<Record<string, string>> = { spaceDelimited: ' ', pipeDelimited: '|', tabDelimited: '\t' };

/**
 * A header parameter's value, checked: the simple style (lists and objects joined with `,`; Swagger 2.0's `ssv`,
 * `tsv` and `pipes` with their own delimiter), or for a parameter described by `content`, its value in that media
 * type, JSON with every non-ASCII character escaped (`\u00e9`), which keeps it the same JSON and a valid header.
 */
function headerValue(binding: ParameterBinding, value: unknown): string {
  let text: string;
  const delimiter = DELIMITERS[binding.style] ?? ',';
  if (binding.contentType) text = isJson(parseMediaType(binding.contentType)) ? asciiJson(value) : scalarText(value);
  else if (Array.isArray(value)) text = value.filter((v) => !isAbsent(v)).map(scalarText).join(delimiter);
  else if (isObject(value)) text = entriesOf(value).map(([k, v]) => (binding.explode ? `${k}=${scalarText(v)}` : `${k}${delimiter}${scalarText(v)}`)).join(delimiter);
  else text = scalarText(value);
  if (/[\r\n\0]/.test(text)) throw new ProxyArgumentError(binding.argument, 'must not contain line breaks or NUL characters (it is sent as an HTTP header)');
  if (!PRINTABLE.test(text)) throw new ProxyArgumentError(binding.argument, 'must contain only printable ASCII characters (it is sent as an HTTP header)');
  if (text.length > MAX_HEADER_VALUE) throw new ProxyArgumentError(binding.argument, `is too long for an HTTP header (${text.length} characters; at most ${MAX_HEADER_VALUE})`);
  return text;
}

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
