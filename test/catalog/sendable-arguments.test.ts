/**
 * Issue 20: what a tool's schema accepts, the gateway sends and the API takes.
 *
 * Header arguments the gateway would never send — the transport's headers, and the deployment's credential header
 * (`PORTICO_UPSTREAM_CREDENTIAL`'s with sign-in, `PORTICO_UPSTREAM_HEADERS`'s without) — are not offered at all.
 *
 * Empty values: a path segment can never be empty, a header or cookie sent empty is one not sent, and a query
 * parameter may be empty only when the document says `allowEmptyValue` (false by default, in Swagger 2.0 and
 * OpenAPI 3): the input schema says `minLength: 1`, so the agent knows before it calls. Over HTTP, an empty value is
 * then refused by the schema's own check, naming the argument, and nothing reaches the API.
 *
 * What else the fidelity run (test/fidelity) found the schema promised and the API refused: a `nullable` field of a
 * form (a form cannot write null: the field's schema has no null), a file argument that is not base64 (the schema
 * holds it to the pattern the proxy decodes), and an object cut short to keep the schema small that lost what the API
 * requires of it (the stub keeps `required`, and the type its union's branches share).
 */
import { afterAll, expect, test } from 'bun:test';
import { MCP_HEADERS } from '../fixtures/oauth-http';
import { startTestGateway } from '../fixtures/gateway';
import { accepts, build, entry, oas30, oas31, removeTempDirs, tempDir } from './helpers';
import { fitSchema, markOrigin } from '../../src/catalog/fit';

afterAll(removeTempDirs);

const ok = { '200': { description: 'OK' } };

