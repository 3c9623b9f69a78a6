/**
 * Sign-in through an OpenID provider, then an exchange at the API (issue 17), over real HTTP: a real gateway, an
 * OpenID provider the test controls and a stub API (fixtures/fake-provider). The browser's trip is driven by
 * hand with a cookie jar: the sign-in page's "Continue with …" button, the 303 to the provider, the provider's
 * redirect back, `GET /oauth/callback` with the trip's cookie.
 *
 * The happy path ends with a tool call that reaches the API with the token the API's exchange answered for
 * that user. Every bad case (an ID token wrong in one way, a replayed or foreign callback, the provider down,
 * the exchange refused, the user saying no) ends on a page that says what happened, with no sign-in cookie,
 * no code and no grant, a log line naming the check, and the authorization request still open to a retry.
 */
import { Database } from 'bun:sqlite';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CookieJar, formOf, signIn } from '../fixtures/oauth-client';
import { authorizationUrl, exchangeCode, mcpRequest, openSession, pkce, registerClient, type TokenSet } from '../fixtures/oauth-http';
import { startTestGateway, type TestGateway } from '../fixtures/gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';
import { startFakeProvider, startStubApi, type FakeProvider, type IdTokenPlan, type StubApi } from './fixtures/fake-provider';

afterAll(removeTempDirs);

const NAME = 'Test ID';
/** Known to the provider and to the API (signed up with the provider; no password at the API). */
const DAVE = { sub: 'provider-dave', email: 'dave@example.com' };
const DAVE_AT_API = { id: 'u-dave', email: DAVE.email, role: 'developer' };
/** Known to the provider only. */
const ERIN = { sub: 'provider-erin', email: 'erin@example.com' };

interface World {
  readonly provider: FakeProvider;
  readonly api: StubApi;
  readonly gw: TestGateway;
  /** The gateway as browsers and clients reach it: its public URL (http://localhost:PORT), the issuer. */
  readonly origin: string;
  readonly clientId: string;
  stop(): Promise<void>;
}

/** A provider, the API behind the gateway, the gateway with sign-in through the provider, and a registered client. */
async function startWorld(): Promise<World> {
  const provider = await startFakeProvider({ user: DAVE });
  const api = startStubApi(provider, [DAVE_AT_API]);
  const gw = await startTestGateway({
    PORTICO_UPSTREAM: api.url,
    PORTICO_SPEC: api.specUrl,
    PORTICO_PLUGINS: tempDir(),
    PORTICO_OIDC_ISSUER: provider.issuer,
    PORTICO_OIDC_CLIENT_ID: provider.clientId,
    PORTICO_OIDC_CLIENT_SECRET: provider.clientSecret,
    PORTICO_OIDC_NAME: NAME,
  });
  const origin = new URL(gw.gateway.mcpUrl).origin;
  const clientId = await registerClient(origin, 'OIDC test client');
  return {
    provider,
    api,
    gw,
    origin,
    clientId,
    async stop() {
      await gw.stop();
      await api.stop();
      await provider.stop();
    },
  };
}

// ---------- the browser ----------

async function get(url: URL | string, jar: CookieJar): Promise<Response> {
  const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.take(response);
  return response;
}

/** The value of cookie `name` in a jar (undefined when it holds none). */
function cookieIn(jar: CookieJar, name: string): string | undefined {
  const pair = jar.header().split('; ').find((part) => part.startsWith(`${name}=`));
  return pair?.slice(name.length + 1);
}

