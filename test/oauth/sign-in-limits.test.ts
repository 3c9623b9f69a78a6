/**
 * The sign-in and registration limits as an attacker meets them: from many addresses at once (127.0.0.2,
 * 127.0.0.3, … — each a client of its own, as the socket shows it), with simultaneous guesses, and with the
 * owner of the attacked account trying to sign in meanwhile. What must hold:
 * - a limit reached from one address stops that address only;
 * - guesses sent at once cannot slip under the limit (the count is reserved before the API is asked);
 * - strangers cannot lock the owner out: a guesser's failures count per account *and* address, and past the
 *   account-wide back-off a browser that signed in to the account before still may;
 * - signing out ends the browser session on the server: a copy of the cookie opens nothing afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { MAX_REGISTRATIONS_PER_HOUR } from '../../src/oauth/register';
import { REDIRECT_URL } from '../fixtures/oauth-client';
import { fetchFrom, loopbackAddresses } from '../fixtures/from-address';
import { pkce } from '../fixtures/oauth-http';
import { ALICE, BOB, CAROL, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs } from '../fixtures/temp';

/** Sign-in calls that reached the demo API's login endpoint (the gateway runs in this process). */
let upstreamLogins = 0;
const realFetch = globalThis.fetch;
beforeAll(() => {
  globalThis.fetch = Object.assign((input: string | URL | Request, init?: RequestInit) => {
    const href = input instanceof Request ? input.url : String(input);
    if (href.endsWith('/auth/login')) upstreamLogins++;
    return realFetch(input, init);
  }, realFetch);
});
afterAll(() => {
  globalThis.fetch = realFetch;
  removeTempDirs();
});

/** A browser at one source address: its own cookies, form posts with our Origin, no redirect followed. */
class AddressBrowser {
  readonly cookies = new Map<string, string>();
  constructor(readonly from: string) {}

  async get(url: string): Promise<Response> {
    return this.take(await fetchFrom(this.from, url, { headers: { cookie: this.cookieHeader() } }));
  }

  async post(url: string, fields: Record<string, string>): Promise<Response> {
    const body = new URLSearchParams(fields).toString();
    return this.take(await fetchFrom(this.from, url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin, cookie: this.cookieHeader() } }));
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private take(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(pair!.slice(0, eq).trim());
      else this.cookies.set(pair!.slice(0, eq).trim(), value);
    }
    return response;
  }
}

