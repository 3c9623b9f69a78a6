/**
 * @module proxy/url
 * The upstream URL of one call: the deployment's base URL, the operation's server path, the filled path
 * template and the query.
 *
 * The host is always the one the deployment configured (`upstream`): the API document only contributes a
 * path, so an edited or hostile document can never make Portico send the credential elsewhere. A server
 * URL is reduced to its path (`https://api.example.com/v2` → `/v2`, `/v2` → `/v2`), then joined to the
 * upstream's path:
 * 1. the server path already starts with the upstream path → the server path (`/api` + `/api/v2` → `/api/v2`);
 * 2. the upstream path already ends with the server path → the upstream path (`/api/v2` + `/v2` → `/api/v2`);
 * 3. otherwise one after the other (`/gateway` + `/v2` → `/gateway/v2`).
 *
 * A path key with a query string (OpenAI's `/responses/{id}?beta=true`) names the same path with fixed query
 * parameters: they are sent as written, before the arguments' own, never percent-encoded into the path.
 */
import type { ParameterBinding } from '../catalog/types';
import { ProxyError } from './errors';
import { assertPathMatches, fillPath, pathPattern } from './path';
import { queryPairs } from './query';

/** Longest URL Portico sends; beyond it servers answer 414 or cut it. */
export const MAX_URL_LENGTH = 16 * 1024;

/** Base paths already worked out, per upstream and server URL: a catalog has only a few server URLs. */
const basePaths = new Map<string, string>();
const MAX_REMEMBERED = 1000;

/** The base path (no trailing slash) for an operation whose server URL is `serverUrl`. */
export function basePath(upstream: URL, serverUrl: string): string {
  const key = `${upstream.href}\n${serverUrl}`;
  const known = basePaths.get(key);
  if (known !== undefined) return known;
  const base = computeBasePath(upstream, serverUrl);
  if (basePaths.size >= MAX_REMEMBERED) basePaths.clear();
  basePaths.set(key, base);
  return base;
}

function computeBasePath(upstream: URL, serverUrl: string): string {
  let serverPath: string;
  if (/^[a-z][a-z0-9+.-]*:/i.test(serverUrl)) {
    try {
      serverPath = new URL(serverUrl).pathname;
    } catch {
      throw new ProxyError('INVALID_TARGET', `The API document's server URL "${serverUrl}" is not a valid URL`);
    }
  } else {
    // Resolved against a placeholder host only to normalise it the way the final URL will be
    serverPath = new URL(serverUrl.replace(/[?#].*$/, '').replace(/^\/*/, '/'), 'http://server.invalid').pathname;
  }
  const unresolved = /\{[^}]*\}|%7B[^/]*%7D/i.exec(serverPath);
  if (unresolved) throw new ProxyError('INVALID_TARGET', `The API document's server URL "${serverUrl}" has a variable ${decodeURIComponent(unresolved[0])} without a default`);
  serverPath = serverPath.replace(/\/+$/, '');
  const upstreamPath = upstream.pathname.replace(/\/+$/, '');
  if (serverPath === upstreamPath || serverPath.startsWith(`${upstreamPath}/`)) return serverPath;
  if (upstreamPath.endsWith(serverPath)) return upstreamPath;
  return upstreamPath + serverPath;
}

/** The full URL: base path, filled template, query. Checked against the template before it is returned. */
export function operationUrl(
  upstream: URL,
  target: { readonly serverUrl: string; readonly path: string; readonly parameters: readonly ParameterBinding[] },
  args: Readonly<Record<string, unknown>>,
): URL {
  const { origin, base, template, pattern, fixedQuery } = targetUrl(upstream, target);
  const path = base + fillPath(template, target.parameters, args);
  const query: string[] = [...fixedQuery];
  for (const binding of target.parameters) if (binding.in === 'query') query.push(...queryPairs(binding, args[binding.argument]));
  const text = `${origin}${path}${query.length > 0 ? `?${query.join('&')}` : ''}`;
  if (text.length > MAX_URL_LENGTH) {
    throw new ProxyError('INVALID_TARGET', `The request URL would be ${text.length} characters long, over Portico's limit of ${MAX_URL_LENGTH}: send shorter arguments`);
  }
  const url = new URL(text);
  if (url.origin !== origin) throw new ProxyError('UNSAFE_REQUEST', 'Portico refused to send the request: its URL left the configured API host');
  assertPathMatches(url, base, template, path, pattern);
  return url;
}

/** What every call of one operation on one upstream shares, worked out on its first call. */
interface TargetUrl {
  readonly upstream: URL;
  readonly origin: string;
  readonly base: string;
  readonly template: string;
  readonly pattern: RegExp;
  /** `name=value` pairs the path key itself carries after a `?`, as written. */
  readonly fixedQuery: readonly string[];
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** One fixed `name=value` of a path key, encoded as a query takes it (a document may write it raw or encoded). */
function fixedPair(pair: string): string {
  const [name = '', value] = splitOnce(pair, '=');
  const encode = (part: string) => encodeURIComponent(safeDecode(part));
  return value === undefined ? encode(name) : `${encode(name)}=${encode(value)}`;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

/** Per operation (its catalog target object): a new catalog brings new targets, and the old entries go with it. */
const targetUrls = new WeakMap<object, TargetUrl>();

function targetUrl(upstream: URL, target: { readonly serverUrl: string; readonly path: string }): TargetUrl {
  const known = targetUrls.get(target);
  if (known?.upstream === upstream) return known;
  const base = basePath(upstream, target.serverUrl);
  const [pathPart = '', queryPart] = splitOnce(target.path.startsWith('/') ? target.path : `/${target.path}`, '?');
  const template = pathPart.replace(/#.*$/, '');
  const fixedQuery = (queryPart ?? '').replace(/#.*$/, '').split('&').filter((pair) => pair !== '').map(fixedPair);
  const computed = { upstream, origin: upstream.origin, base, template, pattern: pathPattern(base, template), fixedQuery };
  targetUrls.set(target, computed);
  return computed;
}
