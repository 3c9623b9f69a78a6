/**
 * A real browser (headless Chromium, driven by playwright-core) connects an app through the actual sign-in
 * and consent pages: a public client registers, sends the browser to /oauth/authorize with PKCE, the user
 * signs in (first with a wrong password), chooses scopes and allows; the browser lands on the client's
 * loopback redirect URI, the client exchanges the code and calls /mcp with the token. Also: Deny, the
 * pages without JavaScript, the keyboard, and the pages' CSP against their own stylesheet; and what a user sees
 * first: the decision in view on a laptop and reachable on a phone, calm words for the usual client and a
 * warning for an unusual one, a permission the account lacks, the sign-in page saying which account to use.
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
import { ALICE, CAROL, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs } from '../fixtures/temp';

const executablePath = chromiumForTests('Browser tests (test/e2e/browser.test.ts)');
const SCREENSHOTS = process.env.PORTICO_SCREENSHOTS === '1';
const SCREENSHOT_DIR = join(import.meta.dir, 'screenshots');
/** What `portico demo` calls itself on these pages (src/cli/demo.ts), so the screenshots match the demo. */
const BRAND = 'Portico demo (Acme Postgres)';
const PRODUCT = 'Acme Postgres';
const HINT = 'The demo accounts are printed in the terminal where portico demo runs.';
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

/**
 * A public client registers (RFC 7591) and builds its authorization URL with PKCE S256 and a state. `redirect`:
 * where it asks the answer to go (by default the loopback listener, as Claude Code, Cursor and mcp-remote do).
 */
