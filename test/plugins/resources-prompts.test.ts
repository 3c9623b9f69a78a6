/**
 * Resources, prompts, completions, logging and sampling from plugins, through real HTTP with the SDK's own
 * client signed in through OAuth: what the caller's scopes reach, the caller's own credential upstream,
 * subscriptions, and every way a plugin or a client can get it wrong.
 */
import { ANSWER_TEMPLATE } from '../../src/calls/answer/read';
import { afterAll, describe, expect, test } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type CallToolResult,
  type CreateMessageRequest,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { connectAs } from '../fixtures/oauth-client';
import { ALICE, BOB, startSignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDirWith } from '../fixtures/temp';

afterAll(removeTempDirs);


const PLUGIN = `
export default function (api) {
  api.addResource({ uri: 'demo://me', name: 'me', description: 'Who you are to the API', mimeType: 'application/json',
    async read(ctx) { return { text: await (await ctx.upstream('/me')).text() }; } });
  api.addResource({ uri: 'demo://audit-summary', name: 'audit-summary', description: 'Admins only', scope: 'admin', read: () => ({ text: 'secret' }) });
  api.addResource({ uri: 'demo://broken', name: 'broken', description: 'Fails', read() { throw new Error('the disk is on fire'); } });
  api.addResource({ uri: 'demo://malformed', name: 'malformed', description: 'Answers nonsense', read: () => ({ nonsense: true }) });
  let version = 0;
  api.addResource({ uri: 'demo://counter', name: 'counter', description: 'Changes when bumped', read: () => ({ text: String(version) }) });
  api.addTool({ name: 'bump', description: 'Changes demo://counter', inputSchema: { type: 'object' }, handler() { version++; api.resourceUpdated('demo://counter'); return { content: [{ type: 'text', text: String(version) }] }; } });
  api.addResourceTemplate({ uriTemplate: 'demo://projects/{projectId}', name: 'project', description: 'One project', mimeType: 'application/json',
    async read(uri, { projectId }, ctx) { return { text: await (await ctx.upstream('/projects/' + encodeURIComponent(projectId))).text() }; },
    complete: { projectId: (value) => Array.from({ length: 150 }, (_, i) => 'prj_' + String(i).padStart(3, '0')).filter((id) => id.startsWith(value)) } });
  api.addPrompt({ name: 'review_database', description: 'Review a database', arguments: [{ name: 'databaseId', required: true, complete: (value, ctx) => ['db_a', 'db_b'].filter((id) => id.startsWith(value) && ctx.arguments.projectId !== 'none') }, { name: 'focus' }],
    get: ({ databaseId, focus }) => ({ messages: [{ role: 'user', content: { type: 'text', text: 'Review ' + databaseId + (focus ? ' for ' + focus : '') } }] }) });
  api.addPrompt({ name: 'drop_everything', description: 'Write access needed', scope: 'write', get: () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'x' } }] }) });
  api.addPrompt({ name: 'bad_prompt', description: 'Answers nonsense', get: () => ({ messages: [{ role: 'robot', content: 'hi' }] }) });
  api.addTool({ name: 'chatty', description: 'Logs at every level', inputSchema: { type: 'object' }, async handler(args, ctx) {
    for (const level of ['debug', 'info', 'warning', 'error']) await ctx.log(level, level + ' message');
    return { content: [{ type: 'text', text: 'done' }] };
  } });
  api.addTool({ name: 'ask_model', description: 'Samples', inputSchema: { type: 'object' }, async handler(args, ctx) {
    const answer = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'Say hi' } }], maxTokens: 10 });
    return { content: [{ type: 'text', text: answer ? answer.model + ': ' + answer.content.text : 'no sampling here' }] };
  } });
}`;

const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;