async function registerFrom(from: string, base: string): Promise<Response> {
  return fetchFrom(from, `${base}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'limits test', redirect_uris: [REDIRECT_URL], token_endpoint_auth_method: 'none' }),
  });
}

async function clientOf(gw: SignedInGateway): Promise<string> {
  return ((await (await registerFrom('127.0.0.1', gw.origin)).json()) as { client_id: string }).client_id;
}

function authorizeUrl(gw: SignedInGateway, clientId: string): string {
  const url = new URL('/oauth/authorize', gw.origin);
  url.search = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URL, code_challenge: pkce().challenge, code_challenge_method: 'S256', state: 's', resource: gw.mcpUrl }).toString();
  return url.href;
}

/** One sign-in on the authorize page from `browser`: the status of the form post (303 signed in, 401 wrong, 429 throttled) and its page. */
async function signIn(browser: AddressBrowser, gw: SignedInGateway, clientId: string, username: string, password: string): Promise<{ status: number; html: string }> {
  const url = authorizeUrl(gw, clientId);
  const page = await (await browser.get(url)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error(`no sign-in form:\n${page.slice(0, 500)}`);
  const answer = await browser.post(url, { csrf, username, password });
  return { status: answer.status, html: await answer.text() };
}

describe('per-address limits see each client', () => {
  let gw: SignedInGateway;
  let clientId: string;
  beforeAll(async () => {
    gw = await startSignedInGateway();
    clientId = await clientOf(gw);
  });
  afterAll(() => gw.stop());

  test('20 failed sign-ins from one address stop that address only: every other address still signs in', async () => {
    const sprayer = new AddressBrowser('127.0.0.2');
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await signIn(sprayer, gw, clientId, `spray-${i}@example.com`, 'Winter2026!')).status);
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    // the throttle speaks of the address it saw, not of "unknown"
    const throttled = gw.logs.map((line) => JSON.parse(line)).filter((line) => line.event === 'oauth.login_throttled');
    expect(throttled.at(-1)).toMatchObject({ address: '127.0.0.2' });

    const others = await Promise.all(
      [['127.0.0.3', ALICE], ['127.0.0.4', BOB], ['127.0.0.5', CAROL]].map(([from, account]) => {
        const { email, password } = account as typeof ALICE;
        return signIn(new AddressBrowser(from as string), gw, clientId, email, password);
      }),
    );
    expect(others.map((answer) => answer.status)).toEqual([303, 303, 303]);
  });

  test(`${MAX_REGISTRATIONS_PER_HOUR + 1} registrations from one address stop registration from that address only`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= MAX_REGISTRATIONS_PER_HOUR; i++) statuses.push((await registerFrom('127.0.0.6', gw.origin)).status);
    expect(statuses.slice(0, MAX_REGISTRATIONS_PER_HOUR).every((status) => status === 201)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const elsewhere = await Promise.all(['127.0.0.7', '127.0.0.8'].map((from) => registerFrom(from, gw.origin)));
    expect(elsewhere.map((answer) => answer.status)).toEqual([201, 201]);
  });
});

describe('guesses sent at once', () => {
  test('30 simultaneous attempts on one account (29 wrong, 1 right): at most 5 reach the API, the rest are refused', async () => {
    const gw = await startSignedInGateway();
    try {
      const clientId = await clientOf(gw);
      // every browser opens its page first, so that the 30 form posts then go out together
      const browsers = Array.from({ length: 30 }, () => new AddressBrowser('127.0.0.9'));
      const forms = await Promise.all(
        browsers.map(async (browser) => {
          const url = authorizeUrl(gw, clientId);
          const csrf = /name="csrf" value="([^"]+)"/.exec(await (await browser.get(url)).text())![1]!;
          return { browser, url, csrf };
        }),
      );
      const before = upstreamLogins;
      const statuses = await Promise.all(
        forms.map(({ browser, url, csrf }, index) => browser.post(url, { csrf, username: BOB.email, password: index === 17 ? BOB.password : `guess-${index}` }).then((answer) => answer.status)),
      );
      expect(upstreamLogins - before).toBeLessThanOrEqual(5);
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(25);
      expect(statuses.filter((status) => status === 401 || status === 303).length).toBe(upstreamLogins - before);
    } finally {
      await gw.stop();
    }
  });
});

describe('the account limit is not a weapon', () => {
  test('a stranger locking an account from one address does not lock the owner out at theirs', async () => {
    const gw = await startSignedInGateway();
    try {
      const clientId = await clientOf(gw);
      const stranger = new AddressBrowser('127.0.0.10');
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await signIn(stranger, gw, clientId, CAROL.email, `guess-${i}`)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      // the owner, at their own address, in a browser that never signed in before
      expect((await signIn(new AddressBrowser('127.0.0.11'), gw, clientId, CAROL.email, CAROL.password)).status).toBe(303);
      // and the stranger is still stopped, even with the right password (which they would not have)
      expect((await signIn(stranger, gw, clientId, CAROL.email, CAROL.password)).status).toBe(429);
    } finally {
      await gw.stop();
    }
  });

  test('a distributed attack on one account: new browsers are held back, the owner\'s known browser still signs in', async () => {
    const gw = await startSignedInGateway();
    try {
      const clientId = await clientOf(gw);
      // the owner signed in from this browser once (the device cookie stays when the sign-in ends)
      const owner = new AddressBrowser('127.0.1.200');
      expect((await signIn(owner, gw, clientId, ALICE.email, ALICE.password)).status).toBe(303);
      owner.cookies.delete('portico-login');

      // 21 addresses, 5 guesses each, all at once: 105 failures on the account
      const attackers = loopbackAddresses(21, 20);
      const results = await Promise.all(
        attackers.map(async (from) => {
          const browser = new AddressBrowser(from);
          const statuses: number[] = [];
          for (let i = 0; i < 5; i++) statuses.push((await signIn(browser, gw, clientId, ALICE.email, `guess-${from}-${i}`)).status);
          return statuses;
        }),
      );
      const all = results.flat();
      // the account-wide back-off (100) held: not every guess reached the API
      expect(all.filter((status) => status === 401).length).toBeLessThanOrEqual(100);
      expect(all.filter((status) => status === 429).length).toBeGreaterThanOrEqual(5);

      // a browser that never signed in to the account is held back, with a message that says why
      const fresh = await signIn(new AddressBrowser('127.0.1.201'), gw, clientId, ALICE.email, ALICE.password);
      expect(fresh.status).toBe(429);
      expect(fresh.html).toContain('only be signed in to from a browser that signed in to it before');
      // the owner's browser signs in
      expect((await signIn(owner, gw, clientId, ALICE.email, ALICE.password)).status).toBe(303);
      // the device cookie is the account's: it does not open the back door for another account
      const borrowed = new AddressBrowser('127.0.1.202');
      for (const [name, value] of owner.cookies) if (name.includes('device')) borrowed.cookies.set(name, value);
      expect((await signIn(borrowed, gw, clientId, BOB.email, 'guess')).status).toBe(401);
    } finally {
      await gw.stop();
    }
  });
});

describe('signing out', () => {
  test('after "Sign out" a copy of the sign-in cookie opens neither /account nor the consent page', async () => {
    const gw = await startSignedInGateway();
    try {
      const clientId = await clientOf(gw);
      const browser = new AddressBrowser('127.0.0.12');
      const accountUrl = `${gw.origin}/account`;
      const loginPage = await (await browser.get(accountUrl)).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(loginPage)![1]!;
      expect((await browser.post(accountUrl, { csrf, username: BOB.email, password: BOB.password })).status).toBe(303);
      const copied = browser.cookieHeader();
      const signedIn = await (await browser.get(accountUrl)).text();
      expect(signedIn).toContain('Sign out');
      // the consent page opens for the signed-in browser
      expect(await (await fetchFrom('127.0.0.13', authorizeUrl(gw, clientId), { headers: { cookie: copied } })).text()).toContain('name="decision"');

      const accountCsrf = /name="csrf" value="([^"]+)"/.exec(signedIn)![1]!;
      expect((await browser.post(accountUrl, { csrf: accountCsrf, signout: '1' })).status).toBe(303);

      // the copy, from the same or another address
      for (const from of ['127.0.0.12', '127.0.0.13']) {
        const account = await (await fetchFrom(from, accountUrl, { headers: { cookie: copied } })).text();
        expect(account).not.toContain('Sign out');
        expect(account).toContain('name="password"');
        const consent = await (await fetchFrom(from, authorizeUrl(gw, clientId), { headers: { cookie: copied } })).text();
        expect(consent).not.toContain('name="decision"');
        expect(consent).toContain('name="password"');
      }
    } finally {
      await gw.stop();
    }
  });
});
