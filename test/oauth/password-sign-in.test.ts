/**
 * The password sign-in explains itself (issue 17, part 4). Over real HTTP:
 * - a gateway in front of the demo API with no login field settings posts what the API's document says the login
 *   reads (`email`), and alice signs in;
 * - a gateway whose username field is wrong shows "not set up correctly" (not "wrong password"), logs the API's
 *   answer (status and an excerpt, never the password), and does not count the attempts as failed guesses;
 * - the API's login itself, answering each kind of 400/422 from a stub: a refusal of the values Portico sent stays
 *   "wrong password" (counted), a complaint about the request's shape is a misconfiguration.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { IdentityMisconfiguredError } from '../../src/oauth/identity';
import { MISCONFIGURED, WRONG_CREDENTIALS } from '../../src/oauth/sign-in';
import { UpstreamLogin } from '../../src/oauth/upstream-login';
import { startTestGateway, type TestGateway } from '../fixtures/gateway';
import { registerClient, authorizationUrl, pkce } from '../fixtures/oauth-http';
import { CookieJar, formOf } from '../fixtures/oauth-client';
import { ALICE } from '../fixtures/signed-in-gateway';
import { removeTempDirs } from '../fixtures/temp';

afterAll(removeTempDirs);

/** The browser's sign-in: the authorization page, then the sign-in form posted; the answer to that post. */
async function postSignIn(gateway: TestGateway, account: { email: string; password: string }, jar = new CookieJar()): Promise<{ status: number; html: string; location: string | null }> {
  const clientId = await registerClient(gateway.origin);
  // the resource and the form posts' Origin are the public URL's (http://localhost:PORT), whatever address the requests go to
  const publicOrigin = new URL(gateway.gateway.mcpUrl).origin;
  const url = authorizationUrl(gateway.origin, publicOrigin, clientId, pkce().challenge);
  const page = await fetch(url, { headers: { cookie: jar.header() }, redirect: 'manual' });
  jar.take(page);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`the authorization page answered ${page.status} ${page.headers.get('location') ?? ''}: ${html.slice(0, 500)}`);
  const form = formOf(html);
  const posted = await fetch(new URL(form.action, gateway.origin), {
    method: 'POST',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', origin: publicOrigin },
    body: new URLSearchParams({ csrf: form.csrf, username: account.email, password: account.password }).toString(),
    redirect: 'manual',
  });
  jar.take(posted);
  return { status: posted.status, html: await posted.text(), location: posted.headers.get('location') };
}

describe('no login field settings: the API document names them', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // the fixture's PORTICO_LOGIN_USERNAME_FIELD=email taken away: an empty variable is an unset one
    gw = await startTestGateway({ PORTICO_LOGIN_USERNAME_FIELD: '' });
  });
  afterAll(() => gw.stop());

  test('the fields come from the login operation in the document, and alice signs in', async () => {
    expect(gw.config.loginUsernameField).toBe('username');
    expect(gw.events('oauth.login_fields')).toEqual([
      expect.objectContaining({ fields: 'email, password', from: "from the API's document", operation: 'POST /auth/login (login)' }),
    ]);
    expect(gw.events('oauth.login_misconfigured')).toEqual([]);
    const signedIn = await postSignIn(gw, ALICE);
    expect(signedIn.status).toBe(303);
  });

  test('the login operation is withheld from the tools, and the catalog log says why', () => {
    expect(gw.gateway.tools.size).toBe(24);
    expect(gw.events('catalog.loaded')[0]).toMatchObject({ tools: 24, withheld: ['POST /auth/login (login): sign-in operation, not offered as a tool'] });
  });
});

describe('a username field the API does not read', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ PORTICO_LOGIN_USERNAME_FIELD: 'nickname' });
  });
  afterAll(() => gw.stop());

  test('the start logs what does not fit the document, naming the setting', () => {
    expect(gw.events('oauth.login_misconfigured')).toEqual([
      expect.objectContaining({ problem: expect.stringContaining('takes no "nickname" field for the username: set PORTICO_LOGIN_USERNAME_FIELD') }),
    ]);
  });

  test('the page says sign-in is not set up (not "wrong password"); the log has the API\'s answer, never the password; nothing is counted', async () => {
    const jar = new CookieJar();
    // more attempts than the per-account-and-address limit (5): a counted failure would meet a 429
    for (let attempt = 1; attempt <= 7; attempt++) {
      const answer = await postSignIn(gw, ALICE, jar);
      expect({ attempt, status: answer.status }).toEqual({ attempt, status: 500 });
      expect(answer.html).toContain(MISCONFIGURED.slice(0, MISCONFIGURED.indexOf(':')));
      expect(answer.html).not.toContain(WRONG_CREDENTIALS);
    }
    const logged = gw.events('oauth.identity_misconfigured');
    expect(logged).toHaveLength(7);
    expect(logged[0]).toMatchObject({ level: 'error', endpoint: `${gw.demo!.baseUrl}/auth/login`, status: 422, answer: expect.stringContaining('email is required') });
    expect(String(logged[0]!.reason)).toContain('"nickname" and "password"');
    expect(gw.logs.join('\n')).not.toContain(ALICE.password);
    expect(gw.events('oauth.login_failed')).toEqual([]);
    expect(gw.events('oauth.login_throttled')).toEqual([]);
  });
});

