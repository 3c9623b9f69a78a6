/**
 * Sign-in for an API that is its own OAuth provider (chained authorization), end to end over real processes: a
 * `portico serve` process in front of an API that checks every token with its own authorization server
 * (oidc-provider; test/oauth/fixtures/oauth-api):
 * the user signs in at the API's server through Portico's "Continue with …" button; Portico keeps the API's access
 * and refresh tokens sealed in the grant, calls the API with the access token, renews it silently once it is about
 * to expire (the MCP client's token untouched), ends the grant when the server refuses to renew (the user removed
 * the app there), and revokes the API's tokens when the user disconnects the app on the account page.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { chromiumForTests, closeChromium, launchChromium } from '../fixtures/chromium';
import { HeadlessProvider, REDIRECT_URL } from '../fixtures/oauth-client';
import { CookieJar, formOf } from '../fixtures/oauth-client';
import { authorizationUrl, exchangeCode, mcpRequest, pkce, refreshGrant, registerClient, type TokenSet } from '../fixtures/oauth-http';
import { removeTempDirs, tempDir } from '../fixtures/temp';
import { SOURCES, startPortico, type Running } from '../e2e/process';
import { startOAuthApi, type RunningOAuthApi } from './fixtures/oauth-api';

afterAll(removeTempDirs);

const NAME = 'OctoHub';
/** The API's access tokens live 4 s: renewed once they are in their last quarter (1 s), so a first call right after sign-in never renews, even on a busy machine. */
const TTL_SECONDS = 4;

let api: RunningOAuthApi;
let portico: Running;
let origin = '';
let mcpUrl = '';

/** The gateway's log lines with this event, parsed from what the process printed. */
const events = (event: string) =>
  portico
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.event === event);

/** The log lines with `event` once the process has printed at least one (its stderr is read as it comes). */
async function logged(event: string): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 100 && events(event).length === 0; i++) await Bun.sleep(20);
  return events(event);
}

beforeAll(async () => {
  api = await startOAuthApi({ accessTokenTtlSeconds: TTL_SECONDS });
  portico = await startPortico([...SOURCES, 'serve', '--port', '0'], {
    PORTICO_UPSTREAM: api.apiUrl,
    PORTICO_SPEC: api.specUrl,
    PORTICO_DATABASE_URL: `${tempDir()}/portico.db`,
    PORTICO_PLUGINS: tempDir(),
    PORTICO_PASSWORD_SIGN_IN: 'false',
    PORTICO_UPSTREAM_OAUTH_ISSUER: api.issuer,
    PORTICO_UPSTREAM_OAUTH_CLIENT_ID: api.clientId,
    PORTICO_UPSTREAM_OAUTH_CLIENT_SECRET: api.clientSecret,
    PORTICO_UPSTREAM_OAUTH_SCOPES: 'repo read:user',
    PORTICO_UPSTREAM_OAUTH_NAME: NAME,
    PORTICO_LOGIN_ROLES: 'admin=admin,write=write',
    PORTICO_MCP_MODE: 'stateless',
    PORTICO_LOG_LEVEL: 'info',
  });
  mcpUrl = portico.mcpUrl;
  origin = new URL(mcpUrl).origin;
  api.allowRedirect(`${origin}/oauth/callback`);
});

afterAll(async () => {
  if (portico) expect(await portico.stop()).toBe(0);
  await api?.stop();
});

/** One request, never following redirects, the browser's cookies sent and kept. */
async function get(url: string | URL, jar: CookieJar): Promise<Response> {
  const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.take(response);
  return response;
}

async function post(url: string | URL, jar: CookieJar, fields: Record<string, string>, from = origin): Promise<Response> {
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', origin: from },
    body: new URLSearchParams(fields).toString(),
  });
  jar.take(response);
  return response;
}

