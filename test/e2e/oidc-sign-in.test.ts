/**
 * Sign-in through an OpenID provider, end to end over real processes: `portico demo` (the demo API, its OpenID
 * provider — panva's oidc-provider, standing in for Google — and the gateway), the MCP SDK's own OAuth client,
 * and a real browser (Chromium) doing what the user does: "Continue with DemoID", the provider's sign-in form as
 * dave (who has no password at the API: he signed up with the provider), the consent page, Allow. The client
 * then calls tools, and the API answers as dave — his own credential, which the API gave Portico for the
 * provider's ID token.
 *
 * Skipped (with a note) when Chromium is not installed; `PORTICO_TEST_BROWSER=required` makes that a failure.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Browser, Page } from 'playwright-core';
import { chromiumForTests, closeChromium, launchChromium } from '../fixtures/chromium';
import { HeadlessProvider, REDIRECT_URL } from '../fixtures/oauth-client';
import { SOURCES, startPortico, type Running } from './process';

const executablePath = chromiumForTests('OpenID sign-in tests (test/e2e/oidc-sign-in.test.ts)');
const DAVE = { email: 'dave@example.com', password: 'dave-demo-password' };
/** `PORTICO_SCREENSHOTS=1` writes the README's screenshots of the sign-in page with two methods. */
const SCREENSHOTS = process.env.PORTICO_SCREENSHOTS === '1';
const SCREENSHOT_DIR = join(import.meta.dir, 'screenshots');

/**
 * Clicks what posts a form and waits for the answer to that POST (to `path`), checking its status, so that a slow
 * or refused post fails here saying what it got instead of as a missing element later.
 */
async function submit(page: Page, path: string, click: () => Promise<void>, status: number): Promise<void> {
  const answered = page.waitForResponse((response) => response.request().method() === 'POST' && new URL(response.url()).pathname.startsWith(path), { timeout: 60_000 });
  await click();
  const response = await answered;
  if (response.status() !== status) {
    const text = (await response.text().catch(() => '')).replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
    throw new Error(`the form post to ${path} answered ${response.status()}, expected ${status}: ${text.slice(0, 300)}`);
  }
  await page.waitForLoadState('domcontentloaded');
}

let demo: Running | undefined;
let browser: Browser | undefined;
/** The client's loopback redirect URI, answering like a native app's does. */
let callbacks: ReturnType<typeof Bun.serve> | undefined;

beforeAll(async () => {
  if (!executablePath) return;
  demo = await startPortico([...SOURCES, 'demo', '--port', '0', '--api-port', '0']);
  browser = await launchChromium(executablePath);
  const port = Number(new URL(REDIRECT_URL).port);
  callbacks = Bun.serve({ port, hostname: '127.0.0.1', fetch: () => new Response('You can close this window.', { headers: { 'content-type': 'text/plain' } }) });
});

afterAll(async () => {
  await closeChromium(browser);
  callbacks?.stop(true);
  if (demo) expect(await demo.stop()).toBe(0);
});

