/**
 * @module http/front
 * What every HTTP request goes through before its handler, whatever the route:
 * - who sent it: the client's address, decided once here from the socket (and, behind listed proxies, their
 *   forwarding headers: `http/client-address`), handed to the handler and kept in the request context;
 * - a request id (the client's sane `X-Request-Id`, else a new one), echoed in the answer and carried by
 *   every log line written while answering (`log/request-context`);
 * - the route, decided here and only here: a path is one of `ROUTES` (or a discovery document under
 *   `/.well-known/`) with all of that route's protections, or it is a 404 — `/oauth/token/` or `/mcp/` never
 *   reach a handler by another spelling;
 * - the Host allow-list, on every route (DNS rebinding must not reach `/metrics` or the OAuth endpoints either);
 * - counted: `portico_http_requests_total{route,status}`, the requests in flight, and the drain that a
 *   graceful shutdown waits for;
 * - refused with 503 once shutting down (except the health, readiness and metrics routes);
 * - the per-address rate limit on `/mcp` and the OAuth POSTs (`http/limits`);
 * - the route's dialect, decided here from its label: `/mcp` answers errors in JSON-RPC, every other route in
 *   OAuth's shape. What a handler throws (a refusal, an OAuth error, the store out of reach) and the refusals
 *   made here are rendered in it by `http/answers`; any other exception becomes a logged 500, never a stack
 *   trace to the client.
 *
 * Routes are a fixed list of labels, so the metric's series stay few whatever paths clients try.
 */
import type { Server } from 'bun';
import type { Logger } from '../log';
import type { Drain } from '../ops/drain';
import type { GatewayMetrics } from '../ops/gateway-metrics';
import { inRequest, REQUEST_ID_HEADER, requestIdOf } from '../log/request-context';
import { Refusal } from '../wire/refusal';
import { answerError, type Dialect } from './answers';
import { UNKNOWN_ADDRESS, type ClientAddresses } from './client-address';
import { forbidden, hostProblem, withCors, type GuardOptions } from './guard';
import { limited, type RequestLimits } from './limits';

/** Who sent a request, as the front decided it. */
export interface Client {
  /** The client's address (`unknown` when the request arrived without a socket). */
  readonly address: string;
}

export type Handler = (request: Request, client: Client) => Response | Promise<Response>;

export interface FrontOptions {
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly drain: Drain;
  readonly limits?: RequestLimits;
  /** The Host allow-list (every route), and CORS for the error answers given here on the routes browsers may call from another origin. */
  readonly guard: GuardOptions;
  /** Who a request is from: the socket's peer, or what listed proxies forwarded. */
  readonly addresses: ClientAddresses;
}

/** The routes. Any other path is a 404 here (`other`), except discovery documents under `/.well-known/`. */
export const ROUTES = [
  // the welcome page (http/welcome): what a person who opens the printed address sees
  '/',
  '/mcp',
  '/healthz',
  '/readyz',
  '/metrics',
  '/oauth/register',
  '/oauth/authorize',
  '/oauth/token',
  '/oauth/revoke',
  '/oauth/callback',
  '/account',
] as const;
export type Route = (typeof ROUTES)[number] | '/.well-known' | 'other';

const KNOWN: ReadonlySet<string> = new Set(ROUTES);
/** Answered even while shutting down: a load balancer must see /readyz fail, and an operator may watch. */
const ALWAYS: ReadonlySet<Route> = new Set(['/healthz', '/readyz', '/metrics']);
/** The OAuth endpoints under the per-address limit (POST only: GET /oauth/authorize shows a page). */
const LIMITED_OAUTH: ReadonlySet<Route> = new Set(['/oauth/register', '/oauth/authorize', '/oauth/token', '/oauth/revoke']);
/**
 * The routes a listed origin may call from a browser (their handlers add CORS to what they answer): an error
 * answer given here gets the same headers, or the page could not read why it was refused.
 */
const CROSS_ORIGIN: ReadonlySet<Route> = new Set(['/mcp', '/oauth/register', '/oauth/token', '/oauth/revoke']);

