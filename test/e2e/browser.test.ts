/**
 * A real browser (headless Chromium, driven by playwright-core) connects an app through the actual sign-in
 * and consent pages: a public client registers, sends the browser to /oauth/authorize with PKCE, the user
 * signs in (first with a wrong password), chooses scopes and allows; the browser lands on the client's
 * loopback redirect URI, the client exchanges the code and calls /mcp with the token. Also: Deny, the
 * pages without JavaScript, the keyboard, and the pages' CSP against their own stylesheet.
 *
 * Skipped (with a note) when Chromium is not installed; `PORTICO_TEST_BROWSER=required` makes that a failure.
 * `PORTICO_SCREENSHOTS=1` also writes the README's screenshots to test/e2e/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { chromiumForTests, closeChromium, launchChromium } from '../fixtures/chromium';
import { ALICE, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs } from '../fixtures/temp';

const executablePath = chromiumForTests('Browser tests (test/e2e/browser.test.ts)');
const SCREENSHOTS = process.env.PORTICO_SCREENSHOTS === '1';
const SCREENSHOT_DIR = join(import.meta.dir, 'screenshots');
/** What `portico demo` calls itself on these pages (src/cli/demo.ts), so the screenshots match the demo. */
const BRAND = 'Portico demo (Acme Postgres)';
const WRONG_CREDENTIALS = 'The username or password is incorrect.';

let browser: Browser | undefined;
let gw: SignedInGateway | undefined;
let callbackServer: ReturnType<typeof Bun.serve> | undefined;
let issuer = '';
/** Every query string the client's redirect URI received, in order. */
const callbacks: URLSearchParams[] = [];
/** Console messages of every page, for the CSP check. */
const consoleMessages: string[] = [];

const redirectUri = () => `http://127.0.0.1:${callbackServer!.port}/callback`;
const cspMessages = () => consoleMessages.filter((text) => /Content Security Policy/i.test(text));

interface Connection {
  clientId: string;
  state: string;
  verifier: string;
  url: string;
}

/** A public client registers (RFC 7591) and builds its authorization URL with PKCE S256 and a state. */
async function newConnection(clientName: string, scope = 'read write admin'): Promise<Connection> {
  const registered = await fetch(`${issuer}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: clientName,
      redirect_uris: [redirectUri()],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  expect(registered.status).toBe(201);
  const { client_id: clientId } = (await registered.json()) as { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL(`${issuer}/oauth/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri(),
    scope,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return { clientId, state, verifier, url: url.href };
}

/** A fresh browser profile's worth of cookies; console messages are collected for the CSP check. */
async function newContext(options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser!.newContext({ colorScheme: 'light', ...options });
  context.setDefaultTimeout(10_000);
  context.on('console', (message) => void consoleMessages.push(`${message.type()}: ${message.text()}`));
  context.on('weberror', (error) => void consoleMessages.push(`pageerror: ${error.error().message}`));
  return { context, page: await context.newPage() };
}

/**
 * Runs `action` (a click or key press that posts one of the pages' forms) and checks the status the form
 * post answered, so that a refused form fails here with the page's own message instead of a timeout later.
 */
async function submit(page: Page, action: () => Promise<void>, status = 303): Promise<void> {
  const answered = page.waitForResponse((response) => response.request().method() === 'POST' && response.url().startsWith(`${issuer}/oauth/authorize?`));
  await action();
  const response = await answered;
  if (response.status() !== status) {
    const text = (await response.text().catch(() => '')).replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
    throw new Error(`the form post answered ${response.status()}, expected ${status}: ${text.slice(0, 500)} (request Origin header: ${await response.request().headerValue('origin')})`);
  }
}

/** Waits until the browser is on the client's redirect URI and returns what that request carried. */
async function landedOnCallback(page: Page): Promise<URLSearchParams> {
  await page.waitForURL((url) => url.href.startsWith(redirectUri()));
  expect(await page.locator('body').innerText()).toBe('done');
  const received = callbacks.at(-1)!;
  expect(received.toString()).toBe(new URL(page.url()).searchParams.toString());
  return received;
}

async function exchange(connection: Connection, code: string) {
  const response = await fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri(), client_id: connection.clientId, code_verifier: connection.verifier }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { access_token: string; token_type: string; scope: string; refresh_token?: string };
}

