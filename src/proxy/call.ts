/**
 * @module proxy/call
 * One tool call: build the request, send it within the deadline, retry where that is safe, follow
 * same-origin redirects, and shape the answer. Every expected failure becomes a result with
 * `isError: true`; nothing but misuse (bad options) throws.
 *
 * - Deadline: `timeoutMs` covers everything (connect, retries, backoff, the body); `connectTimeoutMs`
 *   bounds connecting (`proxy/reach`). The MCP client's cancellation (`signal`) stops the call too
 *   (`proxy/deadline`: both within 25 ms).
 * - Retries: only GET, HEAD, OPTIONS, PUT and DELETE (idempotent by HTTP's definition), only after a
 *   connection failure or a 502/503/504, at most `retries` times, with backoff `retryDelayMs` × 3ⁿ plus
 *   up to 50% jitter (or the API's `Retry-After` when it is shorter than what is left of the deadline).
 *   A timeout is never retried: the deadline is spent.
 * - Redirects: followed (5 hops at most) only within the configured origin, so the credential never goes
 *   to another host; 303, and 301/302 after a POST, become a GET without body, as browsers do.
 * - Keep-alive: Bun's `fetch` pools connections per origin; nothing here closes them.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CatalogEntry } from '../catalog/types';
import { errorResult, ProxyError, proxyErrorResult } from './errors';
import { resolveProxyOptions, withCredential, type ProxyOptions, type ResolvedProxyOptions } from './options';
import { ConnectError, ensureReachable, markReachable } from './reach';
import { discard } from '../read-capped';
import { buildRequest, type UpstreamRequest } from './request';
import { resultFromResponse } from './response';
import { Deadline } from './deadline';

export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
export const RETRY_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);
export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * A call's MCP result and how the API answered it, together. They travel by value, so whatever replaces the
 * result on the way (a plugin's afterCall hook) cannot make the status behind it disappear: the audit log and
 * the metrics read the status from here, never from the result object.
 */
export interface Called {
  readonly result: CallToolResult;
  /** The HTTP status the API answered; undefined when no answer came (arguments refused, API unreachable, timed out, cancelled). */
  readonly upstreamStatus?: number;
  /** Time spent on the API (connecting, retries and backoff, redirects, the body), in ms; undefined when nothing was sent. */
  readonly upstreamMs?: number;
}

/** One API's proxy: its options checked once, at creation; then only calls. */
export interface Proxy {
  readonly options: ResolvedProxyOptions;
  /**
   * Calls the operation behind `entry` with `args` (already checked against the tool's input schema);
   * `signal` cancels it; `credential` (the signed-in user's headers) replaces the deployment's headers.
   */
  call(entry: CatalogEntry, args: Readonly<Record<string, unknown>>, signal?: AbortSignal, credential?: Readonly<Record<string, string>>): Promise<Called>;
}

/** A proxy for the API `options` describe. Throws a `TypeError` for invalid options: at start-up, never on a call. */
export function createProxy(options: ProxyOptions): Proxy {
  const resolved = resolveProxyOptions(options);
  return { options: resolved, call: (entry, args, signal, credential) => callResolved(entry, args, withCredential(resolved, credential), signal) };
}

/**
 * `createProxy(options).call(…)` in one step, for one-off calls and tests (the gateway makes its proxies once,
 * at start). Throws only a `TypeError` for invalid `options`.
 */
export function callTool(
  entry: CatalogEntry,
  args: Readonly<Record<string, unknown>>,
  options: ProxyOptions,
  signal?: AbortSignal,
  credential?: Readonly<Record<string, string>>,
): Promise<Called> {
  return callResolved(entry, args, withCredential(resolveProxyOptions(options), credential), signal);
}

async function callResolved(entry: CatalogEntry, args: Readonly<Record<string, unknown>>, resolved: ResolvedProxyOptions, signal: AbortSignal | undefined): Promise<Called> {
  let request: UpstreamRequest;
  try {
    request = buildRequest(entry, args, resolved);
  } catch (error) {
    if (error instanceof ProxyError) return { result: proxyErrorResult(error) };
    throw error;
  }
  const deadline = new Deadline(resolved.timeoutMs, signal);
  const started = performance.now();
  try {
    const { result, upstreamStatus } = await send(entry, request, resolved, deadline);
    return { result, upstreamStatus, upstreamMs: performance.now() - started };
  } catch (error) {
    const upstreamMs = performance.now() - started;
    if (deadline.signal.aborted) return { result: proxyErrorResult(deadlineFailure(deadline, request.method, request.url)), upstreamMs };
    if (error instanceof ProxyError) return { result: proxyErrorResult(error), upstreamMs };
    return { result: errorResult(`The call to the API at ${request.url.origin} (${request.method} ${request.url.pathname}) failed: ${error instanceof Error ? error.message : String(error)}`), upstreamMs };
  } finally {
    deadline.clear();
  }
}

