/**
 * Plugins through real HTTP: files in a folder, loaded at start by a signed-in gateway in front of the demo
 * API, driven with the SDK's OAuth client. Every hook: catalog rules (rename, re-describe, re-scope, hide,
 * pin), added tools (with the caller's upstream credential), policy before and after each call, identity
 * sources; and the failures that must stop the start, naming the file and line.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectAs } from '../fixtures/oauth-client';
import { connect, emailOf, mcpRequest, refreshGrant, whoAmI, type TokenSet } from '../fixtures/oauth-http';
import { ALICE, BOB, startSignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDirWith } from '../fixtures/temp';

afterAll(removeTempDirs);
const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;


describe('policy and catalog plugins', async () => {
  const folder = tempDirWith({
    '10-catalog.ts': `
      export default function (api) {
        api.catalog((tools) => {
          for (const tool of tools) {
            if (tool.name === 'get_project') { tool.name = 'project_details'; tool.description = 'One project, by id.'; }
            if (tool.operation?.tags.includes('backups')) tool.hide();
            if (tool.name === 'list_projects') tool.pin('per_page', 3);
            if (tool.name === 'restore_backup') tool.scope = 'admin';
          }
        });
      }`,
    '20-policy.ts': `
      export default function (api) {
        const { protectedDatabase } = api.settings;
        api.beforeCall((call) => {
          if (call.tool.name === 'delete_database' && call.args.databaseId === protectedDatabase) return { deny: 'production databases are never deleted through an agent' };
          if (call.tool.name === 'get_current_user' && call.caller?.userName === 'bob@example.com') throw new Error('policy bug');
          if (call.tool.name === 'project_details' && call.args.projectId === 'alias') return { args: { ...call.args, projectId: 'prj_7d3f8a1b' } };
        });
        api.afterCall((call, result) => {
          if (call.tool.name !== 'project_details') return;
          const redact = (text) => text.replaceAll('billing', '[redacted]');
          return { ...result, content: result.content.map((c) => c.type === 'text' ? { ...c, text: redact(c.text) } : c), structuredContent: result.structuredContent && JSON.parse(redact(JSON.stringify(result.structuredContent))) };
        });
      }`,
    '30-tools.ts': `
      export default function (api) {
        api.addTool({
          name: 'whoami',
          description: 'Who the API thinks you are',
          inputSchema: { type: 'object', properties: {} },
          async handler(args, ctx) {
            const me = await (await ctx.upstream('/me')).json();
            return { content: [{ type: 'text', text: me.email + ' via ' + ctx.caller.clientId.slice(0, 4) }] };
          },
        });
        api.addTool({ name: 'explode', description: 'always fails', inputSchema: { type: 'object' }, handler() { throw new Error('boom'); } });
      }`,
  });
  const gw = await startSignedInGateway({ PORTICO_PLUGINS: folder, PORTICO_PLUGIN_SETTINGS: JSON.stringify({ '20-policy': { protectedDatabase: 'db_8f3k2m9q' } }), PORTICO_MCP_MODE: 'stateless' });
  afterAll(() => gw.stop());
  const { client } = await connectAs(gw.mcpUrl, ALICE);

  test('catalog rules rename, re-describe, hide, re-scope and pin; added tools are listed', async () => {
    const tools = new Map((await client.listTools()).tools.map((tool) => [tool.name, tool]));
    expect(tools.has('get_project')).toBe(false);
    expect(tools.get('project_details')?.description).toBe('One project, by id.');
    expect([...tools.keys()].some((name) => name.includes('backup') && name !== 'restore_backup')).toBe(false);
    expect(Object.keys(tools.get('list_projects')!.inputSchema.properties ?? {})).not.toContain('per_page');
    expect(tools.has('whoami')).toBe(true);
    const pinned = (await client.callTool({ name: 'list_projects', arguments: {} })) as CallToolResult;
    expect((pinned.structuredContent as { per_page: number }).per_page).toBe(3);
    // the agent cannot set a pinned argument: it is not in the schema (additionalProperties: false)
    const forced = (await client.callTool({ name: 'list_projects', arguments: { per_page: 100 } })) as CallToolResult;
    expect(forced.isError).toBe(true);
    expect(text(forced)).toContain('unknown argument "per_page"');
  });

  test('beforeCall denies with a reason the agent sees, changes arguments, and fails closed when it throws', async () => {
    const before = gw.upstream.length;
    const denied = (await client.callTool({ name: 'delete_database', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' } })) as CallToolResult;
    expect(denied.isError).toBe(true);
    expect(text(denied)).toBe("This call was refused by the server's policy: production databases are never deleted through an agent");
    expect(gw.upstream.length).toBe(before);
    const aliased = (await client.callTool({ name: 'project_details', arguments: { projectId: 'alias' } })) as CallToolResult;
    expect(aliased.isError).toBeFalsy();
    const bob = await connectAs(gw.mcpUrl, BOB);
    const broken = (await bob.client.callTool({ name: 'get_current_user', arguments: {} })) as CallToolResult;
    expect(broken.isError).toBe(true);
    expect(text(broken)).toContain('a policy of this server (20-policy.ts) failed, so the call was not made');
    expect(gw.logs.some((line) => line.includes('"plugin.policy_failed"') && line.includes('policy bug'))).toBe(true);
    await bob.client.close();
  });

  test('afterCall transforms the result', async () => {
    const result = (await client.callTool({ name: 'project_details', arguments: { projectId: 'prj_7d3f8a1b' } })) as CallToolResult;
    expect(text(result)).toContain('[redacted]');
    expect(text(result)).not.toContain('billing');
    expect(JSON.stringify(result.structuredContent)).toContain('[redacted]');
  });

  test("an added tool calls the API with the caller's own credential; a handler that throws is a tool error", async () => {
    expect(text((await client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult)).toMatch(/^alice@example.com via pcl_/);
    const failed = (await client.callTool({ name: 'explode', arguments: {} })) as CallToolResult;
    expect(failed.isError).toBe(true);
    expect(text(failed)).toBe('The tool "explode" (from 30-tools.ts) failed: boom');
  });
});

describe('an identity source plugin', async () => {
  const folder = tempDirWith({
    'users.ts': `
      export default function (api) {
        api.identitySource({
          description: 'two test users',
          async verifyPassword(username, password) {
            if (username !== 'robot' || password !== 'beep-boop-1234') return null;
            // the demo API still needs a credential: this source logs in as bob behind the scenes
            const login = await fetch(api.gateway.upstream + '/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bob@example.com', password: 'bob-demo-password' }) });
            const { token } = await login.json();
            return { userId: 'robot-1', name: 'Robot', maxScope: 'read', upstream: { headers: { authorization: 'Bearer ' + token } } };
          },
        });
      }`,
  });
  const gw = await startSignedInGateway({ PORTICO_PLUGINS: folder });
  afterAll(() => gw.stop());

  test('replaces the API login: its users sign in, capped at their scope', async () => {
    await expect(connectAs(gw.mcpUrl, ALICE)).rejects.toThrow(/signing in answered 401/);
    const { client, provider } = await connectAs(gw.mcpUrl, { email: 'robot', password: 'beep-boop-1234' });
    expect(provider.saved?.scope).toBe('read');
    const me = (await client.callTool({ name: 'get_current_user', arguments: {} })) as CallToolResult;
    expect((me.structuredContent as { email: string }).email).toBe('bob@example.com');
    await client.close();
  });
});

describe("an identity source that renews the user's API credential", async () => {
  // demo API tokens that the source says last 1.5 s; it renews them by signing in again behind the scenes,
  // keeping what it needs in `upstream.state` (sealed with the grant, never sent to the API)
  const folder = tempDirWith({
    'renewing.ts': `
      export default function (api) {
        const passwords = { 'alice@example.com': 'alice-demo-password', 'bob@example.com': 'bob-demo-password' };
        let mode = 'renew';
        api.addTool({ name: 'renewal_mode', description: 'test switch', inputSchema: { type: 'object', properties: { mode: { type: 'string' } } }, handler(args) { mode = args.mode; return { content: [{ type: 'text', text: mode }] }; } });
        const login = async (email) => {
          const answer = await fetch(api.gateway.upstream + '/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: passwords[email] }) });
          const { token } = await answer.json();
          return { headers: { authorization: 'Bearer ' + token }, expiresAt: Date.now() + 1500, state: 'renew:' + email };
        };
        api.identitySource({
          description: 'demo users whose API sign-in lasts 1.5 s',
          async verifyPassword(username, password) {
            if (passwords[username] !== password) return null;
            return { userId: username, name: username, maxScope: 'write', upstream: await login(username) };
          },
          async refresh(identity) {
            if (mode === 'fail') throw new Error('the sign-in service is down');
            if (mode === 'refuse') return null;
            api.log.info('renewed', { state: identity.upstream.state });
            return login(identity.upstream.state.slice('renew:'.length));
          },
        });
      }`,
  });
  const gw = await startSignedInGateway({ PORTICO_PLUGINS: folder, PORTICO_MCP_MODE: 'stateless' });
  afterAll(() => gw.stop());
  const base = gw.origin;

  test('an expired credential is renewed when the client refreshes: the grant goes on, as the same user', async () => {
    const { clientId, tokens } = await connect(base, base, ALICE);
    expect(emailOf(await whoAmI(gw.mcpUrl, tokens.access_token))).toBe(ALICE.email);
    await Bun.sleep(1600);
    // the access token ended with the credential; the answer tells the client to refresh, nothing is revoked
    const expired = await whoAmI(gw.mcpUrl, tokens.access_token);
    expect(expired.status).toBe(401);
    const refreshed = await refreshGrant(base, clientId, tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    const next = refreshed.json as TokenSet;
    expect(emailOf(await whoAmI(gw.mcpUrl, next.access_token))).toBe(ALICE.email);
    expect(gw.logs.some((line) => line.includes('"plugin.renewed"') && line.includes('renew:alice@example.com'))).toBe(true);
    expect(gw.logs.some((line) => line.includes('"oauth.upstream_renewed"'))).toBe(true);
  });

  test('simultaneous refreshes of an expired credential ask the identity source once, and all get the same tokens', async () => {
    const { clientId, tokens } = await connect(base, base, BOB);
    await Bun.sleep(1600);
    const renewedBefore = gw.logs.filter((line) => line.includes('"plugin.renewed"') && line.includes('renew:bob@example.com')).length;
    const answers = await Promise.all(Array.from({ length: 5 }, () => refreshGrant(base, clientId, tokens.refresh_token)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((answer) => answer.json.refresh_token)).size).toBe(1);
    expect(gw.logs.filter((line) => line.includes('"plugin.renewed"') && line.includes('renew:bob@example.com')).length - renewedBefore).toBe(1);
    expect(emailOf(await whoAmI(gw.mcpUrl, answers[0]!.json.access_token))).toBe(BOB.email);
  });

  test('a source that fails keeps the grant (503, retry later); one that says no ends it', async () => {
    const { clientId, tokens } = await connect(base, base, ALICE);
    await mcpRequest(gw.mcpUrl, tokens.access_token, 'tools/call', { name: 'renewal_mode', arguments: { mode: 'fail' } });
    await Bun.sleep(1600);
    const failed = await refreshGrant(base, clientId, tokens.refresh_token);
    expect({ status: failed.status, body: failed.json }).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable' } });
    // the grant was kept: the same refresh token is still recognised — now the source says no, which ends it
    await mcpRequest(gw.mcpUrl, (await connect(base, base, ALICE)).tokens.access_token, 'tools/call', { name: 'renewal_mode', arguments: { mode: 'refuse' } });
    const refused = await refreshGrant(base, clientId, tokens.refresh_token);
    expect({ status: refused.status, body: refused.json }).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: "the user's sign-in at the API has expired; authorize again" } });
    // ended: the refresh token is gone with the grant
    expect((await refreshGrant(base, clientId, tokens.refresh_token)).status).toBe(400);
    await mcpRequest(gw.mcpUrl, (await connect(base, base, ALICE)).tokens.access_token, 'tools/call', { name: 'renewal_mode', arguments: { mode: 'renew' } });
  });
});

describe('plugins that cannot start stop the gateway with a message naming the file and line', () => {
  const start = (files: Record<string, string>) => startSignedInGateway({ PORTICO_PLUGINS: tempDirWith(files) });

  test('a syntax error', async () => {
    await expect(start({ 'broken.ts': 'export default function (api) {\n  api.beforeCall(() => {\n' })).rejects.toThrow(/broken\.ts.*cannot be loaded/);
  });
  test('no default export', async () => {
    await expect(start({ 'nothing.ts': 'export const x = 1;\n' })).rejects.toThrow(/nothing\.ts: a plugin must export a default function/);
  });
  test('a setup that throws, with its line', async () => {
    await expect(start({ 'throws.ts': 'export default function (api) {\n  const x = 1;\n  throw new Error("missing setting: region");\n}\n' })).rejects.toThrow(/throws\.ts:3:\d+: the plugin's setup failed: missing setting: region/);
  });
  test('an npm import, with what to do instead', async () => {
    await expect(start({ 'npm.ts': 'import leftPad from "left-pad-not-installed";\nexport default function () { leftPad(); }\n' })).rejects.toThrow(/a plugin cannot import npm packages/);
  });
  test('a rule that breaks the catalog', async () => {
    await expect(start({ 'dupe.ts': 'export default (api) => api.catalog((tools) => { tools[0].name = tools[1].name; });\n' })).rejects.toThrow(/is already used by/);
  });
  test('a missing configured folder', async () => {
    await expect(startSignedInGateway({ PORTICO_PLUGINS: '/nonexistent/plugins' })).rejects.toThrow('the plugin folder /nonexistent/plugins does not exist (PORTICO_PLUGINS)');
  });
});
