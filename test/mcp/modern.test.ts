/**
 * MCP 2026-07-28 on `/mcp`, over real HTTP, beside the 2025 revisions on the same endpoint (in both modes: a
 * modern request needs no session whatever the mode). The validation ladder answers each bad request with the
 * status and code the revision gives, the request's id, and words that say what to fix, and nothing of it reaches
 * the API; the era of a request is read from its body, so a 2025 client's session works as before.
 *
 * Multi round-trip requests: a policy hook (the shipped confirm-destructive plugin) and a plugin tool ask; the
 * request ends with the questions and a sealed requestState; the retry with the answers completes it — on another
 * instance too. A state changed, taken to other arguments, another tool or another user does not open.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect } from '../fixtures/oauth-http';
import { ALICE, BOB, CAROL } from '../fixtures/signed-in-gateway';
import { startTestGateway, type TestGateway } from '../fixtures/gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

const VERSION = '2026-07-28';
const META = (capabilities: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'modern-test', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': capabilities,
  ...extra,
});

let nextId = 1;

interface Sent {
  readonly status: number;
  readonly contentType: string;
  /** The JSON-RPC answer (the last event of an SSE answer). */
  readonly body: { id?: unknown; result?: Record<string, unknown> & { resultType?: string }; error?: { code: number; message: string; data?: Record<string, unknown> } };
  /** The notifications before it, on an SSE answer. */
  readonly notifications: { method: string; params: Record<string, unknown> }[];
}

/**
 * One 2026-07-28 request as a client of that revision sends it: the envelope in `_meta`, the standard headers.
 * `headers` replace or (with undefined) remove them.
 */
async function send(url: string, method: string, params: Record<string, unknown> = {}, options: { headers?: Record<string, string | undefined>; token?: string; id?: number | string; meta?: Record<string, unknown> | null } = {}): Promise<Sent> {
  const id = options.id ?? nextId++;
  const named = method === 'resources/read' ? params.uri : method === 'tools/call' || method === 'prompts/get' ? params.name : undefined;
  const headers: Record<string, string | undefined> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': VERSION,
    'mcp-method': method,
    ...(typeof named === 'string' && { 'mcp-name': named }),
    ...(options.token && { authorization: `Bearer ${options.token}` }),
    ...options.headers,
  };
  const meta = options.meta === null ? undefined : (options.meta ?? META());
  const body = { jsonrpc: '2.0', id, method, params: { ...params, ...(meta && { _meta: { ...meta, ...(params._meta as object) } }) } };
  const response = await fetch(url, { method: 'POST', headers: Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<string, string>, body: JSON.stringify(body) });
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  if (!contentType.startsWith('text/event-stream')) return { status: response.status, contentType, body: text ? JSON.parse(text) : {}, notifications: [] };
  const events = text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)));
  return { status: response.status, contentType, body: events.at(-1), notifications: events.slice(0, -1) };
}

/** A plugin with a tool that asks (and one that needs sampling), for the rounds. */
const ASKING_PLUGIN = `
export default function asking(api) {
  api.addTool({
    name: 'greet', description: 'Asks for a name, then for a mood', inputSchema: { type: 'object', properties: { times: { type: 'integer' } } },
    handler: async (args, context) => {
      const name = await context.elicit('Your name?', { type: 'object', properties: { name: { type: 'string' } } }, { key: 'name' });
      const mood = await context.elicit('Your mood?', { type: 'object', properties: { mood: { type: 'string' } } }, { key: 'mood' });
      if (!name) return { content: [{ type: 'text', text: 'this client cannot ask: nobody to greet' }] };
      return { content: [{ type: 'text', text: 'hello ' + name.content.name + ' (' + mood.content.mood + ') x' + (args.times ?? 1) }] };
    },
  });
  api.addTool({
    name: 'needs_model', description: 'Cannot run without sampling', inputSchema: { type: 'object', properties: {} },
    handler: async (_args, context) => {
      const said = await context.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 }, { required: true });
      return { content: [{ type: 'text', text: 'the model said ' + said.content.text }] };
    },
  });
  api.addTool({
    name: 'regional', description: 'A region that travels in a header too', inputSchema: { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, note: { type: 'string' } } },
    handler: async (args) => ({ content: [{ type: 'text', text: 'region ' + args.region }] }),
  });
  api.addTool({
    name: 'counts', description: 'Reports progress and logs', inputSchema: { type: 'object', properties: {} },
    handler: async (_args, context) => {
      await context.progress(1, 2);
      await context.log('debug', 'a detail');
      await context.log('warning', 'careful');
      await context.progress(2, 2);
      return { content: [{ type: 'text', text: 'counted' }] };
    },
  });
}
`;

