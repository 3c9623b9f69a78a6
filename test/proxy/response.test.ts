/**
 * The API's response → the MCP result: JSON with valid structured content (even when the API drifts from
 * its spec), text, images, files, errors with the API's message, and bodies cut at the cap.
 */
import { describe, expect, test } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CatalogEntry } from '../../src/catalog/index';
import { callTool, structuredFor } from '../../src/proxy/index';
import { call, expectValidStructured, json, operation, textOf, upstreamForThisFile } from './helpers';

const upstream = upstreamForThisFile();

const ok = (schema: unknown, type = 'application/json') => ({ responses: { '200': { description: 'ok', content: { [type]: { schema } } } } });
const user = { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } }, additionalProperties: false };
const getUser = () => operation('GET', '/user', ok(user));
const listUsers = () => operation('GET', '/users', ok({ type: 'array', items: user }));

describe('JSON', () => {
  test('an object: the JSON as text and as structuredContent', async () => {
    upstream.answer(() => json({ id: 1, name: 'Ada', tags: ['x'] }));
    const op = await getUser();
    const result = await call(op, {}, { upstream: upstream.url });
    expect(textOf(result)).toBe('{"id":1,"name":"Ada","tags":["x"]}');
    expect(result.structuredContent).toEqual({ id: 1, name: 'Ada', tags: ['x'] });
    expect(result._meta).toBeUndefined();
    expectValidStructured(op, result);
  });

  test('an array is wrapped as {result} when the target says so', async () => {
    upstream.answer(() => json([{ id: 1 }, { id: 2 }]));
    const op = await listUsers();
    expect(op.target.wrapsResult).toBe(true);
    const result = await call(op, {}, { upstream: upstream.url });
    expect(result.structuredContent).toEqual({ result: [{ id: 1 }, { id: 2 }] });
    expectValidStructured(op, result);
  });

  test('a tool without an output schema gets text only', async () => {
    upstream.answer(() => json({ anything: true }));
    const op = await operation('GET', '/free', { responses: { '200': { description: 'ok' } } });
    const result = await call(op, {}, { upstream: upstream.url });
    expect(op.tool.outputSchema).toBeUndefined();
    expect(result.structuredContent).toBeUndefined();
    expect(textOf(result)).toBe('{"anything":true}');
  });

  test('JSON sent as text/plain to a tool that expects JSON is still read as JSON', async () => {
    upstream.answer(() => new Response('{"id":3}', { headers: { 'content-type': 'text/plain; charset=utf-8' } }));
    const op = await getUser();
    const result = await call(op, {}, { upstream: upstream.url });
    expect(result.structuredContent).toEqual({ id: 3 });
  });
});

describe('an API drifting from its spec still yields valid structuredContent, and the full JSON as text', () => {
  const cases: [string, () => Promise<CatalogEntry>, unknown, unknown][] = [
    ['null where a string and a list are declared', getUser, { id: 1, name: null, tags: null }, { id: 1 }],
    ['a number as a string (unknown properties are kept: output schemas are open)', getUser, { id: '1', name: 'Ada', extra: true }, { name: 'Ada', extra: true }],
    ['bad items inside a wrapped list', listUsers, [{ id: 1 }, { id: 'two', name: 5 }, null], { result: [{ id: 1 }, {}] }],
    ['null for the wrapped list itself', listUsers, null, { result: [] }],
    ['a list where an object is declared', getUser, [{ id: 1 }], {}],
    ['a string where a list of strings is declared, deep', getUser, { tags: ['a', 1, 'b', { x: 1 }] }, { tags: ['a', 'b'] }],
  ];
  for (const [label, make, sent, expected] of cases) {
    test(label, async () => {
      upstream.answer(() => json(sent));
      const op = await make();
      const result = await call(op, {}, { upstream: upstream.url });
      expect(textOf(result)).toBe(JSON.stringify(sent));
      expect(result.structuredContent).toEqual(expected as Record<string, unknown>);
      expect(Array.isArray((result._meta as Record<string, unknown>)['portico/removed'])).toBe(true);
      expectValidStructured(op, result);
    });
  }

  test("the SDK's own client accepts the repaired result (over an in-memory MCP connection)", async () => {
    upstream.answer(() => json({ id: 1, name: null, tags: [null, 'ok'] }));
    const op = await getUser();
    const server = new Server({ name: 'proxy-test', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [op.tool] }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => (await callTool(op, request.params.arguments ?? {}, { upstream: upstream.url })).result);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'test-client', version: '1' });
    await client.connect(clientSide);
    await client.listTools(); // the client learns the output schema here and validates against it
    const result = (await client.callTool({ name: op.tool.name, arguments: {} })) as CallToolResult;
    expect(result.structuredContent).toEqual({ id: 1, tags: ['ok'] });
    expect(textOf(result)).toBe('{"id":1,"name":null,"tags":[null,"ok"]}');
    await client.close();
    await server.close();
  });
});

