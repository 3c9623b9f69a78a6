/**
 * PORTICO_TOOLS_LISTED=all: every tool is listed, those beyond the token's scopes marked locked — and the mark says
 * whether reconnecting can help: a scope the user's role allows (alice, who connected with read only) is one to
 * allow on the consent page; one their role never allows (bob, a developer, and admin) is not.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { connect, MCP_HEADERS } from '../fixtures/oauth-http';
import { ALICE, BOB, startSignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

describe('PORTICO_TOOLS_LISTED=all', async () => {
  const gw = await startSignedInGateway({ PORTICO_TOOLS_LISTED: 'all', PORTICO_MCP_MODE: 'stateless', PORTICO_PLUGINS: tempDir() });
  afterAll(() => gw.stop());

  async function descriptions(token: string): Promise<Map<string, string>> {
    const response = await fetch(gw.mcpUrl, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    const { result } = (await response.json()) as { result: { tools: { name: string; description: string }[] } };
    return new Map(result.tools.map((tool) => [tool.name, tool.description]));
  }

  test('every tool is listed; a locked one says whether reconnecting can unlock it', async () => {
    const aliceRead = (await connect(gw.origin, gw.origin, ALICE, undefined, ['read'])).tokens.access_token;
    const bob = (await connect(gw.origin, gw.origin, BOB)).tokens.access_token;
    const forAlice = await descriptions(aliceRead);
    const forBob = await descriptions(bob);
    expect(forAlice.size).toBe(24);
    expect(forBob.size).toBe(24);
    expect(forAlice.get('create_project')).toStartWith('[Locked: needs the "write" permission; reconnect and allow it to use this tool.]');
    expect(forAlice.get('delete_project')).toStartWith('[Locked: needs the "admin" permission; reconnect and allow it to use this tool.]');
    expect(forBob.get('create_project')).not.toContain('[Locked');
    expect(forBob.get('delete_project')).toStartWith('[Locked: needs the "admin" permission, which your account\'s role does not allow.]');
    expect(forBob.get('list_projects')).not.toContain('[Locked');
  });
});
