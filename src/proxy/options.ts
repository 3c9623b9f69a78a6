/**
 * @module proxy/options
 * What a deployment tells the proxy: where the API is, which credential to send, and the limits. Options
 * are checked once (`resolveProxyOptions`, cached per options object); a bad value is our own misuse and
 * throws a `TypeError` with a code, at start-up if the caller resolves them early.
 */

/** Options of a proxy (`createProxy`): the deployment's settings for one API, the same for every call, checked once. */
export interface ProxyOptions {
  /**
   * The API's base URL from the deployment's configuration (`PORTICO_UPSTREAM`), e.g.
   * `https://api.example.com` or `https://api.example.com/v1`. Every request goes to this origin and
   * nowhere else, whatever the API document's `servers` say (see `proxy/url`).
   */
  readonly upstream: string | URL;
  /**
   * Headers sent with every upstream request, set after everything else so no argument can replace them:
   * the deployment's credential (`{ 'X-API-Key': '…' }`, `{ Authorization: 'Bearer …' }`). Their names
   * can never be set by a tool argument, and their values are blanked out of anything the API echoes back.
   * @default {}
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Largest response body kept; the rest is cut, with a note in the result. @default 1048576 (1 MiB) */
  readonly maxResponseBytes?: number;
  /** Deadline for the whole call: connecting, retries, backoff and reading the body. @default 30000 */
  readonly timeoutMs?: number;
  /**
   * Longest wait for a TCP connection to the API. Bun's `fetch` has no connect-timeout option, so the
   * proxy checks that the API accepts connections (a TCP connect, closed at once) before the first request
   * and after 30 s without any answer from it; pooled keep-alive connections are used otherwise.
   * @default 5000
   */
  readonly connectTimeoutMs?: number;
  /** Retries for idempotent methods after a connection failure or a 502/503/504. @default 2 */
  readonly retries?: number;
  /** First backoff before a retry; each next one is three times longer (plus jitter). @default 100 */
  readonly retryDelayMs?: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_RETRIES = 2;
export const DEFAULT_RETRY_DELAY_MS = 100;
/** Credential values shorter than this are not blanked out of responses (too likely to match by chance). */
const MIN_SECRET_LENGTH = 8;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Options after checking, with defaults applied. */
export interface ResolvedProxyOptions {
  /** The upstream base URL: no query, no fragment, no trailing slash in its path. */
  readonly upstream: URL;
  /** The credential headers, names lower-cased. */
  readonly headers: ReadonlyMap<string, string>;
  /** Values to blank out of responses. */
  readonly secrets: readonly string[];
  readonly maxResponseBytes: number;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
}

/** Checks `options` and applies the defaults. Throws a `TypeError` (code `ERR_INVALID_ARG_VALUE`) for a bad value. */
export function resolveProxyOptions(options: ProxyOptions): ResolvedProxyOptions {
  return {
    upstream: upstreamUrl(options.upstream),
    headers: credentialHeaders(options.headers ?? {}),
    secrets: secretsOf(options.headers ?? {}),
    maxResponseBytes: count('maxResponseBytes', options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES, 1),
    timeoutMs: count('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS, 1),
    connectTimeoutMs: count('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 1),
    retries: count('retries', options.retries, DEFAULT_RETRIES, 0),
    retryDelayMs: count('retryDelayMs', options.retryDelayMs, DEFAULT_RETRY_DELAY_MS, 0),
  };
}

/**
 * A per-user credential (headers), checked once per object: the bearer check hands the same object for a
 * grant on every request (it keeps each grant's opened identity), so this is one lookup, not a parse.
 */
const credentials = new WeakMap<object, Pick<ResolvedProxyOptions, 'headers' | 'secrets'>>();

/**
 * `options` with `credential` in place of `options.headers`: the signed-in user's own credential. Keep
 * passing the same object for the same user (it is checked once per object).
 */
export function withCredential(options: ResolvedProxyOptions, credential: Readonly<Record<string, string>> | undefined): ResolvedProxyOptions {
  if (!credential) return options;
  let resolvedCredential = credentials.get(credential);
  if (!resolvedCredential) {
    resolvedCredential = { headers: credentialHeaders(credential), secrets: secretsOf(credential) };
    credentials.set(credential, resolvedCredential);
  }
  return { ...options, ...resolvedCredential };
}

function invalid(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' });
}

function upstreamUrl(value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw invalid(`"upstream" must be an absolute http(s) URL; got "${String(value)}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`"upstream" must be an http(s) URL; got "${url.protocol}"`);
  if (url.username || url.password) throw invalid('"upstream" must not carry a user name or password; put the credential in "headers"');
  if (url.search || url.hash) throw invalid('"upstream" must not have a query or a fragment');
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

function credentialHeaders(headers: Readonly<Record<string, string>>): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) throw invalid(`"headers" has an invalid header name "${name}"`);
    if (typeof value !== 'string' || /[^\t\x20-\x7e\x80-\xff]/.test(value)) throw invalid(`"headers.${name}" must be a string without control characters`);
    map.set(name.toLowerCase(), value);
  }
  return map;
}

/** The credential values (and the token after a `Bearer `-like scheme), longest first. */
function secretsOf(headers: Readonly<Record<string, string>>): string[] {
  const secrets = new Set<string>();
  for (const value of Object.values(headers)) {
    const trimmed = value.trim();
    if (trimmed.length >= MIN_SECRET_LENGTH) secrets.add(trimmed);
    const token = /^[A-Za-z][\w-]*\s+(\S+)$/.exec(trimmed)?.[1];
    if (token && token.length >= MIN_SECRET_LENGTH) secrets.add(token);
  }
  return [...secrets].sort((a, b) => b.length - a.length);
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) throw invalid(`"${name}" must be a number ≥ ${min}; got ${String(value)}`);
  return Math.floor(value);
}