/** The Set-Cookie line of `name` in a response, when it sets one with a value (a clearing `name=;` does not count). */
function setsCookie(response: Response, name: string): string | undefined {
  return response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`) && !line.startsWith(`${name}=;`));
}

/** A page's words, as a person reads them. */
function words(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replaceAll('&#39;', "'")
    .replaceAll('&#x27;', "'")
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .replace(/\s+/g, ' ');
}

/**
 * One browser connecting the world's client: the authorization request (with its PKCE verifier) and the
 * browser's cookie jar. Each step is one request, never following redirects.
 */
class Connecting {
  readonly jar = new CookieJar();
  readonly verifier: string;
  readonly url: URL;

  constructor(readonly world: World) {
    const { verifier, challenge } = pkce();
    this.verifier = verifier;
    this.url = authorizationUrl(world.origin, world.origin, world.clientId, challenge);
  }

  /** Opens the authorization request: the sign-in page (or the consent page, when signed in). */
  async open(): Promise<{ response: Response; html: string }> {
    const response = await get(this.url, this.jar);
    return { response, html: await response.text() };
  }

  /** Presses "Continue with …" on the sign-in page: the gateway's answer (a 303 to the provider, or a page). */
  async leave(): Promise<Response> {
    const { response, html } = await this.open();
    expect(response.status).toBe(200);
    const { csrf, action } = formOf(html);
    const left = await fetch(new URL(action, this.world.origin), {
      method: 'POST',
      headers: { cookie: this.jar.header(), 'content-type': 'application/x-www-form-urlencoded', origin: this.world.origin },
      body: new URLSearchParams({ csrf, method: 'oidc' }).toString(),
      redirect: 'manual',
    });
    this.jar.take(left);
    return left;
  }

  /** Leaves and goes through the provider, which sends the browser straight back: the callback URL it was sent to. */
  async toProvider(): Promise<URL> {
    const left = await this.leave();
    expect(left.status).toBe(303);
    const atProvider = await get(left.headers.get('location')!, this.jar);
    expect(atProvider.status).toBe(302);
    return new URL(atProvider.headers.get('location')!);
  }

  /** Brings `callback` to the gateway in this browser. */
  async back(callback: URL): Promise<Response> {
    return get(callback, this.jar);
  }

  /** The whole trip: leave, the provider, back. */
  async trip(): Promise<{ callback: URL; tripCookie: string; response: Response }> {
    const callback = await this.toProvider();
    const tripCookie = cookieIn(this.jar, 'portico-trip')!;
    expect(tripCookie).toBeDefined();
    return { callback, tripCookie, response: await this.back(callback) };
  }

  /** Signed in: the authorization request shows its consent page; approving gives a code, the code gives tokens. */
  async consentAndRedeem(): Promise<TokenSet> {
    const { code } = await signIn(this.url, { email: 'unused', password: 'unused' }, { jar: this.jar });
    expect(code).toBeDefined();
    const redeemed = await exchangeCode(this.world.origin, this.world.clientId, code!, this.verifier);
    expect(redeemed.status).toBe(200);
    return redeemed.json as TokenSet;
  }
}

// ---------- what was issued ----------

const ISSUED = ['codes', 'grants', 'access_tokens', 'refresh_tokens', 'browser_sessions'] as const;

/** Rows of what sign-in and consent issue, read from the gateway's SQLite file. */
function issued(gw: TestGateway): Record<(typeof ISSUED)[number], number> {
  const db = new Database(gw.databasePath, { readonly: true });
  try {
    return Object.fromEntries(ISSUED.map((table) => [table, (db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n])) as Record<(typeof ISSUED)[number], number>;
  } finally {
    db.close();
  }
}

/**
 * A refused sign-in: a page of `status` saying `page`, no redirect, no sign-in cookie, the trip's cookie
 * cleared, nothing issued since `before`, exactly one `oauth.oidc_failed` since `failuresBefore` with a reason
 * matching `reason`; and the same browser opening the authorization request again is on the sign-in page.
 */
async function expectRefused(
  browser: Connecting,
  response: Response,
  expected: { status: number; page: RegExp; reason: RegExp },
  before: { issued: ReturnType<typeof issued>; failures: number },
): Promise<void> {
  const { gw } = browser.world;
  const html = await response.text();
  expect({ status: response.status, page: words(html) }).toMatchObject({ status: expected.status, page: expect.stringMatching(expected.page) });
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('content-type')).toStartWith('text/html');
  expect(setsCookie(response, 'portico-login')).toBeUndefined();
  expect(cookieIn(browser.jar, 'portico-login')).toBeUndefined();
  expect(cookieIn(browser.jar, 'portico-trip')).toBeUndefined();
  const failures = gw.events('oauth.oidc_failed').slice(before.failures);
  expect(failures).toHaveLength(1);
  expect(String(failures[0]!.reason)).toMatch(expected.reason);
  expect(issued(gw)).toEqual(before.issued);
  const again = await browser.open();
  expect(again.response.status).toBe(200);
  expect(again.html).toContain(`Continue with ${NAME}`);
  expect(again.html).not.toContain('name="decision"');
}

function snapshot(gw: TestGateway) {
  return { issued: issued(gw), failures: gw.events('oauth.oidc_failed').length };
}

// ---------- the tests ----------

describe('sign-in through the OpenID provider', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    // no ID token, API token or client secret in the log
    const log = world.gw.logs.join('\n');
    const secrets = [world.provider.clientSecret, ...world.provider.idTokens, ...world.api.tokens.values()];
    expect(secrets.filter((secret) => log.includes(secret))).toEqual([]);
    await world.stop();
  });

  test('the sign-in page shows "Continue with <name>" above the password form, a CSRF-protected POST with method=oidc', async () => {
    const browser = new Connecting(world);
    const { response, html } = await browser.open();
    expect(response.status).toBe(200);
    const button = html.indexOf(`Continue with ${NAME}`);
    const password = html.indexOf('name="password"');
    expect(button).toBeGreaterThan(-1);
    expect(password).toBeGreaterThan(button);
    const form = html.slice(html.lastIndexOf('<form', button), button);
    expect(form).toContain('method="post"');
    expect(form).toContain('name="method" value="oidc"');
    expect(form).toContain('name="csrf"');

    // without the CSRF field the button leads nowhere
    const forged = await fetch(browser.url, {
      method: 'POST',
      headers: { cookie: browser.jar.header(), 'content-type': 'application/x-www-form-urlencoded', origin: world.origin },
      body: 'method=oidc',
      redirect: 'manual',
    });
    expect(forged.status).toBe(403);
    expect(setsCookie(forged, 'portico-trip')).toBeUndefined();
  });

  test('happy path: signed in through the provider, consent, tokens, and a tool call reaches the API with the token its exchange answered for that user', async () => {
    const browser = new Connecting(world);
    const left = await browser.leave();
    expect(left.status).toBe(303);
    const toProvider = new URL(left.headers.get('location')!);
    expect(`${toProvider.origin}${toProvider.pathname}`).toBe(`${world.provider.issuer}/authorize`);
    expect(Object.fromEntries(toProvider.searchParams)).toMatchObject({
      client_id: world.provider.clientId,
      redirect_uri: `${world.origin}/oauth/callback`,
      response_type: 'code',
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    for (const name of ['state', 'nonce', 'code_challenge']) expect(toProvider.searchParams.get(name)).toMatch(/^[\w-]{22,}$/);
    const tripCookie = setsCookie(left, 'portico-trip')!;
    expect(tripCookie).toMatch(/HttpOnly/);
    expect(tripCookie).toMatch(/SameSite=Lax/);
    expect(tripCookie).toMatch(/Max-Age=600/);

    const atProvider = await get(toProvider, browser.jar);
    const callback = new URL(atProvider.headers.get('location')!);
    const back = await browser.back(callback);
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe(`${browser.url.pathname}${browser.url.search}`);
    expect(setsCookie(back, 'portico-login')).toBeDefined();
    expect(cookieIn(browser.jar, 'portico-trip')).toBeUndefined(); // cleared: one use
    expect(world.api.exchanges.at(-1)).toEqual({ email: DAVE.email, status: 200 });
    expect(world.gw.events('oauth.login').at(-1)).toMatchObject({ user: DAVE_AT_API.id, method: 'oidc' });

    const consent = await browser.open();
    expect(consent.html).toContain('name="decision"');
    expect(words(consent.html)).toContain(DAVE.email);

    const tokens = await browser.consentAndRedeem();
    expect(tokens.scope.split(' ').sort()).toEqual(['read', 'write']); // the API's role "developer" caps at write

    const session = await openSession(world.gw.gateway.mcpUrl, tokens.access_token);
    const called = await mcpRequest(world.gw.gateway.mcpUrl, tokens.access_token, 'tools/call', { name: 'get_me', arguments: {} }, session);
    expect(called.status).toBe(200);
    expect(called.json.result.isError).toBeFalsy();
    expect(world.api.me.at(-1)).toEqual({ authorization: `Bearer ${world.api.tokens.get(DAVE_AT_API.id)}`, user: DAVE_AT_API.id });
  });

  const badTokens: [string, () => IdTokenPlan, RegExp][] = [
    ['a wrong audience (aud)', () => ({ claims: { aud: 'some-other-client' } }), /\baud\b/],
    ['a wrong issuer (iss)', () => ({ claims: { iss: 'http://127.0.0.1:1' } }), /\biss\b/],
    ['a wrong nonce', () => ({ claims: { nonce: 'not-the-nonce-of-this-sign-in' } }), /\bnonce\b/],
    ['an expiry past the 60 s of clock skew (exp)', () => ({ claims: { iat: now() - 3600, exp: now() - 120 } }), /\bexp\b/],
    ['no signature (alg: none)', () => ({ alg: 'none' }), /\balg\b/],
    ['the signature of a key not in the JWKS, under the same kid', () => ({ foreignKey: 'same-kid' }), /signature verification failed/i],
    ['the signature of a key not in the JWKS, under a kid of its own', () => ({ foreignKey: 'other-kid' }), /no applicable key|NO_MATCHING_KEY/],
  ];

  for (const [what, plan, reason] of badTokens) {
    test(`an ID token with ${what}: refused, nothing issued, and the request can be retried`, async () => {
      const browser = new Connecting(world);
      const before = snapshot(world.gw);
      const exchanges = world.api.exchanges.length;
      world.provider.nextIdToken = plan();
      const { response } = await browser.trip();
      expect(world.provider.nextIdToken).toBeUndefined(); // the bad token was the one handed out
      await expectRefused(browser, response, { status: 400, page: new RegExp(`${NAME} did not confirm who you are, so you are not signed in`), reason }, before);
      expect(world.api.exchanges.length).toBe(exchanges); // a refused ID token never reaches the API

      // the same browser tries again, the provider answers correctly this time
      const retry = await browser.trip();
      expect(retry.response.status).toBe(303);
      await browser.consentAndRedeem();
    });
  }

  test('a replayed callback (the same URL with the same trip cookie) is refused, and the provider is not asked again', async () => {
    const browser = new Connecting(world);
    const { callback, tripCookie, response } = await browser.trip();
    expect(response.status).toBe(303);
    const code = callback.searchParams.get('code')!;
    expect(world.provider.tokenRequests.filter((request) => request.code === code)).toEqual([{ code, status: 200 }]);

    const replayer = new Connecting(world);
    replayer.jar.take(new Response(null, { headers: { 'set-cookie': `portico-trip=${tripCookie}; Path=/` } }));
    const before = snapshot(world.gw);
    const replayed = await replayer.back(callback);
    await expectRefused(replayer, replayed, { status: 400, page: /already used/, reason: /already used|replay/ }, before);
    expect(world.provider.tokenRequests.filter((request) => request.code === code)).toHaveLength(1);
  });

  test('a callback brought to another browser (no trip cookie) is refused; it does not spoil the trip of the browser that started it', async () => {
    const dave = new Connecting(world);
    const callback = await dave.toProvider();
    const code = callback.searchParams.get('code')!;

    const eve = new Connecting(world);
    const before = snapshot(world.gw);
    await expectRefused(eve, await eve.back(callback), { status: 400, page: /not started in this browser/, reason: /without a trip cookie/ }, before);
    expect(world.provider.tokenRequests.some((request) => request.code === code)).toBe(false);

    const back = await dave.back(callback);
    expect(back.status).toBe(303);
    expect(setsCookie(back, 'portico-login')).toBeDefined();
  });

  test("a callback brought to a browser on a trip of its own (another trip's cookie: a foreign state) is refused, the code not redeemed", async () => {
    const dave = new Connecting(world);
    const callback = await dave.toProvider();
    const code = callback.searchParams.get('code')!;

    const eve = new Connecting(world);
    expect((await eve.leave()).status).toBe(303); // Eve's own trip cookie, with a state of its own
    const before = snapshot(world.gw);
    await expectRefused(eve, await eve.back(callback), { status: 400, page: /does not belong to this browser/, reason: /state/ }, before);
    expect(world.provider.tokenRequests.some((request) => request.code === code)).toBe(false);
  });

  test('an authorization response naming another issuer (RFC 9207 iss: a mix-up) is refused, the code not redeemed', async () => {
    const browser = new Connecting(world);
    world.provider.nextAuthorize = { iss: 'http://127.0.0.1:1' };
    const before = snapshot(world.gw);
    const { callback, response } = await browser.trip();
    await expectRefused(browser, response, { status: 400, page: /cannot be completed/, reason: /iss/ }, before);
    expect(world.provider.tokenRequests.some((request) => request.code === callback.searchParams.get('code'))).toBe(false);
  });

  test('the exchange refused by the API (no account for that user): a page saying the account has no access, nothing issued', async () => {
    const browser = new Connecting(world);
    world.provider.user = ERIN;
    try {
      const before = snapshot(world.gw);
      const { response } = await browser.trip();
      await expectRefused(browser, response, { status: 403, page: new RegExp(`Your ${NAME} account \\(${ERIN.email}\\) has no access here`), reason: /exchange refused/ }, before);
      expect(world.api.exchanges.at(-1)).toEqual({ email: ERIN.email, status: 403 });
    } finally {
      world.provider.user = DAVE;
    }
  });

  test('the user does not sign in at the provider (error=access_denied): a page saying so, nothing issued', async () => {
    const browser = new Connecting(world);
    world.provider.nextAuthorize = { error: 'access_denied' };
    const before = snapshot(world.gw);
    const redemptions = world.provider.tokenRequests.length;
    const { callback, response } = await browser.trip();
    expect(callback.searchParams.get('error')).toBe('access_denied');
    await expectRefused(browser, response, { status: 400, page: new RegExp(`You did not sign in with ${NAME}`), reason: /access_denied/ }, before);
    expect(world.provider.tokenRequests.length).toBe(redemptions);
  });
});

describe('the provider rotates its signing key', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(() => world.stop());

  test('a sign-in right after the rotation, with a token under the new kid, still works: the keys are fetched again', async () => {
    const first = new Connecting(world);
    expect((await first.trip()).response.status).toBe(303);
    const oldKid = world.provider.kid;
    expect(world.provider.jwksFetches.flat()).toEqual([oldKid]);

    await world.provider.rotate();
    const second = new Connecting(world);
    const { response } = await second.trip();
    expect(response.status).toBe(303);
    expect(setsCookie(response, 'portico-login')).toBeDefined();
    expect(world.provider.jwksFetches.at(-1)).toEqual([world.provider.kid]);
    expect(world.provider.kid).not.toBe(oldKid);
    await second.consentAndRedeem();
  });
});

describe('the provider down', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(() => world.stop());

  test('down at the start: the gateway runs, the button answers 503 saying the provider did not answer; once it is back, sign-in works', async () => {
    // a gateway of its own, started while the provider is down
    await world.provider.stop();
    const gw = await startTestGateway({
      PORTICO_UPSTREAM: world.api.url,
      PORTICO_SPEC: world.api.specUrl,
      PORTICO_PLUGINS: tempDir(),
      PORTICO_OIDC_ISSUER: world.provider.issuer,
      PORTICO_OIDC_CLIENT_ID: world.provider.clientId,
      PORTICO_OIDC_CLIENT_SECRET: world.provider.clientSecret,
      PORTICO_OIDC_NAME: NAME,
    });
    try {
      const origin = new URL(gw.gateway.mcpUrl).origin;
      const down: World = { ...world, gw, origin, clientId: await registerClient(origin) };
      expect(gw.gateway.tools.findTool('get_me')).toBeDefined();
      const browser = new Connecting(down);
      const before = snapshot(gw);
      const left = await browser.leave();
      expect(setsCookie(left, 'portico-trip')).toBeUndefined();
      await expectRefused(browser, left, { status: 503, page: new RegExp(`${NAME} did not answer`), reason: /discovery/ }, before);

      world.provider.restart();
      const { response } = await browser.trip();
      expect(response.status).toBe(303);
      expect(setsCookie(response, 'portico-login')).toBeDefined();
    } finally {
      await gw.stop();
    }
  });

  test("the token endpoint down at the callback: 503 saying the provider did not answer, nothing issued", async () => {
    const browser = new Connecting(world);
    const callback = await browser.toProvider();
    await world.provider.stop();
    try {
      const before = snapshot(world.gw);
      await expectRefused(browser, await browser.back(callback), { status: 503, page: new RegExp(`${NAME} did not answer`), reason: /token endpoint/ }, before);
    } finally {
      world.provider.restart();
    }
  });
});

function now(): number {
  return Math.floor(Date.now() / 1000);
}

describe('the sign-in methods on the account page, and without the password form', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(() => world.stop());

  test('the account page offers the provider too; a user who signs in there comes back to it, signed in', async () => {
    const jar = new CookieJar();
    const html = await (await get(`${world.origin}/account`, jar)).text();
    expect(words(html)).toContain(`Continue with ${NAME}`);
    const { csrf } = formOf(html);
    const left = await fetch(`${world.origin}/account`, {
      method: 'POST',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', origin: world.origin },
      body: new URLSearchParams({ csrf, method: 'oidc' }).toString(),
      redirect: 'manual',
    });
    jar.take(left);
    expect(left.status).toBe(303);
    const atProvider = await get(left.headers.get('location')!, jar);
    const back = await get(atProvider.headers.get('location')!, jar);
    expect([back.status, back.headers.get('location')]).toEqual([303, '/account']);
    const account = words(await (await get(`${world.origin}/account`, jar)).text());
    expect(account).toContain(DAVE.email);
    expect(account).toContain('Sign out');
  });

  test('PORTICO_PASSWORD_SIGN_IN=false: only the button; a password posted anyway is refused without asking the API; with no other method the start stops', async () => {
    const env = { PORTICO_UPSTREAM: world.api.url, PORTICO_SPEC: world.api.specUrl, PORTICO_PLUGINS: tempDir(), PORTICO_PASSWORD_SIGN_IN: 'false' };
    const gw = await startTestGateway({ ...env, PORTICO_OIDC_ISSUER: world.provider.issuer, PORTICO_OIDC_CLIENT_ID: world.provider.clientId, PORTICO_OIDC_CLIENT_SECRET: world.provider.clientSecret, PORTICO_OIDC_NAME: NAME });
    try {
      const origin = new URL(gw.gateway.mcpUrl).origin;
      const { challenge } = pkce();
      const url = authorizationUrl(origin, origin, await registerClient(origin, 'no password client'), challenge);
      const jar = new CookieJar();
      const html = await (await get(url, jar)).text();
      expect(words(html)).toContain(`Continue with ${NAME}`);
      expect(html).not.toContain('type="password"');
      const { csrf, action } = formOf(html);
      const posted = await fetch(new URL(action, origin), {
        method: 'POST',
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', origin },
        body: new URLSearchParams({ csrf, username: 'dave@example.com', password: 'anything' }).toString(),
        redirect: 'manual',
      });
      expect(posted.status).toBe(400);
      expect(words(await posted.text())).toContain('Signing in with a password is not offered here');
      expect(gw.events('oauth.login_failed')).toHaveLength(0);
    } finally {
      await gw.stop();
    }
    await expect(startTestGateway(env)).rejects.toThrow('PORTICO_PASSWORD_SIGN_IN=false leaves no way to sign in');
  });
});