describe('resources and prompts from a plugin', async () => {
  const gw = await startSignedInGateway({ PORTICO_PLUGINS: tempDirWith({ 'features.ts': PLUGIN }) });
  afterAll(() => gw.stop());
  // bob is a developer: his grant reaches write, not admin
  const bob = await connectAs(gw.mcpUrl, BOB, { scopes: ['read', 'write'] });
  const alice = await connectAs(gw.mcpUrl, ALICE, { scopes: ['read'] });
  afterAll(async () => {
    await bob.client.close();
    await alice.client.close();
  });

  test('the server declares resources (with subscriptions), prompts, completions and logging', () => {
    expect(bob.client.getServerCapabilities()).toMatchObject({ tools: { listChanged: true }, resources: { subscribe: true }, prompts: {}, completions: {}, logging: {} });
  });

  test("lists what the caller's scopes reach", async () => {
    const uris = (await bob.client.listResources()).resources.map((resource) => resource.uri);
    expect(uris).toEqual(['demo://me', 'demo://broken', 'demo://malformed', 'demo://counter']);
    // the plugin's template, then where the whole answers of shortened calls are read (calls/answer/read)
    expect((await bob.client.listResourceTemplates()).resourceTemplates).toEqual([
      { uriTemplate: 'demo://projects/{projectId}', name: 'project', description: 'One project', mimeType: 'application/json' },
      ANSWER_TEMPLATE,
    ]);
    expect((await bob.client.listPrompts()).prompts.map((prompt) => prompt.name)).toEqual(['review_database', 'drop_everything', 'bad_prompt']);
    expect((await alice.client.listPrompts()).prompts.map((prompt) => prompt.name)).toEqual(['review_database', 'bad_prompt']);
  });

  test("reads with the caller's own upstream credential, fixed URIs and templates", async () => {
    const me = await bob.client.readResource({ uri: 'demo://me' });
    expect(me.contents).toHaveLength(1);
    expect(me.contents[0]).toMatchObject({ uri: 'demo://me', mimeType: 'application/json' });
    expect(JSON.parse((me.contents[0] as { text: string }).text).email).toBe('bob@example.com');
    const aliceMe = await alice.client.readResource({ uri: 'demo://me' });
    expect(JSON.parse((aliceMe.contents[0] as { text: string }).text).email).toBe('alice@example.com');
    const project = await bob.client.readResource({ uri: 'demo://projects/prj_7d3f8a1b' });
    expect(project.contents[0]!.uri).toBe('demo://projects/prj_7d3f8a1b');
    expect(JSON.parse((project.contents[0] as { text: string }).text).id).toBe('prj_7d3f8a1b');
  });

  test('refuses what is unknown, beyond the scopes, failing or malformed — with what to do', async () => {
    // SEP-2164 (2026-07-28, and the suites for every revision): an unknown resource is Invalid Params (-32602), with the uri in data
    // the client puts "MCP error <code>: " in front once (issue 21: the wire message no longer carries it too)
    await expect(bob.client.readResource({ uri: 'demo://nothing' })).rejects.toThrow(/^MCP error -32602: no resource "demo:\/\/nothing"; resources\/list and resources\/templates\/list show what there is$/);
    await expect(bob.client.readResource({ uri: 'demo://audit-summary' })).rejects.toThrow(/The resource "demo:\/\/audit-summary" needs the "admin" permission/);
    await expect(bob.client.readResource({ uri: 'demo://broken' })).rejects.toThrow(/reading demo:\/\/broken \(from features.ts\) failed: the disk is on fire/);
    expect(gw.logs.some((line) => line.includes('"plugin.handler_failed"') && line.includes('the disk is on fire'))).toBe(true);
    await expect(bob.client.readResource({ uri: 'demo://malformed' })).rejects.toThrow(/reading demo:\/\/malformed \(from features.ts\) returned a result MCP does not allow/);
    await expect(alice.client.getPrompt({ name: 'drop_everything' })).rejects.toThrow(/The prompt "drop_everything" needs the "write" permission/);
    await expect(bob.client.getPrompt({ name: 'nope' })).rejects.toThrow(/no prompt "nope"; prompts\/list shows the prompts/);
    await expect(bob.client.getPrompt({ name: 'review_database', arguments: {} })).rejects.toThrow(/the prompt "review_database" needs the argument "databaseId"/);
    await expect(bob.client.getPrompt({ name: 'review_database', arguments: { databaseId: 'db_a', colour: 'red' } })).rejects.toThrow(/has no argument "colour" \(it takes: databaseId, focus\)/);
    await expect(bob.client.getPrompt({ name: 'bad_prompt' })).rejects.toThrow(/the prompt "bad_prompt" \(from features.ts\) returned a result MCP does not allow/);
  });

  test('gets a prompt with its arguments', async () => {
    const prompt = await bob.client.getPrompt({ name: 'review_database', arguments: { databaseId: 'db_a', focus: 'indexes' } });
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Review db_a for indexes' } }]);
  });

  test('completes prompt arguments and template variables: at most 100, with the total', async () => {
    const many = await bob.client.complete({ ref: { type: 'ref/resource', uri: 'demo://projects/{projectId}' }, argument: { name: 'projectId', value: 'prj_' } });
    expect(many.completion).toEqual({ values: Array.from({ length: 100 }, (_, i) => `prj_${String(i).padStart(3, '0')}`), total: 150, hasMore: true });
    const few = await bob.client.complete({ ref: { type: 'ref/resource', uri: 'demo://projects/{projectId}' }, argument: { name: 'projectId', value: 'prj_14' } });
    expect(few.completion).toEqual({ values: Array.from({ length: 10 }, (_, i) => `prj_14${i}`), total: 10, hasMore: false });
    const prompt = await bob.client.complete({ ref: { type: 'ref/prompt', name: 'review_database' }, argument: { name: 'databaseId', value: 'db_' } });
    expect(prompt.completion.values).toEqual(['db_a', 'db_b']);
    // the arguments already chosen reach the completer
    const withContext = await bob.client.complete({ ref: { type: 'ref/prompt', name: 'review_database' }, argument: { name: 'databaseId', value: 'db_' }, context: { arguments: { projectId: 'none' } } });
    expect(withContext.completion.values).toEqual([]);
    // an argument without a completer: nothing to suggest
    expect((await bob.client.complete({ ref: { type: 'ref/prompt', name: 'review_database' }, argument: { name: 'focus', value: '' } })).completion.values).toEqual([]);
    await expect(bob.client.complete({ ref: { type: 'ref/prompt', name: 'review_database' }, argument: { name: 'colour', value: '' } })).rejects.toThrow(/the prompt "review_database" has no argument "colour"/);
    await expect(bob.client.complete({ ref: { type: 'ref/resource', uri: 'demo://nope/{x}' }, argument: { name: 'x', value: '' } })).rejects.toThrow(/no resource template "demo:\/\/nope\/\{x\}"/);
    await expect(alice.client.complete({ ref: { type: 'ref/prompt', name: 'drop_everything' }, argument: { name: 'x', value: '' } })).rejects.toThrow(/needs the "write" permission/);
  });

  test('subscriptions: told when a plugin says the resource changed, until unsubscribed; only known resources', async () => {
    const updates: string[] = [];
    bob.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => void updates.push(notification.params.uri));
    await bob.client.subscribeResource({ uri: 'demo://counter' });
    // another session bumps it; bob's session, subscribed, is told over its GET stream
    await alice.client.callTool({ name: 'bump', arguments: {} });
    for (let i = 0; i < 50 && updates.length === 0; i++) await Bun.sleep(20);
    expect(updates).toEqual(['demo://counter']);
    expect((await bob.client.readResource({ uri: 'demo://counter' })).contents[0]).toMatchObject({ text: '1' });
    await bob.client.unsubscribeResource({ uri: 'demo://counter' });
    await alice.client.callTool({ name: 'bump', arguments: {} });
    await Bun.sleep(150);
    expect(updates).toEqual(['demo://counter']);
    await expect(bob.client.subscribeResource({ uri: 'demo://nothing' })).rejects.toThrow(/no resource "demo:\/\/nothing"/);
    await expect(bob.client.subscribeResource({ uri: 'demo://audit-summary' })).rejects.toThrow(/needs the "admin" permission/);
  });

  test('log messages from a tool respect the level the client set', async () => {
    const received: LoggingMessageNotification['params'][] = [];
    bob.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void received.push(notification.params));
    await bob.client.callTool({ name: 'chatty', arguments: {} });
    expect(received.map((message) => message.level)).toEqual(['debug', 'info', 'warning', 'error']);
    received.length = 0;
    await bob.client.setLoggingLevel('warning');
    await bob.client.callTool({ name: 'chatty', arguments: {} });
    expect(received).toEqual([
      { level: 'warning', data: 'warning message' },
      { level: 'error', data: 'error message' },
    ]);
  });

  test("sampling goes to a client that can sample; a client that cannot gets the tool's fallback", async () => {
    expect(text((await bob.client.callTool({ name: 'ask_model', arguments: {} })) as CallToolResult)).toBe('no sampling here');
    const sampler = new Client({ name: 'sampler', version: '1' }, { capabilities: { sampling: {} } });
    const asked: CreateMessageRequest['params'][] = [];
    sampler.setRequestHandler(CreateMessageRequestSchema, (request) => {
      asked.push(request.params);
      return { role: 'assistant', content: { type: 'text', text: 'hi there' }, model: 'test-model' };
    });
    await sampler.connect(new StreamableHTTPClientTransport(new URL(gw.mcpUrl), { authProvider: bob.provider }));
    try {
      expect(text((await sampler.callTool({ name: 'ask_model', arguments: {} })) as CallToolResult)).toBe('test-model: hi there');
      expect(asked).toEqual([{ messages: [{ role: 'user', content: { type: 'text', text: 'Say hi' } }], maxTokens: 10 }]);
    } finally {
      await sampler.close();
    }
  });
});