test('OpenAPI 3: string path, header and cookie parameters, and query parameters without allowEmptyValue, get minLength 1; the rest are as written', async () => {
  const catalog = await build(
    oas30({
      '/orgs/{org}/items/{n}': {
        get: {
          operationId: 'listItems',
          parameters: [
            { name: 'org', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'n', in: 'path', required: true, schema: { type: 'integer' } },
            { name: 'token', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'filter', in: 'query', schema: { type: 'string' } },
            { name: 'cursor', in: 'query', allowEmptyValue: true, schema: { type: 'string' } },
            { name: 'sort', in: 'query', schema: { type: 'string', enum: ['asc', 'desc'] } },
            { name: 'code', in: 'query', schema: { type: 'string', minLength: 3 } },
            { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
          ],
          responses: ok,
        },
      },
    }),
  );
  const properties = entry(catalog, 'list_items').tool.inputSchema.properties as Record<string, Record<string, unknown>>;
  expect(properties.org!.minLength).toBe(1);
  expect(properties.n!.minLength).toBeUndefined();
  expect(properties.token!.minLength).toBe(1);
  expect(properties.filter!.minLength).toBe(1);
  expect(properties.cursor!.minLength).toBeUndefined();
  expect(properties.sort!.minLength).toBeUndefined();
  expect(properties.code!.minLength).toBe(3);
  expect(properties['X-Trace']!.minLength).toBe(1); // an empty header is, to the API, one not sent
});

test('Swagger 2.0: the same, with allowEmptyValue on the parameter; an undeclared path parameter too', async () => {
  const catalog = await build({
    swagger: '2.0',
    info: { title: 'T', version: '1' },
    paths: {
      '/users/{id}/{undeclared}': {
        get: {
          operationId: 'getUser',
          parameters: [
            { name: 'id', in: 'path', required: true, type: 'string' },
            { name: 'fields', in: 'query', type: 'string' },
            { name: 'q', in: 'query', type: 'string', allowEmptyValue: true },
          ],
          responses: ok,
        },
      },
    },
  });
  const properties = entry(catalog, 'get_user').tool.inputSchema.properties as Record<string, Record<string, unknown>>;
  expect([properties.id!.minLength, properties.fields!.minLength, properties.q!.minLength, properties.undeclared!.minLength]).toEqual([1, 1, undefined, 1]);
});

test('over HTTP: an empty path argument is refused by the schema, naming it, and the API is not called', async () => {
  const gw = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_MCP_MODE: 'stateless', PORTICO_PLUGINS: tempDir() });
  try {
    const listed = await fetch(gw.mcpUrl, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    const { result } = (await listed.json()) as { result: { tools: { name: string; inputSchema: { properties: Record<string, { minLength?: number }> } }[] } };
    expect(result.tools.find((tool) => tool.name === 'get_project')!.inputSchema.properties.projectId!.minLength).toBe(1);
    const before = gw.upstream.length;
    const called = await fetch(gw.mcpUrl, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_project', arguments: { projectId: '' } } }) });
    const answer = (await called.json()) as { result: { isError?: boolean; content: { text: string }[] } };
    expect(answer.result.isError).toBe(true);
    expect(answer.result.content[0]!.text).toContain('projectId');
    expect(gw.upstream.length).toBe(before);
  } finally {
    await gw.stop();
  }
});

const headers = oas30({
  '/a': {
    get: {
      operationId: 'getA',
      parameters: ['X-Api-Key', 'X-Request-Id', 'X-Forwarded-For', 'Authorization', 'Cookie', 'Host'].map((name) => ({ name, in: 'header', schema: { type: 'string' } })),
      responses: ok,
    },
  },
});

test('header parameters the gateway never sends are not arguments: the transport’s always, the credential’s as configured', async () => {
  const always = await build(headers);
  expect(Object.keys(entry(always, 'get_a').tool.inputSchema.properties!)).toEqual(['X-Api-Key', 'X-Request-Id']);
  const keyed = await build(headers, { credentialHeaders: ['x-api-key'] });
  expect(Object.keys(entry(keyed, 'get_a').tool.inputSchema.properties!)).toEqual(['X-Request-Id']);
});

test('over HTTP: with PORTICO_UPSTREAM_HEADERS carrying X-Api-Key, the tool does not offer it, and its call sends the deployment’s key', async () => {
  const api = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request) => Response.json({ deploymentKey: request.headers.get('x-api-key') === 'deployment-key-123', trace: request.headers.get('x-request-id') }) });
  const dir = tempDir();
  await Bun.write(`${dir}/openapi.json`, JSON.stringify(headers));
  const gw = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_MCP_MODE: 'stateless', PORTICO_PLUGINS: tempDir(), PORTICO_UPSTREAM: `http://127.0.0.1:${api.port}`, PORTICO_SPEC: `${dir}/openapi.json`, PORTICO_UPSTREAM_HEADERS: 'X-Api-Key: deployment-key-123' });
  try {
    const rpc = async (method: string, params: Record<string, unknown>) => ((await (await fetch(gw.mcpUrl, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })).json()) as { result: Record<string, unknown> }).result;
    const { tools } = (await rpc('tools/list', {})) as { tools: { name: string; inputSchema: { properties: Record<string, unknown> } }[] };
    expect(Object.keys(tools[0]!.inputSchema.properties)).toEqual(['X-Request-Id']);
    const called = (await rpc('tools/call', { name: 'get_a', arguments: { 'X-Request-Id': 'r-1' } })) as { content: { text: string }[] };
    expect(JSON.parse(called.content[0]!.text)).toEqual({ deploymentKey: true, trace: 'r-1' });
    // the old argument is now unknown: refused by the schema, never sent
    const refused = (await rpc('tools/call', { name: 'get_a', arguments: { 'X-Api-Key': 'agent-chosen' } })) as { isError?: boolean; content: { text: string }[] };
    expect(refused.isError).toBe(true);
  } finally {
    await gw.stop();
    api.stop(true);
  }
});

test('over HTTP: a path key with a query string (OpenAI’s /responses/{id}?beta=true) sends that query, not an encoded "?" in the path', async () => {
  const api = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request) => Response.json({ path: new URL(request.url).pathname, query: new URL(request.url).search }) });
  const dir = tempDir();
  const doc = oas30({
    '/responses/{id}?beta=true&mode=a%20b': {
      get: {
        operationId: 'getResponse',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'include', in: 'query', schema: { type: 'string' } },
        ],
        responses: ok,
      },
    },
  });
  await Bun.write(`${dir}/openapi.json`, JSON.stringify(doc));
  const gw = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_MCP_MODE: 'stateless', PORTICO_PLUGINS: tempDir(), PORTICO_UPSTREAM: `http://127.0.0.1:${api.port}/v1`, PORTICO_SPEC: `${dir}/openapi.json` });
  try {
    const response = await fetch(gw.mcpUrl, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_response', arguments: { id: 'resp_1', include: 'usage' } } }) });
    const { result } = (await response.json()) as { result: { isError?: boolean; content: { text: string }[] } };
    expect(result.isError ?? false).toBe(false);
    expect(JSON.parse(result.content[0]!.text)).toEqual({ path: '/v1/responses/resp_1', query: '?beta=true&mode=a%20b&include=usage' });
  } finally {
    await gw.stop();
    api.stop(true);
  }
});

