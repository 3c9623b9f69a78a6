/**
 * `/account`: sign in, see the connected apps, disconnect one — its tokens stop working at once.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { connectAs, CookieJar, formOf } from '../fixtures/oauth-client';
import { connect, emailOf, mcpRequest } from '../fixtures/oauth-http';
import { ALICE, BOB, CAROL, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs } from '../fixtures/temp';

let gw: SignedInGateway;
beforeAll(async () => {
  gw = await startSignedInGateway();
});
afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

async function browse(jar: CookieJar, path: string, form?: [string, string][], origin?: string) {
  const response = await fetch(`${gw.origin}${path}`, {
    method: form ? 'POST' : 'GET',
    headers: { cookie: jar.header(), ...(form && { 'content-type': 'application/x-www-form-urlencoded', origin: origin ?? gw.origin }) },
    body: form && new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
  jar.take(response);
  return response;
}

const mcpStatus = async (token: string) =>
  (
    await fetch(gw.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'probe', version: '1' } } }),
    })
  ).status;

test('a user signs in on /account, sees the connected app and disconnects it; its tokens stop working at once', async () => {
  const { provider } = await connectAs(gw.mcpUrl, BOB);
  const token = provider.saved!.access_token;
  expect(await mcpStatus(token)).toBe(200);

  const jar = new CookieJar();
  const login = await browse(jar, '/account');
  expect(login.status).toBe(200);
  const loginHtml = await login.text();
  expect(loginHtml).toContain('name="password"');
  const wrong = await browse(jar, '/account', [['csrf', formOf(loginHtml).csrf], ['username', BOB.email], ['password', 'nope']]);
  expect(wrong.status).toBe(401);
  expect(await wrong.text()).toContain('The username or password is incorrect.');
  const signedIn = await browse(jar, '/account', [['csrf', formOf(loginHtml).csrf], ['username', BOB.email], ['password', BOB.password]]);
  expect(signedIn.status).toBe(303);

  const page = await browse(jar, '/account');
  const html = await page.text();
  expect(html).toContain('Headless test client');
  expect(html).toContain('read, write');
  const grant = /name="grant" value="([^"]+)"/.exec(html)![1]!;

  // another site cannot make the browser disconnect it (Origin), nor can a form without the CSRF field
  expect((await browse(jar, '/account', [['csrf', formOf(html).csrf], ['grant', grant]], 'https://evil.example')).status).toBe(403);
  expect((await browse(jar, '/account', [['grant', grant]])).status).toBe(403);
  expect(await mcpStatus(token)).toBe(200);

  const disconnected = await browse(jar, '/account', [['csrf', formOf(html).csrf], ['grant', grant]]);
  expect(disconnected.status).toBe(303);
  expect(disconnected.headers.get('location')).toBe('/account?notice=disconnected');
  expect(await mcpStatus(token)).toBe(401);
  const after = await (await browse(jar, '/account?notice=disconnected')).text();
  expect(after).toContain('The app was disconnected.');
  expect(after).toContain('No apps are connected to your account.');
});

test("a user cannot disconnect someone else's app", async () => {
  const { provider } = await connectAs(gw.mcpUrl, CAROL);
  const store = await gw.openStore();
  const [carolsGrant] = await store.listGrantsForUser('usr_c4r0l8q1');
  await store.close();
  const jar = new CookieJar();
  const html = await (await browse(jar, '/account')).text();
  await browse(jar, '/account', [['csrf', formOf(html).csrf], ['username', BOB.email], ['password', BOB.password]]);
  // bob has no connection of his own left, so no form on his page: the CSRF field is the same for this browser
  const attempt = await browse(jar, '/account', [['csrf', formOf(html).csrf], ['grant', carolsGrant!.id]]);
  expect(attempt.headers.get('location')).toBe('/account?notice=not-found');
  expect(await mcpStatus(provider.saved!.access_token)).toBe(200);
});

/** What the page's "Last used" cells say: "never", or the exact time in the cell's `<time datetime>`. */
function lastUsed(html: string): string[] {
  return [...html.matchAll(/<td data-label="Last used">(.*?)<\/td>/g)].map(([, cell]) => /datetime="([^"]+)"/.exec(cell!)?.[1] ?? cell!);
}

/** Polls the account page until `check` holds for its "Last used" cells (the first use is written just after the call). */
async function lastUsedOnPage(jar: CookieJar, check: (cells: string[]) => boolean): Promise<string[]> {
  let cells: string[] = [];
  for (const deadline = Date.now() + 3000; Date.now() < deadline; await Bun.sleep(20)) {
    cells = lastUsed(await (await browse(jar, '/account')).text());
    if (check(cells)) break;
  }
  return cells;
}

test('the account page says when an app was last used: never before its first call, the time of that call after it', async () => {
  // the browser that signed in to connect the app is signed in to /account too
  const jar = new CookieJar();
  const { tokens } = await connect(gw.origin, gw.origin, ALICE, jar);
  expect(lastUsed(await (await browse(jar, '/account')).text())).toEqual(['never']);

  const before = Date.now();
  const session = await mcpRequest(gw.mcpUrl, tokens.access_token, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '1' } });
  expect(session.status).toBe(200);
  const call = await mcpRequest(gw.mcpUrl, tokens.access_token, 'tools/call', { name: 'get_current_user', arguments: {} }, session.headers.get('mcp-session-id')!);
  expect(emailOf(call)).toBe(ALICE.email);
  const after = Date.now();

  const [cell] = await lastUsedOnPage(jar, (cells) => cells[0] !== 'never');
  expect(Date.parse(cell!)).toBeGreaterThanOrEqual(before);
  expect(Date.parse(cell!)).toBeLessThanOrEqual(after);
});
