/**
 * @module http/app
 * The gateway's HTTP surface: `/mcp` behind the host/origin guard and CORS, and the liveness check.
 */
import { Elysia } from 'elysia';
import type { McpEndpoint } from '../mcp/endpoint';
import { preflight, refuseRequest, withCors, type GuardOptions } from './guard';

export interface AppOptions extends GuardOptions {
  readonly endpoint: McpEndpoint;
}

export function createApp({ endpoint, ...guard }: AppOptions) {
  return new Elysia({ name: 'portico/http' })
    .get('/healthz', () => ({ status: 'ok' }))
    .options('/mcp', function mcpPreflight({ request }) {
      return preflight(request, guard);
    })
    .all(
      '/mcp',
      async function mcp({ request }) {
        const refusal = refuseRequest(request, guard);
        if (refusal) return withCors(request, refusal, guard);
        return withCors(request, await endpoint.handle(request), guard);
      },
      // the SDK reads the body itself; a parsed body would leave it an empty stream
      { parse: 'none' },
    );
}
