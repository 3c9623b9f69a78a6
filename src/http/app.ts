/**
 * @module http/app
 * The gateway's HTTP surface: `/mcp` behind the host/origin guard, CORS, (with sign-in) the bearer check
 * and the per-token rate limit; the authorization server's routes; and the liveness check. The gateway
 * puts all of it behind `http/front` and serves `/readyz` and `/metrics` beside it (`http/ops-routes`).
 */
import { Elysia } from 'elysia';
import type { McpEndpoint } from '../mcp/endpoint';
import { oauthRoutes, type Authorization } from '../oauth';
import { silentLogger, type Logger } from '../log';
import { currentClientAddress } from '../log/request-context';
import { StoreUnavailableError } from '../store';
import { preflight, refuseRequest, withCors, type GuardOptions } from './guard';
import type { RequestLimits } from './limits';

export interface AppOptions extends GuardOptions {
  readonly endpoint: McpEndpoint;
  /** Sign-in through Portico; without it `/mcp` is open (PORTICO_AUTH=none). */
  readonly authorization?: Authorization;
  readonly log?: Logger;
  /** Rate limits; the per-token one is applied here, once the token is known (the per-address one in `http/front`). */
  readonly limits?: RequestLimits;
}

/**
 * The `/mcp` handler on its own: the gateway hands it to Bun's router directly (the hot path skips the
 * framework), and the Elysia app mounts the same function for everything else that calls `app.handle`.
 */
export function mcpHandler({ endpoint, authorization, log = silentLogger, limits, ...guard }: AppOptions): (request: Request) => Promise<Response> {
  return async function mcp(request) {
    if (request.method === 'OPTIONS') return preflight(request, guard);
    try {
      const refusal = refuseRequest(request, guard);
      if (refusal) return withCors(request, refusal, guard);
      const principal = authorization ? await authorization.bearer.authenticate(request) : undefined;
      if (principal instanceof Response) return withCors(request, principal, guard);
      // the limits count JSON-RPC requests, known once the body is read: the endpoint asks before running any
      const admit = limits?.mcpAdmission(principal?.grantId, currentClientAddress);
      return withCors(request, await endpoint.handle(request, principal, admit), guard);
    } catch (error) {
      const answer = storeDown(error, request, log);
      if (answer) return withCors(request, answer, guard);
      throw error;
    }
  };
}

/** A database that cannot be reached: a clear, retryable answer instead of a 500, and nothing half-done. */
function storeDown(error: unknown, request: Request, log: Logger): Response | undefined {
  if (!(error instanceof StoreUnavailableError)) return undefined;
  const path = new URL(request.url).pathname;
  log.error('store.unavailable', { path, reason: error.message });
  const headers = { 'retry-after': '5', 'cache-control': 'no-store' };
  const message = 'Portico cannot reach its database right now; try again shortly';
  if (path === '/mcp') return Response.json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }, { status: 503, headers });
  return Response.json({ error: 'temporarily_unavailable', error_description: message }, { status: 503, headers });
}

export function createApp(options: AppOptions) {
  // the OAuth routes get the guard only (their per-address limit is applied in http/front)
  const { authorization, log = silentLogger, limits: _limits, ...guard } = options;
  const mcp = mcpHandler(options);
  const app = new Elysia({ name: 'portico/http', strictPath: true })
    .onError({ as: 'global' }, ({ error, request }) => storeDown(error, request, log))
    .get('/healthz', () => ({ status: 'ok' }))
    // the SDK reads the body itself; a parsed body would leave it an empty stream
    .options('/mcp', ({ request }) => mcp(request))
    .all('/mcp', ({ request }) => mcp(request), { parse: 'none' });
  return authorization ? app.use(oauthRoutes(authorization.context, guard)) : app;
}