describe.skipIf(!executablePath)('signing in through the OpenID provider (portico demo, Chromium, the SDK client)', () => {
  test('dave, who has no password at the API, connects through DemoID and calls tools as himself', async () => {
    const { mcpUrl } = demo!;
    const provider = new HeadlessProvider({ client_name: 'Example agent' });
    const first = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
    await expect(new Client({ name: 'oidc-e2e', version: '1' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.authorizationUrl).toBeDefined();

    if (SCREENSHOTS) {
      // a laptop and a phone: both ways to sign in, the decision visible without scrolling
      for (const [name, viewport] of [['laptop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]] as const) {
        const shot = await browser!.newContext({ viewport, colorScheme: 'light', deviceScaleFactor: name === 'phone' ? 2 : 1 });
        const view = await shot.newPage();
        await view.goto(provider.authorizationUrl!.href);
        await view.screenshot({ path: join(SCREENSHOT_DIR, `sign-in-methods-${name}.png`) });
        await shot.close();
      }
    }
    const context = await browser!.newContext();
    const page = await context.newPage();
    await page.goto(provider.authorizationUrl!.href);
    // both ways to sign in, the provider's button first
    const button = page.getByRole('button', { name: 'Continue with DemoID' });
    await expect(button.isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Password').isVisible()).resolves.toBe(true);
    // dave has no password at the API: the password form cannot sign him in
    await page.getByLabel('Username').fill(DAVE.email);
    await page.getByLabel('Password').fill(DAVE.password);
    await submit(page, '/oauth/authorize', () => page.getByRole('button', { name: 'Sign in', exact: true }).click(), 401);
    await page.getByRole('alert').filter({ hasText: 'incorrect' }).waitFor();

    await page.getByRole('button', { name: 'Continue with DemoID' }).click();
    await page.waitForURL(/\/interaction\//);
    await page.getByLabel('Email').fill(DAVE.email);
    await page.getByLabel('Password').fill('not-daves-password');
    await submit(page, '/interaction/', () => page.getByRole('button', { name: 'Sign in' }).click(), 401);
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
    await page.getByLabel('Password').fill(DAVE.password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // back at Portico, signed in as dave: the consent page names him and his role's ceiling (developer: write)
    await page.waitForURL(/\/oauth\/authorize\?/);
    await expect(page.textContent('body')).resolves.toContain(DAVE.email);
    const redirected = page.waitForURL((url) => url.href.startsWith(REDIRECT_URL));
    await page.getByRole('button', { name: 'Allow' }).click();
    await redirected;
    const code = new URL(page.url()).searchParams.get('code');
    expect(code).toBeTruthy();
    await context.close();

    await first.finishAuth(code!);
    const client = new Client({ name: 'oidc-e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
    const me = (await client.callTool({ name: 'get_current_user', arguments: {} })) as CallToolResult;
    expect(me.isError).toBeFalsy();
    expect((me.structuredContent as { email: string }).email).toBe(DAVE.email);
    // his role at the API (developer) caps what the connection may do: write, not admin
    expect(provider.saved?.scope?.split(' ').sort()).toEqual(['read', 'write']);
    await client.close();
  });

  test("alice signs in on the app's own login page (delegated): the app sends back a code, Portico redeems it, the client calls tools as her", async () => {
    const { mcpUrl } = demo!;
    const provider = new HeadlessProvider({ client_name: 'Delegated e2e client' });
    const first = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
    await expect(new Client({ name: 'app-e2e', version: '1' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);

    const context = await browser!.newContext();
    const page = await context.newPage();
    await page.goto(provider.authorizationUrl!.href);
    await page.getByRole('button', { name: 'Sign in with Acme Postgres' }).click();
    // the app's own page, on the app's origin, sent Portico's callback to return to
    await page.waitForURL(/\/app\/portico-login\?/);
    expect(new URL(page.url()).searchParams.get('return_to')).toBe(`${new URL(mcpUrl).origin}/oauth/callback`);
    await page.getByLabel('Email').fill('alice@example.com');
    await page.getByLabel('Password').fill('alice-demo-password');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL(/\/oauth\/authorize\?/);
    await expect(page.textContent('body')).resolves.toContain('alice@example.com');
    const redirected = page.waitForURL((url) => url.href.startsWith(REDIRECT_URL));
    await page.getByRole('button', { name: 'Allow' }).click();
    await redirected;
    const code = new URL(page.url()).searchParams.get('code');
    await context.close();

    await first.finishAuth(code!);
    const client = new Client({ name: 'app-e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
    const me = (await client.callTool({ name: 'get_current_user', arguments: {} })) as CallToolResult;
    expect((me.structuredContent as { email: string }).email).toBe('alice@example.com');
    await client.close();
  });

  test("a delegated code is good once, in the browser that started the sign-in: replayed, or brought to another browser, it is refused with nothing issued", async () => {
    const { mcpUrl } = demo!;
    const provider = new HeadlessProvider({ client_name: 'Replay e2e client' });
    await expect(new Client({ name: 'replay', version: '1' }).connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }))).rejects.toBeInstanceOf(UnauthorizedError);
    const victim = await browser!.newContext();
    const page = await victim.newPage();
    await page.goto(provider.authorizationUrl!.href);
    await page.getByRole('button', { name: 'Sign in with Acme Postgres' }).click();
    await page.waitForURL(/\/app\/portico-login\?/);
    // the app signs bob in and sends him back with a code: the way back, taken from the app's answer
    const appPage = new URL(page.url());
    const signedInAtApp = await fetch(new URL('/app/portico-login', appPage), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'bob@example.com', password: 'bob-demo-password', return_to: appPage.searchParams.get('return_to')!, state: appPage.searchParams.get('state')!, action: 'sign-in' }),
      redirect: 'manual',
    });
    expect(signedInAtApp.status).toBe(303);
    const callback = signedInAtApp.headers.get('location')!;
    expect(new URL(callback).searchParams.get('code')).toBeTruthy();

    // another browser (an attacker who got the URL): no trip started there, so nothing to finish
    const other = await browser!.newContext();
    const stolen = await other.newPage();
    const answer = await stolen.goto(callback);
    expect(answer?.status()).toBe(400);
    await expect(stolen.textContent('body')).resolves.toContain('not started in this browser');
    expect((await other.cookies()).some((cookie) => cookie.name.includes('portico-login'))).toBe(false);
    await other.close();

    // the browser that started it finishes it once; the same callback again is refused
    await page.goto(callback);
    await page.waitForURL(/\/oauth\/authorize\?/);
    await expect(page.textContent('body')).resolves.toContain('bob@example.com');
    const again = await page.goto(callback);
    expect(again?.status()).toBe(400);
    await expect(page.textContent('body')).resolves.toMatch(/already used|not started in this browser/);
    await victim.close();
  });
});
