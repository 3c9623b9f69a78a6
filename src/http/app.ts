/**
 * @module http/app
 * The gateway's HTTP surface: `/mcp` behind the host/origin guard, CORS, (with sign-in) the bearer check
 * and the per-token rate limit; the authorization server's routes (`http/oauth-routes`); and the liveness
 * check. The gateway puts all of it behind `http/front` and serves `/readyz` and `/metrics` beside it
 * (`http/ops-routes`). What handlers throw goes on to `http/front`, which renders it in the route's dialect.
 */
import { Elysia, ElysiaCustomStatusResponse, NotFoundError, ParseError, ValidationError } from 'elysia';
import type { McpEndpoint } from '../mcp/endpoint';
import type { Authorization } from '../oauth';
import type { Logger } from '../log';
import { currentClientAddress } from '../log/request-context';
import { Refusal } from '../wire/refusal';
import { preflight, refuseRequest, withCors, type GuardOptions } from './guard';
import type { RequestLimits } from './limits';
import { oauthRoutes } from './oauth-routes';
import { wantsPage } from './welcome';

export interface AppOptions extends GuardOptions {
  readonly endpoint: McpEndpoint;
  /** Sign-in through Portico; without it `/mcp` is open (PORTICO_AUTH=none). */
  readonly authorization?: Authorization;
  /** Kept for callers that pass one: errors are logged where they are rendered, by `http/front`. */
  readonly log?: Logger;
  /** Rate limits; the per-token one is applied here, once the token is known (the per-address one in `http/front`). */
  readonly limits?: RequestLimits;
  /** The page a person who opens `/` or `/mcp` in a browser gets (`http/welcome`). */
  readonly welcome?: () => Response;
}

/**
 * The `/mcp` handler on its own: the gateway hands it to Bun's router directly (the hot path skips the
 * framework), and the Elysia app mounts the same function for everything else that calls `app.handle`.
 * Its refusals (a page on another origin, no valid token, over the per-token limit) are thrown like everything
 * else it cannot serve (the store out of reach, a bug): `http/front`, which stands before every route, renders
 * them in `/mcp`'s dialect, with CORS.
 */
export function mcpHandler({ endpoint, authorization, log: _log, limits, welcome, ...guard }: AppOptions): (request: Request) => Promise<Response> {
  return async function mcp(request) {
    if (request.method === 'OPTIONS') return preflight(request, guard);
    const refused = refuseRequest(request, guard);
    if (refused) throw refused;
    // a person who opened the address in a browser: a page saying what this is, before any token is asked for
    if (welcome && wantsPage(request)) return welcome();
    const principal = authorization ? await authorization.bearer.authenticate(request) : undefined;
    if (principal instanceof Refusal) throw principal;
    // the limits count JSON-RPC requests, known once the body is read: the endpoint asks before running any
    const admit = limits?.mcpAdmission(principal?.grantId, currentClientAddress);
    return withCors(request, await endpoint.handle(request, principal, admit), guard);
  };
}

export function createApp(options: AppOptions) {
  // the OAuth routes get the guard only (their per-address limit is applied in http/front)
  const { authorization, log: _log, limits: _limits, welcome, ...guard } = options;
  const mcp = mcpHandler(options);
  const app = new Elysia({ name: 'portico/http', strictPath: true })
    // the framework's own refusals (no such method on a route) stay its; anything a handler throws goes on to
    // http/front, which knows the route's dialect and renders it (http/answers) — left here, the framework would
    // answer with the error's message, and with the status of any error that has a `status` field
    .onError({ as: 'global' }, ({ error }) => {
      if (!isFrameworkError(error)) throw error;
    })
    .get('/healthz', () => ({ status: 'ok' }))
    .get('/', ({ request }) => {
      const refused = refuseRequest(request, guard);
      if (refused) throw refused;
      return welcome ? welcome() : new Response('Portico: an MCP gateway. MCP clients connect to /mcp.\n', { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    })
    // /mcp reads the body itself, within its size cap; a parsed body would leave it an empty stream
    .options('/mcp', ({ request }) => mcp(request))
    .all('/mcp', ({ request }) => mcp(request), { parse: 'none' });
  return authorization ? app.use(oauthRoutes(authorization.context, guard)) : app;
}

/** An error the framework raised itself (not found, unreadable or invalid input, an explicit status), not a handler's. */
function isFrameworkError(error: unknown): boolean {
  return error instanceof NotFoundError || error instanceof ParseError || error instanceof ValidationError || error instanceof ElysiaCustomStatusResponse;
}
