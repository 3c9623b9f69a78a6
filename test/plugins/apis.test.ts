/**
 * More APIs behind one gateway (`api.addApi`), over real HTTP: a second demo API in its own server, and the
 * gateway's own demo API once more under another prefix. Their tools are listed with their prefixes next to
 * the gateway's own, scoped the same way, seen by rules and policy with the API they belong to, and called
 * at their own upstream with the credential the plugin chose — a fixed one, or the signed-in user's own.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startDemoApi } from '../../src/demo';
import { connectAs } from '../fixtures/oauth-client';
import { ALICE, startSignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDirWith } from '../fixtures/temp';

afterAll(removeTempDirs);


const email = (result: CallToolResult) => (result.structuredContent as { email: string }).email;

describe('a gateway in front of three APIs', async () => {
  const second = await startDemoApi({ port: 0 });
  afterAll(() => second.stop());
  const login = await fetch(`${second.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'carol@example.com', password: 'carol-demo-password' }) });
  const { token } = (await login.json()) as { token: string };
  // the gateway's own demo API is started by the fixture; the plugin learns its URLs from the gateway settings
  const folder = tempDirWith({
    'apis.ts': `
      export default function (api) {
        api.addApi({ name: 'second', spec: ${JSON.stringify(second.specUrl)}, upstream: ${JSON.stringify(second.baseUrl)}, prefix: 'second_', credential: { headers: { Authorization: ${JSON.stringify(`Bearer ${token}`)} } } });
        api.addApi({ name: 'mirror', spec: api.gateway.upstream.replace(/\\/v1$/, '') + '/swagger.json', upstream: api.gateway.upstream, prefix: 'mirror_', credential: 'user' });
        api.catalog((tools) => { for (const tool of tools) if (tool.operation?.api === 'mirror' && tool.operation.method !== 'GET') tool.hide(); });
        api.beforeCall((call) => call.tool.operation?.api === 'second' && call.tool.operation.method === 'POST' ? { deny: 'the second API is read-only here' } : undefined);
      }`,
  });
  const gw = await startSignedInGateway({ PORTICO_PLUGINS: folder });
  afterAll(() => gw.stop());
  const alice = await connectAs(gw.mcpUrl, ALICE, { scopes: ['read', 'write'] });
  afterAll(() => alice.client.close());

  test('lists every API’s tools, the added ones with their prefixes, within the token’s scopes, after the rules', async () => {
    const names = (await alice.client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('get_current_user');
    expect(names).toContain('second_get_current_user');
    expect(names).toContain('second_create_project');
    expect(names).toContain('mirror_list_projects');
    // a rule hid the mirror's writes; the token (read write) does not reach admin tools of any API
    expect(names.some((name) => name.startsWith('mirror_create'))).toBe(false);
    expect(names).not.toContain('second_delete_project');
    expect(names).not.toContain('delete_project');
  });

  test('calls each API at its own upstream with the credential the plugin chose', async () => {
    expect(email((await alice.client.callTool({ name: 'get_current_user', arguments: {} })) as CallToolResult)).toBe('alice@example.com');
    // the second API gets the fixed credential: carol's account there
    expect(email((await alice.client.callTool({ name: 'second_get_current_user', arguments: {} })) as CallToolResult)).toBe('carol@example.com');
    // the mirror gets the signed-in user's own credential
    expect(email((await alice.client.callTool({ name: 'mirror_get_current_user', arguments: {} })) as CallToolResult)).toBe('alice@example.com');
  });

  test('policy sees which API a call is for', async () => {
    const denied = (await alice.client.callTool({ name: 'second_create_project', arguments: { org_id: 'org_2n4x7c1v', name: 'x' } })) as CallToolResult;
    expect(denied.isError).toBe(true);
    expect((denied.content[0] as { text: string }).text).toContain('the second API is read-only here');
  });
});

describe('APIs a plugin gets wrong stop the start, naming the plugin and the API', () => {
  const start = (source: string) => startSignedInGateway({ PORTICO_PLUGINS: tempDirWith({ 'apis.ts': `export default function (api) {\n${source}\n}\n` }) });
  const ok = `spec: '/nonexistent.json', upstream: 'http://127.0.0.1:9', prefix: 'x_', credential: 'user'`;

  test.each([
    [`api.addApi({ name: 'has space', ${ok} })`, /apis\.ts: the API name "has space" must match/],
    [`api.addApi({ name: 'b', spec: '/x.json', upstream: 'ftp://example.com', prefix: 'b_', credential: 'user' })`, /the API "b" needs "upstream": the absolute http\(s\) URL its calls go to \(got "ftp:\/\/example.com"\)/],
    [`api.addApi({ name: 'b', spec: '/x.json', upstream: 'http://127.0.0.1:9', prefix: 'b.', credential: 'user' })`, /the API "b" needs a "prefix" for its tools' names/],
    [`api.addApi({ name: 'b', spec: '/x.json', upstream: 'http://127.0.0.1:9', prefix: 'b_' })`, /the API "b" needs "credential": "user"/],
    [`api.addApi({ name: 'a', ${ok} }); api.addApi({ name: 'b', ${ok} })`, /the API "b" \(prefix "x_"\) clashes with "a" \(prefix "x_"\) from apis\.ts/],
    [`api.addApi({ name: 'a', ${ok} })`, /apis\.ts: the API "a": cannot load its OpenAPI document: cannot read "\/nonexistent\.json"/],
  ])('%s', async (source, message) => {
    await expect(start(source)).rejects.toThrow(message);
  });

  test('a prefix that makes a name clash with the gateway’s own tools', async () => {
    const gw = startSignedInGateway({
      PORTICO_PLUGINS: tempDirWith({ 'apis.ts': `export default function (api) { api.addApi({ name: 'again', spec: api.gateway.upstream.replace(/\\/v1$/, '') + '/swagger.json', upstream: api.gateway.upstream, prefix: 'get_', credential: 'user' }); api.catalog((tools) => { for (const t of tools) if (t.name === 'get_project') t.name = 'get_get_project'; }); }` }),
    });
    await expect(gw).rejects.toThrow(/the tool name "get_get_project" is already used by/);
  });
});