describe("the API's answers to a sign-in, one by one", () => {
  /** What the stub login API answers next, and the bodies it was sent. */
  let next: { status: number; body: string } = { status: 401, body: '' };
  const received: unknown[] = [];
  let server: ReturnType<typeof Bun.serve>;
  let login: UpstreamLogin;
  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: async (request) => {
        received.push(await request.json());
        return new Response(next.body, { status: next.status, headers: { 'content-type': 'application/json' } });
      },
    });
    login = new UpstreamLogin({
      url: `http://127.0.0.1:${server.port}/login`,
      usernameField: 'username',
      passwordField: 'password',
      tokenField: 'token',
      expiresField: 'expires_at',
      roleField: 'role',
      userIdField: 'user.id',
      userNameField: 'user.email',
      credentialHeader: 'Authorization: Bearer {token}',
      roles: {},
      defaultScope: 'read',
    });
  });
  afterAll(() => server.stop(true));

  const password = 'pa55"word\\with-quotes';
  const refusals: [string, number, unknown][] = [
    ['a 400 saying the credentials are wrong', 400, { error: 'invalid_credentials', message: 'wrong username or password' }],
    ['a 400 with no body at all', 400, ''],
    ['a 422 about the values sent (a password too short)', 422, { code: 'validation_failed', details: [{ field: 'password', message: 'must be at least 8 characters long' }] }],
    ['a 422 about the username sent (FastAPI-style loc)', 422, { detail: [{ loc: ['body', 'username'], msg: 'value is not a valid email address' }] }],
  ];
  for (const [what, status, body] of refusals) {
    test(`${what}: a refusal (null), counted as a wrong guess`, async () => {
      next = { status, body: typeof body === 'string' ? body : JSON.stringify(body) };
      expect(await login.verifyPassword('ada', password)).toBeNull();
    });
  }

  const misconfigurations: [string, number, unknown][] = [
    ['a 422 naming a field that is required', 422, { code: 'validation_failed', message: 'invalid request: email is required', details: [{ field: 'email', message: 'is required' }] }],
    ["Rails' errors object about a field Portico does not send", 400, { errors: { email: ['is invalid'] } }],
    ['a 400 saying a field is unknown', 400, { message: 'unknown field "username"' }],
    ['an RFC 9457 problem naming another field', 422, { type: 'about:blank', title: 'Invalid', invalid_params: [{ name: 'login', reason: 'must be a string' }] }],
  ];
  for (const [what, status, body] of misconfigurations) {
    test(`${what}: a misconfiguration, with the answer for the log`, async () => {
      next = { status, body: JSON.stringify(body) };
      const error = await login.verifyPassword('ada', password).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(IdentityMisconfiguredError);
      expect((error as IdentityMisconfiguredError).details).toMatchObject({ status, answer: JSON.stringify(body) });
    });
  }

  test('an answer that echoes the password: the excerpt blanks it, in every form it comes back in, and is bounded', async () => {
    next = { status: 422, body: JSON.stringify({ message: `field "pass" is required; you sent ${password}`, echo: { password }, padding: 'x'.repeat(2000) }) };
    const error = (await login.verifyPassword('ada', password).catch((thrown: unknown) => thrown)) as IdentityMisconfiguredError;
    expect(error).toBeInstanceOf(IdentityMisconfiguredError);
    const answer = String(error.details.answer);
    expect(answer).toContain('[password]');
    expect(answer).not.toContain('pa55');
    expect(answer.length).toBeLessThanOrEqual(301);
    expect(error.message).not.toContain('pa55');
  });

  test('what was posted: the configured fields, as JSON', () => {
    expect(received.at(-1)).toEqual({ username: 'ada', password });
  });
});