describe('structuredFor (schemas the catalog would not make, for the repair rules themselves)', () => {
  const tool = (outputSchema: Record<string, unknown>) => ({ name: 't', inputSchema: { type: 'object' as const }, outputSchema: { type: 'object' as const, ...outputSchema } });

  test('a property that is not allowed is removed, not its object', () => {
    const fitted = structuredFor(tool({ properties: { a: { type: 'object', properties: { b: { type: 'string' } }, additionalProperties: false } } }), { a: { b: 'x', c: 1 } });
    expect(fitted).toEqual({ value: { a: { b: 'x' } }, removed: ['/a/c'] });
  });

  test('a union that no branch matches loses the value, not a part of it', () => {
    const schema = { properties: { v: { oneOf: [{ type: 'string' }, { type: 'object', properties: { n: { type: 'integer' } } }] } } };
    expect(structuredFor(tool(schema), { v: { n: 'x' }, w: 1 })).toEqual({ value: { w: 1 }, removed: ['/v'] });
  });

  test('keys with / and ~ are addressed correctly', () => {
    const schema = { properties: { 'a/b': { type: 'string' }, 'c~d': { type: 'string' } } };
    expect(structuredFor(tool(schema), { 'a/b': 1, 'c~d': 2, ok: 3 })).toEqual({ value: { ok: 3 }, removed: ['/a~1b', '/c~0d'] });
  });

  test('the value given is not modified', () => {
    const value = { a: { b: 'x', c: 1 } };
    structuredFor(tool({ properties: { a: { type: 'object', additionalProperties: false, properties: { b: {} } } } }), value);
    expect(value).toEqual({ a: { b: 'x', c: 1 } });
  });

  test('a required property that cannot be kept: the smallest valid value', () => {
    const schema = { properties: { result: { type: 'array' }, count: { type: 'integer' } }, required: ['result', 'count'] };
    expect(structuredFor(tool(schema), 'not an object')).toEqual({ value: { result: [], count: 0 }, removed: [''] });
  });
});