describe('without plugins that add them, nothing more is declared', async () => {
  const gw = await startSignedInGateway();
  afterAll(() => gw.stop());

  test('tools, and resources only for the whole answers of shortened calls (no subscriptions, nothing listed); prompts/list is method-not-found', async () => {
    const { client } = await connectAs(gw.mcpUrl, ALICE);
    expect(client.getServerCapabilities()).toEqual({ tools: { listChanged: true }, resources: {} });
    expect((await client.listResources()).resources).toEqual([]);
    expect((await client.listResourceTemplates()).resourceTemplates).toEqual([ANSWER_TEMPLATE]);
    await expect(client.request({ method: 'prompts/list', params: {} }, (await import('@modelcontextprotocol/sdk/types.js')).ListPromptsResultSchema)).rejects.toThrow(/-32601/);
    await expect(client.request({ method: 'resources/subscribe', params: { uri: 'portico://answers/x' } }, (await import('@modelcontextprotocol/sdk/types.js')).EmptyResultSchema)).rejects.toThrow(/-32601/);
    await client.close();
  });
});

describe('resources and prompts a plugin gets wrong stop the start, naming the plugin', () => {
  const start = (source: string) => startSignedInGateway({ PORTICO_PLUGINS: tempDirWith({ 'wrong.ts': `export default function (api) {\n${source}\n}\n` }) });
  const read = '() => ({ text: "x" })';

  test.each([
    [`api.addResource({ uri: 'not a uri', name: 'x', read: ${read} })`, /wrong\.ts: the resource uri "not a uri" must be an absolute URI/],
    [`api.addResource({ uri: 'demo://{id}', name: 'x', read: ${read} })`, /is a template; add it with addResourceTemplate/],
    [`api.addResource({ uri: 'demo://a', read: ${read} })`, /the resource "demo:\/\/a" needs a name/],
    [`api.addResource({ uri: 'demo://a', name: 'a' })`, /the resource "demo:\/\/a" needs a read function/],
    [`api.addResource({ uri: 'demo://a', name: 'a', scope: 'root', read: ${read} })`, /the resource "demo:\/\/a" has scope "root"; use read, write or admin/],
    [`api.addResource({ uri: 'demo://a', name: 'a', read: ${read} }); api.addResource({ uri: 'demo://a', name: 'b', read: ${read} })`, /the resource "demo:\/\/a" is already added by wrong\.ts/],
    [`api.addResourceTemplate({ uriTemplate: 'demo://fixed', name: 'x', read: ${read} })`, /must hold at least one \{variable\}/],
    [`api.addResourceTemplate({ uriTemplate: 'demo://p/{id}', name: 'x', read: ${read}, complete: { name: () => [] } })`, /completes "name", which is not one of its variables \(id\)/],
    [`api.addPrompt({ name: 'has space', get: () => ({ messages: [] }) })`, /prompt name "has space" must match/],
    [`api.addPrompt({ name: 'p', arguments: [{ name: 'a' }, { name: 'a' }], get: () => ({ messages: [] }) })`, /the prompt "p" has the argument "a" twice/],
    [`api.addPrompt({ name: 'p', get: () => ({ messages: [] }) }); api.addPrompt({ name: 'p', get: () => ({ messages: [] }) })`, /the prompt "p" is already added by wrong\.ts/],
  ])('%s', async (source, message) => {
    await expect(start(source)).rejects.toThrow(message);
  });
});
