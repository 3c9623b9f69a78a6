/**
 * `/mcp` driven by the SDK's own client over real HTTP: listing, paging, argument checks, sessions,
 * list_changed, and the guards, against a gateway started the way `portico serve` starts one, in front of a real
 * upstream: tool calls that pass validation reach it.
 */
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { McpMode } from '../../src/mcp/endpoint';
import { startTestGateway } from '../fixtures/gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

const op = (operationId: string, extra: Record<string, unknown> = {}) => ({
  get: { operationId, responses: { 200: { description: 'ok' } }, ...extra },
});
const spec = (paths: Record<string, unknown>) => JSON.stringify({ openapi: '3.0.3', info: { title: 'T', version: '1' }, paths });

/**
 * A gateway (no sign-in, no plugins) on a real port in front of a real upstream, around a spec file the test can
 * rewrite. The upstream answers `called <path>` unless the test's `upstream` handler answers; `calls` holds the
 * arguments of every call that reached it.
 */
async function gateway(mode: McpMode, paths: Record<string, unknown>, options: { pageSize?: number; origins?: string[]; idleSeconds?: number; upstream?: (request: Request) => Promise<Response> } = {}) {
  const dir = tempDir();
  const file = join(dir, 'openapi.json');
  writeFileSync(file, spec(paths));
  const api = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request) => options.upstream?.(request) ?? new Response(`called ${new URL(request.url).pathname}`) });
  cleanup.push(() => api.stop(true));
  const gw = await startTestGateway({
    PORTICO_UPSTREAM: `http://127.0.0.1:${api.port}`,
    PORTICO_SPEC: file,
    PORTICO_AUTH: 'none',
    PORTICO_PLUGINS: dir,
    PORTICO_MCP_MODE: mode,
    PORTICO_MAX_REQUEST_BYTES: String(64 * 1024),
    ...(options.pageSize && { PORTICO_TOOLS_PAGE_SIZE: String(options.pageSize) }),
    ...(options.origins && { PORTICO_ALLOWED_ORIGINS: options.origins.join(',') }),
    ...(options.idleSeconds && { PORTICO_SESSION_IDLE_SECONDS: String(options.idleSeconds) }),
  });
  cleanup.push(() => gw.stop());
  const url = gw.mcpUrl;
  const calls = gw.upstreamArgs;
  const rewrite = (next: Record<string, unknown>) => writeFileSync(file, spec(next));
  /** Notifications travel on the GET stream each client opens after initializing: wait for `count` of them. */
  const opened = () => gw.events('http.request').filter((line) => line.method === 'GET' && line.route === '/mcp').length;
  const streamsOpen = async (count: number) => {
    for (let i = 0; i < 250 && opened() < count; i++) await Bun.sleep(20);
    expect(opened()).toBeGreaterThanOrEqual(count);
    await Bun.sleep(50);
  };
  return { url, tools: gw.gateway.tools, calls, endpoint: gw.gateway.endpoint, rewrite, streamsOpen };
}

async function errorOf(response: Response): Promise<{ code: number; message: string }> {
  return ((await response.json()) as { error: { code: number; message: string } }).error;
}

async function connect(url: string) {
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  cleanup.push(() => client.close());
  return client;
}

