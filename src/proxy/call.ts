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
import { answerFromResponse, finish } from './response';
import { FIELDS, PAGES, SELECTED } from '../catalog/answer-arguments';
import { listAt, longestList, replaceList } from './json-lists';
import { nextPageArguments } from './next-page';
import { checkSelection, select } from './select';
import { Deadline } from './deadline';
import { inSpan, tracingOn } from '../ops/tracing';

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
   * `signal` cancels it; `credential` (the signed-in user's headers) replaces the deployment's headers;
   * `answerBytes`: the answer budget, where `pages` stops fetching.
   */
  call(entry: CatalogEntry, args: Readonly<Record<string, unknown>>, signal?: AbortSignal, credential?: Readonly<Record<string, string>>, answerBytes?: number): Promise<Called>;
}

/** A proxy for the API `options` describe. Throws a `TypeError` for invalid options: at start-up, never on a call. */
export function createProxy(options: ProxyOptions): Proxy {
  const resolved = resolveProxyOptions(options);
  return { options: resolved, call: (entry, args, signal, credential, answerBytes) => callResolved(entry, args, withCredential(resolved, credential), signal, answerBytes) };
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

async function callResolved(entry: CatalogEntry, given: Readonly<Record<string, unknown>>, resolved: ResolvedProxyOptions, signal: AbortSignal | undefined, answerBytes = Infinity): Promise<Called> {
  const { args, shaping } = answerShaping(entry, given);
  let request: UpstreamRequest;
  try {
    if (shaping.fields !== undefined) checkSelection(FIELDS, shaping.fields);
    request = buildRequest(entry, args, resolved);
  } catch (error) {
    if (error instanceof ProxyError) return { result: proxyErrorResult(error) };
    throw error;
  }
  const deadline = new Deadline(resolved.timeoutMs, signal);
  const started = performance.now();
  try {
    const wantValue = shaping.fields !== undefined || shaping.pagesOffered;
    const first = await send(entry, request, resolved, deadline, wantValue);
    if (first.value === undefined) return { result: first.result, upstreamStatus: first.upstreamStatus, upstreamMs: performance.now() - started };
    const paged = await morePages(entry, args, request.url, first, shaping.pages, answerBytes, resolved, deadline);
    return { result: shapedResult(entry, paged, shaping), upstreamStatus: paged.upstreamStatus, upstreamMs: performance.now() - started };
  } catch (error) {
    const upstreamMs = performance.now() - started;
    if (deadline.signal.aborted) return { result: proxyErrorResult(deadlineFailure(deadline, request.method, request.url)), upstreamMs };
    if (error instanceof ProxyError) return { result: proxyErrorResult(error), upstreamMs };
    return { result: errorResult(`The call to the API at ${request.url.origin} (${request.method} ${request.url.pathname}) failed: ${error instanceof Error ? error.message : String(error)}`), upstreamMs };
  } finally {
    deadline.clear();
  }
}

/** One page's answer: the result, the status, and with `wantValue` its JSON value and headers. */
interface Sent {
  readonly result: CallToolResult;
  readonly upstreamStatus: number;
  readonly value?: unknown;
  readonly headers?: Headers;
}

async function send(entry: CatalogEntry, request: UpstreamRequest, options: ResolvedProxyOptions, deadline: Deadline, wantValue = false): Promise<Sent> {
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
    const { result, value } = await answerFromResponse(entry, response, {
      method: request.method,
      url,
      maxResponseBytes: options.maxResponseBytes,
      secrets: options.secrets,
      wantValue,
      // no signal: the body was fetched with the deadline's, which stops reading it as well
    });
    return { result, upstreamStatus: response.status, ...(value !== undefined && { value, headers: response.headers }) };
  }
}

/** What the gateway's own arguments ask of a call (`catalog/answer-arguments`), and the arguments the API gets. */
interface Shaping {
  readonly fields?: string;
  readonly pages: number;
  /** The tool offers `pages`: the answer says how to get the next page, even when one was asked for. */
  readonly pagesOffered: boolean;
}

function answerShaping(entry: CatalogEntry, given: Readonly<Record<string, unknown>>): { args: Readonly<Record<string, unknown>>; shaping: Shaping } {
  const offered = entry.target.answerArguments;
  if (!offered) return { args: given, shaping: { pages: 1, pagesOffered: false } };
  const { [FIELDS]: fields, [PAGES]: pages, ...args } = given;
  return {
    args: offered.fields || offered.pages ? args : given,
    shaping: { ...(offered.fields && typeof fields === 'string' && { fields }), pages: offered.pages && typeof pages === 'number' ? pages : 1, pagesOffered: offered.pages },
  };
}

/** The pages after the first, while `pages` asks for more, the API names a next one, and the answer is within `answerBytes`. */
interface Paged {
  readonly value: unknown;
  readonly result: CallToolResult;
  readonly upstreamStatus: number;
  readonly fetched: number;
  /** The next page's arguments, when there is one. */
  readonly next?: Record<string, unknown>;
  /** Why fetching stopped before `pages`: the budget, or a page that failed (its result). */
  readonly stopped?: { readonly reason: 'budget' } | { readonly reason: 'failed'; readonly result: CallToolResult };
  /** Where the joined list is, and how many items it has. */
  readonly joined?: { readonly path: string; readonly items: number };
}