async function toolNames(accessToken: string): Promise<Set<string>> {
  const client = new Client({ name: 'browser-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw!.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }));
  try {
    return new Set((await client.listTools()).tools.map((tool) => tool.name));
  } finally {
    await client.close();
  }
}

const toolsOf = (scope: string) => gw!.gateway.tools.all.filter((entry) => entry.scope === scope).map((entry) => entry.tool.name);

/** A computed style of an element, as the browser applied it (the project compiles without the DOM types). */
const css = (locator: Locator, property: string): Promise<string> =>
  locator.evaluate((el, name) => (globalThis as unknown as { getComputedStyle(e: unknown): { getPropertyValue(n: string): string } }).getComputedStyle(el).getPropertyValue(name), property);

/** The whole page (the consent page is taller than the window), only when PORTICO_SCREENSHOTS=1. */
async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, name), fullPage: true, animations: 'disabled', caret: 'hide' });
}

describe.skipIf(!executablePath)('connecting an app in a real browser', () => {
  beforeAll(async () => {
    callbackServer = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch(request) {
        const url = new URL(request.url);
        if (url.pathname === '/callback') {
          callbacks.push(url.searchParams);
          return new Response('done', { headers: { 'content-type': 'text/plain; charset=utf-8' } });
        }
        // a page whose CSP blocks its own inline style: proves the console check below can see a violation
        if (url.pathname === '/csp-control') {
          return new Response('<!doctype html><title>control</title><style>body{color:red}</style><p>control</p>', {
            headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'none'" },
          });
        }
        return new Response('not found', { status: 404 });
      },
    });
    gw = await startSignedInGateway({ PORTICO_BRAND_NAME: BRAND });
    issuer = ((await (await fetch(`${gw.origin}/.well-known/oauth-authorization-server`)).json()) as { issuer: string }).issuer;
    browser = await launchChromium(executablePath!);
  });

  afterAll(async () => {
    await closeChromium(browser);
    await gw?.stop();
    callbackServer?.stop(true);
    removeTempDirs();
  });

  test('sign in (a wrong password first), choose scopes, allow: the app gets a code, then a token for read and write', async () => {
    const connection = await newConnection('Example MCP Client');
    const viewport = SCREENSHOTS ? { viewport: { width: 1000, height: 760 }, deviceScaleFactor: 1 } : {};
    const { context, page } = await newContext(viewport);
    try {
      await page.goto(connection.url);

      // the sign-in page: its title, the app being connected, labelled fields
      expect(await page.title()).toBe(`Sign in · ${BRAND}`);
      await page.getByRole('heading', { name: "Sign in to connect Example MCP Client" }).waitFor();
      await page.getByText('Unverified').waitFor();
      const username = page.getByLabel('Username');
      const password = page.getByLabel('Password');
      expect(await username.getAttribute('autocomplete')).toBe('username');
      expect(await password.getAttribute('type')).toBe('password');
      expect(await page.locator(':focus').getAttribute('id')).toBe('username');
      await screenshot(page, 'login.png');

      // a wrong password: the same page again, with an alert; the username is kept and the password is not
      await username.fill(ALICE.email);
      await password.fill('not-alices-password');
      await submit(page, () => page.getByRole('button', { name: 'Sign in' }).click(), 401);
      await page.getByRole('alert').filter({ hasText: WRONG_CREDENTIALS }).waitFor();
      expect(await page.title()).toBe(`Sign in · ${BRAND}`);
      expect(new URL(page.url()).pathname).toBe('/oauth/authorize');
      expect(await username.inputValue()).toBe(ALICE.email);
      expect(await password.inputValue()).toBe('');
      // the cursor waits in the password field: type it and press Enter, no mouse needed
      expect(await page.locator(':focus').getAttribute('id')).toBe('password');
      await screenshot(page, 'login-error.png');
      await page.keyboard.type(ALICE.password);
      await submit(page, () => page.keyboard.press('Enter'));

      // the consent page: who asks, where the browser goes next, the scopes
      await page.getByRole('heading', { name: `Allow Example MCP Client to use your ${BRAND} account?` }).waitFor();
      expect(await page.title()).toBe(`Allow access? · ${BRAND}`);
      expect(await page.locator('.client').innerText()).toContain('Example MCP Client');
      await page.getByText(`${new URL(redirectUri()).host} (an app on this computer)`).waitFor();
      await page.locator('code', { hasText: redirectUri() }).waitFor();
      const read = page.getByLabel('Read', { exact: true });
      const write = page.getByLabel('Write', { exact: true });
      const admin = page.getByLabel('Admin', { exact: true });
      expect([await read.isChecked(), await read.isDisabled()]).toEqual([true, true]);
      expect([await write.isChecked(), await write.isDisabled()]).toEqual([true, false]);
      // admin (deleting) is offered but not ticked: the user opts into it
      expect([await admin.isChecked(), await admin.isDisabled()]).toEqual([false, false]);
      await screenshot(page, 'consent.png');
      await submit(page, () => page.getByRole('button', { name: 'Allow' }).click());

      // the browser is back at the app, with a code for this request, from this issuer (RFC 9207)
      const received = await landedOnCallback(page);
      expect(received.get('state')).toBe(connection.state);
      expect(received.get('iss')).toBe(issuer);
      const code = received.get('code');
      expect(code).toBeTruthy();
      expect(received.has('error')).toBe(false);

      const tokens = await exchange(connection, code!);
      expect(tokens.token_type.toLowerCase()).toBe('bearer');
      expect(tokens.scope).toBe('read write');
      const listed = await toolNames(tokens.access_token);
      for (const name of [...toolsOf('read'), ...toolsOf('write')]) expect(listed).toContain(name);
      for (const name of toolsOf('admin')) expect(listed).not.toContain(name);
    } finally {
      await context.close();
    }
  });

  test('Deny sends the browser back to the app with error=access_denied and no code', async () => {
    const connection = await newConnection('Denied Client');
    const { context, page } = await newContext();
    try {
      await page.goto(connection.url);
      await page.getByLabel('Username').fill(ALICE.email);
      await page.getByLabel('Password').fill(ALICE.password);
      await submit(page, () => page.getByRole('button', { name: 'Sign in' }).click());
      await page.getByRole('heading', { name: /^Allow Denied Client to use/ }).waitFor();
      await submit(page, () => page.getByRole('button', { name: 'Deny' }).click());
      const received = await landedOnCallback(page);
      expect(received.get('error')).toBe('access_denied');
      expect(received.get('state')).toBe(connection.state);
      expect(received.get('iss')).toBe(issuer);
      expect(received.has('code')).toBe(false);
    } finally {
      await context.close();
    }
  });

  test('the pages work with JavaScript turned off, and Enter in the password field signs in', async () => {
    const connection = await newConnection('No Script Client', 'read write');
    const { context, page } = await newContext({ javaScriptEnabled: false });
    try {
      await page.goto(connection.url);
      await page.getByLabel('Username').fill(ALICE.email);
      await page.getByLabel('Password').fill(ALICE.password);
      await submit(page, () => page.getByLabel('Password').press('Enter'));
      await page.getByRole('heading', { name: /^Allow No Script Client to use/ }).waitFor();
      // only what was asked for is offered: read and write, no admin
      expect(await page.getByLabel('Write', { exact: true }).isChecked()).toBe(true);
      expect(await page.getByLabel('Admin', { exact: true }).count()).toBe(0);
      await submit(page, () => page.getByRole('button', { name: 'Allow' }).click());
      const received = await landedOnCallback(page);
      expect(received.get('state')).toBe(connection.state);
      const tokens = await exchange(connection, received.get('code')!);
      expect(tokens.scope).toBe('read write');
    } finally {
      await context.close();
    }
  });

  test("the pages' Content Security Policy lets their own stylesheet apply: no violation is reported", async () => {
    const connection = await newConnection('Style Check Client');
    const { context, page } = await newContext();
    try {
      await page.goto(connection.url);
      // the stylesheet applied: the card has its border radius and the button its accent colour
      expect(await css(page.locator('main'), 'border-top-left-radius')).toBe('14px');
      expect(await css(page.getByRole('button', { name: 'Sign in' }), 'background-color')).toBe('rgb(29, 91, 208)');
      await page.getByLabel('Username').fill(ALICE.email);
      await page.getByLabel('Password').fill(ALICE.password);
      await submit(page, () => page.getByRole('button', { name: 'Sign in' }).click());
      await page.getByRole('button', { name: 'Allow' }).waitFor();
      expect(await css(page.locator('.dest'), 'border-left-width')).toBe('4px');
      // every page of every test so far (with and without JavaScript) reported no CSP violation
      expect(cspMessages()).toEqual([]);

      // the check can see one: a page whose policy blocks its inline style is reported on the console
      const control = await context.newPage();
      const reported = control.waitForEvent('console', (message) => /Content Security Policy/i.test(message.text()));
      await control.goto(`http://127.0.0.1:${callbackServer!.port}/csp-control`);
      await reported;
    } finally {
      await context.close();
    }
  });
});
