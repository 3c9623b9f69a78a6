/**
 * @module http/app
 * The gateway's HTTP surface: `/mcp` behind the host/origin guard, CORS and (with sign-in) the bearer
 * check; the authorization server's routes; and the liveness check.
 */
import { Elysia } from 'elysia';
import type { McpEndpoint } from '../mcp/endpoint';
import { oauthRoutes, type Authorization } from '../oauth';
import { preflight, refuseRequest, withCors, type GuardOptions } from './guard';

export interface AppOptions extends GuardOptions {
  readonly endpoint: McpEndpoint;
  /** Sign-in through Portico; without it `/mcp` is open (PORTICO_AUTH=none). */
  readonly authorization?: Authorization;
}

export function createApp({ endpoint, authorization, ...guard }: AppOptions) {
  const app = new Elysia({ name: 'portico/http' })
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
