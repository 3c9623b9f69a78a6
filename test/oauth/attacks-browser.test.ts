/**
 * Attacks through the browser pages (security research §3): CSRF on the sign-in and consent forms (ATK-07),
 * clickjacking headers (ATK-08), cookie attributes (ATK-23), user enumeration (ATK-10) and the sign-in
 * throttle (ATK-09). Real HTTP against signed-in gateways; the per-address sign-in limit (20 attempts per
 * 15 min from one address) is shared by every test of a gateway, so each describe budgets its sign-ins and
 * the throttle tests get gateways of their own.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { ALICE, BOB, CAROL, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
import {
  mcpStatus, tokensFor,
  authorizeFor, authorizeUrl, Browser, CookieJar, counts, expectPageHeaders, formOf, get, newClient, newVerifier, postForm, s256, Secrets,
  upstreamTokens, withoutCsrf, type TestClient,
} from './attacks-kit.test';

/** Sign-in calls that reached the demo API's login endpoint (the gateway calls the global fetch each time). */
const upstreamLogins: string[] = [];
const realFetch = globalThis.fetch;
beforeAll(() => {
  globalThis.fetch = Object.assign((input: string | URL | Request, init?: RequestInit) => {
    const href = input instanceof Request ? input.url : String(input);
    if (href.endsWith('/auth/login')) upstreamLogins.push(href);
    return realFetch(input, init);
  }, realFetch);
});
afterAll(() => {
  globalThis.fetch = realFetch;
});

const secrets = new Secrets();
secrets.add(ALICE.password, BOB.password, CAROL.password, 'wrong-password-1');

/** Parses one Set-Cookie line: name, value and attributes (lower-cased names). */
function cookieOf(response: Response, name: string): { name: string; value: string; attrs: Record<string, string | true> } | undefined {
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...rest] = line.split(';');
    const eq = pair!.indexOf('=');
    if (pair!.slice(0, eq).trim() !== name) continue;
    const attrs: Record<string, string | true> = {};
    for (const part of rest) {
      const [key, ...value] = part.trim().split('=');
      attrs[key!.toLowerCase()] = value.length ? value.join('=') : true;
    }
    return { name, value: pair!.slice(eq + 1), attrs };
  }
  return undefined;
}

/** A browser on the sign-in page of `url`: its jar (with the CSRF cookie) and the page's form. */
async function openLogin(url: URL): Promise<{ jar: CookieJar; csrf: string; action: URL; response: Response; html: string }> {
  const jar = new CookieJar();
  const response = await get(url, jar);
  const html = await response.text();
  expect(html).toContain('name="password"');
  const form = formOf(html);
  return { jar, csrf: form.csrf, action: new URL(form.action, url), response, html };
}