/** What a user does in the browser: Continue with the API's server, sign in there, come back, Allow. The client then redeems the code. */
async function connect(user: { login: string; password: string }, jar = new CookieJar()): Promise<{ tokens: TokenSet; jar: CookieJar; clientId: string }> {
  const clientId = await registerClient(origin, `chained client for ${user.login}`);
  const { verifier, challenge } = pkce();
  const signInPage = await (await get(authorizationUrl(origin, origin, clientId, challenge), jar)).text();
  expect(signInPage).toContain(`Continue with ${NAME}`);
  expect(signInPage).not.toContain('type="password"');
  const { csrf, action } = formOf(signInPage);
  const left = await post(new URL(action, origin), jar, { csrf, method: 'chained' });
  expect(left.status).toBe(303);
  // at the API's authorization server: its own sign-in page
  let at = await get(left.headers.get('location')!, jar);
  while (at.status >= 300 && at.status < 400 && !at.headers.get('location')!.includes('/oauth/callback')) at = await get(new URL(at.headers.get('location')!, api.issuer), jar);
  if (at.status === 200) {
    const form = await at.text();
    const interaction = /action="([^"]+)"/.exec(form)![1]!;
    at = await post(new URL(interaction, api.issuer), jar, { username: user.login, password: user.password }, api.issuer);
    while (!at.headers.get('location')!.includes('/oauth/callback')) at = await get(new URL(at.headers.get('location')!, api.issuer), jar);
  }
  // back at Portico: signed in, sent back to the authorization request, which shows the consent page
  const back = await get(at.headers.get('location')!, jar);
  expect(back.status).toBe(303);
  const consent = await (await get(new URL(back.headers.get('location')!, origin), jar)).text();
  expect(consent).toContain(user.login);
  const approved = await post(new URL(formOf(consent).action, origin), jar, { csrf: formOf(consent).csrf, decision: 'approve', scope: 'write' });
  const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
  const exchanged = await exchangeCode(origin, clientId, code, verifier);
  expect(exchanged.status).toBe(200);
  return { tokens: exchanged.json as TokenSet, jar, clientId };
}

const whoAmI = async (access: string) => mcpRequest(mcpUrl, access, 'tools/call', { name: 'get_user', arguments: {} });

