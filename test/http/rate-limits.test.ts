/**
 * Rate limits over real HTTP: per token (its grant) on /mcp, per client address on /mcp and the OAuth POSTs;
 * 429 with Retry-After and an error body the client understands, then allowed again once the bucket refills.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { ALICE, BOB } from '../fixtures/signed-in-gateway';
import { connect, MCP_HEADERS, mcpRequest, refreshGrant } from '../fixtures/oauth-http';
import { fetchFrom } from '../fixtures/from-address';
import { removeTempDirs } from '../fixtures/temp';
import { addressKey, isLoopback, RateLimiter } from '../../src/ops/rate-limit';
import { RequestLimits } from '../../src/http/limits';
import { sample, startOpsGateway } from './gateway';

afterAll(removeTempDirs);

const tokenForm = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code' } as const; // no client: 401 invalid_client

describe('per token on /mcp', () => {
  test('60 a minute: a burst of 60 passes, the 61st gets 429 and Retry-After, a second later one more passes; other tokens are not affected', async () => {
    const gw = await startOpsGateway({ PORTICO_MCP_MODE: 'stateless', PORTICO_RATE_LIMIT_MCP: '60' });
    try {
      const publicUrl = new URL(gw.gateway.mcpUrl).origin;
      const alice = await connect(gw.origin, publicUrl, ALICE);
      const bob = await connect(gw.origin, publicUrl, BOB);
      const statuses = [];
      for (let i = 0; i < 60; i++) statuses.push((await mcpRequest(gw.mcpUrl, alice.tokens.access_token, 'tools/list')).status);
      expect(statuses.every((status) => status === 200)).toBe(true);

      const limited = await mcpRequest(gw.mcpUrl, alice.tokens.access_token, 'tools/list');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(limited.json).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Too many requests from this connection (its access token); retry after 1 s' }, id: null });

      // the limit is the grant's: a refreshed token does not start a new bucket
      const refreshed = await refreshGrant(gw.origin, alice.clientId, alice.tokens.refresh_token);
      expect(refreshed.status).toBe(200);
      expect((await mcpRequest(gw.mcpUrl, refreshed.json.access_token, 'tools/list')).status).toBe(429);
      // another user's connection has its own
      expect((await mcpRequest(gw.mcpUrl, bob.tokens.access_token, 'tools/list')).status).toBe(200);

      await Bun.sleep(1100);
      expect((await mcpRequest(gw.mcpUrl, refreshed.json.access_token, 'tools/list')).status).toBe(200);

      const metrics = await (await fetch(`${gw.origin}/metrics`)).text();
      expect(sample(metrics, 'portico_rate_limited_total', 'limit="token"')).toBe(2);
      expect(sample(metrics, 'portico_http_requests_total', 'route="/mcp",status="429"')).toBe(2);
    } finally {
      await gw.stop();
    }
  });

  test('0 turns it off', async () => {
    const gw = await startOpsGateway({ PORTICO_MCP_MODE: 'stateless', PORTICO_RATE_LIMIT_MCP: '0' });
    try {
      const { tokens } = await connect(gw.origin, new URL(gw.gateway.mcpUrl).origin, ALICE);
      const answers = await Promise.all(Array.from({ length: 150 }, () => mcpRequest(gw.mcpUrl, tokens.access_token, 'tools/list')));
      expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    } finally {
      await gw.stop();
    }
  });
});

/** The per-token limit counts the work asked for: each JSON-RPC request of a batch, not each POST. */
describe('per token on /mcp, counting JSON-RPC requests', () => {
  const calls = (count: number) => Array.from({ length: count }, (_, id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_current_user', arguments: {} } }));

  test('10 a minute: a batch of 20 calls gets 429 and not one reaches the API; a batch takes its size from the budget, all or nothing', async () => {
    const gw = await startOpsGateway({ PORTICO_MCP_MODE: 'stateless', PORTICO_RATE_LIMIT_MCP: '10' });
    try {
      const { tokens } = await connect(gw.origin, new URL(gw.gateway.mcpUrl).origin, ALICE);
      // no Mcp-Protocol-Version: 2025-03-26 is assumed, the version with batches
      const post = (body: unknown) => fetch(gw.mcpUrl, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${tokens.access_token}` }, body: JSON.stringify(body) });

      const flood = await post(calls(20));
      expect(flood.status).toBe(429);
      expect(await flood.json()).toEqual({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'This request holds 20 JSON-RPC requests, more than this connection (its access token) may send in a minute (10); send them in smaller batches' },
        id: null,
      });
      expect(gw.upstreamCalls).toEqual([]);

      const eight = await post(calls(8));
      expect(eight.status).toBe(200);
      expect(((await eight.json()) as unknown[]).length).toBe(8);
      expect(gw.upstreamCalls).toHaveLength(8);
      // two left: three do not fit, and take nothing
      const three = await post(calls(3));
      expect(three.status).toBe(429);
      expect(Number(three.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await three.json()) as { error: { message: string } }).error.message).toMatch(/^Too many requests from this connection \(its access token\); retry after \d+ s$/);
      expect(gw.upstreamCalls).toHaveLength(8);
      for (let i = 0; i < 2; i++) expect((await mcpRequest(gw.mcpUrl, tokens.access_token, 'tools/call', { name: 'get_current_user', arguments: {} })).status).toBe(200);
      expect((await mcpRequest(gw.mcpUrl, tokens.access_token, 'tools/call', { name: 'get_current_user', arguments: {} })).status).toBe(429);
      expect(gw.upstreamCalls).toHaveLength(10);

      const metrics = await (await fetch(`${gw.origin}/metrics`)).text();
      expect(sample(metrics, 'portico_rate_limited_total', 'limit="token"')).toBe(3);
    } finally {
      await gw.stop();
    }
  });

  test('in a session too; a POST of notifications costs one, DELETE and GET one', async () => {
    const gw = await startOpsGateway({ PORTICO_RATE_LIMIT_MCP: '6' });
    try {
      const { tokens } = await connect(gw.origin, new URL(gw.gateway.mcpUrl).origin, ALICE);
      const auth = { ...MCP_HEADERS, authorization: `Bearer ${tokens.access_token}` };
      const initialize = { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'batcher', version: '1' } } };
      const init = await fetch(gw.mcpUrl, { method: 'POST', headers: auth, body: JSON.stringify(initialize) });
      await init.text();
      const session = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-03-26' };
      const post = async (body: unknown) => {
        const response = await fetch(gw.mcpUrl, { method: 'POST', headers: session, body: JSON.stringify(body) });
        await response.text();
        return response.status;
      };
      expect(await post([{ jsonrpc: '2.0', method: 'notifications/initialized' }])).toBe(202);
      // 6 - initialize - the notification = 4 left
      expect(await post(calls(5))).toBe(429);
      expect(gw.upstreamCalls).toEqual([]);
      expect(await post(calls(3))).toBe(200);
      expect(gw.upstreamCalls).toHaveLength(3);
      // one left: DELETE takes it, then even a GET does not fit
      const ended = await fetch(gw.mcpUrl, { method: 'DELETE', headers: session });
      expect(ended.status).toBe(200);
      const get = await fetch(gw.mcpUrl, { headers: { ...session, accept: 'text/event-stream' } });
      expect(get.status).toBe(429);
      await get.text();
    } finally {
      await gw.stop();
    }
  });
});

describe('per client address', () => {
  test('/oauth/token and /mcp share the address budget: 429 with an OAuth error, resp. a JSON-RPC error; /healthz is never limited; allowed again after Retry-After', async () => {
    const gw = await startOpsGateway({ PORTICO_RATE_LIMIT_IP: '30', PORTICO_RATE_LIMIT_LOOPBACK: 'true' });
    try {
      for (let i = 0; i < 30; i++) expect((await fetch(`${gw.origin}/oauth/token`, tokenForm)).status).toBe(401);
      const limited = await fetch(`${gw.origin}/oauth/token`, tokenForm);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('2');
      expect(limited.headers.get('cache-control')).toBe('no-store');
      expect(await limited.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'Too many requests from this address; retry after 2 s' });

      const mcp = await mcpRequest(gw.mcpUrl, undefined, 'tools/list');
      expect(mcp.status).toBe(429);
      expect(mcp.json.error.message).toBe('Too many requests from this address; retry after 2 s');
      for (const path of ['/oauth/register', '/oauth/revoke']) expect((await fetch(`${gw.origin}${path}`, { method: 'POST' })).status).toBe(429);
      // not limited: health, metrics, pages, discovery
      for (const path of ['/healthz', '/readyz', '/metrics', '/.well-known/oauth-protected-resource/mcp']) expect((await fetch(`${gw.origin}${path}`)).status).toBe(200);

      // another address is not held back by this one's
      expect((await fetchFrom('127.0.0.3', `${gw.origin}/oauth/token`, { method: 'POST', headers: tokenForm.headers, body: tokenForm.body })).status).toBe(401);

      await Bun.sleep(2100);
      expect((await fetch(`${gw.origin}/oauth/token`, tokenForm)).status).toBe(401);
      const metrics = await (await fetch(`${gw.origin}/metrics`)).text();
      expect(sample(metrics, 'portico_rate_limited_total', 'limit="address"')).toBe(4);
      expect(sample(metrics, 'portico_http_requests_total', 'route="/oauth/token",status="429"')).toBe(1);
    } finally {
      await gw.stop();
    }
  });

  test('on /mcp it counts JSON-RPC requests too: without sign-in (no per-token limit) a batch of 20 against 10 a minute gets 429, nothing reaches the API', async () => {
    const gw = await startOpsGateway({ PORTICO_MCP_MODE: 'stateless', PORTICO_RATE_LIMIT_IP: '10', PORTICO_RATE_LIMIT_LOOPBACK: 'true' }, { as: ALICE });
    try {
      const calls = (count: number) => Array.from({ length: count }, (_, id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_current_user', arguments: {} } }));
      const postFrom = (from: string, body: unknown) => fetchFrom(from, gw.mcpUrl, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(body) });
      const post = (body: unknown) => postFrom('127.0.0.2', body);
      const flood = await post(calls(20));
      expect(flood.status).toBe(429);
      expect(((await flood.json()) as { error: { message: string } }).error.message).toBe(
        'This request holds 20 JSON-RPC requests, more than this address may send in a minute (10); send them in smaller batches',
      );
      expect(gw.upstreamCalls).toEqual([]);
      // the flood cost its one HTTP request: 9 left, a batch of 8 fits
      const eight = await post(calls(8));
      expect(eight.status).toBe(200);
      await eight.text();
      expect(gw.upstreamCalls).toHaveLength(8);
      expect((await post(calls(2))).status).toBe(429);
      expect(gw.upstreamCalls).toHaveLength(8);
      // other addresses have budgets of their own, also when they send at the same moment
      const others = await Promise.all(['127.0.0.3', '127.0.0.4'].map((from) => postFrom(from, calls(8))));
      expect(others.map((answer) => answer.status)).toEqual([200, 200]);
      expect(gw.upstreamCalls).toHaveLength(24);
    } finally {
      await gw.stop();
    }
  });

  test('loopback addresses are not counted by default (a reverse proxy on this host would put every user in one bucket)', async () => {
    const gw = await startOpsGateway({ PORTICO_RATE_LIMIT_IP: '5' });
    try {
      for (let i = 0; i < 20; i++) expect((await fetch(`${gw.origin}/oauth/token`, tokenForm)).status).toBe(401);
    } finally {
      await gw.stop();
    }
  });

  test('listening on a loopback address only, the per-address limit is off unless loopback addresses count', () => {
    const limitsAddresses = (listenHost: string | undefined, loopback = false, perAddress = 1200) => {
      const limits = new RequestLimits({ perToken: 0, perAddress, loopback, listenHost });
      limits.stop();
      return limits.limitsAddresses;
    };
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', 'LOCALHOST', '::1', '[::1]']) expect(limitsAddresses(host)).toBe(false);
    expect(limitsAddresses('127.0.0.1', true)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'gateway.internal', undefined]) expect(limitsAddresses(host)).toBe(true);
    expect(limitsAddresses('0.0.0.0', false, 0)).toBe(false);
  });

  test('the defaults never bother a normal client: a whole sign-in and a burst of calls', async () => {
    const gw = await startOpsGateway({ PORTICO_MCP_MODE: 'stateless', PORTICO_RATE_LIMIT_LOOPBACK: 'true' });
    try {
      const { tokens } = await connect(gw.origin, new URL(gw.gateway.mcpUrl).origin, ALICE);
      const answers = await Promise.all(Array.from({ length: 300 }, () => mcpRequest(gw.mcpUrl, tokens.access_token, 'tools/list')));
      expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    } finally {
      await gw.stop();
    }
  });
});

describe('the token buckets (ops/rate-limit)', () => {
  test('bursts up to the limit, refills at limit/60 per second, says how long to wait; full buckets are forgotten', () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 6, now: () => now });
    try {
      for (let i = 0; i < 6; i++) expect(limiter.take('k')).toBe(0);
      expect(limiter.take('k')).toBe(10);
      now += 5_000;
      expect(limiter.take('k')).toBe(5);
      now += 5_000;
      expect(limiter.take('k')).toBe(0);
      expect(limiter.take('other')).toBe(0);
      now += 60_000;
      limiter.sweep();
      expect(limiter.size).toBe(0);
    } finally {
      limiter.stop();
    }
  });

  test('takes several at once, all or none; more than the bucket holds never fits', () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 6, now: () => now });
    try {
      expect(limiter.take('k', 4)).toBe(0);
      expect(limiter.take('k', 3)).toBe(10);
      expect(limiter.take('k', 2)).toBe(0);
      expect(limiter.take('k')).toBe(10);
      expect(limiter.take('k', 7)).toBe(Infinity);
      now += 60_000;
      expect(limiter.take('k', 6)).toBe(0);
    } finally {
      limiter.stop();
    }
  });

  test('never more than maxKeys buckets', () => {
    const limiter = new RateLimiter({ perMinute: 10, maxKeys: 100 });
    try {
      for (let i = 0; i < 1000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
      expect(limiter.size).toBeLessThanOrEqual(100);
    } finally {
      limiter.stop();
    }
  });

  test('addresses: IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64; loopback recognised in every form', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(address)).toBe(true);
    for (const address of ['10.0.0.1', '::2', '2001:db8::1', '::ffff:10.0.0.1']) expect(isLoopback(address)).toBe(false);
  });
});
