/**
 * The plugins that ship in plugins/, loaded from that folder as a deployment would, each configured
 * through PORTICO_PLUGIN_SETTINGS and driven over real HTTP; unconfigured, they change nothing.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
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
    expect((await client.listTools()).tools).toHaveLength(gw.gateway.cache.current.entries.length);
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

test('rules.ts refuses settings it does not know, naming them', async () => {
  await expect(startSignedInGateway({ PORTICO_PLUGINS: PLUGINS, PORTICO_PLUGIN_SETTINGS: JSON.stringify({ rules: { hdie: ['x'] } }) })).rejects.toThrow(/rules\.ts.*unknown setting hdie; known: include, exclude/);
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
