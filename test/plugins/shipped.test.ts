/**
 * The plugins that ship in plugins/, loaded from that folder as a deployment would, each configured
 * through PORTICO_PLUGIN_SETTINGS and driven over real HTTP; unconfigured, they change nothing.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { startDemoApi } from '../../src/demo';
import { connectAs } from '../fixtures/oauth-client';
import { ALICE, CAROL, startSignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

const PLUGINS = resolve(import.meta.dir, '../../plugins');
afterAll(removeTempDirs);
const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;

test('unconfigured, the shipped plugins change nothing', async () => {
  const gw = await startSignedInGateway({ PORTICO_PLUGINS: PLUGINS });
  try {
    const { client } = await connectAs(gw.mcpUrl, ALICE);
    expect((await client.listTools()).tools).toHaveLength(gw.gateway.tools.all.length);
    await client.close();
  } finally {
    await gw.stop();
  }
});

describe('rules.ts', async () => {
  const gw = await startSignedInGateway({
    PORTICO_PLUGINS: PLUGINS,
    PORTICO_PLUGIN_SETTINGS: JSON.stringify({
      rules: {
        exclude: { methods: ['DELETE'] },
        hide: ['*backup*'],
        rename: { get_project: 'project_details' },
        describe: { list_projects: 'Projects you can see.' },
        scope: { create_project: 'admin' },
        pin: { list_projects: { per_page: 2 } },
      },
    }),
  });
  afterAll(() => gw.stop());

  test('excludes, hides, renames, re-describes, re-scopes and pins from settings', async () => {
    const { client, provider } = await connectAs(gw.mcpUrl, ALICE, { scopes: ['read', 'write'] });
    const tools = new Map((await client.listTools()).tools.map((tool) => [tool.name, tool]));
    expect([...tools.keys()].some((name) => name.startsWith('delete_') || name.includes('backup'))).toBe(false);
    expect(tools.has('project_details') && !tools.has('get_project')).toBe(true);
    expect(tools.get('list_projects')?.description).toBe('Projects you can see.');
    // create_project now needs admin, which this connection was not given
    expect(tools.has('create_project')).toBe(false);
    expect(provider.saved?.scope).toBe('read write');
    const page = (await client.callTool({ name: 'list_projects', arguments: {} })) as CallToolResult;
    expect((page.structuredContent as { per_page: number }).per_page).toBe(2);
    await client.close();
  });
});

test("rules.ts includes and excludes by the operations' x- extensions", async () => {
  // the demo API's document with extensions of the kind APIs carry: one marks internal operations, one an audience
  const api = await startDemoApi({ port: 0 });
  const spec = (await (await fetch(api.specUrl)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
  const operation = (path: string) => spec.paths[path]!.get!;
  operation('/orgs')['x-internal'] = true;
  operation('/projects')['x-internal'] = false;
  operation('/projects/{projectId}')['x-audience'] = 'ops';
  const file = join(tempDir(), 'swagger.json');
  writeFileSync(file, JSON.stringify(spec));
  const listed = async (rules: Record<string, unknown>) => {
    const gw = await startSignedInGateway({ PORTICO_UPSTREAM: api.baseUrl, PORTICO_SPEC: file, PORTICO_PLUGINS: PLUGINS, PORTICO_PLUGIN_SETTINGS: JSON.stringify({ rules }) });
    try {
      const { client } = await connectAs(gw.mcpUrl, ALICE);
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      await client.close();
      return names;
    } finally {
      await gw.stop();
    }
  };
  try {
    const withoutInternal = await listed({ exclude: { extensions: ['x-internal'] } });
    expect(withoutInternal).not.toContain('list_organizations');
    // `x-internal: false` does not count as marked
    expect(withoutInternal).toContain('list_projects');
    expect(await listed({ include: { extensions: { 'x-audience': 'ops' } } })).toEqual(['get_project']);
  } finally {
    await api.stop();
  }
});

test('rules.ts refuses settings it does not know, naming them', async () => {
  await expect(startSignedInGateway({ PORTICO_PLUGINS: PLUGINS, PORTICO_PLUGIN_SETTINGS: JSON.stringify({ rules: { hdie: ['x'] } }) })).rejects.toThrow(/^rules\.ts: unknown setting "hdie"; known: include, exclude/);
});

test('openapi.ts serves more APIs from the settings, each with its prefix and credential; a wrong entry stops the start', async () => {
  const second = await startDemoApi({ port: 0 });
  const gw = await startSignedInGateway({
    PORTICO_PLUGINS: PLUGINS,
    PORTICO_PLUGIN_SETTINGS: JSON.stringify({ openapi: { apis: [{ name: 'second', spec: second.specUrl, upstream: second.baseUrl, prefix: 'second_', credential: 'user' }] } }),
  });
  try {
    const { client } = await connectAs(gw.mcpUrl, ALICE);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('list_projects');
    expect(names).toContain('second_list_projects');
    // credential "user": the second API is sent alice's token from the gateway's own API, which that separate
    // server never issued — its refusal comes back as the tool's error (apis.test.ts has an API that accepts it)
    const refused = (await client.callTool({ name: 'second_get_current_user', arguments: {} })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain('401');
    await client.close();
  } finally {
    await gw.stop();
    await second.stop();
  }
  await expect(startSignedInGateway({ PORTICO_PLUGINS: PLUGINS, PORTICO_PLUGIN_SETTINGS: JSON.stringify({ openapi: { apis: [{ name: 'x', spec: '/x.json', upstream: 'http://127.0.0.1:9' }] } }) })).rejects.toThrow(
    /openapi\.ts: the API "x" needs a "prefix"/,
  );
  await expect(startSignedInGateway({ PORTICO_PLUGINS: PLUGINS, PORTICO_PLUGIN_SETTINGS: JSON.stringify({ openapi: { api: [] } }) })).rejects.toThrow(/unknown setting api; the only one is "apis"/);
});

describe('static-users.ts', async () => {
  // an API with API keys only, in spirit: the demo API with one token the deployment holds
  const api = await startDemoApi({ port: 0 });
  afterAll(() => api.stop());
  const login = await fetch(`${api.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'carol@example.com', password: 'carol-demo-password' }) });
  const { token } = (await login.json()) as { token: string };
  const users = join(tempDir(), 'users.json');
  writeFileSync(users, JSON.stringify({ users: [{ username: 'ops-bot', name: 'Ops Bot', passwordHash: await Bun.password.hash('s3cret-ops-password'), maxScope: 'read', headers: { Authorization: `Bearer ${token}` } }] }));
  const gw = await startSignedInGateway({
    PORTICO_UPSTREAM: api.baseUrl,
    PORTICO_SPEC: api.specUrl,
    PORTICO_PLUGINS: PLUGINS,
    PORTICO_PLUGIN_SETTINGS: JSON.stringify({ 'static-users': { file: users } }),
  });
  afterAll(() => gw.stop());

  test('users from the file sign in and call the API with their configured credential', async () => {
    await expect(connectAs(gw.mcpUrl, { email: 'ops-bot', password: 'wrong' })).rejects.toThrow(/signing in answered 401/);
    const { client, provider } = await connectAs(gw.mcpUrl, { email: 'ops-bot', password: 's3cret-ops-password' });
    expect(provider.saved?.scope).toBe('read');
    const me = (await client.callTool({ name: 'get_current_user', arguments: {} })) as CallToolResult;
    expect((me.structuredContent as { email: string }).email).toBe('carol@example.com');
    await client.close();
  });

  test('a users file with a mistake stops the start, naming the entry', async () => {
    const broken = join(tempDir(), 'users.json');
    writeFileSync(broken, JSON.stringify({ users: [{ username: 'x', passwordHash: 'plain-text', maxScope: 'read', headers: {} }] }));
    await expect(startSignedInGateway({ PORTICO_PLUGINS: PLUGINS, PORTICO_PLUGIN_SETTINGS: JSON.stringify({ 'static-users': { file: broken } }) })).rejects.toThrow(/users\[0\] needs a "passwordHash" made with Bun.password.hash/);
  });
});

describe('demo-office-hours.ts', async () => {
  const gw = await startSignedInGateway({
    PORTICO_PLUGINS: PLUGINS,
    // office hours that never come: every delete of a production database is refused
    PORTICO_PLUGIN_SETTINGS: JSON.stringify({ 'demo-office-hours': { productionDatabases: ['db_8f3k2m9q'], timeZone: 'Europe/Berlin', hours: [0, 0] } }),
  });
  afterAll(() => gw.stop());

  test('no deleting production databases outside office hours; read-only connections never see backups', async () => {
    const alice = await connectAs(gw.mcpUrl, ALICE);
    const before = gw.upstream.length;
    const denied = (await alice.client.callTool({ name: 'delete_database', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' } })) as CallToolResult;
    expect(text(denied)).toContain('may only be deleted on weekdays between 0:00 and 0:00 (Europe/Berlin)');
    expect(gw.upstream.length).toBe(before);
    const backups = alice.client.callTool({ name: 'list_backups', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' } }) as Promise<CallToolResult>;
    expect((await backups).isError).toBeFalsy();
    const carol = await connectAs(gw.mcpUrl, CAROL);
    const hidden = (await carol.client.callTool({ name: 'list_backups', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' } })) as CallToolResult;
    expect(text(hidden)).toBe('Backups are not shown to read-only connections.');
    await alice.client.close();
    await carol.client.close();
  });
});

describe('confirm-destructive.ts', async () => {
  const gw = await startSignedInGateway({ PORTICO_PLUGINS: PLUGINS, PORTICO_PLUGIN_SETTINGS: JSON.stringify({ 'confirm-destructive': { enabled: true } }) });
  afterAll(() => gw.stop());
  const alice = await connectAs(gw.mcpUrl, ALICE, { scopes: ['read', 'write', 'admin'] });
  afterAll(() => alice.client.close());
  const DELETE = { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' };

  /** A client of alice's that can ask her (elicitation), answering with `answer`. */
  async function askingClient(answer: (message: string) => ElicitResult) {
    const client = new Client({ name: 'asks', version: '1' }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      return answer(request.params.message);
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.mcpUrl), { authProvider: alice.provider }));
    return { client, asked };
  }

  test('destructive tools get a confirm argument and say they ask first; others are unchanged', async () => {
    const tools = new Map((await alice.client.listTools()).tools.map((tool) => [tool.name, tool]));
    const destructive = [...tools.values()].filter((tool) => tool.annotations?.destructiveHint);
    expect(destructive.length).toBeGreaterThan(0);
    for (const tool of destructive) {
      expect(tool.inputSchema.properties?.confirm).toMatchObject({ type: 'boolean' });
      expect(tool.description).toContain('the user is asked to confirm before it runs');
    }
    expect(tools.get('list_projects')!.inputSchema.properties?.confirm).toBeUndefined();
  });

  test('a client that cannot ask: refused until the agent sends confirm: true, which never reaches the API', async () => {
    const before = gw.upstream.length;
    const refused = (await alice.client.callTool({ name: 'delete_database', arguments: DELETE })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain('delete_database cannot be undone and this client cannot ask the user');
    expect(text(refused)).toContain('"confirm": true');
    expect(gw.upstream.length).toBe(before);
    const done = (await alice.client.callTool({ name: 'delete_database', arguments: { ...DELETE, confirm: true } })) as CallToolResult;
    expect(done.isError).toBeFalsy();
    expect(gw.upstream.at(-1)).toBe('DELETE /projects/{projectId}/databases/{databaseId}');
    expect(gw.upstreamArgs.at(-1)).toEqual(DELETE);
  });

  test('a client that can ask: the user decides, whatever the agent sent', async () => {
    const declining = await askingClient(() => ({ action: 'decline' }));
    const before = gw.upstream.length;
    const refused = (await declining.client.callTool({ name: 'delete_database', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_2x4c6v8b', confirm: true } })) as CallToolResult;
    expect(text(refused)).toContain('the user did not confirm delete_database');
    expect(declining.asked).toEqual(['Allow "Delete a database" (projectId: "prj_7d3f8a1b", databaseId: "db_2x4c6v8b")? This cannot be undone.']);
    expect(gw.upstream.length).toBe(before);
    // accepting the form without ticking the box is not a yes
    const unticked = await askingClient(() => ({ action: 'accept', content: { confirm: false } }));
    expect(text((await unticked.client.callTool({ name: 'delete_database', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_2x4c6v8b' } })) as CallToolResult)).toContain('did not confirm');
    expect(gw.upstream.length).toBe(before);
    const agreeing = await askingClient(() => ({ action: 'accept', content: { confirm: true } }));
    const done = (await agreeing.client.callTool({ name: 'delete_database', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_2x4c6v8b' } })) as CallToolResult;
    expect(done.isError).toBeFalsy();
    expect(gw.upstream.length).toBe(before + 1);
    // a call that needs no confirmation does not ask
    await agreeing.client.callTool({ name: 'list_projects', arguments: {} });
    expect(agreeing.asked).toHaveLength(1);
    for (const { client } of [declining, unticked, agreeing]) await client.close();
  });
});

test('confirm-destructive.ts with a list of tools confirms those only; a wrong list stops the start', async () => {
  const gw = await startSignedInGateway({ PORTICO_PLUGINS: PLUGINS, PORTICO_PLUGIN_SETTINGS: JSON.stringify({ 'confirm-destructive': { tools: ['create_*'] } }) });
  try {
    const { client } = await connectAs(gw.mcpUrl, ALICE, { scopes: ['read', 'write', 'admin'] });
    const tools = (await client.listTools()).tools.filter((tool) => tool.inputSchema.properties?.confirm);
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((tool) => tool.name.startsWith('create_'))).toBe(true);
    await client.close();
  } finally {
    await gw.stop();
  }
  await expect(startSignedInGateway({ PORTICO_PLUGINS: PLUGINS, PORTICO_PLUGIN_SETTINGS: JSON.stringify({ 'confirm-destructive': { tools: 'delete_*' } }) })).rejects.toThrow(
    /confirm-destructive\.ts.*settings\.tools must be a list of tool names/,
  );
});