test('over HTTP: a required body the schema lets be null is sent as JSON null, not refused', async () => {
  const seen: string[] = [];
  const api = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: async (request) => {
      seen.push(`${request.headers.get('content-type')} ${await request.text()}`);
      return Response.json({ ok: true });
    },
  });
  const dir = tempDir();
  const doc = oas30({
    '/settings': { put: { operationId: 'putSettings', requestBody: { required: true, content: { 'application/json': { schema: { type: ['object', 'null'], properties: { theme: { type: 'string' } } } } } }, responses: ok } },
  });
  await Bun.write(`${dir}/openapi.json`, JSON.stringify({ ...doc, openapi: '3.1.0' }));
  const gw = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_MCP_MODE: 'stateless', PORTICO_PLUGINS: tempDir(), PORTICO_UPSTREAM: `http://127.0.0.1:${api.port}`, PORTICO_SPEC: `${dir}/openapi.json` });
  try {
    const call = async (args: Record<string, unknown>) => {
      const response = await fetch(gw.mcpUrl, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'put_settings', arguments: args } }) });
      return ((await response.json()) as { result: { isError?: boolean; content: { text: string }[] } }).result;
    };
    expect((await call({ body: null })).isError ?? false).toBe(false);
    expect((await call({ body: { theme: 'dark' } })).isError ?? false).toBe(false);
    expect(seen).toEqual(['application/json null', 'application/json {"theme":"dark"}']);
    // absent is still absent: the body is required
    const missing = await call({});
    expect(missing.isError).toBe(true);
    expect(seen).toHaveLength(2);
  } finally {
    await gw.stop();
    api.stop(true);
  }
});

test('a nullable field of a form body has no null in its schema (a form cannot write one); in a JSON body it keeps it', async () => {
  const field = { type: 'string', nullable: true };
  const catalog = await build(
    oas30({
      '/form': { post: { operationId: 'form', requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['a'], properties: { a: field } } } } }, responses: ok } },
      '/parts': { post: { operationId: 'parts', requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { a: field } } } } }, responses: ok } },
      '/json': { post: { operationId: 'json', requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { a: field } } } } }, responses: ok } },
    }),
  );
  expect(accepts(entry(catalog, 'form').tool.inputSchema, { a: null })).toBe(false);
  expect(accepts(entry(catalog, 'form').tool.inputSchema, { a: 'x' })).toBe(true);
  expect(accepts(entry(catalog, 'parts').tool.inputSchema, { a: null })).toBe(false);
  expect(accepts(entry(catalog, 'json').tool.inputSchema, { a: null })).toBe(true);
});

test('a file given by its media type (OpenAPI 3.1 contentMediaType) is base64 in the schema, held to what decodes', async () => {
  const catalog = await build(
    oas31({
      '/voices': {
        post: {
          operationId: 'createVoice',
          requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', required: ['audio'], properties: { audio: { type: 'string', contentMediaType: 'audio/mpeg' } } } } } },
          responses: ok,
        },
      },
    }),
  );
  const input = entry(catalog, 'create_voice').tool.inputSchema;
  expect((input.properties as Record<string, Record<string, unknown>>).audio).toMatchObject({ format: 'binary', contentEncoding: 'base64' });
  expect(accepts(input, { audio: 'SUQzBA==' })).toBe(true);
  expect(accepts(input, { audio: 'data:audio/mpeg;base64,SUQzBA' })).toBe(true);
  expect(accepts(input, { audio: 'cO0Iv' })).toBe(false); // five characters: no base64 decodes to that
  expect(accepts(input, { audio: 'not base64!' })).toBe(false);
  expect(accepts(input, { audio: 'data:4g-;base64,SUQzBA==' })).toBe(false); // a data: URL's type must be a media type
});

test("an input object cut short to keep the schema small still says what the API requires of it, and its union's one type", () => {
  const big = { type: 'object', required: ['name'], properties: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${i}`, { type: 'string' }])) };
  const union = { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'object', properties: { b: { type: 'string' } } }], description: 'x'.repeat(10) };
  markOrigin(big, 'Thread');
  markOrigin(union, 'Tool');
  const { schema } = fitSchema({ type: 'object', properties: { thread: big, tools: { type: 'array', items: union } } }, 10, 'input');
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  expect(properties.thread).toMatchObject({ type: 'object', required: ['name'] });
  expect((properties.tools!.items as Record<string, unknown>).type).toBe('object');
});