async function morePages(entry: CatalogEntry, args: Readonly<Record<string, unknown>>, url: URL, first: Sent, pages: number, answerBytes: number, resolved: ResolvedProxyOptions, deadline: Deadline): Promise<Paged> {
  let next = nextPageArguments(entry.target, args, url, first.headers!, first.value);
  let paged: Paged = { value: first.value, result: first.result, upstreamStatus: first.upstreamStatus, fetched: 1, ...(next && { next }) };
  if (pages <= 1 || !next) return paged;
  const list = longestList(first.value, '');
  if (!list) return paged;
  const items = [...list.list];
  let size = Buffer.byteLength(JSON.stringify(first.value));
  while (paged.fetched < pages && next) {
    if (size >= answerBytes) return { ...paged, stopped: { reason: 'budget' } };
    let request: UpstreamRequest;
    try {
      request = buildRequest(entry, next, resolved);
    } catch (error) {
      // a next page the API named that cannot be asked for: the pages so far are the answer
      if (error instanceof ProxyError) return { ...paged, stopped: { reason: 'failed', result: proxyErrorResult(error) } };
      throw error;
    }
    const page = await send(entry, request, resolved, deadline, true);
    if (page.result.isError || page.value === undefined) return { ...paged, stopped: { reason: 'failed', result: page.result } };
    const more = listAt(page.value, list.path) ?? [];
    for (const item of more) items.push(item); // not push(...more): a page of 100 000 items would overflow the stack
    size += Buffer.byteLength(JSON.stringify(more));
    const current = next;
    next = nextPageArguments(entry.target, current, request.url, page.headers!, page.value);
    const { next: _previous, ...rest } = paged;
    paged = { ...rest, value: replaceList(first.value, list.path, items), upstreamStatus: page.upstreamStatus, fetched: paged.fetched + 1, ...(next && { next }), joined: { path: list.path, items: items.length } };
  }
  return paged;
}

/** The result of a call that `fields` or `pages` shaped: the value selected or joined, and how to go on. */
function shapedResult(entry: CatalogEntry, paged: Paged, shaping: Shaping): CallToolResult {
  let result = paged.result;
  if (shaping.fields !== undefined) {
    let selected: unknown;
    try {
      selected = select(FIELDS, shaping.fields, paged.value);
    } catch (error) {
      if (error instanceof ProxyError) return proxyErrorResult(error);
      throw error;
    }
    result = finish(entry, [{ type: 'text', text: JSON.stringify(selected) }], { [SELECTED]: selected });
  } else if (paged.fetched > 1) {
    result = finish(entry, [{ type: 'text', text: JSON.stringify(paged.value) }], entry.target.wrapsResult ? { result: paged.value } : paged.value);
  }
  const notes: string[] = [];
  if (paged.fetched > 1) notes.push(`Fetched ${paged.fetched} pages${paged.joined ? `, ${paged.joined.items} items joined in ${paged.joined.path || 'the list'}` : ''}.`);
  if (paged.stopped?.reason === 'budget') notes.push('Stopped early: the answer reached its size limit.');
  if (paged.stopped?.reason === 'failed') notes.push(`Stopped: the next page failed (${textOf(paged.stopped.result)}).`);
  if (paged.next) notes.push(`More results: call ${entry.tool.name} with ${JSON.stringify(withoutShaping(paged.next, shaping))} for the next page.`);
  if (notes.length === 0) return result;
  return {
    ...result,
    content: [...result.content, { type: 'text', text: notes.join(' ') }],
    _meta: { ...result._meta, 'portico/pages': { fetched: paged.fetched, ...(paged.next && { next: { tool: entry.tool.name, arguments: withoutShaping(paged.next, shaping) } }), ...(paged.stopped && { stopped: paged.stopped.reason }) } },
  };
}

/** The next page's arguments as the agent passes them: with its `fields` again, without `pages`. */
function withoutShaping(next: Record<string, unknown>, shaping: Shaping): Record<string, unknown> {
  return shaping.fields !== undefined ? { ...next, [FIELDS]: shaping.fields } : next;
}

function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text.slice(0, 300) : 'no message';
}

/** Sends `request`, following redirects that stay on `upstream`'s origin. */
async function fetchFollowing(request: UpstreamRequest, upstream: URL, signal: AbortSignal): Promise<Response> {
  let { url, method, headers, body } = request;
  for (let hop = 0; ; hop++) {
    const response = await (tracingOn() ? sendTraced(url, method, headers, body, signal) : fetch(url.href, { method, headers, body, signal, redirect: 'manual' }));
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

/**
 * One HTTP request to the API: traced, a client span (`GET`: the method, the URL without its query values, the
 * status) whose `traceparent` the request carries.
 */
function sendTraced(url: URL, method: string, headers: Readonly<Record<string, string>>, body: UpstreamRequest['body'], signal: AbortSignal): Promise<Response> {
  return inSpan(method, 'client', async (span) => {
    const carried = span.headers();
    if (carried) span.setAttributes({ 'http.request.method': method, 'url.full': withoutQueryValues(url), 'server.address': url.hostname, 'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80) });
    const response = await fetch(url.href, { method, headers: carried ? { ...headers, ...carried } : headers, body, signal, redirect: 'manual' });
    if (carried) {
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 400) span.fail(String(response.status));
    }
    return response;
  });
}

/** The URL as a trace may hold it: each query value (an argument, maybe a key) replaced by `REDACTED`, no user info or fragment. */
function withoutQueryValues(url: URL): string {
  const query = url.search.length > 1 ? `?${url.search.slice(1).split('&').map((pair) => `${pair.split('=')[0]}=REDACTED`).join('&')}` : '';
  return `${url.origin}${url.pathname}${query}`;
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