function pluginDir(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'asking.ts'), ASKING_PLUGIN);
  writeFileSync(join(dir, 'confirm-destructive.ts'), `export { default } from ${JSON.stringify(resolve(import.meta.dir, '../../plugins/confirm-destructive.ts'))};`);
  return dir;
}

const ELICIT = { elicitation: {} };
const accept = (content: Record<string, unknown>) => ({ action: 'accept', content });

for (const mode of ['stateless', 'stateful'] as const) {
  describe(`2026-07-28 requests on /mcp (${mode}, without sign-in)`, async () => {
    const gw: TestGateway = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_MCP_MODE: mode, PORTICO_SPEC_TTL: '120', PORTICO_PLUGINS: pluginDir(), PORTICO_PLUGIN_SETTINGS: JSON.stringify({ 'confirm-destructive': { enabled: true } }) });
    afterAll(() => gw.stop());
    const url = gw.mcpUrl;

    test('server/discover: every revision spoken, what is offered, who is answering, how long to keep it', async () => {
      const { status, body } = await send(url, 'server/discover');
      expect(status).toBe(200);
      expect(body.result).toMatchObject({
        resultType: 'complete',
        supportedVersions: ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'],
        capabilities: { tools: { listChanged: true }, logging: {} },
        ttlMs: 120_000,
        cacheScope: 'public',
        _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'portico', version: expect.any(String) } },
      });
    });

    test('tools/list: the same tools as a 2025 session lists, in the same order, with caching hints', async () => {
      const { body } = await send(url, 'tools/list');
      expect(body.result).toMatchObject({ resultType: 'complete', ttlMs: 120_000, cacheScope: 'public' });
      const modern = (body.result!.tools as { name: string }[]).map((tool) => tool.name);
      const legacy = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      // stateless: answered directly; stateful: a session is needed first, which the 2025 path still asks for
      if (mode === 'stateless') expect(((await legacy.json()) as { result: { tools: { name: string }[] } }).result.tools.map((tool) => tool.name)).toEqual(modern);
      else expect(legacy.status).toBe(400);
      expect(modern).toContain('greet');
      expect(modern).toContain('list_organizations');
    });

    test('tools/call reaches the API with the arguments; an unknown tool is Invalid Params on a 200', async () => {
      const before = gw.upstream.length;
      const { status, body } = await send(url, 'tools/call', { name: 'get_project', arguments: { projectId: 'prj_1' } });
      expect(status).toBe(200);
      expect(body.result).toMatchObject({ resultType: 'complete', content: expect.any(Array) });
      expect(gw.upstream.slice(before)).toEqual(['GET /projects/{projectId}']);
      expect(gw.upstreamArgs.at(-1)).toEqual({ projectId: 'prj_1' });
      const unknown = await send(url, 'tools/call', { name: 'no_such_tool', arguments: {} });
      expect({ status: unknown.status, code: unknown.body.error?.code }).toEqual({ status: 200, code: -32602 });
      expect(unknown.body.error?.message).toContain('unknown tool "no_such_tool"');
    });

    test('each rung of the ladder: its status, its code, the request id, and what to fix; nothing reaches the API', async () => {
      const before = gw.upstream.length;
      const call = { name: 'health_check', arguments: {} };
      const cases: [string, Promise<Sent>, number, number, RegExp][] = [
        ['no _meta (the header says 2026-07-28)', send(url, 'tools/call', call, { id: 'a', meta: null }), 400, -32602, /needs params\._meta on every request/],
        ['no client capabilities', send(url, 'tools/call', call, { id: 'b', meta: { 'io.modelcontextprotocol/protocolVersion': VERSION } }), 400, -32602, /io\.modelcontextprotocol\/clientCapabilities/],
        ['header and envelope disagree', send(url, 'tools/call', call, { id: 'c', headers: { 'mcp-protocol-version': '2025-11-25' } }), 400, -32020, /does not match/],
        ['a version not spoken here', send(url, 'tools/call', call, { id: 'd', headers: { 'mcp-protocol-version': '2099-01-01' }, meta: META({}, { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' }) }), 400, -32022, /"2099-01-01" is not supported/],
        ['no Mcp-Method', send(url, 'tools/call', call, { id: 'e', headers: { 'mcp-method': undefined } }), 400, -32020, /Mcp-Method header is required/],
        ['Mcp-Method of another method', send(url, 'tools/call', call, { id: 'f', headers: { 'mcp-method': 'tools/list' } }), 400, -32020, /does not match the body's method/],
        ['Mcp-Method in other case', send(url, 'tools/call', call, { id: 'g', headers: { 'mcp-method': 'Tools/Call' } }), 400, -32020, /does not match/],
        ['Mcp-Name of another tool', send(url, 'tools/call', call, { id: 'h', headers: { 'mcp-name': 'delete_project' } }), 400, -32020, /Mcp-Name header \("delete_project"\) does not match params\.name/],
        ['no Mcp-Name', send(url, 'tools/call', call, { id: 'i', headers: { 'mcp-name': undefined } }), 400, -32020, /Mcp-Name header is required/],
        ['a 2025 method', send(url, 'initialize', {}, { id: 'j' }), 404, -32601, /"initialize" is not part of MCP 2026-07-28/],
        ['ping', send(url, 'ping', {}, { id: 'k' }), 404, -32601, /"ping" is not part of MCP 2026-07-28/],
        ['an unknown method', send(url, 'tools/delete', {}, { id: 'l' }), 404, -32601, /method "tools\/delete" not found/],
        ['no prompts here', send(url, 'prompts/list', {}, { id: 'm' }), 404, -32601, /not found/],
        ['arguments not an object', send(url, 'tools/call', { name: 'health_check', arguments: [1] }, { id: 'n' }), 200, -32602, /"params\.arguments" must be an object/],
      ];
      for (const [what, answer, status, code, words] of cases) {
        const { status: got, body } = await answer;
        expect({ what, status: got, code: body.error?.code, id: body.id }).toEqual({ what, status, code, id: expect.any(String) });
        expect(body.error!.message).toMatch(words);
      }
      const unsupported = (await cases[3]![1]).body.error!;
      expect(unsupported.data).toEqual({ supported: ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'], requested: '2099-01-01' });
      expect(gw.upstream.length).toBe(before);
    });

    test('header values: names case-insensitive, whitespace around values ignored, base64-encoded names decoded', async () => {
      const spaced = await send(url, 'tools/call', { name: 'health_check', arguments: {} }, { headers: { 'mcp-method': undefined, 'MCP-METHOD': '  tools/call ', 'mcp-name': ` =?base64?${btoa('health_check')}?= ` } });
      expect(spaced.status).toBe(200);
      expect(spaced.body.result).toMatchObject({ resultType: 'complete', content: [{ type: 'text' }] });
      const broken = await send(url, 'tools/call', { name: 'health_check', arguments: {} }, { headers: { 'mcp-name': '=?base64?aGVhbHRo!2NoZWNr?=' } });
      expect({ status: broken.status, code: broken.body.error?.code }).toEqual({ status: 400, code: -32020 });
    });

    test('an argument marked x-mcp-header travels in its Mcp-Param header too, and the two must agree', async () => {
      const call = (args: Record<string, unknown>, headers: Record<string, string | undefined>) => send(url, 'tools/call', { name: 'regional', arguments: args }, { headers });
      const agreed = await call({ region: 'eu-west' }, { 'mcp-param-region': 'eu-west' });
      expect(agreed.body.result).toMatchObject({ content: [{ text: 'region eu-west' }] });
      const encoded = await call({ region: 'zürich' }, { 'Mcp-Param-Region': `=?base64?${Buffer.from('zürich').toString('base64')}?=` });
      expect(encoded.body.result).toMatchObject({ content: [{ text: 'region zürich' }] });
      // without the =?base64? … ?= wrapper a value is taken as written
      const literal = await call({ region: 'SGVsbG8=' }, { 'Mcp-Param-Region': 'SGVsbG8=' });
      expect(literal.status).toBe(200);
      const before = gw.calls.length;
      for (const [what, args, headers, words] of [
        ['no header', { region: 'eu-west' }, {}, /travels in the Mcp-Param-Region header too/],
        ['another value', { region: 'eu-west' }, { 'mcp-param-region': 'us-east' }, /\("us-east"\) does not match the argument "region" \("eu-west"\)/],
        ['broken padding', { region: 'Hello' }, { 'mcp-param-region': '=?base64?SGVsbG8?=' }, /not valid =\?base64\?/],
        ['a header without the argument', { note: 'x' }, { 'mcp-param-region': 'eu-west' }, /is sent but the argument "region" is not/],
      ] as const) {
        const refused = await call(args, headers);
        expect({ what, status: refused.status, code: refused.body.error?.code }).toEqual({ what, status: 400, code: -32020 });
        expect(refused.body.error!.message).toMatch(words);
      }
      expect(gw.calls.length).toBe(before);
    });

    test('a notification is accepted and does nothing; a 2025 client beside it still starts its session', async () => {
      const notified = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'notifications/cancelled' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: META() } }),
      });
      expect(notified.status).toBe(202);
      const initialized = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'old', version: '1' } } }),
      });
      expect(initialized.status).toBe(200);
      expect(initialized.headers.get('mcp-session-id') !== null).toBe(mode === 'stateful');
    });

    test('a confirmation asked by a policy hook: the call ends with the question; the retry with "yes" runs it, once', async () => {
      const before = gw.upstream.length;
      const call = { name: 'delete_project', arguments: { projectId: 'prj_gone' } };
      const first = await send(url, 'tools/call', call, { meta: META(ELICIT) });
      expect(first.body.error).toBeUndefined();
      expect(first.status).toBe(200);
      // read before matching: bun's toMatchObject writes its matchers into the object it checks
      const state = first.body.result!.requestState as string;
      const [key, question] = Object.entries(first.body.result!.inputRequests as Record<string, { method: string; params: { message: string } }>)[0]!;
      expect({ resultType: first.body.result!.resultType, state: typeof state, method: question.method }).toEqual({ resultType: 'input_required', state: 'string', method: 'elicitation/create' });
      expect(question.params.message).toBe('Allow "Delete a project" (projectId: "prj_gone")? This cannot be undone.');
      expect(gw.upstream.length).toBe(before);

      const declined = await send(url, 'tools/call', { ...call, inputResponses: { [key]: { action: 'decline' } }, requestState: state }, { meta: META(ELICIT) });
      expect(declined.body.error).toBeUndefined();
      expect(declined.body.result).toMatchObject({ resultType: 'complete', isError: true, content: [{ text: expect.stringContaining('the user did not confirm delete_project') }] });
      expect(gw.upstream.length).toBe(before);

      const confirmed = await send(url, 'tools/call', { ...call, inputResponses: { [key]: accept({ confirm: true }) }, requestState: state }, { meta: META(ELICIT) });
      expect(confirmed.body.result).toMatchObject({ resultType: 'complete' });
      expect(gw.upstream.slice(before)).toEqual(['DELETE /projects/{projectId}']);
      expect(gw.upstreamArgs.at(-1)).toEqual({ projectId: 'prj_gone' });
    });

    test('two rounds of questions: the state carries the first answer into the third request', async () => {
      const call = { name: 'greet', arguments: { times: 2 } };
      const first = await send(url, 'tools/call', call, { meta: META(ELICIT) });
      expect(Object.keys(first.body.result!.inputRequests as object)).toEqual(['name']);
      const second = await send(url, 'tools/call', { ...call, inputResponses: { name: accept({ name: 'Ada' }) }, requestState: first.body.result!.requestState }, { meta: META(ELICIT) });
      expect(Object.keys(second.body.result!.inputRequests as object)).toEqual(['mood']);
      const third = await send(url, 'tools/call', { ...call, inputResponses: { mood: accept({ mood: 'bright' }), stray: accept({}) }, requestState: second.body.result!.requestState }, { meta: META(ELICIT) });
      expect(third.body.result).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'hello Ada (bright) x2' }] });
    });

    test('a state that was changed, or is taken to other arguments or another tool, is refused; so is an answer of the wrong shape', async () => {
      const call = { name: 'greet', arguments: { times: 2 } };
      const first = await send(url, 'tools/call', call, { meta: META(ELICIT) });
      const state = first.body.result!.requestState as string;
      const answers = { name: accept({ name: 'Ada' }) };
      const tampered = `${state.slice(0, -4)}${state.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      for (const params of [
        { ...call, inputResponses: answers, requestState: tampered },
        { ...call, arguments: { times: 3 }, inputResponses: answers, requestState: state },
        { name: 'counts', arguments: {}, inputResponses: answers, requestState: state },
      ]) {
        const refused = await send(url, 'tools/call', params, { meta: META(ELICIT) });
        expect({ status: refused.status, code: refused.body.error?.code }).toEqual({ status: 200, code: -32602 });
        expect(refused.body.error!.message).toContain('"requestState" is not one this server gave for this request');
      }
      const wrongShape = await send(url, 'tools/call', { ...call, inputResponses: { name: 12345 }, requestState: state }, { meta: META(ELICIT) });
      expect(wrongShape.body.error).toMatchObject({ code: -32602, message: expect.stringContaining('inputResponses["name"] must be an object') });
    });

    test('a client that cannot ask its user is not asked; a call that needs sampling from one that cannot is refused with -32021', async () => {
      const notAsked = await send(url, 'tools/call', { name: 'greet', arguments: {} });
      expect(notAsked.body.result).toMatchObject({ resultType: 'complete', content: [{ text: 'this client cannot ask: nobody to greet' }] });
      const refused = await send(url, 'tools/call', { name: 'needs_model', arguments: {} });
      expect({ status: refused.status, code: refused.body.error?.code, data: refused.body.error?.data }).toEqual({ status: 400, code: -32021, data: { requiredCapabilities: { sampling: {} } } });
      const sampled = await send(url, 'tools/call', { name: 'needs_model', arguments: {} }, { meta: META({ sampling: {} }) });
      expect(sampled.body.result?.resultType).toBe('input_required');
      const [key] = Object.keys(sampled.body.result!.inputRequests as object);
      const done = await send(url, 'tools/call', { name: 'needs_model', arguments: {}, inputResponses: { [key!]: { role: 'assistant', content: { type: 'text', text: 'hello' }, model: 'm' } }, requestState: sampled.body.result!.requestState }, { meta: META({ sampling: {} }) });
      expect(done.body.result).toMatchObject({ resultType: 'complete', content: [{ text: 'the model said hello' }] });
    });

    test('progress and log messages stream before the result, logs only at the level the request asks for', async () => {
      const quiet = await send(url, 'tools/call', { name: 'counts', arguments: {} });
      expect({ type: quiet.contentType, notifications: quiet.notifications }).toEqual({ type: 'application/json', notifications: [] });
      const withProgress = await send(url, 'tools/call', { name: 'counts', arguments: {}, _meta: { progressToken: 'p' } });
      expect(withProgress.contentType).toStartWith('text/event-stream');
      expect(withProgress.notifications.map((n) => n.method)).toEqual(['notifications/progress', 'notifications/progress']);
      const withLogs = await send(url, 'tools/call', { name: 'counts', arguments: {} }, { meta: META({}, { 'io.modelcontextprotocol/logLevel': 'info' }) });
      expect(withLogs.notifications).toEqual([{ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'warning', data: 'careful' } } as never]);
      expect(withLogs.body.result).toMatchObject({ resultType: 'complete', content: [{ text: 'counted' }] });
    });
  });
}

describe('2026-07-28 with sign-in: two instances of one deployment, two users', async () => {
  const dir = tempDir();
  // behind one load balancer: one public URL (the issuer, the tokens' audience), one database, one secret
  const publicUrl = 'http://localhost:18931';
  const env = { PORTICO_DATABASE_URL: join(dir, 'portico.db'), PORTICO_PLUGINS: pluginDir(), PORTICO_PUBLIC_URL: publicUrl };
  const a = await startTestGateway(env);
  const b = await startTestGateway(env, { demo: a.demo });
  afterAll(async () => {
    await b.stop();
    await a.stop();
  });
  const alice = (await connect(a.origin, publicUrl, ALICE)).tokens.access_token;
  const bob = (await connect(b.origin, publicUrl, BOB)).tokens.access_token;

  test('lists are private to the caller; the round asked on one instance is answered on the other', async () => {
    const listed = await send(a.mcpUrl, 'tools/list', {}, { token: alice });
    expect(listed.body.result).toMatchObject({ cacheScope: 'private' });
    const call = { name: 'greet', arguments: {} };
    const first = await send(a.mcpUrl, 'tools/call', call, { token: alice, meta: META(ELICIT) });
    expect(first.body.error).toBeUndefined();
    const second = await send(b.mcpUrl, 'tools/call', { ...call, inputResponses: { name: accept({ name: 'Alice' }) }, requestState: first.body.result!.requestState }, { token: alice, meta: META(ELICIT) });
    expect(second.body.error).toBeUndefined();
    const state = second.body.result!.requestState;
    expect(Object.keys(second.body.result!.inputRequests as object)).toEqual(['mood']);
    const third = await send(a.mcpUrl, 'tools/call', { ...call, inputResponses: { mood: accept({ mood: 'fine' }) }, requestState: state }, { token: alice, meta: META(ELICIT) });
    expect(third.body.result).toMatchObject({ content: [{ text: 'hello Alice (fine) x1' }] });
  });

  test("another user's state does not open, and a call beyond the scopes is the 403 challenge in this era too (when the user could allow it)", async () => {
    const call = { name: 'greet', arguments: {} };
    const alices = await send(a.mcpUrl, 'tools/call', call, { token: alice, meta: META(ELICIT) });
    const taken = await send(a.mcpUrl, 'tools/call', { ...call, inputResponses: { name: accept({ name: 'Mallory' }) }, requestState: alices.body.result!.requestState }, { token: bob, meta: META(ELICIT) });
    expect(taken.body.error).toMatchObject({ code: -32602, message: expect.stringContaining('belongs to another request or user') });

    const before = a.upstream.length;
    // alice allowed read only; her role allows write
    const readOnly = (await connect(a.origin, publicUrl, ALICE, undefined, ['read'])).tokens.access_token;
    const response = await fetch(a.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${readOnly}`, 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': 'create_project' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'create_project', arguments: { name: 'nope' }, _meta: META() } }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="read write"');
    expect(((await response.json()) as { id: number; error: { message: string } })).toMatchObject({ id: 7, error: { message: expect.stringContaining('needs the "write" permission, which this connection was not given') } });
    expect(a.upstream.length).toBe(before);
  });

  test("a call beyond what the user's role can ever allow is a tool result saying why in this era too: no challenge", async () => {
    const before = [a.upstream.length, b.upstream.length];
    const carol = (await connect(a.origin, publicUrl, CAROL)).tokens.access_token;
    const refused = await send(a.mcpUrl, 'tools/call', { name: 'create_project', arguments: { name: 'nope' } }, { token: carol });
    expect(refused.status).toBe(200);
    expect(refused.body.error).toBeUndefined();
    expect(refused.body.result).toMatchObject({
      resultType: 'complete',
      isError: true,
      content: [{ type: 'text', text: expect.stringContaining('needs the "write" permission, which your account (carol@example.com) cannot grant: its role allows at most "read"') }],
    });
    // bob, a developer, and an admin tool
    const admin = await send(b.mcpUrl, 'tools/call', { name: 'delete_database', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' } }, { token: bob });
    expect({ status: admin.status, result: admin.body.result }).toMatchObject({ status: 200, result: { isError: true, content: [{ text: expect.stringContaining('its role allows at most "write"') }] } });
    expect([a.upstream.length, b.upstream.length]).toEqual(before);
  });
});

