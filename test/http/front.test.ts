/**
 * `http/front` on its own, over real HTTP: route labels, the refusals while draining, an exception turned
 * into a logged 500 carrying the request id, and headers that cannot be changed.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { front, routeOf, type FrontOptions, type Handler } from '../../src/http/front';
import { createLogger } from '../../src/log';
import { Drain } from '../../src/ops/drain';
import { GatewayMetrics } from '../../src/ops/gateway-metrics';
import { sample } from './gateway';

let servers: ReturnType<typeof Bun.serve>[] = [];
afterEach(() => {
  for (const server of servers) server.stop(true);
  servers = [];
});

function serve(handler: Handler) {
  const logs: string[] = [];
  const metrics = new GatewayMetrics({ sessions: () => 0, tools: () => 0 });
  const drain = new Drain();
  const options: FrontOptions = { log: createLogger('debug', (line) => void logs.push(line)), metrics, drain, guard: { allowedHosts: [], allowedOrigins: [] } };
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: front(options, handler) });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}`, logs, metrics, drain };
}

describe('http/front', () => {
  test('route labels are a fixed list: unknown paths are "other", discovery documents one label', () => {
    expect(routeOf('http://h:1/mcp')).toBe('/mcp');
    expect(routeOf('http://h:1/mcp?x=1')).toBe('/mcp');
    expect(routeOf('http://h/oauth/token')).toBe('/oauth/token');
    expect(routeOf('http://h/.well-known/oauth-protected-resource/mcp')).toBe('/.well-known');
    expect(routeOf('http://h/base/.well-known/openid-configuration')).toBe('/.well-known');
    expect(routeOf('http://h/wp-admin/x.php')).toBe('other');
    expect(routeOf('http://h')).toBe('other');
  });

  test('while draining: /mcp gets a JSON-RPC 503, the OAuth routes an OAuth 503, /healthz is still answered', async () => {
    const { url, drain } = serve(() => new Response('handled'));
    drain.draining = true;
    const mcp = await fetch(`${url}/mcp`, { method: 'POST' });
    expect(mcp.status).toBe(503);
    expect(mcp.headers.get('retry-after')).toBe('5');
    expect(((await mcp.json()) as { error: { message: string } }).error.message).toContain('shutting down');
    const token = await fetch(`${url}/oauth/token`, { method: 'POST' });
    expect(token.status).toBe(503);
    expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('handled');
  });

  test('an exception is a 500 without details, logged with the request id it echoes', async () => {
    const { url, logs, metrics } = serve(() => {
      throw new Error('database exploded at row 42');
    });
    const answer = await fetch(`${url}/oauth/register`, { method: 'POST', headers: { 'x-request-id': 'boom-1' } });
    expect(answer.status).toBe(500);
    expect(answer.headers.get('x-request-id')).toBe('boom-1');
    expect(await answer.text()).not.toContain('exploded');
    const failed = logs.map((line) => JSON.parse(line)).find((line) => line.event === 'http.failed');
    expect(failed).toMatchObject({ requestId: 'boom-1', route: '/oauth/register', error: 'database exploded at row 42' });
    expect(sample(metrics.render(), 'portico_http_requests_total', 'route="/oauth/register",status="500"')).toBe(1);
  });

  test('a response whose headers cannot be changed still gets its request id', async () => {
    const upstream = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('from elsewhere') });
    servers.push(upstream);
    const { url } = serve(() => fetch(`http://127.0.0.1:${upstream.port}/`));
    const answer = await fetch(`${url}/account`, { headers: { 'x-request-id': 'passed-through' } });
    expect(await answer.text()).toBe('from elsewhere');
    expect(answer.headers.get('x-request-id')).toBe('passed-through');
  });
});
