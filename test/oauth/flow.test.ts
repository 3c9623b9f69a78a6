/**
 * The whole sign-in flow as MCP clients do it, with the SDK's own OAuth client against the demo API
 * behind a signed-in gateway: discovery from the 401, registration (dynamic, or a Client ID Metadata
 * Document), PKCE, the sign-in and consent forms, the code exchange, tools listed and called as that
 * user with their own API credential, refresh, revocation, and a call beyond the scopes: the step-up 403 when
 * the user could allow more, a tool error saying why when their role never could.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ClientMetadataDocuments } from '../../src/oauth/cimd';
import { connectAs, HeadlessProvider, REDIRECT_URL } from '../fixtures/oauth-client';
import { ALICE, BOB, CAROL, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs } from '../fixtures/temp';
import { selfSignedCertificate } from './fixtures/tls';

let gw: SignedInGateway;
let documentServer: ReturnType<typeof Bun.serve> | undefined;
const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;
/** The words of a call whose scope the user's role can never allow. */
const CANNOT_GRANT = (tool: string, needed: string, email: string, most: string) =>
  `The tool "${tool}" needs the "${needed}" permission, which your account (${email}) cannot grant: its role allows at most "${most}", so reconnecting will not help. Ask an administrator of the API to give your account a role that allows "${needed}", or to make this call for you.`;

beforeAll(async () => {
  // a Client ID Metadata Document, served over HTTPS by "the client's" own site
  const certificate = await selfSignedCertificate(['localhost'], ['127.0.0.1']);
  documentServer = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    tls: { cert: certificate.cert, key: certificate.key },
    fetch(request) {
      const clientId = `https://localhost:${documentServer!.port}/client.json`;
      if (new URL(request.url).pathname !== '/client.json') return new Response('not found', { status: 404 });
      return Response.json({ client_id: clientId, client_name: 'Metadata Document Client', redirect_uris: [REDIRECT_URL], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] });
    },
  });
  const documents = new ClientMetadataDocuments({
    allowPrivateAddressesForTests: true,
    fetch: (url, init) => fetch(url, { ...init, tls: { ...init.tls, ca: certificate.cert } }),
  });
  gw = await startSignedInGateway({}, { documents });
});

afterAll(async () => {
  await gw?.stop();
  documentServer?.stop(true);
  removeTempDirs();
});