/** How a route words its errors: the MCP endpoint speaks JSON-RPC, everything else answers like the OAuth endpoints. */
export function dialectOf(route: Route): Dialect {
  return route === '/mcp' ? 'json-rpc' : 'oauth';
}

/** The route label of a URL. */
export function routeOf(url: string): Route {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return 'other';
  let end = url.indexOf('?', start);
  if (end < 0) end = url.length;
  const path = url.slice(start, end);
  if (KNOWN.has(path)) return path as Route;
  return path.includes('/.well-known/') ? '/.well-known' : 'other';
}

/** What Bun's server calls: a request and the server it arrived at (for the socket's address); without a server (in process), the address is unknown. */
export type Arrival = (request: Request, server?: Pick<Server<unknown>, 'requestIP'>) => Promise<Response>;

/** `handler` behind the front; `route`: the label when it is fixed (a route of Bun's router). */
export function front(options: FrontOptions, handler: Handler, route?: Route): Arrival {
  const { log, metrics, drain, limits, guard, addresses } = options;
  let warnedForwarded = false;
  return async function answer(request, server) {
    const id = requestIdOf(request);
    const label = route ?? routeOf(request.url);
    const dialect = dialectOf(label);
    // looked up when first asked for (a system call): the hot path of /mcp never needs it unless a limit does
    let address: string | undefined;
    const client: Client = {
      get address() {
        return (address ??= addresses.of(server?.requestIP(request)?.address, request.headers));
      },
    };
    if (!warnedForwarded && !addresses.behindProxies && (request.headers.has('x-forwarded-for') || request.headers.has('forwarded'))) {
      warnedForwarded = true;
      log.warn('http.forwarded_ignored', { address: client.address, advice: 'requests carry X-Forwarded-For or Forwarded, which are ignored: every client behind that proxy counts as one address for the rate limits and sign-in throttles. If Portico is behind a proxy you run, list it in PORTICO_TRUSTED_PROXIES' });
    }
    const started = performance.now();
    drain.enter();
    metrics.requestStarted();
    const context = {
      id,
      get address() {
        return client.address;
      },
    };
    return inRequest(context, async () => {
      let response: Response;
      try {
        response = await respond(request, client, label);
      } catch (error) {
        response = answerError(error, dialect, log, { request, route: label });
        if (CROSS_ORIGIN.has(label)) response = withCors(request, response, guard);
      } finally {
        drain.leave();
        metrics.requestEnded();
      }
      metrics.requestSeries(label, response.status).value++;
      response = withHeader(response, REQUEST_ID_HEADER, id);
      if (log.enabled?.('debug') !== false) log.debug('http.request', { method: request.method, route: label, status: response.status, ms: Math.round((performance.now() - started) * 10) / 10 });
      return response;
    });
  };

  /** The handler's answer, unless a check here refuses the request first (thrown, to be worded in the route's dialect). */
  async function respond(request: Request, client: Client, label: Route): Promise<Response> {
    if (label === 'other') throw NOT_FOUND;
    const host = hostProblem(request, guard);
    if (host) throw forbidden(host);
    if (drain.draining && !ALWAYS.has(label)) throw SHUTTING_DOWN;
    if (limits?.limitsAddresses && client.address !== UNKNOWN_ADDRESS && (label === '/mcp' ? request.method !== 'OPTIONS' : request.method === 'POST' && LIMITED_OAUTH.has(label))) {
      const wait = limits.address(client.address);
      if (wait > 0) throw limited(wait, 'address');
    }
    return handler(request, client);
  }
}

/** A path that is no route: the same answer whatever it resembles. */
const NOT_FOUND = new Refusal(404, 'there is nothing at this path; the MCP endpoint is /mcp', { oauth: 'not_found' }, { 'cache-control': 'no-store' });

/** Once shutting down: another instance may answer, and this connection will not be reused. */
const SHUTTING_DOWN = new Refusal(503, 'this Portico instance is shutting down; try again (another instance may answer)', { oauth: 'temporarily_unavailable' }, { 'retry-after': '5', connection: 'close', 'cache-control': 'no-store' });

/** `response` with a header set; a response with immutable headers (passed through from fetch) is copied. */
function withHeader(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set(name, value);
    return copy;
  }
}