for (const mode of ['stateful', 'stateless'] as const) {
  describe(`/mcp (${mode})`, () => {
    test('lists the catalog and pages through it with cursors', async () => {
      const paths = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`/p${i}`, op(`get_p${i}`)]));
      const { url } = await gateway(mode, paths, { pageSize: 2 });
      const client = await connect(url);
      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined);
        names.push(...page.tools.map((tool) => tool.name));
        cursor = page.nextCursor;
      } while (cursor);
      expect(names).toEqual(['get_p0', 'get_p1', 'get_p2', 'get_p3', 'get_p4']);
      await expect(client.listTools({ cursor: 'bogus' })).rejects.toThrow(/invalid cursor/);
    });

    test('checks arguments before anything is called, naming the field', async () => {
      const { url, calls } = await gateway(mode, {
        '/items/{id}': op('get_item', { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }] }),
      });
      const client = await connect(url);
      const missing = (await client.callTool({ name: 'get_item', arguments: {} })) as CallToolResult;
      expect(missing.isError).toBe(true);
      expect(missing.content).toEqual([{ type: 'text', text: 'Invalid arguments for get_item: missing required argument "id"' }]);
      const wrong = (await client.callTool({ name: 'get_item', arguments: { id: 'seven', extra: 1 } })) as CallToolResult;
      expect((wrong.content[0] as { text: string }).text).toBe('Invalid arguments for get_item: unknown argument "extra"; "id" must be integer');
      expect(calls).toHaveLength(0);
      const ok = (await client.callTool({ name: 'get_item', arguments: { id: 7 } })) as CallToolResult;
      expect(ok.content).toEqual([{ type: 'text', text: 'called /items/7' }]);
      expect(calls).toEqual([{ id: 7 }]);
      await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/unknown tool "no_such_tool"/);
    });
  });
}

describe('/mcp sessions (stateful)', () => {
  test('every open session hears list_changed when the spec changes', async () => {
    const { url, tools, rewrite, streamsOpen } = await gateway('stateful', { '/a': op('get_a') });
    const first = await connect(url);
    const second = await connect(url);
    await streamsOpen(2);
    const heard = [first, second].map(
      (client) => new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve())),
    );
    rewrite({ '/a': op('get_a'), '/b': op('get_b') });
    expect((await tools.refresh())[0]?.added).toEqual(['get_b']);
    await Promise.all(heard);
    expect((await first.listTools()).tools.map((tool) => tool.name)).toEqual(['get_a', 'get_b']);
  });

  test('an unknown session id gets 404 so the client starts over; no id and no initialize gets 400', async () => {
    const { url } = await gateway('stateful', { '/a': op('get_a') });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const unknown = await fetch(url, { method: 'POST', headers: { ...headers, 'mcp-session-id': 'nope' }, body });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).message).toContain('session not found');
    const noSession = await fetch(url, { method: 'POST', headers, body });
    expect(noSession.status).toBe(400);
    expect((await errorOf(noSession)).message).toContain('Mcp-Session-Id header is required');
  });

  test('a session is initialized once; its GET stream is one, and takes text/event-stream', async () => {
    const { url } = await gateway('stateful', { '/a': op('get_a') });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const initialize = (protocolVersion?: string) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { ...(protocolVersion && { protocolVersion }), capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    const noVersion = await fetch(url, { method: 'POST', headers, body: initialize() });
    expect(((await noVersion.json()) as { error: { code: number; message: string } }).error).toEqual({ code: -32602, message: expect.stringContaining('"params.protocolVersion" must be') });
    const opened = await fetch(url, { method: 'POST', headers, body: initialize('2025-11-25') });
    const id = opened.headers.get('mcp-session-id')!;
    expect(((await opened.json()) as { result: { protocolVersion: string } }).result.protocolVersion).toBe('2025-11-25');
    const inSession = { ...headers, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
    const again = await fetch(url, { method: 'POST', headers: inSession, body: initialize('2025-06-18') });
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain('already initialized');
    expect((await fetch(url, { headers: { ...inSession, accept: 'application/json' } })).status).toBe(406);
    const controller = new AbortController();
    const stream = await fetch(url, { headers: inSession, signal: controller.signal });
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const second = await fetch(url, { headers: inSession });
    expect(second.status).toBe(409);
    controller.abort();
  });

  test('a session left idle is closed, and its id then gets 404', async () => {
    const { url, endpoint } = await gateway('stateful', { '/a': op('get_a') }, { idleSeconds: 1 });
    const transport = new StreamableHTTPClientTransport(new URL(url));
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(transport);
    cleanup.push(() => client.close());
    const id = transport.sessionId!;
    expect(endpoint.sessionCount).toBe(1);
    for (let i = 0; i < 200 && endpoint.sessionCount > 0; i++) await Bun.sleep(20);
    expect(endpoint.sessionCount).toBe(0);
    const stale = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': id },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(stale.status).toBe(404);
  });

  test('DELETE ends a session', async () => {
    const { url, endpoint } = await gateway('stateful', { '/a': op('get_a') });
    const transport = new StreamableHTTPClientTransport(new URL(url));
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(transport);
    expect(endpoint.sessionCount).toBe(1);
    await transport.terminateSession();
    expect(endpoint.sessionCount).toBe(0);
    await client.close();
  });
});