describe('other media types', () => {
  test('text', async () => {
    upstream.answer(() => new Response('name,size\nmain,10\n', { headers: { 'content-type': 'text/csv' } }));
    const result = await call(await operation('GET', '/csv', ok({ type: 'string' }, 'text/csv')), {}, { upstream: upstream.url });
    expect(result.content).toEqual([{ type: 'text', text: 'name,size\nmain,10\n' }]);
  });

  test('text in another charset is decoded', async () => {
    upstream.answer(() => new Response(Uint8Array.from([0x63, 0x61, 0x66, 0xe9]), { headers: { 'content-type': 'text/plain; charset=iso-8859-1' } }));
    const result = await call(await operation('GET', '/t', {}), {}, { upstream: upstream.url });
    expect(textOf(result)).toBe('café');
  });

  test('an image becomes image content (base64)', async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    upstream.answer(() => new Response(png, { headers: { 'content-type': 'image/png' } }));
    const result = await call(await operation('GET', '/img', {}), {}, { upstream: upstream.url });
    expect(result.content).toEqual([{ type: 'image', data: Buffer.from(png).toString('base64'), mimeType: 'image/png' }]);
  });

  test('audio becomes audio content', async () => {
    upstream.answer(() => new Response(Uint8Array.from([1, 2, 3]), { headers: { 'content-type': 'audio/mpeg' } }));
    const result = await call(await operation('GET', '/a', {}), {}, { upstream: upstream.url });
    expect(result.content).toEqual([{ type: 'audio', data: 'AQID', mimeType: 'audio/mpeg' }]);
  });

  test('other bytes become an embedded resource with their media type', async () => {
    upstream.answer(() => new Response(Uint8Array.from([0x25, 0x50, 0x44, 0x46]), { headers: { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="report 1.pdf"' } }));
    const result = await call(await operation('GET', '/pdf', {}), {}, { upstream: upstream.url });
    expect(result.content).toEqual([{ type: 'resource', resource: { uri: 'portico://response/op/report%201.pdf', mimeType: 'application/pdf', blob: 'JVBERg==' } }]);
  });

  test('an empty body says so; a tool with an output schema still gets valid structuredContent', async () => {
    upstream.answer(() => new Response(null, { status: 201, headers: { location: '/user/9' } }));
    const op = await getUser();
    const result = await call(op, {}, { upstream: upstream.url });
    expect(textOf(result)).toBe('The API answered 201 Created with an empty body. Location: /user/9');
    expectValidStructured(op, result);
  });

  test('HEAD reports the status and headers', async () => {
    upstream.answer(() => new Response(null, { headers: { etag: '"v1"' } }));
    const result = await call(await operation('HEAD', '/h', {}), {}, { upstream: upstream.url });
    expect(textOf(result)).toStartWith('The API answered 200 OK.');
    expect(textOf(result)).toContain('etag: "v1"');
  });
});

describe('HTTP errors: isError with the status and the API\'s message', () => {
  const cases: [string, () => Response, string][] = [
    ['404 with message', () => json({ message: 'project prj_9 not found' }, 404), 'The API answered 404 Not Found to GET /user: project prj_9 not found'],
    ['422 FastAPI detail list', () => json({ detail: [{ loc: ['body', 'name'], msg: 'field required' }, { loc: ['body', 'size_gb'], msg: 'must be ≥ 1' }] }, 422), 'The API answered 422 Unprocessable Entity to GET /user: body.name: field required; body.size_gb: must be ≥ 1'],
    ['422 message with a list of field errors', () => json({ message: 'Validation failed', errors: [{ field: 'name', message: 'is required' }] }, 422), ': Validation failed (name: is required)'],
    ['400 RFC 9457 problem', () => json({ type: 'about:blank', title: 'Bad Request', detail: 'page must be positive' }, 400, { 'content-type': 'application/problem+json' }), ': Bad Request: page must be positive'],
    ['401 OAuth error', () => json({ error: 'invalid_token', error_description: 'the token expired' }, 401), ': invalid_token: the token expired'],
    ['409 nested error object', () => json({ error: { code: 'conflict', message: 'name already taken' } }, 409), ': name already taken'],
    ['500 HTML page, trimmed', () => new Response('\n  <html><body>Internal Server Error</body></html>\n', { status: 500, headers: { 'content-type': 'text/html' } }), 'The API answered 500 Internal Server Error to GET /user: <html><body>Internal Server Error</body></html>'],
    ['503 plain text with Retry-After', () => new Response('down for maintenance', { status: 503, headers: { 'retry-after': '120' } }), ': down for maintenance Retry after 120 s.'],
    ['502 empty', () => new Response(null, { status: 502 }), 'The API answered 502 Bad Gateway to GET /user with no message.'],
  ];
  for (const [label, answer, expected] of cases) {
    test(label, async () => {
      upstream.answer(answer);
      const result = await call(await getUser(), {}, { upstream: upstream.url, retries: 0 });
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toBeUndefined();
      expect(textOf(result)).toContain(expected);
    });
  }

  test('a body that is only its message is not repeated', async () => {
    upstream.answer(() => json({ message: 'project prj_9 not found' }, 404));
    expect(textOf(await call(await getUser(), {}, { upstream: upstream.url }))).toBe('The API answered 404 Not Found to GET /user: project prj_9 not found');
  });

  test('the full JSON error body follows the message when it says more', async () => {
    upstream.answer(() => json({ message: 'bad', code: 'E42', hint: 'try again' }, 400));
    const result = await call(await getUser(), {}, { upstream: upstream.url });
    expect(textOf(result)).toBe('The API answered 400 Bad Request to GET /user: bad\n\n{"message":"bad","code":"E42","hint":"try again"}');
  });
});

describe('the credential is blanked out of what the API echoes', () => {
  test('in text, structured content and error messages', async () => {
    const options = { upstream: upstream.url, headers: { Authorization: 'Bearer tok_0123456789abcdef' } };
    upstream.answer((_, recorded) => json({ id: 1, name: recorded.headers.get('authorization') }));
    const op = await getUser();
    const result = await call(op, {}, options);
    expect(textOf(result)).toBe('{"id":1,"name":"[redacted]"}');
    expect(result.structuredContent).toEqual({ id: 1, name: '[redacted]' });
    upstream.answer((_, recorded) => json({ message: `bad token ${recorded.headers.get('authorization')!.slice(7)}` }, 401));
    expect(textOf(await call(op, {}, options))).toContain(': bad token [redacted]');
  });
});

describe('size cap', () => {
  test('a JSON body over the cap is cut with a note; structuredContent still validates', async () => {
    const big = JSON.stringify({ id: 1, name: 'x'.repeat(5000) });
    upstream.answer(() => new Response(big, { headers: { 'content-type': 'application/json' } }));
    const op = await getUser();
    const result = await call(op, {}, { upstream: upstream.url, maxResponseBytes: 1000 });
    expect(result.isError).toBeFalsy();
    const text = textOf(result);
    expect(text.startsWith(big.slice(0, 1000))).toBe(true);
    expect(text).toContain(`[Cut: only the first 1000 bytes of ${big.length} of the API's response are shown`);
    expectValidStructured(op, result);
  });

  test('a multi-byte character cut at the cap is not mangled', async () => {
    upstream.answer(() => new Response('ééé', { headers: { 'content-type': 'text/plain; charset=utf-8' } }));
    const result = await call(await operation('GET', '/t', {}), {}, { upstream: upstream.url, maxResponseBytes: 3 });
    expect(textOf(result)).toStartWith('é\n\n[Cut:');
  });

  test('an image over the cap is left out with a note (half an image is of no use)', async () => {
    upstream.answer(() => new Response(new Uint8Array(5000), { headers: { 'content-type': 'image/png' } }));
    const result = await call(await operation('GET', '/img', {}), {}, { upstream: upstream.url, maxResponseBytes: 1000 });
    expect(result.content).toEqual([{ type: 'text', text: "The API sent image/png of 5000 bytes, over the gateway's limit of 1000 bytes for one response; it is not included." }]);
  });

  test('a 50 MB streamed response: cut at the cap, the stream stopped, memory bounded', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    let produced = 0;
    upstream.answer(
      () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              if (produced >= 50 * 1024 * 1024) return controller.close();
              controller.enqueue(chunk);
              produced += chunk.length;
            },
          }),
          { headers: { 'content-type': 'text/plain' } },
        ),
    );
    Bun.gc(true);
    const before = process.memoryUsage().rss;
    const result = await call(await operation('GET', '/stream', {}), {}, { upstream: upstream.url });
    const grown = process.memoryUsage().rss - before;
    const text = textOf(result);
    expect(text.startsWith('a'.repeat(1024 * 1024))).toBe(true);
    expect(text).toContain('[Cut: only the first 1048576 bytes');
    await Bun.sleep(100);
    expect(produced).toBeLessThan(20 * 1024 * 1024); // the upstream stopped being read long before 50 MB
    expect(grown).toBeLessThan(40 * 1024 * 1024);
  });
});
