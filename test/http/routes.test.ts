/**
 * The gateway's routes as an outsider meets them, over real HTTP: a path is one of Portico's routes, with all
 * of that route's protections, or a 404; the Host allow-list holds on every route; and behind a listed proxy
 * the client's own address (not the proxy's, not one the client wrote) is what the limits and `/metrics` see.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { startTestGateway } from '../fixtures/gateway';
import { fetchFrom } from '../fixtures/from-address';
import { removeTempDirs } from '../fixtures/temp';
import { sample, startOpsGateway } from './gateway';

afterAll(removeTempDirs);

describe('one place decides routes', () => {
  test('other spellings of /mcp and the OAuth endpoints are 404s, never their handlers without their limits', async () => {
    // a per-address limit of 2 a minute, counted on loopback too: any spelling that reached a handler would be counted
    const gw = await startOpsGateway({ PORTICO_RATE_LIMIT_IP: '2', PORTICO_RATE_LIMIT_LOOPBACK: 'true', PORTICO_HOST: '127.0.0.1' });
    try {
      const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&refresh_token=x&client_id=y' };
      for (const path of ['/oauth/token/', '/oauth//token', '/mcp/', '//mcp', '/oauth/register/', '/Oauth/token', '/oauth/token%2f']) {
        const answer = await fetchFrom('127.0.0.2', `${gw.origin}${path}`, form);
        expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      }
      // the route itself: limited after two requests from that address
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetchFrom('127.0.0.2', `${gw.origin}/oauth/token`, form)).status);
      expect(statuses).toEqual([401, 401, 429]);
      // and another address has its own allowance
      expect((await fetchFrom('127.0.0.3', `${gw.origin}/oauth/token`, form)).status).toBe(401);
      const metrics = await (await fetch(`${gw.origin}/metrics`)).text();
      expect(sample(metrics, 'portico_http_requests_total', 'route="other",status="404"')).toBe(7);
    } finally {
      await gw.stop();
    }
  });

  test('a Host that is not ours is refused on every route (DNS rebinding reaches neither /metrics nor the OAuth endpoints)', async () => {
    const gw = await startOpsGateway();
    try {
      for (const [method, path] of [['GET', '/metrics'], ['GET', '/readyz'], ['POST', '/oauth/token'], ['POST', '/oauth/register'], ['GET', '/oauth/authorize'], ['GET', '/account'], ['GET', '/.well-known/oauth-authorization-server'], ['POST', '/mcp']]) {
        const rebound = await fetchFrom('127.0.0.1', `${gw.origin}${path}`, { method, headers: { host: 'rebound.attacker.example' } });
        expect({ path, status: rebound.status }).toEqual({ path, status: 403 });
        expect(await rebound.text()).toContain('PORTICO_ALLOWED_HOSTS');
      }
      expect((await fetch(`${gw.origin}/metrics`)).status).toBe(200);
    } finally {
      await gw.stop();
    }
  });
});

describe('behind a listed proxy', () => {
  test('the forwarded client is who the limits and /metrics see; an unlisted sender cannot pose as anyone', async () => {
    const gw = await startOpsGateway({ PORTICO_TRUSTED_PROXIES: '127.0.0.2', PORTICO_RATE_LIMIT_IP: '2', PORTICO_RATE_LIMIT_LOOPBACK: 'true' });
    try {
      // a proxy on this host: the client behind it is not loopback, so /metrics is not theirs to read
      const forwarded = await fetchFrom('127.0.0.2', `${gw.origin}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.5' } });
      expect(forwarded.status).toBe(403);
      // an unlisted sender's header is its own claim: it is still the loopback address it connects from
      expect((await fetchFrom('127.0.0.3', `${gw.origin}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.5' } })).status).toBe(200);

      // two clients behind the proxy have an allowance each; rotating the header from an unlisted address does not help
      const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '' }, body: 'grant_type=refresh_token&refresh_token=x&client_id=y' };
      const via = (from: string, client: string) => fetchFrom(from, `${gw.origin}/oauth/token`, { ...form, headers: { ...form.headers, 'x-forwarded-for': client } }).then((answer) => answer.status);
      expect([await via('127.0.0.2', '198.51.100.1'), await via('127.0.0.2', '198.51.100.1'), await via('127.0.0.2', '198.51.100.1')]).toEqual([401, 401, 429]);
      expect(await via('127.0.0.2', '198.51.100.2')).toBe(401);
      expect([await via('127.0.0.4', '198.51.100.7'), await via('127.0.0.4', '198.51.100.8'), await via('127.0.0.4', '198.51.100.9')]).toEqual([401, 401, 429]);
    } finally {
      await gw.stop();
    }
  });

  test('a malformed PORTICO_TRUSTED_PROXIES stops the start with the entry named', async () => {
    // refused before anything is opened or asked: the upstream here does not even exist
    const start = startTestGateway({ PORTICO_UPSTREAM: 'http://127.0.0.1:9/v1', PORTICO_AUTH: 'none', PORTICO_TRUSTED_PROXIES: '10.0.0.0/8,proxy.internal' });
    await expect(start).rejects.toThrow('PORTICO_TRUSTED_PROXIES: "proxy.internal" is not an IP address or CIDR block');
  });
});