describe('an API that is its own OAuth provider', () => {
  test("octo connects through the API's server; calls carry the API's token, renewed silently when it is about to expire; the MCP token is untouched", async () => {
    const { tokens } = await connect({ login: 'octo', password: 'octo-password' });
    // the role the API gives octo (admin) caps the connection; write was ticked
    expect(tokens.scope.split(' ').sort()).toEqual(['read', 'write']);
    const first = await whoAmI(tokens.access_token);
    expect(first.status).toBe(200);
    expect(first.json.result.structuredContent.login).toBe('octo');
    const tokenBefore = api.seen.at(-1);
    expect(api.refreshes).toBe(0);

    await Bun.sleep(TTL_SECONDS * 1000 + 200);
    const later = await whoAmI(tokens.access_token);
    expect(later.status).toBe(200);
    expect(later.json.result.structuredContent.login).toBe('octo');
    expect(api.refreshes).toBe(1);
    expect(api.seen.at(-1)).not.toBe(tokenBefore);
    expect((await logged('oauth.upstream_renewed')).at(-1)).toMatchObject({ silently: true });
    // nothing of the API's tokens in the log
    for (const token of api.seen) expect(portico.stderr()).not.toContain(token);
  });

  test('calls that find the token expired at once renew it once: all answered, one refresh at the server (a second, with the rotated-out refresh token, would end the grant there)', async () => {
    const { tokens } = await connect({ login: 'octo', password: 'octo-password' });
    expect((await whoAmI(tokens.access_token)).status).toBe(200);
    await Bun.sleep(TTL_SECONDS * 1000 + 200);
    const refreshesBefore = api.refreshes;
    const answers = await Promise.all(Array.from({ length: 5 }, () => whoAmI(tokens.access_token)));
    expect(answers.map((answer) => [answer.status, answer.json.result?.structuredContent?.login])).toEqual(Array.from({ length: 5 }, () => [200, 'octo']));
    expect(api.refreshes).toBe(refreshesBefore + 1);
  });

  test("the server refuses to renew (the user removed the app there): the grant ends, the client is told to sign in again", async () => {
    const { tokens, clientId } = await connect({ login: 'octo', password: 'octo-password' });
    expect((await whoAmI(tokens.access_token)).status).toBe(200);
    await api.revokeAllOf('octo');
    await Bun.sleep(TTL_SECONDS * 1000 + 200);
    const refused = await whoAmI(tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('invalid_token');
    expect(String((await logged('oauth.grant_ended')).at(-1)?.reason)).toContain('refused to renew');
    // the grant is gone: its refresh token too
    expect((await refreshGrant(origin, clientId, tokens.refresh_token)).status).toBe(400);
  });

  test("disconnecting the app on the account page revokes the API's tokens at its server too", async () => {
    const { tokens, jar } = await connect({ login: 'hubot', password: 'hubot-password' });
    expect((await whoAmI(tokens.access_token)).json.result.structuredContent.login).toBe('hubot');
    const revokedBefore = api.revoked.length;
    const account = await (await get(`${origin}/account`, jar)).text();
    const grant = /name="grant" value="([^"]+)"/.exec(account)![1]!;
    const disconnected = await post(`${origin}/account`, jar, { csrf: formOf(account).csrf, grant });
    expect(disconnected.status).toBe(303);
    expect(api.revoked.length).toBe(revokedBefore + 1);
    expect((await logged('oauth.chained_revoked')).length).toBeGreaterThan(0);
    expect((await whoAmI(tokens.access_token)).status).toBe(401);
  });
});

const executablePath = chromiumForTests('Chained sign-in in a browser (test/oauth/chained.test.ts)');

describe.skipIf(!executablePath)('an API that is its own OAuth provider, with the SDK client and a real browser', () => {
  test("hubot connects in Chromium through the API's own sign-in page; the SDK client calls tools with the API's token for him", async () => {
    const browser = await launchChromium(executablePath!);
    const callbacks = Bun.serve({ port: Number(new URL(REDIRECT_URL).port), hostname: '127.0.0.1', fetch: () => new Response('You can close this window.') });
    try {
      const provider = new HeadlessProvider({ client_name: 'Chained browser client' });
      const first = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
      await expect(new Client({ name: 'chained-browser', version: '1' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(provider.authorizationUrl!.href);
      await page.getByRole('button', { name: `Continue with ${NAME}` }).click();
      // the API's own sign-in page, on its authorization server
      await page.waitForURL((url) => url.href.startsWith(api.issuer));
      await page.locator('input[name="username"]').fill('hubot');
      await page.locator('input[name="password"]').fill('hubot-password');
      await page.locator('button[type="submit"], input[type="submit"]').first().click();
      await page.waitForURL(/\/oauth\/authorize\?/);
      await expect(page.textContent('body')).resolves.toContain('hubot');
      const redirected = page.waitForURL((url) => url.href.startsWith(REDIRECT_URL));
      await page.getByRole('button', { name: 'Allow' }).click();
      await redirected;
      const code = new URL(page.url()).searchParams.get('code')!;
      await context.close();

      await first.finishAuth(code);
      const client = new Client({ name: 'chained-browser', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
      const me = (await client.callTool({ name: 'get_user', arguments: {} })) as CallToolResult;
      expect((me.structuredContent as { login: string }).login).toBe('hubot');
      // hubot's role at the API (write) caps what the connection may do
      expect(provider.saved?.scope?.split(' ').sort()).toEqual(['read', 'write']);
      await client.close();
    } finally {
      callbacks.stop(true);
      await closeChromium(browser);
    }
  });
});
