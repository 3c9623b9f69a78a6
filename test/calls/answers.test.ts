/**
 * Issue 20: answers sized for an agent. A tool's answer over the budget comes back within it, still valid JSON,
 * saying what was left out, with a `resource_link` to the whole answer; reading that link gives the whole answer
 * page by page, each page within the budget and valid JSON — for the grant that made the call, and nobody else
 * (another user, or the same user's other connection, is told there is no such resource). A file the API answers
 * is a link too, never inline base64. Over real HTTP: the demo API, the gateway with sign-in, SQLite.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BYTES_PER_TOKEN } from '../../src/calls/answer/budget';
import { ALICE, BOB, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
import { connect, postMcp } from '../fixtures/oauth-http';
import { startTestGateway, type TestGateway } from '../fixtures/gateway';
import { tempDir } from '../fixtures/temp';

interface ToolResult {
  content: ({ type: 'text'; text: string } | { type: 'resource_link'; uri: string; mimeType?: string; size?: number } | { type: string; [key: string]: unknown })[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, any>;
}
interface Rpc<T> {
  result?: T;
  error?: { code: number; message: string };
}
interface ReadResult {
  contents: { uri: string; mimeType?: string; text?: string; blob?: string }[];
  _meta?: { 'portico/page'?: { page: number; pages: number; next?: string; items?: { path: string; from: number; to: number; total: number } } };
}

const BUDGET = 2_000; // tokens: small enough that a week of metrics crosses it many times over
const DAY = 86_400_000;
const metricsArgs = (days: number) => ({ projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q', metric: 'cpu_percent', from: new Date(Date.now() - days * DAY).toISOString(), step: '1m' });

describe('a list over the budget (signed in)', () => {
  let gw: SignedInGateway;
  let alice: string;
  beforeAll(async () => {
    gw = await startSignedInGateway({ PORTICO_MCP_MODE: 'stateless', PORTICO_PLUGINS: tempDir(), PORTICO_ANSWER_BUDGET: String(BUDGET), PORTICO_MAX_RESPONSE_BYTES: String(4 * 1024 * 1024) });
    alice = (await connect(gw.origin, gw.origin, ALICE)).tokens.access_token;
  });
  afterAll(() => gw.stop());

  const call = async (token: string, name: string, args: Record<string, unknown>) => (await postMcp<Rpc<ToolResult>>(gw.mcpUrl, 'tools/call', { name, arguments: args }, { token })).body;
  const read = async (token: string, uri: string, modern = false) => (await postMcp<Rpc<ReadResult>>(gw.mcpUrl, 'resources/read', { uri }, { token, modern })).body;

  test('comes back within the budget, valid JSON, saying what was left out, with a link the caller reads in pages to the whole answer', async () => {
    const { result } = await call(alice, 'get_database_metrics', metricsArgs(3));
    expect(result?.isError).toBeFalsy();
    const [answer, note, link] = result!.content as [{ text: string }, { text: string }, { type: string; uri: string; size: number; mimeType: string }];
    const points = JSON.parse(answer.text) as { timestamp: string; value: number }[];
    expect(Array.isArray(points)).toBe(true);
    const sent = result!.content.reduce((sum, item) => sum + Buffer.byteLength(JSON.stringify(item)), 0);
    expect(sent).toBeLessThanOrEqual(BUDGET * BYTES_PER_TOKEN);
    // what was left out: the list, with its length
    const shortened = result!._meta!['portico/shortened'];
    expect(shortened.omitted[0]).toEqual({ path: '', kind: 'items', kept: points.length, total: 3 * 24 * 60 });
    expect(note.text).toContain(`keeps ${points.length} of ${3 * 24 * 60} items`);
    expect(note.text).toContain(link.uri);
    // the structured content is the shortened answer too, and valid (the tool wraps a list as { result })
    expect(result!.structuredContent).toEqual({ result: points });
    expect(link).toMatchObject({ type: 'resource_link', mimeType: 'application/json' });
    expect(link.size).toBeGreaterThan(BUDGET * BYTES_PER_TOKEN);

    // every page valid JSON within the budget; together, the whole answer
    const all: unknown[] = [];
    let uri: string | undefined = link.uri;
    let pages = 0;
    while (uri) {
      const { result: page, error } = await read(alice, uri, pages % 2 === 1); // both eras
      expect(error).toBeUndefined();
      expect(Buffer.byteLength(page!.contents[0]!.text!)).toBeLessThanOrEqual(BUDGET * BYTES_PER_TOKEN);
      all.push(...(JSON.parse(page!.contents[0]!.text!) as unknown[]));
      pages++;
      uri = page!._meta!['portico/page']!.next;
    }
    expect(pages).toBeGreaterThan(1);
    expect(all.length).toBe(3 * 24 * 60);
    expect(all.slice(0, points.length)).toEqual(points);
    expect(Buffer.byteLength(JSON.stringify(all))).toBe(link.size);
  });

  test("the link is the caller's grant's only: another user's token, or the same user's other connection, finds no such resource", async () => {
    const { result } = await call(alice, 'get_database_metrics', metricsArgs(2));
    const link = result!.content.find((item) => item.type === 'resource_link') as { uri: string };
    const bob = (await connect(gw.origin, gw.origin, BOB)).tokens.access_token;
    const aliceAgain = (await connect(gw.origin, gw.origin, ALICE)).tokens.access_token;
    for (const token of [bob, aliceAgain]) {
      const { result: read_, error } = await read(token, link.uri);
      expect(read_).toBeUndefined();
      expect(error!.code).toBe(-32002);
      expect(error!.message).toContain('another connection');
    }
    // an id that was never given out is answered the same way
    const made = await read(alice, `${link.uri.slice(0, -4)}AAAA`);
    expect(made.error!.code).toBe(-32002);
    // and the owner still reads it
    expect((await read(alice, link.uri)).result!.contents[0]!.text).toStartWith('[');
  });

  test('an answer within the budget is as the API sent it, with its size in _meta', async () => {
    const { result } = await call(alice, 'list_projects', {});
    expect(result!.content).toHaveLength(1);
    const text = (result!.content[0] as { text: string }).text;
    expect(result!._meta!['portico/size']).toEqual({ bytes: Buffer.byteLength(text), tokens: Math.ceil(Buffer.byteLength(text) / BYTES_PER_TOKEN) });
  });

  test('a page past the end, and an address that is not an answer, are refused saying what to ask for', async () => {
    const { result } = await call(alice, 'get_database_metrics', metricsArgs(1));
    const link = result!.content.find((item) => item.type === 'resource_link') as { uri: string };
    const first = await read(alice, link.uri);
    const pages = first.result!._meta!['portico/page']!.pages;
    const past = await read(alice, `${link.uri}?page=${pages + 1}`);
    expect(past.error!.message).toContain(`there are ${pages} pages`);
    const bad = await read(alice, 'portico://answers/x');
    expect(bad.error!.message).toContain('is not an answer');
  });

  test('fields keeps only the parts a JMESPath expression names; the real SDK client accepts the answer under the output schema', async () => {
    const client = new Client({ name: 'fields-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${alice}` } } }));
    try {
      const whole = (await client.callTool({ name: 'list_projects', arguments: {} })) as ToolResult;
      const items = (whole.structuredContent as { items: { id: string; name: string }[] }).items;
      const result = (await client.callTool({ name: 'list_projects', arguments: { fields: 'items[].{id: id, name: name}' } })) as ToolResult;
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ selected: items.map(({ id, name }) => ({ id, name })) });
      expect(JSON.parse((result.content[0] as { text: string }).text)).toEqual(items.map(({ id, name }) => ({ id, name })));
      // the tool says what it offers
      const { tools } = await client.listTools();
      const listProjects = tools.find((tool) => tool.name === 'list_projects')!;
      expect(Object.keys(listProjects.inputSchema.properties!)).toContain('fields');
      expect(Object.keys(listProjects.outputSchema!.properties!)).toContain('selected');
      // on a tool whose answer is a list (its output schema wraps it as { result }), the same: { selected }
      const points = (await client.callTool({ name: 'get_database_metrics', arguments: { ...metricsArgs(1), fields: '[:3].value' } })) as ToolResult;
      expect(points.isError).toBeFalsy();
      const values = (points.structuredContent as { selected: number[] }).selected;
      expect(values).toHaveLength(3);
      expect(values.every((value) => typeof value === 'number')).toBe(true);
      // a write operation has no fields
      expect(Object.keys(tools.find((tool) => tool.name === 'create_project')!.inputSchema.properties!)).not.toContain('fields');
    } finally {
      await client.close();
    }
  });

  test('fields that do not parse are refused before the API is called, with the parser\'s words and an example', async () => {
    const { result } = await call(alice, 'list_projects', { fields: 'items[' });
    expect(result!.isError).toBe(true);
    expect((result!.content[0] as { text: string }).text).toContain('Invalid argument "fields": is not a JMESPath expression');
    expect((result!.content[0] as { text: string }).text).toContain('items[].{id: id, name: name}');
  });

  test('a page says how to get the next one; pages fetches several and joins their lists', async () => {
    const one = await call(alice, 'list_projects', { per_page: 1 });
    expect(one.result!._meta!['portico/pages']).toEqual({ fetched: 1, next: { tool: 'list_projects', arguments: { per_page: 1, page: 2 } } });
    expect((one.result!.content.at(-1) as { text: string }).text).toContain('More results: call list_projects with {"per_page":1,"page":2}');
    const three = await call(alice, 'list_projects', { per_page: 1, pages: 3 });
    const joined = three.result!.structuredContent as { items: { id: string }[] };
    expect(joined.items).toHaveLength(3);
    const all = (await call(alice, 'list_projects', { per_page: 3 })).result!.structuredContent as { items: { id: string }[] };
    expect(joined.items.map((p) => p.id)).toEqual(all.items.map((p) => p.id));
    expect(three.result!._meta!['portico/pages']).toMatchObject({ fetched: 3, next: { arguments: { per_page: 1, page: 4 } } });
    // with fields, the next page's arguments keep them
    const picked = await call(alice, 'list_projects', { per_page: 2, pages: 2, fields: 'items[].id' });
    const four = (await call(alice, 'list_projects', { per_page: 4 })).result!.structuredContent as { items: { id: string }[] };
    expect(picked.result!.structuredContent).toEqual({ selected: four.items.map((p) => p.id) });
    expect(picked.result!._meta!['portico/pages'].next.arguments).toEqual({ per_page: 2, page: 3, fields: 'items[].id' });
  });

  test('resources/templates/list shows where whole answers are read', async () => {
    const { body } = await postMcp<Rpc<{ resourceTemplates: { uriTemplate: string }[] }>>(gw.mcpUrl, 'resources/templates/list', {}, { token: alice });
    expect(body.result!.resourceTemplates.map((t) => t.uriTemplate)).toContain('portico://answers/{id}{?page}');
  });
});

describe('files and budgets of single tools (no sign-in, an API of our own)', () => {
  let upstream: ReturnType<typeof Bun.serve>;
  let gw: TestGateway;
  const zip = new Uint8Array(5000).map((_, i) => (i * 7) % 256);
  const log = Array.from({ length: 4000 }, (_, i) => `line ${i}: something happened`).join('\n');
  beforeAll(async () => {
    upstream = Bun.serve({
      port: 0,
      fetch(request) {
        const { pathname } = new URL(request.url);
        if (pathname === '/openapi.json') return Response.json(spec);
        if (pathname === '/export') return new Response(zip, { headers: { 'content-type': 'application/zip', 'content-disposition': 'attachment; filename="export.zip"' } });
        if (pathname === '/log') return new Response(log, { headers: { 'content-type': 'text/plain' } });
        if (pathname === '/numbers') {
          const page = Number(new URL(request.url).searchParams.get('page') ?? '1');
          const numbers = Array.from({ length: 10 }, (_, i) => ({ n: (page - 1) * 10 + i, word: `number ${(page - 1) * 10 + i}` }));
          return Response.json({ numbers }, { headers: page < 100 ? { link: `</numbers?page=${page + 1}>; rel="next"` } : {} });
        }
        if (pathname === '/items') return Response.json({ items: Array.from({ length: 800 }, (_, i) => ({ id: i, name: `item ${i}` })), total: 800 });
        return new Response('not found', { status: 404 });
      },
    });
    gw = await startTestGateway({
      PORTICO_AUTH: 'none',
      PORTICO_MCP_MODE: 'stateless',
      PORTICO_UPSTREAM: `http://127.0.0.1:${upstream.port}`,
      PORTICO_SPEC: `http://127.0.0.1:${upstream.port}/openapi.json`,
      PORTICO_PLUGINS: tempDir(),
      PORTICO_ANSWER_BUDGETS: 'get_log=1000,list_numbers=1000,list_items=40000',
    });
  });
  afterAll(async () => {
    await gw.stop();
    upstream.stop(true);
  });
  const call = async (name: string, args: Record<string, unknown> = {}) => (await postMcp<Rpc<ToolResult>>(gw.mcpUrl, 'tools/call', { name, arguments: args })).body.result!;

  test('a file is a resource link with its name, type and size, never inline base64; reading it gives the bytes', async () => {
    const result = await call('export_data');
    expect(result.content).toHaveLength(1);
    const link = result.content[0] as { type: string; uri: string; name: string; mimeType: string; size: number };
    expect(link).toMatchObject({ type: 'resource_link', name: 'export.zip', mimeType: 'application/zip', size: 5000 });
    const { body } = await postMcp<Rpc<ReadResult>>(gw.mcpUrl, 'resources/read', { uri: link.uri });
    expect(new Uint8Array(Buffer.from(body.result!.contents[0]!.blob!, 'base64'))).toEqual(zip);
  });

  test("a tool's own budget (PORTICO_ANSWER_BUDGETS) cuts its text at a line end; another tool keeps the deployment's", async () => {
    const result = await call('get_log');
    const text = (result.content[0] as { text: string }).text;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1000 * BYTES_PER_TOKEN);
    expect(log.startsWith(`${text}\n`)).toBe(true);
    expect(result.content.some((item) => item.type === 'resource_link')).toBe(true);
    // 800 small items fit the budget: unchanged
    const items = await call('list_items');
    expect(items.content).toHaveLength(1);
  });

  test('a tool allowed more than clients take by default (25,000 tokens) says so in tools/list; the others do not', async () => {
    const { body } = await postMcp<Rpc<{ tools: { name: string; _meta?: Record<string, unknown> }[] }>>(gw.mcpUrl, 'tools/list');
    const meta = Object.fromEntries(body.result!.tools.map((tool) => [tool.name, tool._meta?.['anthropic/maxResultSizeChars']]));
    expect(meta).toEqual({ export_data: undefined, get_log: undefined, list_numbers: undefined, list_items: 40_000 * BYTES_PER_TOKEN });
  });

  test('pages stops at the answer budget, says so, and says where to go on', async () => {
    const result = await call('list_numbers', { pages: 20 });
    const pages = result._meta!['portico/pages'];
    expect(pages.stopped).toBe('budget');
    expect(pages.fetched).toBeGreaterThan(1);
    expect(pages.fetched).toBeLessThan(20);
    expect(pages.next.arguments).toEqual({ page: pages.fetched + 1 });
    const numbers = (JSON.parse((result.content[0] as { text: string }).text) as { numbers: { n: number }[] }).numbers;
    expect(numbers.map((item) => item.n)).toEqual(Array.from({ length: numbers.length }, (_, i) => i));
    expect(result.content.map((item) => ('text' in item ? String(item.text) : '')).join(' ')).toContain('Stopped early: the answer reached its size limit.');
  });

  test('a budget for a tool that is not there stops the start, naming it', async () => {
    const started = startTestGateway({ PORTICO_AUTH: 'none', PORTICO_UPSTREAM: `http://127.0.0.1:${upstream.port}`, PORTICO_SPEC: `http://127.0.0.1:${upstream.port}/openapi.json`, PORTICO_PLUGINS: tempDir(), PORTICO_ANSWER_BUDGETS: 'get_logs=5000' });
    await expect(started).rejects.toThrow('PORTICO_ANSWER_BUDGETS names "get_logs", which is not a tool of this API (did you mean "get_log"?)');
  });
});

const spec = {
  openapi: '3.0.3',
  info: { title: 'Files', version: '1' },
  paths: {
    '/export': { get: { operationId: 'exportData', responses: { '200': { description: 'A zip', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } } } } },
    '/log': { get: { operationId: 'getLog', responses: { '200': { description: 'Text', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    '/numbers': { get: { operationId: 'listNumbers', parameters: [{ name: 'page', in: 'query', schema: { type: 'integer' } }], responses: { '200': { description: 'Numbers', content: { 'application/json': { schema: { type: 'object', properties: { numbers: { type: 'array', items: { type: 'object' } } } } } } } } } },
    '/items': { get: { operationId: 'listItems', responses: { '200': { description: 'Items', content: { 'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: { type: 'object' } }, total: { type: 'integer' } } } } } } } } },
  },
};