describe('CSRF, framing and cookies', () => {
  let gw: SignedInGateway;
  let client: TestClient;
  let alice: Browser;

  beforeAll(async () => {
    gw = await startSignedInGateway();
    client = await newClient(gw, secrets);
    alice = new Browser(ALICE);
    await alice.approve(authorizeFor(gw, client, newVerifier())); // sign-in 1 of this gateway's budget
  });
  afterAll(async () => {
    secrets.add(...upstreamTokens);
    expect(secrets.leaks(gw.logs.join(''))).toEqual([]);
    await gw?.stop();
  });

  /** The consent page for a new request in Alice's browser: its URL and CSRF field. */
  async function consent(): Promise<{ url: URL; csrf: string }> {
    const url = authorizeFor(gw, client, newVerifier());
    const response = await get(url, alice.jar);
    const html = await response.text();
    expect(html).toContain('name="decision"');
    return { url, csrf: formOf(html).csrf };
  }

  /** A refusal: 403 page of ours, no redirect, no code anywhere, nothing created, no sign-in cookie. */
  async function expectRefused(response: Response, before: ReturnType<typeof counts>): Promise<void> {
    expect(response.status).toBe(403);
    expect(response.headers.get('location')).toBeNull();
    expectPageHeaders(response);
    expect(cookieOf(response, 'portico-login')).toBeUndefined();
    const html = await response.text();
    expect(html).not.toMatch(/pac_[A-Za-z0-9_-]{20}/);
    expect(counts(gw)).toEqual(before);
  }

  test('consent POST without the csrf field → 403, nothing issued', async () => {
    const { url } = await consent();
    const before = counts(gw);
    await expectRefused(await postForm(url, [['decision', 'approve'], ['scope', 'read']], { jar: alice.jar }), before);
  });

  test('consent POST with a wrong csrf field → 403', async () => {
    const { url, csrf } = await consent();
    const before = counts(gw);
    for (const wrong of ['x', csrf.slice(0, -1) + (csrf.endsWith('A') ? 'B' : 'A'), '', csrf + csrf]) {
      await expectRefused(await postForm(url, [['csrf', wrong], ['decision', 'approve']], { jar: alice.jar }), before);
    }
  });

  test("consent POST with another browser's CSRF cookie or field → 403", async () => {
    const { url, csrf } = await consent();
    const eve = await openLogin(authorizeFor(gw, client, newVerifier()));
    const loginCookie = alice.jar.header().split('; ').find((c) => c.startsWith('portico-login='))!;
    const eveCsrfCookie = eve.jar.header().split('; ').find((c) => c.startsWith('portico-csrf='))!;
    expect(loginCookie).toBeDefined();
    const before = counts(gw);
    // Alice signed in, Eve's CSRF cookie with Alice's field
    await expectRefused(await postForm(url, [['csrf', csrf], ['decision', 'approve']], { cookie: `${loginCookie}; ${eveCsrfCookie}` }), before);
    // Alice's cookies with Eve's field (what a page of Eve's could know)
    await expectRefused(await postForm(url, [['csrf', eve.csrf], ['decision', 'approve']], { jar: alice.jar }), before);
  });

  test('consent POST with a valid csrf but Origin https://evil.example (or the opaque "null") → 403', async () => {
    const { url, csrf } = await consent();
    const before = counts(gw);
    for (const origin of ['https://evil.example', 'null', gw.origin.replace('http:', 'https:'), `${gw.origin}.evil.example`]) {
      await expectRefused(await postForm(url, [['csrf', csrf], ['decision', 'approve']], { jar: alice.jar, origin }), before);
    }
  });

  test('approving is POST only: a GET carrying decision=approve just shows the consent page', async () => {
    const url = authorizeFor(gw, client, newVerifier(), { decision: 'approve', csrf: 'x' });
    const before = counts(gw);
    const response = await get(url, alice.jar);
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('name="decision"');
    expect(counts(gw)).toEqual(before);
  });

  test('control: the same consent POST with its csrf field and our Origin issues a code', async () => {
    const { url, csrf } = await consent();
    const response = await postForm(url, [['csrf', csrf], ['decision', 'approve']], { jar: alice.jar });
    expect(response.status).toBe(303);
    const code = new URL(response.headers.get('location')!).searchParams.get('code');
    expect(code).toStartWith('pac_');
    secrets.add(code);
  });

  // ATK-07 asks for a consent token bound to the pending authorization request; Portico's is bound to the
  // browser only (stateless by design), so a consent field seen for one request approves any other request,
  // for any client, in the same browser. Not reachable by a cross-site attacker (who cannot read the field).
  test('a consent csrf field shown for one authorization request does not approve another one', async () => {
    const { csrf } = await consent();
    const otherClient = await newClient(gw, secrets);
    const url = authorizeFor(gw, otherClient, newVerifier());
    const response = await postForm(url, [['csrf', csrf], ['decision', 'approve']], { jar: alice.jar });
    expect(response.status).toBe(403);
  });

  test('sign-in POST without csrf, with a wrong one, with another browser\'s cookie, or from another Origin → 403, never sent upstream', async () => {
    const url = authorizeFor(gw, client, newVerifier());
    const mallory = await openLogin(url);
    const eve = await openLogin(url);
    const credentials: [string, string][] = [['username', BOB.email], ['password', BOB.password]];
    const logins = upstreamLogins.length;
    const before = counts(gw);
    await expectRefused(await postForm(mallory.action, credentials, { jar: mallory.jar }), before);
    await expectRefused(await postForm(mallory.action, [['csrf', 'forged'], ...credentials], { jar: mallory.jar }), before);
    await expectRefused(await postForm(mallory.action, [['csrf', eve.csrf], ...credentials], { jar: mallory.jar }), before);
    await expectRefused(await postForm(mallory.action, [['csrf', mallory.csrf], ...credentials], { jar: mallory.jar, origin: 'https://evil.example' }), before);
    // a login CSRF from a page with no cookie at all
    await expectRefused(await postForm(mallory.action, [['csrf', mallory.csrf], ...credentials], { origin: null }), before);
    expect(upstreamLogins.length).toBe(logins);
  });

  test('every HTML page forbids framing: sign-in, consent, wrong password, error and refusal pages', async () => {
    const url = authorizeFor(gw, client, newVerifier());
    const login = await openLogin(url);
    const pages: [string, Response][] = [['sign-in', login.response]];
    pages.push(['consent', await get(url, alice.jar)]);
    pages.push(['wrong password', await postForm(login.action, [['csrf', login.csrf], ['username', CAROL.email], ['password', 'wrong-password-1']], { jar: login.jar })]); // one sign-in of the budget
    pages.push(['empty form', await postForm(login.action, [['csrf', login.csrf], ['username', ''], ['password', '']], { jar: login.jar })]);
    pages.push(['unknown client', await get(authorizeUrl(gw, { client_id: 'pcl_nope', response_type: 'code' }))]);
    pages.push(['bad redirect', await get(authorizeFor(gw, client, newVerifier(), { redirect_uri: 'https://evil.example/' }))]);
    pages.push(['csrf refusal', await postForm(url, [['csrf', 'x']], { jar: alice.jar })]);
    pages.push(['account sign-in', await get(`${gw.origin}/account`)]);
    pages.push(['account', await get(`${gw.origin}/account`, alice.jar)]);
    for (const [name, response] of pages) {
      if (!response.bodyUsed) await response.text();
      expect({ name, html: response.headers.get('content-type')?.startsWith('text/html') }).toEqual({ name, html: true });
      expect({ name, xfo: response.headers.get('x-frame-options') }).toEqual({ name, xfo: 'DENY' });
      expect({ name, fa: response.headers.get('content-security-policy')?.includes("frame-ancestors 'none'") }).toEqual({ name, fa: true });
      expect({ name, cache: response.headers.get('cache-control') }).toEqual({ name, cache: 'no-store' });
      // either keeps the code-carrying URLs from leaking to other origins (same-origin also lets browsers send a real Origin on the form POSTs)
      expect({ name, referrer: ['no-referrer', 'same-origin'].includes(response.headers.get('referrer-policy') ?? '') }).toEqual({ name, referrer: true });
      expect({ name, script: /script-src|default-src 'none'/.test(response.headers.get('content-security-policy') ?? '') }).toEqual({ name, script: true });
    }
    expect(pages.map(([, response]) => response.status)).toEqual([200, 200, 401, 400, 400, 400, 403, 200, 200]);
  });

  test('cookies are HttpOnly, SameSite=Lax, Path=/, no Domain (plain-http loopback: no Secure and no __Host- prefix)', async () => {
    const url = authorizeFor(gw, client, newVerifier());
    const login = await openLogin(url);
    const signedIn = await postForm(login.action, [['csrf', login.csrf], ['username', BOB.email], ['password', BOB.password]], { jar: login.jar }); // one sign-in of the budget
    expect(signedIn.status).toBe(303);
    const cookies = [cookieOf(login.response, 'portico-csrf'), cookieOf(signedIn, 'portico-login')];
    for (const cookie of cookies) {
      expect(cookie).toBeDefined();
      expect(cookie!.attrs.httponly).toBe(true);
      expect(String(cookie!.attrs.samesite).toLowerCase()).toBe('lax');
      expect(cookie!.attrs.path).toBe('/');
      expect(cookie!.attrs.domain).toBeUndefined();
      // http://localhost public URL: a Secure cookie would be dropped by browsers, so Portico leaves Secure and the prefix off
      expect(cookie!.attrs.secure).toBeUndefined();
      expect(cookie!.name.startsWith('__Host-')).toBe(false);
    }
    expect(Number(cookies[1]!.attrs['max-age'])).toBeLessThanOrEqual(15 * 60);
    // the sign-in cookie is sealed: neither the password nor the upstream token is readable in it
    const value = decodeURIComponent(cookies[1]!.value);
    for (const secret of [BOB.password, ...upstreamTokens, 'bob@example.com']) expect(value).not.toContain(secret);
  });

  test('behind an https public URL the cookies get Secure and the __Host- prefix', async () => {
    const https = await startSignedInGateway({ PORTICO_PUBLIC_URL: 'https://portico.example' });
    try {
      const listen = https.gateway.url;
      const registered = (await (await fetch(`${listen}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none' }) })).json()) as { client_id: string };
      const url = new URL(`${listen}/oauth/authorize`);
      for (const [k, v] of Object.entries({ response_type: 'code', client_id: registered.client_id, redirect_uri: 'http://127.0.0.1:9/cb', code_challenge: s256(newVerifier()), code_challenge_method: 'S256' })) url.searchParams.set(k, v);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const cookie = cookieOf(response, '__Host-portico-csrf');
      expect(cookie).toBeDefined();
      expect(cookie!.attrs.secure).toBe(true);
      expect(cookie!.attrs.httponly).toBe(true);
      expect(cookie!.attrs.path).toBe('/');
      expect(cookie!.attrs.domain).toBeUndefined();
    } finally {
      await https.stop();
    }
  });

  test('/account: disconnecting needs the csrf field and our Origin, and only ever reaches the user\'s own grants', async () => {
    const t = await tokensFor(gw, alice, client, secrets);
    const page = await (await get(`${gw.origin}/account`, alice.jar)).text();
    const grants = [...page.matchAll(/name="grant" value="([^"]+)"/g)].map((m) => m[1]!);
    expect(grants.length).toBeGreaterThan(0);
    const { csrf } = formOf(page);
    const account = `${gw.origin}/account`;
    const before = counts(gw);
    for (const [fields, origin] of [
      [[['grant', grants[0]!]], undefined],
      [[['csrf', 'forged'], ['grant', grants[0]!]], undefined],
      [[['csrf', csrf], ['grant', grants[0]!]], 'https://evil.example'],
    ] as [[string, string][], string | undefined][]) {
      const response = await postForm(account, fields, { jar: alice.jar, origin });
      expect(response.status).toBe(403);
      expectPageHeaders(response);
      await response.body?.cancel();
    }
    expect(counts(gw)).toEqual(before);
    // Bob, signed in with his own valid form, names Alice's grants: nothing happens to them
    const bob = new Browser(BOB);
    await bob.approve(authorizeFor(gw, client, newVerifier())); // one sign-in of the budget
    // his account page's own form (Sign out) carries the CSRF field for account forms
    const bobCsrf = formOf(await (await get(account, bob.jar)).text()).csrf;
    const before2 = counts(gw);
    for (const grant of grants) {
      const response = await postForm(account, [['csrf', bobCsrf], ['grant', grant]], { jar: bob.jar });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/account?notice=not-found');
    }
    expect(counts(gw).grants).toBe(before2.grants);
    expect(await mcpStatus(gw, t.access)).toBe(200);
  });

  describe('ATK-10 user enumeration', () => {
    test('unknown user and wrong password: same status, same headers, same page (apart from csrf and the echoed username)', async () => {
      const url = authorizeFor(gw, client, newVerifier());
      const answer = async (username: string) => {
        const login = await openLogin(url);
        const response = await postForm(login.action, [['csrf', login.csrf], ['username', username], ['password', 'wrong-password-1']], { jar: login.jar }); // three sign-ins of the budget
        const html = withoutCsrf(await response.text()).replace(`value="${username}"`, 'value="USER"');
        const headers = [...response.headers].filter(([name]) => !['date', 'set-cookie', 'content-length', 'x-request-id'].includes(name)).sort();
        return { status: response.status, headers, html, setsCookie: response.headers.getSetCookie().map((line) => line.split('=')[0]) };
      };
      const unknown = await answer('nobody-here@example.com');
      const wrongPassword = await answer(ALICE.email);
      const wrongPassword2 = await answer(BOB.email);
      expect(unknown.status).toBe(401);
      expect(wrongPassword).toEqual(unknown);
      expect(wrongPassword2).toEqual(unknown);
      expect(unknown.html).toContain('The username or password is incorrect.');
      expect(unknown.html).not.toContain('wrong-password-1'); // the password is never sent back
      // the API's own wording is never relayed
      expect(unknown.html).not.toContain('wrong email or password');
    });
  });
});

describe('ATK-09 sign-in throttle', () => {
  let gw: SignedInGateway;
  let client: TestClient;
  beforeAll(async () => {
    gw = await startSignedInGateway();
    client = await newClient(gw, secrets);
  });
  afterAll(async () => {
    expect(secrets.leaks(gw.logs.join(''))).toEqual([]);
    await gw?.stop();
  });

  async function attempt(username: string, password: string): Promise<{ status: number; html: string; response: Response }> {
    const login = await openLogin(authorizeFor(gw, client, newVerifier()));
    const response = await postForm(login.action, [['csrf', login.csrf], ['username', username], ['password', password]], { jar: login.jar });
    return { status: response.status, html: await response.text(), response };
  }

  test('6 wrong passwords for one account → the 6th+ is refused with 429 without asking the API; other accounts still sign in', async () => {
    const logins = upstreamLogins.length;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt(CAROL.email, `wrong-password-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect(upstreamLogins.length - logins).toBe(5);

    const sixth = await attempt(CAROL.email, 'wrong-password-5');
    expect(sixth.status).toBe(429);
    expect(sixth.html).toContain('Too many failed sign-in attempts');
    expectPageHeaders(sixth.response);
    expect(upstreamLogins.length - logins).toBe(5);

    // another account can still try, and succeed
    const bob = await attempt(BOB.email, BOB.password);
    expect(bob.status).toBe(303);

    // the right password after the lockout is still refused (and not checked upstream), however the name is written
    for (const name of [CAROL.email, CAROL.email.toUpperCase(), `  ${CAROL.email} `]) {
      const late = await attempt(name, CAROL.password);
      expect({ name, status: late.status }).toEqual({ name, status: 429 });
      expect(late.html).toContain('Too many failed sign-in attempts');
      expect(cookieOf(late.response, 'portico-login')).toBeUndefined();
      expect(late.html).not.toContain(CAROL.password);
    }
    expect(upstreamLogins.length - logins).toBe(6); // 5 wrong + Bob's
  });

  test('an unknown account is throttled exactly like a real one (no enumeration through the throttle)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt('ghost@example.com', `wrong-password-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

describe('ATK-09 per-address limit', () => {
  let gw: SignedInGateway;
  let client: TestClient;
  beforeAll(async () => {
    gw = await startSignedInGateway();
    client = await newClient(gw, secrets);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test('more than 20 failed sign-ins from one address, spread over many accounts → refused without asking the API', async () => {
    const logins = upstreamLogins.length;
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      const login = await openLogin(authorizeFor(gw, client, newVerifier()));
      const response = await postForm(login.action, [['csrf', login.csrf], ['username', `spray-${i}@example.com`], ['password', 'Winter2026!']], { jar: login.jar });
      statuses.push(response.status);
      await response.body?.cancel();
    }
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect(upstreamLogins.length - logins).toBe(20);
  });
});

// The per-address counter counts every attempt, successes included, and is never cleared: behind a reverse
// proxy (the address is the socket's, and there is no trusted-proxy setting) 20 sign-ins in 15 minutes by
// anyone lock every user out, and any 21 wrong guesses do the same on purpose.
describe('ATK-09 per-address limit and legitimate users', () => {
  test('successful sign-ins do not use up the per-address allowance', async () => {
    const gw = await startSignedInGateway();
    try {
      const client = await newClient(gw, secrets);
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++) {
        const account = [ALICE, BOB, CAROL][i % 3]!;
        const login = await openLogin(authorizeFor(gw, client, newVerifier()));
        const response = await postForm(login.action, [['csrf', login.csrf], ['username', account.email], ['password', account.password]], { jar: login.jar });
        statuses.push(response.status);
        await response.body?.cancel();
      }
      expect(statuses.every((status) => status === 303)).toBe(true);
    } finally {
      await gw.stop();
    }
  });
});

describe('oversized form bodies', () => {
  test('a 2 MB POST to the sign-in, token and revocation endpoints is refused without reading it all', async () => {
    const big = `csrf=x&username=${'a'.repeat(2 * 1024 * 1024)}`;
    const gw = await startSignedInGateway();
    try {
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const token = await fetch(`${gw.origin}/oauth/token`, { method: 'POST', headers: form, body: big });
      expect(token.status).toBe(400);
      expect(((await token.json()) as { error_description: string }).error_description).toBe('the token request is too large');
      const revoke = await fetch(`${gw.origin}/oauth/revoke`, { method: 'POST', headers: form, body: big });
      expect(((await revoke.json()) as { error_description: string }).error_description).toBe('the revocation request is too large');
      const account = await fetch(`${gw.origin}/account`, { method: 'POST', headers: { ...form, origin: gw.origin }, body: big });
      expect(account.status).toBe(403);
      expect(await account.text()).toContain('The form is too large.');
    } finally {
      await gw.stop();
    }
  });
});