describe('subscriptions/listen', async () => {
  const dir = tempDir();
  const file = join(dir, 'openapi.json');
  const spec = (names: string[]) => JSON.stringify({ openapi: '3.0.3', info: { title: 'T', version: '1' }, paths: Object.fromEntries(names.map((name) => [`/${name}`, { get: { operationId: name, responses: { 200: { description: 'ok' } } } }])) });
  writeFileSync(file, spec(['first']));
  // a resource that a plugin says changed when its tool is called
  writeFileSync(
    join(dir, 'watched.ts'),
    `export default (api) => {
      let version = 0;
      api.addResource({ uri: 'demo://watched', name: 'watched', read: () => ({ text: 'version ' + version }) });
      api.addResource({ uri: 'demo://other', name: 'other', read: () => ({ text: 'other' }) });
      api.addTool({ name: 'touch', description: 'changes demo://watched', inputSchema: { type: 'object', properties: {} }, handler: () => { version++; api.resourceUpdated('demo://watched'); api.resourceUpdated('demo://other'); return { content: [{ type: 'text', text: 'touched' }] }; } });
    };`,
  );
  const api = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('ok') });
  const gw = await startTestGateway({ PORTICO_UPSTREAM: `http://127.0.0.1:${api.port}`, PORTICO_SPEC: file, PORTICO_AUTH: 'none', PORTICO_PLUGINS: dir, PORTICO_MAX_SESSIONS_PER_TOKEN: '2' });
  afterAll(async () => {
    await gw.stop();
    api.stop(true);
  });

  /** Opens a stream and reads its events as they come. */
  async function listen(notifications: Record<string, unknown>) {
    const controller = new AbortController();
    const response = await fetch(gw.mcpUrl, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'subscriptions/listen' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'sub-1', method: 'subscriptions/listen', params: { notifications, _meta: META() } }),
    });
    const events: { method: string; params: Record<string, unknown> }[] = [];
    const reader = response.body!.getReader();
    let buffered = '';
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buffered += new TextDecoder().decode(value);
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)));
      }
    })();
    return { response, events, close: () => controller.abort() };
  }

  const waitFor = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await Bun.sleep(10);
  };

  test('acknowledged first with what will be sent; a tool list change reaches the streams that asked for it, tagged with their id', async () => {
    const tools = await listen({ toolsListChanged: true, promptsListChanged: true, resourceSubscriptions: ['test://nothing'] });
    const prompts = await listen({ promptsListChanged: true });
    expect(tools.response.headers.get('content-type')).toStartWith('text/event-stream');
    await waitFor(() => tools.events.length > 0 && prompts.events.length > 0);
    // no prompts here, and no such resource: only the tool list is promised
    expect(tools.events[0]).toEqual({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { notifications: { toolsListChanged: true }, _meta: { 'io.modelcontextprotocol/subscriptionId': 'sub-1' } } } as never);
    expect(prompts.events[0]!.params.notifications).toEqual({});

    writeFileSync(file, spec(['first', 'second']));
    await gw.gateway.tools.refresh();
    await waitFor(() => tools.events.length > 1);
    expect(tools.events[1]).toEqual({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { 'io.modelcontextprotocol/subscriptionId': 'sub-1' } } } as never);
    await Bun.sleep(50);
    expect(prompts.events.length).toBe(1);

    // at most PORTICO_MAX_SESSIONS_PER_TOKEN streams per caller: a third is refused until one closes
    const third = await fetch(gw.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'subscriptions/listen' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'subscriptions/listen', params: { notifications: {}, _meta: META() } }),
    });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { message: string } }).error.message).toContain('at most 2');
    tools.close();
    prompts.close();
    await waitFor(() => gw.gateway.endpoint.listening === 0);
    expect(gw.gateway.endpoint.listening).toBe(0);
  });

  test('resource updates reach the streams subscribed to that resource, and no other', async () => {
    const watching = await listen({ resourceSubscriptions: ['demo://watched', 'demo://nothing'] });
    await waitFor(() => watching.events.length > 0);
    expect(watching.events[0]!.params.notifications).toEqual({ resourceSubscriptions: ['demo://watched'] });
    const touched = await send(gw.mcpUrl, 'tools/call', { name: 'touch', arguments: {} });
    expect(touched.body.result).toMatchObject({ content: [{ text: 'touched' }] });
    await waitFor(() => watching.events.length > 1);
    await Bun.sleep(50);
    expect(watching.events.slice(1)).toEqual([{ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'demo://watched', _meta: { 'io.modelcontextprotocol/subscriptionId': 'sub-1' } } } as never]);
    watching.close();
  });
});

describe('cancellation in 2026-07-28', async () => {
  const dir = tempDir();
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify({ openapi: '3.0.3', info: { title: 'T', version: '1' }, paths: { '/slow': { get: { operationId: 'slow', responses: { 200: { description: 'ok' } } } } } }));
  let upstreamAborted = () => {};
  const seenAbort = new Promise<void>((resolve) => (upstreamAborted = resolve));
  const api = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (request) =>
      new Promise<Response>((resolve) => {
        request.signal.addEventListener('abort', () => {
          upstreamAborted();
          resolve(new Response('cancelled'));
        });
      }),
  });
  const gw = await startTestGateway({ PORTICO_UPSTREAM: `http://127.0.0.1:${api.port}`, PORTICO_SPEC: file, PORTICO_AUTH: 'none', PORTICO_PLUGINS: dir });
  afterAll(async () => {
    await gw.stop();
    api.stop(true);
  });

  test('a request stands alone, so the client closing it cancels the call: the API sees its request end', async () => {
    const controller = new AbortController();
    const pending = fetch(gw.mcpUrl, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': 'slow' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: {}, _meta: META() } }),
    });
    await Bun.sleep(50);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await seenAbort;
  });
});