describe('signing in with the SDK OAuth client', () => {
  test('discovery, registration, PKCE, sign-in and consent, then tools as that user with their own credential', async () => {
    const unauthenticated = await fetch(gw.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${gw.origin}/.well-known/oauth-protected-resource/mcp", scope="read write admin"`);

    const { client, provider } = await connectAs(gw.mcpUrl, ALICE);
    // the SDK registered itself dynamically and kept a public client id
    expect(provider.information?.client_id).toMatch(/^pcl_/);
    expect(provider.saved?.scope).toBe('read write admin');
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(gw.gateway.tools.all.length);
    const me = (await client.callTool({ name: 'get_current_user', arguments: {} })) as CallToolResult;
    expect(me.structuredContent).toMatchObject({ email: 'alice@example.com' });
    // the MCP token never went upstream: the demo API only knows its own tokens, and answered as alice
    await client.close();
  });

  test("a viewer's connection holds read only: write tools are not listed, and calling one is a tool error saying why (no 403: her role can never allow write)", async () => {
    const { client, provider, transport } = await connectAs(gw.mcpUrl, CAROL);
    expect(provider.saved?.scope).toBe('read');
    const listed = (await client.listTools()).tools.map((tool) => tool.name);
    const readTools = gw.gateway.tools.all.filter((entry) => entry.scope === 'read').map((entry) => entry.tool.name);
    expect(listed.sort()).toEqual(readTools.sort());
    const before = gw.upstream.length;
    const call = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'create_project', arguments: { org_id: 'org_2n4x7c1v', name: 'nope' } } };
    const raw = await fetch(gw.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${provider.saved!.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify(call),
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('www-authenticate')).toBeNull();
    expect(((await raw.json()) as { result: CallToolResult }).result).toEqual({ isError: true, content: [{ type: 'text', text: CANNOT_GRANT('create_project', 'write', CAROL.email, 'read') }] });
    // the SDK client gets the result, with the server's words: nothing to retry, nothing thrown
    const result = (await client.callTool({ name: 'create_project', arguments: { org_id: 'org_2n4x7c1v', name: 'nope' } })) as CallToolResult;
    expect(result).toEqual({ isError: true, content: [{ type: 'text', text: CANNOT_GRANT('create_project', 'write', CAROL.email, 'read') }] });
    // the SDK kept its token: it was not sent to refresh or to sign in again
    expect(provider.saved?.scope).toBe('read');
    expect(gw.upstream.length).toBe(before);
    await transport.close();
  });

  test("a developer may allow write but not admin: the consent page caps bob's connection at write, and an admin tool is a tool error saying so", async () => {
    const { client, provider } = await connectAs(gw.mcpUrl, BOB);
    expect(provider.saved?.scope).toBe('read write');
    const listed = new Set((await client.listTools()).tools.map((tool) => tool.name));
    expect(listed.has('create_project')).toBe(true);
    expect(listed.has('delete_database')).toBe(false);
    const created = (await client.callTool({ name: 'create_project', arguments: { org_id: 'org_2n4x7c1v', name: 'bobs-project' } })) as CallToolResult;
    expect(created.isError).toBeFalsy();
    // the API saw bob: he created it
    expect((created.structuredContent as { name: string }).name).toBe('bobs-project');

    // delete_database needs admin, which a developer can never allow: no step-up 403 (whose retry could not
    // succeed, and which the SDK would turn into "Server returned 403 after trying upscoping"), but the reason
    const before = gw.upstream.length;
    const tokens = provider.saved;
    const refused = (await client.callTool({ name: 'delete_database', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' } })) as CallToolResult;
    expect(refused).toEqual({ isError: true, content: [{ type: 'text', text: CANNOT_GRANT('delete_database', 'admin', BOB.email, 'write') }] });
    expect(text(refused)).toContain('Ask an administrator of the API');
    expect(provider.saved).toBe(tokens);
    expect(gw.upstream.length).toBe(before);
    await client.close();
  });

  test('the user may untick write on the consent page: the connection then reads only, and a write tool is the 403 step-up (her role allows write)', async () => {
    const { client, provider, transport } = await connectAs(gw.mcpUrl, ALICE, { scopes: ['read'] });
    expect(provider.saved?.scope).toBe('read');
    expect((await client.listTools()).tools.some((tool) => tool.name === 'create_project')).toBe(false);
    const before = gw.upstream.length;
    const raw = await fetch(gw.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${provider.saved!.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'create_project', arguments: { org_id: 'org_2n4x7c1v', name: 'nope' } } }),
    });
    expect(raw.status).toBe(403);
    expect(raw.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", scope="read write", resource_metadata="${gw.origin}/.well-known/oauth-protected-resource/mcp", error_description="this tool needs the write scope"`,
    );
    expect(((await raw.json()) as { error: { message: string } }).error.message).toBe(
      'The tool "create_project" needs the "write" permission, which this connection was not given. Reconnect and allow "write" access on the consent page to use it.',
    );
    // The SDK answers the challenge by refreshing (which can only keep or narrow scopes), retries, and gives up
    // on the second 403; a client that re-authorizes sends alice to the consent page, where she may allow write.
    await expect(client.callTool({ name: 'create_project', arguments: { org_id: 'org_2n4x7c1v', name: 'nope' } })).rejects.toThrow(/403 after trying upscoping/);
    expect(gw.upstream.length).toBe(before);
    await transport.close();
  });

  test('an expired or revoked access token is refreshed by the client on its own; a revoked refresh token ends the connection', async () => {
    const { client, provider } = await connectAs(gw.mcpUrl, ALICE);
    const first = provider.saved!;
    const clientId = provider.information!.client_id;
    const revoke = (token: string) =>
      fetch(`${gw.origin}/oauth/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, client_id: clientId }) });
    expect((await revoke(first.access_token)).status).toBe(200);
    // the next call meets a 401, the SDK refreshes (rotating the refresh token) and retries
    const me = (await client.callTool({ name: 'get_current_user', arguments: {} })) as CallToolResult;
    expect(me.isError).toBeFalsy();
    expect(provider.saved!.access_token).not.toBe(first.access_token);
    expect(provider.saved!.refresh_token).not.toBe(first.refresh_token);

    expect((await revoke(provider.saved!.refresh_token!)).status).toBe(200);
    const stale = await fetch(gw.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${provider.saved!.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(stale.status).toBe(401);
    expect(stale.headers.get('www-authenticate')).toContain('error="invalid_token"');
    await client.close().catch(() => {});
  });

  test('a client identified by a Client ID Metadata Document (an https client_id) signs in without registering', async () => {
    const clientId = `https://localhost:${documentServer!.port}/client.json`;
    const provider = new HeadlessProvider({}, clientId);
    const { client } = await connectAs(gw.mcpUrl, ALICE, { provider });
    expect(provider.information?.client_id).toBe(clientId);
    const me = (await client.callTool({ name: 'get_current_user', arguments: {} })) as CallToolResult;
    expect(text(me)).toContain('alice@example.com');
    await client.close();
  });

  test("a session opened by one user is not usable with another user's token", async () => {
    const alice = await connectAs(gw.mcpUrl, ALICE);
    const carol = await connectAs(gw.mcpUrl, CAROL);
    const sessionId = alice.transport.sessionId!;
    const hijack = await fetch(gw.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${carol.provider.saved!.access_token}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(hijack.status).toBe(404);
    await alice.client.close();
    await carol.client.close();
  });
});

describe('discovery documents', () => {
  test('protected resource and authorization server metadata', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const prm = await (await fetch(`${gw.origin}${path}`)).json();
      expect(prm).toEqual({ resource: gw.mcpUrl, authorization_servers: [gw.origin], scopes_supported: ['read', 'write', 'admin'], bearer_methods_supported: ['header'], resource_name: 'Portico' });
    }
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const as = (await (await fetch(`${gw.origin}${path}`)).json()) as Record<string, unknown>;
      expect(as.issuer).toBe(gw.origin);
      expect(as.code_challenge_methods_supported).toEqual(['S256']);
      expect(as.grant_types_supported).toEqual(['authorization_code', 'refresh_token']);
      expect(as.client_id_metadata_document_supported).toBe(true);
      expect(as.authorization_response_iss_parameter_supported).toBe(true);
    }
  });
});

// Keep the SDK imports honest: a plain client without an auth provider is refused outright.
test('a client with no way to sign in gets 401, not tools', async () => {
  const client = new Client({ name: 'no-auth', version: '1' });
  await expect(client.connect(new StreamableHTTPClientTransport(new URL(gw.mcpUrl)))).rejects.toThrow();
});
