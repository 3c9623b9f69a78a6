/**
 * @module http/app
 * The gateway's HTTP surface: `/mcp` behind the host/origin guard, CORS and (with sign-in) the bearer
 * check; the authorization server's routes; and the liveness check.
 */
import { Elysia } from 'elysia';
import type { McpEndpoint } from '../mcp/endpoint';
import { oauthRoutes, type Authorization } from '../oauth';
import { silentLogger, type Logger } from '../log';
import { StoreUnavailableError } from '../store';
import { preflight, refuseRequest, withCors, type GuardOptions } from './guard';

export interface AppOptions extends GuardOptions {
  readonly endpoint: McpEndpoint;
  /** Sign-in through Portico; without it `/mcp` is open (PORTICO_AUTH=none). */
  readonly authorization?: Authorization;
  readonly log?: Logger;
}

export function createApp({ endpoint, authorization, log = silentLogger, ...guard }: AppOptions) {
  const app = new Elysia({ name: 'portico/http' })
    .onError({ as: 'global' }, function storeDown({ error, request }) {
      if (!(error instanceof StoreUnavailableError)) return;
      // the database is down: a clear, retryable answer instead of a 500, and nothing half-done
      log.error('store.unavailable', { path: new URL(request.url).pathname, reason: error.message });
      const headers = { 'retry-after': '5', 'cache-control': 'no-store' };
      if (new URL(request.url).pathname === '/mcp') {
        return Response.json({ jsonrpc: '2.0', error: { code: -32000, message: 'Portico cannot reach its database right now; try again shortly' }, id: null }, { status: 503, headers });
      }
      return Response.json({ error: 'temporarily_unavailable', error_description: 'Portico cannot reach its database right now; try again shortly' }, { status: 503, headers });
    })
    .get('/healthz', () => ({ status: 'ok' }))
    .options('/mcp', function mcpPreflight({ request }) {
      return preflight(request, guard);
    })
    .all(
      '/mcp',
      async function mcp({ request }) {
        const refusal = refuseRequest(request, guard);
        if (refusal) return withCors(request, refusal, guard);
        const principal = authorization ? await authorization.bearer.authenticate(request) : undefined;
        if (principal instanceof Response) return withCors(request, principal, guard);
        return withCors(request, await endpoint.handle(request, principal), guard);
      },
      // the SDK reads the body itself; a parsed body would leave it an empty stream
      { parse: 'none' },
    );
  return authorization ? app.use(oauthRoutes(authorization.context, guard)) : app;
}