async function newConnection(clientName: string, scope = 'read write admin', redirect = redirectUri()): Promise<Connection> {
  const registered = await fetch(`${issuer}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: clientName,
      redirect_uris: [redirect],
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
    redirect_uri: redirect,
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

/** The whole page (on a phone, or with a long name, it is taller than the window), only when PORTICO_SCREENSHOTS=1. */
async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, name), fullPage: true, animations: 'disabled', caret: 'hide' });
}

/** Signs `user` in on the sign-in page the browser is on; the consent page follows. */
async function signIn(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.getByLabel('Username').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await submit(page, () => page.getByRole('button', { name: 'Sign in' }).click());
  await page.getByRole('button', { name: 'Allow' }).waitFor();
}

/** What the page shows (its visible text, without the stylesheet), spaces collapsed. */
const shownText = async (page: Page): Promise<string> => (await page.locator('main').innerText()).replace(/\s+/g, ' ');

/** Where the page is scrolled to, and how wide its content is against its window. */
const scrolling = (page: Page) =>
  page.evaluate(() => {
    const { documentElement: root } = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document;
    const { scrollX, scrollY } = globalThis as unknown as { scrollX: number; scrollY: number };
    return { scrollX, scrollY, scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
  });

/** Allow and Deny lie within the window as the page opened, with nothing scrolled. */
async function decisionInView(page: Page, height: number): Promise<void> {
  expect((await scrolling(page)).scrollY).toBe(0);
  for (const name of ['Deny', 'Allow']) {
    const box = await page.getByRole('button', { name, exact: true }).boundingBox();
    expect({ name, top: box!.y >= 0, bottom: box!.y + box!.height <= height }).toEqual({ name, top: true, bottom: true });
  }
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
    gw = await startSignedInGateway({ PORTICO_BRAND_NAME: BRAND, PORTICO_PRODUCT_NAME: PRODUCT, PORTICO_SIGN_IN_HINT: HINT });
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
      await page.getByText(`Use your ${PRODUCT} account. ${HINT}`).waitFor();
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
      await page.getByRole('heading', { name: `Allow Example MCP Client to use your ${PRODUCT} account?` }).waitFor();
      expect(await page.title()).toBe(`Allow access? · ${BRAND}`);
      expect(await page.locator('.client').innerText()).toContain('Name chosen by the app itself');
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
      expect(await css(page.locator('.client'), 'border-top-left-radius')).toBe('10px');
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
  test('on a 1280×800 laptop Allow and Deny are in view without scrolling, also with a permission the account lacks', async () => {
    const { context, page } = await newContext({ viewport: { width: 1280, height: 800 } });
    try {
      for (const user of [ALICE, CAROL]) {
        const connection = await newConnection('Laptop Client');
        // each user starts signed out: the sign-in cookie of the previous one is dropped
        await context.clearCookies();
        await page.goto(connection.url);
        await signIn(page, user);
        await page.getByRole('heading', { name: `Allow Laptop Client to use your ${PRODUCT} account?` }).waitFor();
        await decisionInView(page, 800);
      }
    } finally {
      await context.close();
    }
  });

  test('on a 390×844 phone the pages have no sideways scroll, and Allow and Deny are reachable', async () => {
    const connection = await newConnection('A phone client with a rather long name, as some apps have');
    const { context, page } = await newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      await page.goto(connection.url);
      const signInPage = await scrolling(page);
      expect(signInPage.scrollWidth).toBeLessThanOrEqual(signInPage.clientWidth);
      await signIn(page, CAROL);
      const consentPage = await scrolling(page);
      expect(consentPage.scrollWidth).toBeLessThanOrEqual(consentPage.clientWidth);
      for (const name of ['Deny', 'Allow']) {
        const button = page.getByRole('button', { name, exact: true });
        await button.scrollIntoViewIfNeeded();
        const box = await button.boundingBox();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(390);
        expect(box!.y + box!.height).toBeLessThanOrEqual(844);
      }
      // still no sideways scroll once scrolled down to them
      expect((await scrolling(page)).scrollX).toBe(0);
    } finally {
      await context.close();
    }
  });

  test('a client that registered itself and answers on this computer is described plainly, without alarm', async () => {
    const connection = await newConnection('Claude Code');
    const { context, page } = await newContext();
    try {
      await page.goto(connection.url);
      for (const step of ['sign-in', 'consent']) {
        const text = await shownText(page);
        expect({ step, text }).toEqual({ step, text: expect.stringContaining('Name chosen by the app itself; it runs on your device.') });
        expect({ step, alarming: /unverified|self-declared|cannot vouch/i.test(text) }).toEqual({ step, alarming: false });
        if (step === 'sign-in') await signIn(page, ALICE);
      }
      // the consent page says exactly where the browser goes next
      await page.locator('.client code', { hasText: redirectUri() }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('a client that registered itself and sends the browser on to a website gets a clear warning naming the site', async () => {
    const connection = await newConnection('Totally Claude', 'read write admin', 'https://collector.example/oauth/callback');
    const { context, page } = await newContext({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(connection.url);
      for (const step of ['sign-in', 'consent']) {
        const warning = page.locator('.client.unusual');
        expect({ step, text: await warning.innerText() }).toEqual({ step, text: expect.stringContaining('Unverified') });
        expect(await warning.innerText()).toContain('sends your browser to collector.example, a website Portico cannot vouch for');
        // the warning's frame is the warning colour, twice as thick as the usual card's
        expect(await css(warning, 'border-top-width')).toBe('2px');
        if (step === 'sign-in') await signIn(page, ALICE);
      }
      await page.locator('.client code', { hasText: 'https://collector.example/oauth/callback' }).waitFor();
      await decisionInView(page, 800);
    } finally {
      await context.close();
    }
  });

  test('a permission the account lacks: its box is disabled, and a calm note tied to it says it cannot be ticked', async () => {
    const connection = await newConnection('Viewer Client');
    const { context, page } = await newContext();
    try {
      await page.goto(connection.url);
      await signIn(page, CAROL);
      for (const name of ['Write', 'Admin']) {
        const box = page.getByLabel(name, { exact: true });
        expect([name, await box.isDisabled(), await box.isChecked()]).toEqual([name, true, false]);
        const describedBy = (await box.getAttribute('aria-describedby'))!.split(' ');
        const notes = await Promise.all(describedBy.map((id) => page.locator(`[id="${id}"]`).innerText()));
        expect(notes.at(-1)).toBe('Your account does not have this permission, so it cannot be ticked.');
        // a note, not an error: the muted text colour, no alert
        const note = page.locator(`[id="${describedBy.at(-1)}"]`);
        expect(await css(note, 'color')).toBe(await css(page.locator('p.after'), 'color'));
        expect(await css(note, 'color')).not.toBe('rgb(180, 35, 24)');
      }
      expect(await page.getByRole('alert').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  test('the unknown-client page explains in plain text; only the client_id is code', async () => {
    const { context, page } = await newContext();
    try {
      const url = new URL(`${issuer}/oauth/authorize`);
      url.search = new URLSearchParams({ response_type: 'code', client_id: 'pcl_not_here', redirect_uri: redirectUri(), code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).toString();
      const response = await page.goto(url.href);
      expect(response!.status()).toBe(400);
      const explanation = page.getByText('It may have been registered with another server, or removed.');
      expect(await explanation.evaluate((el) => (el as unknown as { closest(s: string): unknown }).closest('code, pre') === null)).toBe(true);
      expect(await css(explanation, 'font-family')).not.toContain('monospace');
      expect(await page.locator('code').allInnerTexts()).toEqual(['pcl_not_here']);
      expect(await page.locator('pre').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  test('the sign-in page says which account to use, and names the app once', async () => {
    const connection = await newConnection('Once Named Client');
    const { context, page } = await newContext();
    try {
      await page.goto(connection.url);
      const text = await shownText(page);
      expect(text).toContain(`Use your ${PRODUCT} account. ${HINT}`);
      expect(text.split('Once Named Client').length - 1).toBe(1);
    } finally {
      await context.close();
    }
  });
});
