/**
 * @module http/ops-routes
 * The operator's routes: `/healthz` (the process answers), `/readyz` (it should get traffic: the store
 * answers, a catalog is loaded, it is not shutting down) and `/metrics` (Prometheus text).
 *
 * Who may read `/metrics`: with `PORTICO_METRICS_TOKEN` set, whoever sends `Authorization: Bearer <it>`,
 * from any address (loopback too: a reverse proxy on this host would otherwise expose it to everyone);
 * without it, only clients at a loopback address (a scraper or an agent on the same host) — the client's
 * address as `http/front` decided it, so a listed proxy on this host does not make every client loopback.
 */
import { timingSafeEqual } from 'node:crypto';
import type { GatewayMetrics } from '../ops/gateway-metrics';
import { PROMETHEUS_CONTENT_TYPE } from '../ops/metrics';
import { isLoopback } from '../ops/rate-limit';
import type { Readiness } from '../ops/readiness';
import { Refusal } from '../wire/refusal';
import type { Client } from './front';

const NO_STORE = { 'cache-control': 'no-store' };

export function healthz(): Response {
  return Response.json({ status: 'ok' }, { headers: NO_STORE });
}

export function readyz(readiness: Readiness): () => Promise<Response> {
  return () => readiness.response();
}

/** Refusals of `/metrics`, answered by `http/front` like every other (an OAuth-shaped error body). */
const NO_TOKEN = new Refusal(401, 'send Authorization: Bearer <PORTICO_METRICS_TOKEN> to read the metrics', { oauth: 'invalid_token' }, { 'www-authenticate': 'Bearer', ...NO_STORE });
const NOT_LOOPBACK = new Refusal(403, 'the metrics are only served to loopback addresses; set PORTICO_METRICS_TOKEN to read them from elsewhere', { oauth: 'access_denied' }, NO_STORE);

export function metricsRoute(metrics: GatewayMetrics, token: string | undefined): (request: Request, client: Client) => Response {
  const expected = token === undefined ? undefined : Buffer.from(`Bearer ${token}`);
  return (request, client) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
    if (expected) {
      const given = Buffer.from(request.headers.get('authorization') ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw NO_TOKEN;
    } else if (!isLoopback(client.address)) {
      throw NOT_LOOPBACK;
    }
    return new Response(request.method === 'HEAD' ? null : metrics.render(), { headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, ...NO_STORE } });
  };
}