describe('/mcp guards', () => {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
  });

  test('a request from a page on another origin is refused; a listed origin gets CORS headers', async () => {
    const { url } = await gateway('stateless', { '/a': op('get_a') }, { origins: ['https://inspector.example'] });
    const evil = await fetch(url, { method: 'POST', headers: { ...headers, origin: 'https://evil.example' }, body: initialize });
    expect(evil.status).toBe(403);
    expect((await errorOf(evil)).message).toContain('Origin "https://evil.example" is not allowed');
    const listed = await fetch(url, { method: 'POST', headers: { ...headers, origin: 'https://inspector.example' }, body: initialize });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://inspector.example');
    expect(listed.headers.get('access-control-expose-headers')).toContain('Mcp-Session-Id');
    const pre = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://inspector.example', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toContain('Mcp-Protocol-Version');
    const own = await fetch(url, { method: 'POST', headers: { ...headers, origin: new URL(url).origin }, body: initialize });
    expect(own.status).toBe(200);
    const preEvil = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(preEvil.status).toBe(403);
    expect(preEvil.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('a Host header the deployment does not serve is refused (DNS rebinding)', async () => {
    const { url } = await gateway('stateless', { '/a': op('get_a') });
    const rebound = await fetch(url, { method: 'POST', headers: { ...headers, host: 'attacker.example' }, body: initialize });
    expect(rebound.status).toBe(403);
    expect((await errorOf(rebound)).message).toContain('Host "attacker.example" is not allowed');
  });

  test('malformed JSON, oversized bodies and GET in stateless mode get clear JSON-RPC errors', async () => {
    for (const mode of ['stateful', 'stateless'] as const) {
      const { url } = await gateway(mode, { '/a': op('get_a') });
      const broken = await fetch(url, { method: 'POST', headers, body: '{"jsonrpc": "2.0", "method": ' });
      expect(broken.status).toBe(400);
      expect((await errorOf(broken)).code).toBe(-32700);
      const huge = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { pad: 'x'.repeat(100_000) } }) });
      expect(huge.status).toBe(413);
    }
    const { url } = await gateway('stateless', { '/a': op('get_a') });
    const get = await fetch(url, { headers: { accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    const batch = Array.from({ length: 21 }, (_, id) => ({ jsonrpc: '2.0', id, method: 'ping' }));
    const long = await fetch(url, { method: 'POST', headers, body: JSON.stringify(batch) });
    expect(long.status).toBe(400);
    expect((await errorOf(long)).message).toBe('a batch may hold at most 20 messages, this one has 21');
  });

  test('an unknown method is a JSON-RPC "method not found"', async () => {
    const { url } = await gateway('stateless', { '/a': op('get_a') });
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/frobnicate' }) });
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32601);
  });
});

/**
 * JSON-RPC batches exist in MCP 2025-03-26 only (2025-06-18 removed them), and an initialize is never part of
 * one. A request's version is its Mcp-Protocol-Version header, else what its session negotiated, else
 * 2025-03-26 (what the spec says to assume). The SDK's transport checks neither rule, so /mcp does.
 */
