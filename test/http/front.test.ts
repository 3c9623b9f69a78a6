/**
 * `http/front` on its own, over real HTTP: route labels (a path is a route or a 404, whatever its spelling),
 * the Host allow-list on every route, who sent a request (from distinct source addresses, and through listed
 * proxies only), the refusals while draining, an exception turned into a logged 500 carrying the request id,
 * and headers that cannot be changed.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { ClientAddresses } from '../../src/http/client-address';
import { front, routeOf, type FrontOptions, type Handler } from '../../src/http/front';
import { currentClientAddress } from '../../src/log/request-context';
import { fetchFrom } from '../fixtures/from-address';
import { createLogger } from '../../src/log';
import { Drain } from '../../src/ops/drain';
import { GatewayMetrics } from '../../src/ops/gateway-metrics';
import { sample } from './gateway';

let servers: ReturnType<typeof Bun.serve>[] = [];
afterEach(() => {
  for (const server of servers) server.stop(true);
  servers = [];
});

function serve(handler: Handler, trustedProxies: string[] = []) {
  const logs: string[] = [];
  const metrics = new GatewayMetrics({ sessions: () => 0, tools: () => 0 });
  const drain = new Drain();
  const allowedHosts: string[] = [];
  const options: FrontOptions = { log: createLogger('debug', (line) => void logs.push(line)), metrics, drain, guard: { allowedHosts, allowedOrigins: [] }, addresses: new ClientAddresses(trustedProxies) };
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: front(options, handler) });
  allowedHosts.push(`127.0.0.1:${server.port}`);
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

  test('a path is a route with all its protections or a 404: other spellings never reach a handler', async () => {
    let reached = 0;
    const { url, metrics } = serve(() => {
      reached++;
      return new Response('handled');
    });
    // sent as written (fetch would tidy some of these paths before sending)
    for (const path of ['/mcp/', '/oauth/token/', '/oauth//token', '//mcp', '/MCP', '/%6Dcp', '/mcp;x', '/oauth/token%2F', '/account/', '/wp-admin/x.php', '//']) {
      const answer = await fetchFrom('127.0.0.1', `${url}${path}`, { method: 'POST' });
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
    }
    expect(reached).toBe(0);
    // dot segments are resolved by the server before anything else sees the path: the route itself, as labelled
    for (const path of ['/oauth/token', '/oauth/./token', '/x/../oauth/token']) {
      expect(await (await fetchFrom('127.0.0.1', `${url}${path}`, { method: 'POST' })).text()).toBe('handled');
    }
    expect(reached).toBe(3);
    expect(sample(metrics.render(), 'portico_http_requests_total', 'route="/oauth/token",status="200"')).toBe(3);
    expect(sample(metrics.render(), 'portico_http_requests_total', 'route="other",status="404"')).toBe(11);
  });

  test('the Host allow-list holds on every route, not only /mcp (DNS rebinding)', async () => {
    const { url } = serve(() => new Response('handled'));
    for (const path of ['/', '/mcp', '/metrics', '/healthz', '/oauth/token', '/oauth/authorize', '/account', '/.well-known/oauth-authorization-server']) {
      const rebound = await fetch(`${url}${path}`, { headers: { host: 'attacker.example:80' } });
      expect({ path, status: rebound.status }).toEqual({ path, status: 403 });
      expect(await rebound.text()).toContain('PORTICO_ALLOWED_HOSTS');
      expect(await (await fetch(`${url}${path}`)).text()).toBe('handled');
    }
  });

  test('each client is its own address, taken from the socket where the request arrived; forwarding headers are ignored by default', async () => {
    const { url, logs } = serve((_request, client) => Response.json({ given: client.address, context: currentClientAddress() }));
    const seen = await Promise.all(
      ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map(async (from) => (await (await fetchFrom(from, `${url}/account`, { headers: { 'x-forwarded-for': '203.0.113.9', forwarded: 'for=198.51.100.1' } })).json()) as { given: string; context: string }),
    );
    expect(seen).toEqual([
      { given: '127.0.0.2', context: '127.0.0.2' },
      { given: '127.0.0.3', context: '127.0.0.3' },
      { given: '127.0.0.4', context: '127.0.0.4' },
    ]);
    // said once, with what to set
    const warnings = logs.map((line) => JSON.parse(line)).filter((line) => line.event === 'http.forwarded_ignored');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].advice).toContain('PORTICO_TRUSTED_PROXIES');
  });

  test('behind listed proxies: the first address from the right that is not a listed proxy; a client cannot choose its own', async () => {
    const { url } = serve((_request, client) => new Response(client.address), ['127.0.0.2', '10.0.0.0/8']);
    const from = (address: string, headers: Record<string, string>) => fetchFrom(address, `${url}/account`, { headers }).then((answer) => answer.text());
    // through the listed proxy 127.0.0.2 (and an inner one, 10.1.2.3): the client is what they recorded
    expect(await from('127.0.0.2', { 'x-forwarded-for': '203.0.113.7' })).toBe('203.0.113.7');
    expect(await from('127.0.0.2', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.1.2.3' })).toBe('203.0.113.7');
    expect(await from('127.0.0.2', { forwarded: 'for=6.6.6.6, for="[2001:db8::17]:4711";proto=https, for=10.1.2.3' })).toBe('2001:db8::17');
    // the client's own junk left of what the proxy appended does not count
    expect(await from('127.0.0.2', { 'x-forwarded-for': 'not-an-address, 203.0.113.8' })).toBe('203.0.113.8');
    // a listed proxy that forwarded nothing is the client itself
    expect(await from('127.0.0.2', {})).toBe('127.0.0.2');
    // not a listed proxy: the headers are the sender's claim and are ignored
    expect(await from('127.0.0.3', { 'x-forwarded-for': '203.0.113.7' })).toBe('127.0.0.3');
    expect(await from('127.0.0.3', { forwarded: 'for=127.0.0.1' })).toBe('127.0.0.3');
  });

  test('a malformed trusted-proxy entry is refused with the setting named', () => {
    expect(() => new ClientAddresses(['10.0.0.0/33'])).toThrow('PORTICO_TRUSTED_PROXIES: "10.0.0.0/33" is not an IP address or CIDR block');
    expect(() => new ClientAddresses(['proxy.internal'])).toThrow('PORTICO_TRUSTED_PROXIES');
  });
});
