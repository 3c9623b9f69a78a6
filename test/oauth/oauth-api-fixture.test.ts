/**
 * The OAuth API fixture (an API that is its own OAuth provider, like GitHub) behaves like a real provider: a
 * code flow driven by hand (PKCE, its sign-in page, the token endpoint), access tokens that expire, refresh
 * tokens that rotate, revocation, and a user removing the app.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash, randomBytes } from 'node:crypto';
import { startOAuthApi, type RunningOAuthApi } from './fixtures/oauth-api';

const ACCESS_TOKEN_TTL = 2;

let fixture: RunningOAuthApi;
let catcher: ReturnType<typeof Bun.serve>;
let redirectUri: string;
const caught: URLSearchParams[] = [];

beforeAll(async () => {
  fixture = await startOAuthApi({ accessTokenTtlSeconds: ACCESS_TOKEN_TTL });
  catcher = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request) => {
      caught.push(new URL(request.url).searchParams);
      return new Response('caught');
    },
  });
  redirectUri = `http://127.0.0.1:${catcher.port}/oauth/callback`;
  fixture.allowRedirect(redirectUri);
});

afterAll(async () => {
  await catcher?.stop(true);
  await fixture?.stop();
});

/** A browser's cookies, by name (paths ignored: every cookie goes to every request to the provider). */
class CookieJar {
  readonly #cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (!value || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

interface Tokens {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  id_token?: string;
}

/** Authorize with PKCE, sign in on the provider's page (unless the browser's session there still holds), redeem the code. */
async function signIn(jar: CookieJar, username: string, password: string, scope = 'openid repo read:user'): Promise<Tokens> {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(12).toString('base64url');
  const authorize = new URL(`${fixture.issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: fixture.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();

  const browse = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
    jar.take(response);
    return response;
  };

  let response = await browse(authorize.toString());
  for (let hops = 0; hops < 10; hops++) {
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, fixture.issuer).toString();
      if (next.startsWith(redirectUri)) {
        // the browser lands on the client's redirect URI
        const before = caught.length;
        expect((await fetch(next)).status).toBe(200);
        expect(caught.length).toBe(before + 1);
        break;
      }
      response = await browse(next);
      continue;
    }
    // the provider's sign-in page
    expect(response.status).toBe(200);
    const html = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    expect(action).toMatch(/^\/interaction\/[\w-]+$/);
    expect(html).toContain('name="username"');
    expect(html).toContain('name="password"');
    response = await browse(new URL(action!, fixture.issuer).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password }),
    });
  }
  const answer = caught.at(-1)!;
  expect(answer.get('state')).toBe(state);
  expect(answer.get('iss')).toBe(fixture.issuer);
  const code = answer.get('code');
  expect(code).toBeTruthy();

  const token = await tokenRequest({ grant_type: 'authorization_code', code: code!, redirect_uri: redirectUri, code_verifier: verifier });
  expect(token.status).toBe(200);
  return (await token.json()) as Tokens;
}

function tokenRequest(params: Record<string, string>): Promise<Response> {
  return fetch(`${fixture.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, client_id: fixture.clientId, client_secret: fixture.clientSecret }),
  });
}

const refresh = (refreshToken: string) => tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });

function revoke(token: string): Promise<Response> {
  return fetch(`${fixture.issuer}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: 'refresh_token', client_id: fixture.clientId, client_secret: fixture.clientSecret }),
  });
}

const getUser = (accessToken?: string) => fetch(`${fixture.apiUrl}/user`, accessToken ? { headers: { authorization: `Bearer ${accessToken}` } } : {});

describe('the OAuth API fixture', () => {
  test('discovery, the OpenAPI document, and 401 without a token', async () => {
    const discovery = (await (await fetch(`${fixture.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.issuer).toBe(fixture.issuer);
    expect(discovery.authorization_endpoint).toBe(`${fixture.issuer}/auth`);
    expect(discovery.token_endpoint).toBe(`${fixture.issuer}/token`);
    expect(discovery.revocation_endpoint).toBe(`${fixture.issuer}/token/revocation`);
    expect(discovery.introspection_endpoint).toBe(`${fixture.issuer}/token/introspection`);
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect(discovery.scopes_supported).toEqual(expect.arrayContaining(['openid', 'repo', 'read:user']));
    expect(discovery.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    const oauthDiscovery = await fetch(`${fixture.issuer}/.well-known/oauth-authorization-server`);
    expect(oauthDiscovery.status).toBe(200);

    const spec = (await (await fetch(fixture.specUrl)).json()) as { openapi: string; paths: Record<string, { get: { operationId: string } }> };
    expect(spec.openapi).toStartWith('3.0');
    expect(spec.paths['/user']?.get.operationId).toBe('get_user');
    expect(spec.paths['/repos']?.get.operationId).toBe('list_repos');

    const none = await getUser();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toStartWith('Bearer error="invalid_token"');
    const bogus = await getUser('not-a-token');
    expect(bogus.status).toBe(401);
    expect(bogus.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(fixture.seen).toContain('not-a-token');
    expect(fixture.unauthorized).toEqual([
      { path: '/user', token: undefined },
      { path: '/user', token: 'not-a-token' },
    ]);
  });

  test('PKCE is required, and only allowed redirect URIs', async () => {
    const base = { client_id: fixture.clientId, response_type: 'code', scope: 'openid repo', state: 's' };
    const noPkce = await fetch(`${fixture.issuer}/auth?${new URLSearchParams({ ...base, redirect_uri: redirectUri })}`, { redirect: 'manual' });
    expect(noPkce.status).toBe(303);
    expect(new URL(noPkce.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    const challenge = { code_challenge: createHash('sha256').update('x'.repeat(43)).digest('base64url'), code_challenge_method: 'S256' };
    const elsewhere = await fetch(`${fixture.issuer}/auth?${new URLSearchParams({ ...base, ...challenge, redirect_uri: 'http://127.0.0.1:1/elsewhere' })}`, { redirect: 'manual' });
    expect(elsewhere.status).toBe(400);
  });

  test('a wrong password is refused on the sign-in page', async () => {
    await expect(signIn(new CookieJar(), 'octo', 'wrong')).rejects.toThrow();
    // by hand: the page again, with an error, and no code
    const jar = new CookieJar();
    const browse = async (url: string, init: RequestInit = {}) => {
      const response = await fetch(new URL(url, fixture.issuer), { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
      jar.take(response);
      return response;
    };
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    const start = await browse(
      `/auth?${new URLSearchParams({ client_id: fixture.clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'openid repo', state: 's', code_challenge: challenge, code_challenge_method: 'S256' })}`,
    );
    expect(start.status).toBe(303);
    const pageUrl = start.headers.get('location')!;
    expect(pageUrl).toMatch(/^\/interaction\/[\w-]+$/);
    const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    const wrong = await browse(pageUrl, { ...form, body: new URLSearchParams({ username: 'octo', password: 'hubot-password' }) });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Incorrect username or password.');
    const unknown = await browse(pageUrl, { ...form, body: new URLSearchParams({ username: 'nobody', password: 'x' }) });
    expect(unknown.status).toBe(401);
  });

  test('code flow, expiry, rotation with reuse detection', async () => {
    const jar = new CookieJar();
    const first = await signIn(jar, 'octo', 'octo-password');
    expect(first.token_type).toBe('Bearer');
    expect(first.expires_in).toBe(ACCESS_TOKEN_TTL);
    expect(first.refresh_token).toBeTruthy();
    expect(first.id_token).toBeTruthy();
    expect(first.scope?.split(' ').sort()).toEqual(['openid', 'read:user', 'repo']);
    // opaque, not a JWT
    expect(first.access_token.split('.')).toHaveLength(1);

    const user = await getUser(first.access_token);
    expect(user.status).toBe(200);
    expect(await user.json()).toEqual({ id: 1, login: 'octo', email: 'octo@example.com', role: 'admin' });
    const repos = (await (await fetch(`${fixture.apiUrl}/repos`, { headers: { authorization: `Bearer ${first.access_token}` } })).json()) as { owner: { login: string } }[];
    expect(repos.length).toBeGreaterThan(0);
    expect(repos.every((repo) => repo.owner.login === 'octo')).toBe(true);
    expect(fixture.seen).toContain(first.access_token);
    // a refresh token is no key to the API
    expect((await getUser(first.refresh_token)).status).toBe(401);

    await Bun.sleep((ACCESS_TOKEN_TTL + 1) * 1000 + 200);
    const expired = await getUser(first.access_token);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');

    const before = fixture.refreshes;
    const refreshed = await refresh(first.refresh_token!);
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as Tokens;
    expect(fixture.refreshes).toBe(before + 1);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await getUser(second.access_token)).status).toBe(200);

    // the rotated-out refresh token is refused — and its reuse revokes the whole grant (oidc-provider's reuse detection)
    const reused = await refresh(first.refresh_token!);
    expect(reused.status).toBe(400);
    expect(((await reused.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await refresh(second.refresh_token!)).status).toBe(400);
    expect((await getUser(second.access_token)).status).toBe(401);
    expect(fixture.refreshes).toBe(before + 1);
  }, 30_000);

  test('revocation: a revoked refresh token no longer refreshes, and revoked lists it', async () => {
    // the browser's session at the provider still holds: no sign-in page the second time (the same grant)
    const jar = new CookieJar();
    const tokens = await signIn(jar, 'octo', 'octo-password');
    const again = await signIn(jar, 'octo', 'unused: the session holds');
    expect(again.refresh_token).not.toBe(tokens.refresh_token);

    const revocation = await revoke(tokens.refresh_token!);
    expect(revocation.status).toBe(200);
    expect(fixture.revoked).toContain(tokens.refresh_token!);
    const after = await refresh(tokens.refresh_token!);
    expect(after.status).toBe(400);
    expect(((await after.json()) as { error: string }).error).toBe('invalid_grant');
    // revoking the refresh token revoked its grant: the access token of it too
    expect((await getUser(tokens.access_token)).status).toBe(401);
  });

  test('revokeAllOf: the user removes the app; the other user is untouched', async () => {
    const octo = await signIn(new CookieJar(), 'octo', 'octo-password');
    const hubot = await signIn(new CookieJar(), 'hubot', 'hubot-password', 'repo read:user');
    const hubotUser = await getUser(hubot.access_token);
    expect(await hubotUser.json()).toEqual({ id: 2, login: 'hubot', email: 'hubot@example.com', role: 'write' });

    await fixture.revokeAllOf('octo');
    expect((await refresh(octo.refresh_token!)).status).toBe(400);
    expect((await getUser(octo.access_token)).status).toBe(401);

    const hubotRefresh = await refresh(hubot.refresh_token!);
    expect(hubotRefresh.status).toBe(200);
    const hubotNext = (await hubotRefresh.json()) as Tokens;
    expect((await getUser(hubotNext.access_token)).status).toBe(200);

    // octo may sign in again afterwards
    const back = await signIn(new CookieJar(), 'octo', 'octo-password');
    expect((await getUser(back.access_token)).status).toBe(200);
  });
});
