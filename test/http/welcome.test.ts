/**
 * A person who opens the printed address in a browser gets a page, not raw JSON or a bare "not found": what this
 * is, the address to give an MCP client, the one-line Claude Code setup, and (with sign-in) where connected apps
 * are managed. MCP clients on the same URLs are answered as before. Over real HTTP, with and without sign-in.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { startTestGateway } from '../fixtures/gateway';
import { removeTempDirs } from '../fixtures/temp';

afterAll(removeTempDirs);

const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the welcome page', async () => {
  const signedIn = await startTestGateway({ PORTICO_BRAND_NAME: 'Acme Postgres' });
  const open = await startTestGateway({ PORTICO_AUTH: 'none' });
  afterAll(() => Promise.all([signedIn.stop(), open.stop()]));
  const publicMcp = (gw: typeof open) => gw.gateway.mcpUrl;

  test('GET / and /mcp from a browser: the address, the Claude Code line, and where connected apps are managed', async () => {
    for (const path of ['/', '/mcp']) {
      const response = await fetch(new URL(path, signedIn.origin), { headers: BROWSER });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await response.text();
      expect(html).toContain('Acme Postgres for AI agents');
      expect(html).toContain(`claude mcp add --transport http acme-postgres ${publicMcp(signedIn)}`);
      expect(html).toContain('href="/account"');
      expect(html).toMatch(/its 2[45] tools/);
    }
    const openPage = await (await fetch(new URL('/', open.origin), { headers: BROWSER })).text();
    expect(openPage).toContain('This server is open');
    expect(openPage).not.toContain('/account');
  });

  test('MCP clients on /mcp are answered as before: 401 without a token, the GET stream refused without SSE', async () => {
    const post = await fetch(signedIn.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    expect(post.status).toBe(401);
    const stream = await fetch(open.mcpUrl, { headers: { accept: 'text/event-stream' } });
    expect(stream.headers.get('content-type')).not.toContain('text/html');
  });

  test('a Host the deployment does not serve gets no page either (DNS rebinding)', async () => {
    const rebound = await fetch(new URL('/', open.origin), { headers: { ...BROWSER, host: 'attacker.example' } });
    expect(rebound.status).toBe(403);
  });
});
