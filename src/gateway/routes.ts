/**
 * @module gateway/routes
 * What the listener serves: every route behind `http/front` (the client's address, the request id, the Host
 * allow-list, the per-address limit, shutdown), `/mcp` and the operator's routes straight from Bun's router
 * (the hot path skips the framework), everything else through the HTTP app. The Host names accepted are the
 * public URL's and the listener's own, known only once it listens.
 */
import type { Toolbox } from '../calls/toolbox';
import type { ServeConfig } from '../config/serve';
import { createApp, mcpHandler } from '../http/app';
import type { ClientAddresses } from '../http/client-address';
import { front, type Arrival, type FrontOptions } from '../http/front';
import type { RequestLimits } from '../http/limits';
import { healthz, metricsRoute, readyz } from '../http/ops-routes';
import { welcomeResponse } from '../http/welcome';
import type { Logger } from '../log';
import type { McpEndpoint } from '../mcp/endpoint';
import type { Authorization } from '../oauth';
import type { Drain } from '../ops/drain';
import type { GatewayMetrics } from '../ops/gateway-metrics';
import { NotReady, Readiness, type ReadinessCheck } from '../ops/readiness';
import type { Tracing } from '../ops/tracing';
import { StoreUnavailableError, type Store } from '../store';
import { tracedHandler } from './tracing';

export interface RouteParts {
  readonly config: Pick<ServeConfig, 'allowedHosts' | 'allowedOrigins' | 'metricsToken' | 'brandName' | 'brandLogoUrl'>;
  readonly publicUrl: URL;
  readonly endpoint: McpEndpoint;
  readonly authorization: Authorization | undefined;
  readonly store: Store | undefined;
  readonly tools: Toolbox;
  readonly drain: Drain;
  readonly limits: RequestLimits;
  readonly addresses: ClientAddresses;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  /** Server spans for /mcp and the OAuth and account routes (not health, readiness or metrics). */
  readonly tracing: Tracing;
}

/**
 * Points `server` (listening, answering 503 until now) at the gateway's routes. Answers the same routes in
 * process too (`handle`: a request without a socket, its client address unknown), for tests and embedders.
 */
export function serveRoutes(server: ReturnType<typeof Bun.serve>, parts: RouteParts): (request: Request) => Promise<Response> {
  const { config, publicUrl, endpoint, authorization, store, tools, drain, limits, addresses, metrics, log, tracing } = parts;
  const allowedHosts = [...new Set([publicUrl.host, `localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`, ...config.allowedHosts])].map((h) => h.toLowerCase());
  const guard = { allowedHosts, allowedOrigins: config.allowedOrigins };
  const welcome = () => welcomeResponse({ brand: { name: config.brandName, ...(config.brandLogoUrl && { logoUrl: config.brandLogoUrl }) }, mcpUrl: new URL('/mcp', publicUrl).href, signIn: authorization !== undefined, tools: () => tools.size });
  const http = { endpoint, authorization, log, limits, welcome, ...guard };
  const app = createApp(http);
  const readiness = new Readiness(readinessChecks(store, tools, drain), log);
  const options: FrontOptions = { log, metrics, drain, limits, guard, addresses };
  const routes: Record<string, Arrival> = {
    '/mcp': front(options, tracedHandler(tracing, mcpHandler(http), '/mcp'), '/mcp'),
    '/healthz': front(options, healthz, '/healthz'),
    '/readyz': front(options, readyz(readiness), '/readyz'),
    '/metrics': front(options, metricsRoute(metrics, config.metricsToken), '/metrics'),
  };
  const rest = front(options, tracedHandler(tracing, (request) => app.handle(request)));
  server.reload({ routes, fetch: rest });
  return (request) => {
    const url = new URL(request.url);
    // over a socket every request carries a Host (a client's fetch sets it from the URL): the same here
    if (!request.headers.has('host')) request.headers.set('host', url.host);
    return (Object.hasOwn(routes, url.pathname) ? routes[url.pathname]! : rest)(request);
  };
}

/** Ready: the store answers (with sign-in), a catalog is being served, and the gateway is not shutting down. */
function readinessChecks(store: Store | undefined, tools: Toolbox, drain: Drain): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [];
  if (store) {
    checks.push({
      name: 'store',
      async check() {
        try {
          await store.ping();
        } catch (error) {
          throw new NotReady(error instanceof StoreUnavailableError ? 'unreachable' : 'failed', { cause: error });
        }
      },
    });
  }
  checks.push(
    {
      name: 'catalog',
      check() {
        if (!tools.loaded) throw new NotReady('not loaded');
      },
    },
    {
      name: 'shutdown',
      check() {
        if (drain.draining) throw new NotReady('shutting down');
      },
    },
  );
  return checks;
}