async function send(entry: CatalogEntry, request: UpstreamRequest, options: ResolvedProxyOptions, deadline: Deadline): Promise<{ result: CallToolResult; upstreamStatus: number }> {
  const { url } = request;
  const idempotent = IDEMPOTENT_METHODS.has(request.method);
  for (let attempt = 0; ; attempt++) {
    const retry = idempotent && attempt < options.retries;
    let response: Response;
    try {
      const connecting = ensureReachable(url, options.connectTimeoutMs, deadline.signal);
      if (connecting) await connecting;
      response = await fetchFollowing(request, options.upstream, deadline.signal);
    } catch (error) {
      if (deadline.signal.aborted || error instanceof ProxyError) throw error;
      if (retry && (await deadline.sleep(backoff(options.retryDelayMs, attempt)))) continue;
      throw unreachable(error, url, attempt + 1);
    }
    markReachable(url);
    if (retry && RETRY_STATUSES.has(response.status)) {
      const wait = retryAfter(response.headers.get('retry-after')) ?? backoff(options.retryDelayMs, attempt);
      if (wait < deadline.remaining()) {
        await discard(response);
        if (!(await deadline.sleep(wait))) throw deadlineFailure(deadline, request.method, url);
        continue;
      }
    }
    const result = await resultFromResponse(entry, response, {
      method: request.method,
      url,
      maxResponseBytes: options.maxResponseBytes,
      secrets: options.secrets,
      // no signal: the body was fetched with the deadline's, which stops reading it as well
    });
    return { result, upstreamStatus: response.status };
  }
}

/** Sends `request`, following redirects that stay on `upstream`'s origin. */
async function fetchFollowing(request: UpstreamRequest, upstream: URL, signal: AbortSignal): Promise<Response> {
  let { url, method, headers, body } = request;
  for (let hop = 0; ; hop++) {
    const response = await fetch(url.href, { method, headers, body, signal, redirect: 'manual' });
    if (!REDIRECT_STATUSES.has(response.status)) return response;
    const location = response.headers.get('location');
    if (!location) return response;
    await discard(response);
    let target: URL;
    try {
      target = new URL(location, url);
    } catch {
      throw new ProxyError('UPSTREAM_REDIRECT', `The API redirected to an invalid URL "${location}"`);
    }
    if (target.origin !== upstream.origin) {
      throw new ProxyError('UPSTREAM_REDIRECT', `The API redirected to ${target.origin}; Portico follows redirects only within ${upstream.origin}, so the API credential is never sent to another host`);
    }
    if (hop >= MAX_REDIRECTS) throw new ProxyError('UPSTREAM_REDIRECT', `The API redirected more than ${MAX_REDIRECTS} times`);
    const toGet = response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST');
    if (toGet) {
      const { 'content-type': _dropped, ...rest } = headers;
      headers = rest;
      if (method !== 'HEAD') method = 'GET';
    }
    if (toGet || method === 'GET' || method === 'HEAD') body = undefined;
    url = target;
  }
}

function deadlineFailure(deadline: Deadline, method: string, url: URL): ProxyError {
  if (deadline.cancelled) return new ProxyError('CANCELLED', `The call to ${method} ${url.pathname} was cancelled`);
  return new ProxyError('UPSTREAM_TIMEOUT', `The API at ${url.origin} did not answer ${method} ${url.pathname} within ${deadline.timeoutMs} ms`);
}

function backoff(base: number, attempt: number): number {
  return Math.round(base * 3 ** attempt * (1 + Math.random() * 0.5));
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), or `undefined`. */
function retryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  ConnectionClosed: 'connection closed',
  EPIPE: 'connection closed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

function unreachable(error: unknown, url: URL, attempts: number): ProxyError {
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  let reason = REASONS[code];
  if (!reason && error instanceof ConnectError) reason = error.message;
  if (!reason && /CERT|SSL|TLS/i.test(code)) reason = `TLS certificate problem (${code})`;
  reason ??= error instanceof Error ? error.message : String(error);
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  return new ProxyError('UPSTREAM_UNREACHABLE', `Cannot reach the API at ${url.origin}: ${reason}${tries}`, { cause: error });
}