describe('/mcp batches by protocol version', () => {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const calls = (count: number) => Array.from({ length: count }, (_, i) => ({ jsonrpc: '2.0', id: i + 1, method: 'tools/call', params: { name: 'get_a', arguments: {} } }));
  const initialize = (version: string) => ({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  const refusal = (version: string) => ({ jsonrpc: '2.0', id: null, error: { code: -32600, message: `MCP ${version} has no JSON-RPC batches (only 2025-03-26 had them): send one message per POST` } });

  /** The ids of the JSON-RPC answers in a response, JSON or SSE. */
  async function answeredIds(response: Response): Promise<unknown[]> {
    const text = await response.text();
    const messages = response.headers.get('content-type')?.startsWith('text/event-stream')
      ? text.split('\n').filter((line) => line.startsWith('data: ') && line.length > 6).map((line) => JSON.parse(line.slice(6)) as { id: unknown })
      : [JSON.parse(text) as { id: unknown }].flat();
    return messages.map((message) => message.id);
  }

  async function session(url: string, version: string): Promise<string> {
    const init = await fetch(url, { method: 'POST', headers, body: JSON.stringify(initialize(version)) });
    await init.text();
    const id = init.headers.get('mcp-session-id')!;
    await fetch(url, { method: 'POST', headers: { ...headers, 'mcp-session-id': id, 'mcp-protocol-version': version }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    return id;
  }

  test('stateless: refused under 2025-06-18 and 2025-11-25 with an error saying why, nothing run; served under 2025-03-26 and without a version', async () => {
    const { url, calls: reached } = await gateway('stateless', { '/a': op('get_a') });
    for (const version of ['2025-06-18', '2025-11-25']) {
      const refused = await fetch(url, { method: 'POST', headers: { ...headers, 'mcp-protocol-version': version }, body: JSON.stringify(calls(2)) });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual(refusal(version));
    }
    expect(reached).toHaveLength(0);
    for (const sent of [{ ...headers, 'mcp-protocol-version': '2025-03-26' }, headers]) {
      const served = await fetch(url, { method: 'POST', headers: sent, body: JSON.stringify(calls(2)) });
      expect(served.status).toBe(200);
      expect(await answeredIds(served)).toEqual([1, 2]);
    }
    expect(reached).toHaveLength(4);
  });

  test('stateful: a session at 2025-06-18 or 2025-11-25 refuses batches, with the header or without it; one at 2025-03-26 serves them', async () => {
    const { url, calls: reached } = await gateway('stateful', { '/a': op('get_a') });
    for (const version of ['2025-06-18', '2025-11-25']) {
      const id = await session(url, version);
      for (const sent of [{ ...headers, 'mcp-session-id': id, 'mcp-protocol-version': version }, { ...headers, 'mcp-session-id': id }]) {
        const refused = await fetch(url, { method: 'POST', headers: sent, body: JSON.stringify(calls(2)) });
        expect(refused.status).toBe(400);
        expect(await refused.json()).toEqual(refusal(version));
      }
    }
    expect(reached).toHaveLength(0);
    const id = await session(url, '2025-03-26');
    for (const sent of [{ ...headers, 'mcp-session-id': id, 'mcp-protocol-version': '2025-03-26' }, { ...headers, 'mcp-session-id': id }]) {
      const served = await fetch(url, { method: 'POST', headers: sent, body: JSON.stringify(calls(2)) });
      expect(served.status).toBe(200);
      expect(await answeredIds(served)).toEqual([1, 2]);
    }
    expect(reached).toHaveLength(4);
  });

  test('an initialize in a batch is refused in every version, even alone in it', async () => {
    for (const mode of ['stateless', 'stateful'] as const) {
      const { url, endpoint } = await gateway(mode, { '/a': op('get_a') });
      for (const version of ['2025-03-26', '2025-11-25']) {
        const refused = await fetch(url, { method: 'POST', headers, body: JSON.stringify([initialize(version)]) });
        expect(refused.status).toBe(400);
        expect(await refused.json()).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'initialize must be sent on its own, not in a batch' } });
      }
      expect(endpoint.sessionCount).toBe(0);
    }
  });
});

/**
 * One way to answer a request (`mcp/legacy`): alone, in a batch of one, as JSON or on an SSE stream when something
 * may be said before the answer — the same answer every time.
 */
describe('/mcp: one answer, however a request travels', () => {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const paths = {
    ...Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`/p${i}`, op(`get_p${i}`)])),
    '/items/{id}': op('get_item', { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }] }),
  };

  /** A session's headers (stateful), or none (stateless), for `version`. */
  async function open(mode: McpMode, url: string, version = '2025-11-25'): Promise<Record<string, string>> {
    if (mode === 'stateless') return headers;
    const init = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    await init.text();
    const session = { ...headers, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': version };
    await fetch(url, { method: 'POST', headers: session, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    return session;
  }

  /** The JSON-RPC answer(s) of one POST, whether it came as JSON or as an SSE stream; and how it came. */
  async function post(url: string, sent: Record<string, string>, body: unknown): Promise<{ kind: string; messages: unknown[] }> {
    const response = await fetch(url, { method: 'POST', headers: sent, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    const kind = response.headers.get('content-type')!.split(';')[0]!;
    const text = await response.text();
    const parsed: unknown[] =
      kind === 'text/event-stream'
        ? text.split('\n').filter((line) => line.startsWith('data: ') && line.length > 6).map((line) => JSON.parse(line.slice(6)))
        : [JSON.parse(text)].flat();
    return { kind, messages: parsed };
  }

  for (const mode of ['stateful', 'stateless'] as const) {
    test(`${mode}: alone or in a batch of one (2025-03-26, the version with batches), every tools request gets the same answer`, async () => {
      const { url, calls } = await gateway(mode, paths, { pageSize: 2 });
      const sent = await open(mode, url, '2025-03-26');
      const firstPage = (await post(url, sent, { jsonrpc: '2.0', id: 'l1', method: 'tools/list' })).messages[0] as { result: { nextCursor: string } };
      const requests = [
        { jsonrpc: '2.0', id: 'l1', method: 'tools/list' },
        { jsonrpc: '2.0', id: 'l2', method: 'tools/list', params: { cursor: firstPage.result.nextCursor } },
        { jsonrpc: '2.0', id: 'l3', method: 'tools/list', params: { cursor: 'bogus' } },
        { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'get_item', arguments: { id: 7 } } },
        { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'get_item', arguments: { id: 'seven' } } },
        { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'get_item' } },
        { jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } },
      ];
      for (const request of requests) {
        const alone = await post(url, sent, request);
        const batched = await post(url, sent, [request]);
        expect(alone.kind).toBe('application/json');
        expect(alone.messages).toEqual(batched.messages);
      }
      // both paths reached the operation once for the valid call, never for the others
      expect(calls).toEqual([{ id: 7 }, { id: 7 }]);
      const answers = await Promise.all(requests.map(async (request) => (await post(url, sent, request)).messages[0]));
      expect(answers.map((a) => Object.keys(a as object).sort().join())).toEqual([
        'id,jsonrpc,result', 'id,jsonrpc,result', 'error,id,jsonrpc', 'id,jsonrpc,result', 'id,jsonrpc,result', 'id,jsonrpc,result', 'error,id,jsonrpc',
      ]);
    });
  }

  test('a tools/list answer, written from its tools\' bytes, is exactly JSON.stringify of its message: alone, in a batch, on a stream, in 2026-07-28', async () => {
    for (const mode of ['stateful', 'stateless'] as const) {
      const { url, tools } = await gateway(mode, paths, { pageSize: 2 });
      const sent = await open(mode, url, '2025-03-26');
      const view = { top: undefined, marked: false };
      const second = tools.listTools(undefined, view).nextCursor!;
      const message = (id: string, cursor?: string) => JSON.stringify({ jsonrpc: '2.0', id, result: tools.listTools(cursor, view) });
      const list = (id: string, cursor?: string) => ({ jsonrpc: '2.0', id, method: 'tools/list', ...(cursor && { params: { cursor } }) });
      const raw = async (body: unknown, extra: Record<string, string> = {}) => (await fetch(url, { method: 'POST', headers: { ...sent, ...extra }, body: JSON.stringify(body) })).text();
      expect(await raw(list('a'))).toBe(message('a'));
      expect(await raw(list('b', second))).toBe(message('b', second));
      expect(await raw([list('c'), list('d', second)])).toBe(`[${message('c')},${message('d', second)}]`);
      if (mode === 'stateful') {
        const streamed = await raw({ ...list('e', second), params: { cursor: second, _meta: { progressToken: 1 } } });
        expect(streamed).toContain(`data: ${message('e', second)}\n`);
      }
      const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
      const modern = await fetch(url, { method: 'POST', headers: { ...headers, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' }, body: JSON.stringify({ ...list('f'), params: { _meta: meta } }) });
      const text = await modern.text();
      const result = JSON.stringify({ resultType: 'complete', ttlMs: (JSON.parse(text) as { result: { ttlMs: number } }).result.ttlMs, cacheScope: 'public', ...tools.listTools(undefined, view) });
      expect(text).toBe(`{"jsonrpc":"2.0","id":"f","result":${result}}`);
    }
  });

  test('progress in a session is answered on the request\'s stream; bad headers are refused; malformed params get a clear error', async () => {
    const stateful = await gateway('stateful', paths);
    const session = await open('stateful', stateful.url);
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_p0', arguments: {}, _meta: { progressToken: 'p1' } } };
    // progress can only travel on the request's SSE stream
    expect((await post(stateful.url, session, call)).kind).toBe('text/event-stream');
    const noSse = await fetch(stateful.url, { method: 'POST', headers: { ...session, accept: 'application/json' }, body: JSON.stringify(call) });
    expect(noSse.status).toBe(406);
    const oldVersion = await fetch(stateful.url, { method: 'POST', headers: { ...session, 'mcp-protocol-version': '1999-01-01' }, body: JSON.stringify(call) });
    expect(oldVersion.status).toBe(400);
    const stateless = await gateway('stateless', paths);
    const text = await fetch(stateless.url, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body: JSON.stringify(call) });
    expect(text.status).toBe(415);
    const noName = await post(stateless.url, headers, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { arguments: {} } });
    expect(noName.messages[0]).toEqual({ jsonrpc: '2.0', id: 2, error: { code: -32602, message: 'tools/call: "params.name" must be the name of a tool (a string)' } });
    const badArgs = await post(stateless.url, headers, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_p0', arguments: [1] } });
    expect((badArgs.messages[0] as { error: { message: string } }).error.message).toContain('"params.arguments" must be an object');
    expect(stateless.calls).toHaveLength(0);
  });

  /** An upstream that never answers: it tells when the gateway gives up on the request (its connection closes). */
  function hanging() {
    let aborted = () => {};
    const seenAbort = new Promise<void>((resolve) => (aborted = resolve));
    const upstream = (request: Request) =>
      new Promise<Response>((resolve) => {
        request.signal.addEventListener('abort', () => {
          aborted();
          resolve(new Response('cancelled'));
        });
      });
    return { upstream, seenAbort };
  }

  test('stateful: notifications/cancelled from the SDK client stops a call', async () => {
    const { upstream, seenAbort } = hanging();
    const { url } = await gateway('stateful', paths, { upstream });
    const client = await connect(url);
    const controller = new AbortController();
    const pending = client.callTool({ name: 'get_p1', arguments: {} }, undefined, { signal: controller.signal });
    await Bun.sleep(50);
    controller.abort('the user pressed stop');
    await expect(pending).rejects.toThrow();
    await seenAbort;
  });

  test('stateless: a client that goes away cancels its call', async () => {
    const { upstream, seenAbort } = hanging();
    const { url } = await gateway('stateless', paths, { upstream });
    const controller = new AbortController();
    const pending = fetch(url, { method: 'POST', headers, signal: controller.signal, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_p2' } }) });
    await Bun.sleep(50);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await seenAbort;
  });

  test('stateful: a POST whose connection closes is not a cancellation (2025-11-25: only notifications/cancelled is)', async () => {
    let finished = (_aborted: boolean) => {};
    const outcome = new Promise<boolean>((resolve) => (finished = resolve));
    const { url } = await gateway('stateful', paths, {
      upstream: async (request) => {
        await Bun.sleep(150);
        finished(request.signal.aborted);
        return new Response('done');
      },
    });
    const session = await open('stateful', url);
    const controller = new AbortController();
    const pending = fetch(url, { method: 'POST', headers: session, signal: controller.signal, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'get_p0' } }) });
    await Bun.sleep(50);
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(await outcome).toBe(false);
  });
});
