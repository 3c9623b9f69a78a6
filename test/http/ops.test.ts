/**
 * The operator's endpoints over real HTTP: /healthz, /readyz (ready, store closed or unreachable, shutting
 * down), /metrics (who may read it, and what it says after sign-ins, calls and failures), and request ids
 * (echoed, and in every log line of their request).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALICE } from '../fixtures/signed-in-gateway';
import { connect, mcpRequest, openSession, refreshGrant, revokeToken, whoAmI } from '../fixtures/oauth-http';
import { startPostgres, type PostgresFixture } from '../fixtures/postgres';
import { removeTempDirs, tempDir } from '../fixtures/temp';
import { openStore } from '../../src/store';
import { sample, startOpsGateway, type OpsGateway } from './gateway';

afterAll(removeTempDirs);

describe('/healthz and /readyz', () => {
  test('ready while the store answers; 503 naming the store once it is closed; /healthz stays 200', async () => {
    const store = await openStore(join(tempDir(), 'portico.db'));
    const gw = await startOpsGateway({}, { store });
    try {
      expect(await (await fetch(`${gw.origin}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${gw.origin}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.headers.get('cache-control')).toBe('no-store');
      expect(await ready.json()).toEqual({ status: 'ready', checks: { store: { ok: true }, catalog: { ok: true }, shutdown: { ok: true } } });

      await store.close();
      const down = await fetch(`${gw.origin}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({
        status: 'not_ready',
        failed: ['store'],
        checks: { store: { ok: false, reason: 'unreachable' }, catalog: { ok: true }, shutdown: { ok: true } },
      });
      expect((await fetch(`${gw.origin}/healthz`)).status).toBe(200);
      // the reason is logged once, when readiness changes, not on every probe
      await fetch(`${gw.origin}/readyz`);
      expect(gw.events('readiness.not_ready')).toHaveLength(1);
      expect(gw.events('readiness.not_ready')[0]!.failed).toEqual(['store']);
    } finally {
      await gw.stop();
    }
  });

  test('without sign-in there is no store to check: ready with a catalog', async () => {
    const gw = await startOpsGateway({ PORTICO_AUTH: 'none' });
    try {
      const ready = await fetch(`${gw.origin}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { catalog: { ok: true }, shutdown: { ok: true } } });
    } finally {
      await gw.stop();
    }
  });

  test('once stopping: no new connections (the load balancer sees /readyz fail), the call in flight still gets its answer', async () => {
    const gw = await startOpsGateway({ PORTICO_MCP_MODE: 'stateless' }, { as: ALICE });
    // a slow call (300 ms at this demo API) keeps the gateway draining long enough to look at it
    const slow = mcpRequest(gw.mcpUrl, undefined, 'tools/call', { name: 'get_query_stats', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' } });
    await Bun.sleep(100);
    const stopped = gw.gateway.stop({ graceMs: 5000 });
    await expect(fetch(`${gw.origin}/readyz`)).rejects.toThrow(/ECONNREFUSED|Unable to connect/);
    const answered = await slow;
    expect(answered.status).toBe(200);
    expect(answered.json.result.isError).toBeFalsy();
    expect(answered.json.result.structuredContent).toBeDefined();
    await stopped;
    expect(gw.events('gateway.stopping')[0]).toMatchObject({ graceSeconds: 5 });
    expect(gw.events('gateway.stopping')[0]!.inFlight).toBeGreaterThanOrEqual(1);
    expect(gw.events('gateway.stopped')[0]).toMatchObject({ drained: true });
    await gw.demo.stop();
  });

  describe('with PostgreSQL', () => {
    let pg: PostgresFixture | null = null;
    beforeAll(async () => {
      pg = await startPostgres();
    });
    afterAll(async () => {
      await pg?.close();
    });

    test('an unreachable database makes /readyz 503 until it is back; its password is in no log line', async () => {
      if (!pg?.canRestart) return console.warn('skipped: no PostgreSQL that this test may stop');
      const secretFile = join(tempDir(), 'secret.key');
      writeFileSync(secretFile, 'a-server-secret-for-the-readiness-test-0123456789');
      const gw = await startOpsGateway({ PORTICO_DATABASE_URL: pg.url, PORTICO_SECRET_FILE: secretFile });
      try {
        expect((await fetch(`${gw.origin}/readyz`)).status).toBe(200);
        await pg.stop();
        const down = await fetch(`${gw.origin}/readyz`);
        expect(down.status).toBe(503);
        expect(((await down.json()) as { failed: string[] }).failed).toEqual(['store']);
        await pg.start();
        let status = 0;
        for (let i = 0; i < 50 && status !== 200; i++) {
          status = (await fetch(`${gw.origin}/readyz`)).status;
          if (status !== 200) await Bun.sleep(100);
        }
        expect(status).toBe(200);
        expect(gw.events('readiness.ready').length).toBeGreaterThanOrEqual(2);
        expect(gw.logs.filter((line) => line.includes(pg!.password))).toEqual([]);
      } finally {
        await gw.stop();
      }
    });
  });
});

describe('/metrics', () => {
  let gw: OpsGateway;
  let publicUrl: string;
  beforeAll(async () => {
    gw = await startOpsGateway();
    publicUrl = new URL(gw.gateway.mcpUrl).origin;
  });
  afterAll(() => gw.stop());

  const scrape = async () => {
    const response = await fetch(`${gw.origin}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return response.text();
  };

  test('after sign-ins, refreshes, revocations, calls and failures, every count is there with its labels', async () => {
    const { clientId, tokens } = await connect(gw.origin, publicUrl, ALICE);
    const access = tokens.access_token;
    const session = await openSession(gw.mcpUrl, access);
    // 3 good calls, 1 the API answers 404, 1 refused for its arguments, 1 unknown tool
    for (let i = 0; i < 3; i++) expect((await whoAmI(gw.mcpUrl, access, session)).json.result.isError).toBeFalsy();
    const missing = await mcpRequest(gw.mcpUrl, access, 'tools/call', { name: 'get_project', arguments: { projectId: 'prj_nope' } }, session);
    expect(missing.json.result.isError).toBe(true);
    const invalid = await mcpRequest(gw.mcpUrl, access, 'tools/call', { name: 'get_project', arguments: {} }, session);
    expect(invalid.json.result.isError).toBe(true);
    await mcpRequest(gw.mcpUrl, access, 'tools/call', { name: 'no_such_tool', arguments: {} }, session);
    // a bad token: 401
    expect((await whoAmI(gw.mcpUrl, 'pat_not-a-real-token-at-all-000000000000')).status).toBe(401);
    const refreshed = await refreshGrant(gw.origin, clientId, tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    expect((await revokeToken(gw.origin, clientId, refreshed.json.access_token)).status).toBe(200);
    expect((await revokeToken(gw.origin, clientId, refreshed.json.refresh_token)).status).toBe(200);

    const text = await scrape();
    expect(sample(text, 'portico_http_requests_total', 'route="/mcp",status="200"')).toBeGreaterThanOrEqual(7);
    expect(sample(text, 'portico_http_requests_total', 'route="/mcp",status="401"')).toBe(1);
    expect(sample(text, 'portico_http_requests_total', 'route="/oauth/register",status="201"')).toBe(1);
    expect(sample(text, 'portico_http_requests_total', 'route="/oauth/token",status="200"')).toBe(2);
    expect(sample(text, 'portico_http_requests_total', 'route="/oauth/authorize",status="303"')).toBe(2);
    expect(sample(text, 'portico_http_requests_total', 'route="/oauth/revoke",status="200"')).toBe(2);
    expect(sample(text, 'portico_http_requests_total', 'route="/.well-known",status="200"')).toBeUndefined();

    expect(sample(text, 'portico_tool_calls_total', 'tool="get_current_user",outcome="ok"')).toBe(3);
    expect(sample(text, 'portico_tool_calls_total', 'tool="get_project",outcome="upstream_error"')).toBe(1);
    expect(sample(text, 'portico_tool_calls_total', 'tool="get_project",outcome="invalid_arguments"')).toBe(1);
    expect(text).not.toContain('no_such_tool');
    expect(sample(text, 'portico_tool_call_duration_seconds_count', 'tool="get_current_user"')).toBe(3);
    expect(sample(text, 'portico_tool_call_duration_seconds_bucket', 'tool="get_current_user",le="+Inf"')).toBe(3);
    expect(sample(text, 'portico_tool_call_duration_seconds_sum', 'tool="get_current_user"')).toBeGreaterThan(0);
    // the API was asked 4 times (the invalid call never left)
    expect(sample(text, 'portico_upstream_request_duration_seconds_count')).toBe(4);
    expect(sample(text, 'portico_upstream_errors_total', 'status_class="4xx"')).toBe(1);

    expect(sample(text, 'portico_oauth_tokens_issued_total')).toBe(1);
    expect(sample(text, 'portico_oauth_tokens_refreshed_total')).toBe(1);
    expect(sample(text, 'portico_oauth_tokens_revoked_total', 'kind="access"')).toBe(1);
    expect(sample(text, 'portico_oauth_tokens_revoked_total', 'kind="refresh"')).toBe(1);
    expect(sample(text, 'portico_mcp_sessions')).toBe(1);
    expect(sample(text, 'portico_catalog_tools')).toBe(24);
    expect(sample(text, 'portico_catalog_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(sample(text, 'portico_rate_limited_total', 'limit="token"')).toBe(0);
    expect(sample(text, 'portico_http_requests_in_flight')).toBe(1); // this scrape
    expect(sample(text, 'process_start_time_seconds')).toBeGreaterThan(0);

    // the histogram's buckets are cumulative and end at the count
    const buckets = text.split('\n').filter((line) => line.startsWith('portico_tool_call_duration_seconds_bucket{tool="get_current_user"'));
    const counts = buckets.map((line) => Number(line.split(' ')[1]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(3);
    // well-formed exposition: every sample belongs to a family announced by # TYPE
    const families = new Set([...text.matchAll(/^# TYPE (\S+) (counter|gauge|histogram)$/gm)].map((match) => match[1]));
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{[a-z_]+="[^"\n]*"(,[a-z_]+="[^"\n]*")*\})? -?[0-9.e+-]+$/);
      const name = line.split(/[{ ]/)[0]!.replace(/_(bucket|sum|count)$/, '');
      expect(families.has(name) || families.has(line.split(/[{ ]/)[0]!)).toBe(true);
    }
  });

  test('catalog refreshes are counted by outcome', async () => {
    await gw.gateway.tools.refresh();
    const text = await scrape();
    expect(sample(text, 'portico_catalog_refreshes_total', 'outcome="unchanged"')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'portico_catalog_refreshes_total', 'outcome="failed"')).toBe(0);
  });

  test('only loopback may read it without PORTICO_METRICS_TOKEN; with it, only the bearer of the token', async () => {
    const guarded = await startOpsGateway({ PORTICO_AUTH: 'none', PORTICO_METRICS_TOKEN: 'metrics-token-for-the-test-42' });
    try {
      const none = await fetch(`${guarded.origin}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      // refused like every route but /mcp refuses: an OAuth-shaped error saying what to send
      expect(await none.json()).toEqual({ error: 'invalid_token', error_description: 'send Authorization: Bearer <PORTICO_METRICS_TOKEN> to read the metrics' });
      expect((await fetch(`${guarded.origin}/metrics`, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);
      const good = await fetch(`${guarded.origin}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-the-test-42' } });
      expect(good.status).toBe(200);
      expect(await good.text()).toContain('portico_http_requests_total{route="/metrics",status="401"} 2');
    } finally {
      await guarded.stop();
    }
  });

  test('from another address than loopback it is refused without a token', async () => {
    const address = nonLoopbackAddress();
    if (!address) return;
    const open = await startOpsGateway({ PORTICO_AUTH: 'none', PORTICO_HOST: '0.0.0.0' });
    try {
      const port = new URL(open.origin).port;
      const refused = await fetch(`http://${address}:${port}/metrics`);
      expect(refused.status).toBe(403);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});

describe('request ids', () => {
  let gw: OpsGateway;
  beforeAll(async () => {
    gw = await startOpsGateway();
  });
  afterAll(() => gw.stop());

  test("a sane X-Request-Id is echoed and is in every log line of its request; otherwise one is made up", async () => {
    const given = await fetch(`${gw.origin}/oauth/token`, { method: 'POST', headers: { 'x-request-id': 'req-7f3a.42', 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&client_id=pcl_nobody&refresh_token=prt_unknown0000000000' });
    expect(given.status).toBe(401);
    expect(given.headers.get('x-request-id')).toBe('req-7f3a.42');
    const lines = gw.logs.filter((line) => line.includes('req-7f3a.42')).map((line) => JSON.parse(line));
    expect(lines.map((line) => line.event)).toEqual(['http.request']);
    expect(lines[0]).toMatchObject({ requestId: 'req-7f3a.42', method: 'POST', route: '/oauth/token', status: 401 });

    for (const bad of ['has spaces in it', 'x'.repeat(129), 'pat_looks-like-a-token-000000000', 'quote"d']) {
      const answer = await fetch(`${gw.origin}/healthz`, { headers: { 'x-request-id': bad } });
      const id = answer.headers.get('x-request-id')!;
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
    const made = await fetch(`${gw.origin}/healthz`);
    const id = made.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(gw.logs.some((line) => line.includes(`"requestId":"${id}"`))).toBe(true);
  });

  test('lines written deep in a request (a tool call, an error) carry its id', async () => {
    const publicUrl = new URL(gw.gateway.mcpUrl).origin;
    const { tokens } = await connect(gw.origin, publicUrl, ALICE);
    const answer = await fetch(gw.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${tokens.access_token}`, 'x-request-id': 'call-0001' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_current_user', arguments: {} } }),
    });
    // stateful mode without a session: refused, and the refusal is logged with the id too
    expect(answer.headers.get('x-request-id')).toBe('call-0001');
    const stateless = await startOpsGateway({ PORTICO_MCP_MODE: 'stateless' }, { as: ALICE, demo: gw.demo });
    try {
      const call = await fetch(stateless.mcpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-request-id': 'call-0002' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_current_user', arguments: {} } }),
      });
      expect(call.status).toBe(200);
      expect(call.headers.get('x-request-id')).toBe('call-0002');
      const events = stateless.logs.filter((line) => line.includes('"requestId":"call-0002"')).map((line) => JSON.parse(line).event);
      expect(events).toEqual(['mcp.tool_call', 'http.request']);
    } finally {
      await stateless.stop();
    }
  });
});

/** An address of this machine that is not loopback, to reach a server as a remote client would; null if none. */
function nonLoopbackAddress(): string | null {
  const { networkInterfaces } = require('node:os') as typeof import('node:os');
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return null;
}
