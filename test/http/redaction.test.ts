/**
 * No secret in any log line: a full OAuth flow (registrations, a wrong password, sign-in, consent, code
 * exchange, a replayed code, refresh, a reused refresh token, revocation), tool calls that succeed and fail,
 * requests carrying tokens where they do not belong, the API going away and the store going away — all at
 * log level debug — and then every line is searched for every secret that was used. And the logger's own
 * last line of defence, fed secrets directly.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { CookieJar, formOf, REDIRECT_URL, signIn } from '../fixtures/oauth-client';
import { authorizationUrl, exchangeCode, mcpRequest, openSession, pkce, refreshGrant, registerClient, revokeToken, whoAmI, type TokenSet } from '../fixtures/oauth-http';
import { ALICE } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';
import { createLogger } from '../../src/log';
import { openStore } from '../../src/store';
import { startOpsGateway, type OpsGateway } from './gateway';

afterAll(removeTempDirs);

/** Every secret must be long enough that finding it in a line is not an accident. */
function secretsIn(values: Iterable<string | undefined>): string[] {
  const out = new Set<string>();
  for (const value of values) {
    if (!value) continue;
    out.add(value);
    // "Bearer x": x alone as well
    for (const part of value.split(/\s+/)) if (part.length >= 8) out.add(part);
  }
  for (const secret of out) if (secret.length < 8) throw new Error(`"${secret}" is too short to search for`);
  return [...out];
}

/** The lines holding a secret, with which one, for a failure message that says where. */
function leaks(logs: readonly string[], secrets: readonly string[]): string[] {
  const found: string[] = [];
  for (const line of logs) for (const secret of secrets) if (line.includes(secret)) found.push(`${secret.slice(0, 12)}… in ${line}`);
  return found;
}

const post = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString(), redirect: 'manual' });

describe('log redaction', () => {
  let gw: OpsGateway;

  afterAll(async () => {
    await gw?.gateway.stop();
  });

  test('a whole OAuth flow, tool calls and failures at level debug: no secret in any line', async () => {
    const store = await openStore(join(tempDir(), 'portico.db'));
    gw = await startOpsGateway({ PORTICO_LOG_LEVEL: 'debug' }, { store });
    const base = gw.origin;
    const publicUrl = new URL(gw.gateway.mcpUrl).origin;
    const used: (string | undefined)[] = [ALICE.password];

    // registrations: a public client, and a confidential one whose secret then fails to buy anything
    const clientId = await registerClient(base, 'redaction test client');
    const confidential = await fetch(`${base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'confidential', redirect_uris: [REDIRECT_URL], token_endpoint_auth_method: 'client_secret_post', grant_types: ['authorization_code', 'refresh_token'] }),
    });
    const { client_id: confidentialId, client_secret: clientSecret } = (await confidential.json()) as { client_id: string; client_secret: string };
    expect(clientSecret).toStartWith('pcs_');
    used.push(clientSecret);
    expect((await post(`${base}/oauth/token`, { grant_type: 'authorization_code', client_id: confidentialId, client_secret: clientSecret, code: 'pac_made-up-code-0000000000000', code_verifier: 'v'.repeat(43) })).status).toBe(400);
    const basic = `Basic ${btoa(`${confidentialId}:${clientSecret}`)}`;
    used.push(basic);
    expect((await post(`${base}/oauth/token`, { grant_type: 'refresh_token', refresh_token: 'prt_made-up-refresh-000000000000' }, { authorization: basic })).status).toBe(401);

    // a wrong password, then the right one
    const { verifier, challenge } = pkce();
    used.push(verifier);
    const jar = new CookieJar();
    const authorizeUrl = authorizationUrl(base, publicUrl, clientId, challenge);
    const loginPage = await fetch(authorizeUrl, { headers: { cookie: jar.header() } });
    jar.take(loginPage);
    const login = formOf(await loginPage.text());
    const wrongPassword = 'not-alices-password-7Qx9';
    used.push(wrongPassword);
    const wrong = await post(new URL(login.action, base).href, { csrf: login.csrf, username: ALICE.email, password: wrongPassword }, { cookie: jar.header(), origin: publicUrl });
    expect(wrong.status).toBe(401);
    const { code } = await signIn(authorizeUrl, ALICE, { jar, origin: publicUrl });
    used.push(code, ...jar.header().split('; ').map((cookie) => cookie.slice(cookie.indexOf('=') + 1)));
    const exchanged = await exchangeCode(base, clientId, code!, verifier);
    expect(exchanged.status).toBe(200);
    const first = exchanged.json as TokenSet;
    used.push(first.access_token, first.refresh_token);
    // the code again: a replay, which revokes what it issued; then a new grant
    expect((await exchangeCode(base, clientId, code!, verifier)).status).toBe(400);
    const again = pkce();
    used.push(again.verifier);
    const second = await signIn(authorizationUrl(base, publicUrl, clientId, again.challenge), ALICE, { jar, origin: publicUrl });
    used.push(second.code);
    const tokens = (await exchangeCode(base, clientId, second.code!, again.verifier)).json as TokenSet;
    used.push(tokens.access_token, tokens.refresh_token);

    // tool calls: ok, the API's 404, invalid arguments (one of them named like a secret), an unknown tool
    const access = tokens.access_token;
    const session = await openSession(gw.mcpUrl, access);
    expect((await whoAmI(gw.mcpUrl, access, session)).json.result.isError).toBeFalsy();
    expect((await mcpRequest(gw.mcpUrl, access, 'tools/call', { name: 'get_project', arguments: { projectId: 'prj_nope' } }, session)).json.result.isError).toBe(true);
    const argumentSecret = 'argument-secret-value-5521';
    used.push(argumentSecret);
    await mcpRequest(gw.mcpUrl, access, 'tools/call', { name: 'get_project', arguments: { password: argumentSecret } }, session);
    await mcpRequest(gw.mcpUrl, access, 'tools/call', { name: 'no_such_tool', arguments: { token: argumentSecret } }, session);

    // tokens where they do not belong: a request id, a query string, a malformed header, a revoked token
    await fetch(`${base}/healthz`, { headers: { 'x-request-id': first.access_token } });
    await fetch(`${gw.mcpUrl}?access_token=${access}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    await fetch(gw.mcpUrl, { method: 'POST', headers: { authorization: `Token ${access}`, 'content-type': 'application/json' }, body: '{}' });
    expect((await whoAmI(gw.mcpUrl, first.access_token)).status).toBe(401);

    // refresh, the old refresh token again (reuse: the grant is revoked), then revocation of what is left
    const rotated = await refreshGrant(base, clientId, tokens.refresh_token);
    expect(rotated.status).toBe(200);
    const refreshed = await refreshGrant(base, clientId, rotated.json.refresh_token);
    expect(refreshed.status).toBe(200);
    used.push(rotated.json.access_token, rotated.json.refresh_token, refreshed.json.access_token, refreshed.json.refresh_token);
    // the first refresh token once more, after its successor was used: a stolen token, the grant is revoked
    expect((await refreshGrant(base, clientId, tokens.refresh_token)).status).toBe(400);
    const fourth = pkce();
    const fourthCode = (await signIn(authorizationUrl(base, publicUrl, clientId, fourth.challenge), ALICE, { jar, origin: publicUrl })).code;
    const live = (await exchangeCode(base, clientId, fourthCode!, fourth.verifier)).json as TokenSet;
    used.push(fourth.verifier, fourthCode, live.access_token, live.refresh_token);
    const third = pkce();
    const thirdCode = (await signIn(authorizationUrl(base, publicUrl, clientId, third.challenge), ALICE, { jar, origin: publicUrl })).code;
    const thirdTokens = (await exchangeCode(base, clientId, thirdCode!, third.verifier)).json as TokenSet;
    used.push(third.verifier, thirdCode, thirdTokens.access_token, thirdTokens.refresh_token);
    expect((await revokeToken(base, clientId, thirdTokens.access_token)).status).toBe(200);
    expect((await revokeToken(base, clientId, thirdTokens.refresh_token)).status).toBe(200);

    // the users' credentials at the API, as the gateway sent them
    expect(gw.upstreamCredentials.size).toBeGreaterThan(0);
    used.push(...gw.upstreamCredentials);

    // the API goes away: calls fail, and so does signing in
    await gw.demo.stop();
    const down = await whoAmI(gw.mcpUrl, live.access_token, await openSession(gw.mcpUrl, live.access_token));
    expect(down.json.result.isError).toBe(true);
    const fresh = new CookieJar();
    const page = await fetch(authorizationUrl(base, publicUrl, clientId, pkce().challenge), { headers: { cookie: fresh.header() } });
    fresh.take(page);
    const form = formOf(await page.text());
    expect((await post(new URL(form.action, base).href, { csrf: form.csrf, username: ALICE.email, password: ALICE.password }, { cookie: fresh.header(), origin: publicUrl })).status).toBe(503);
    used.push(...fresh.header().split('; ').map((cookie) => cookie.slice(cookie.indexOf('=') + 1)));

    // and the store goes away: a token this instance has not checked yet cannot be (one it checked is trusted
    // from memory for PORTICO_TOKEN_CACHE seconds)
    await store.close();
    expect((await whoAmI(gw.mcpUrl, rotated.json.access_token)).status).toBe(503);

    const events = new Set(gw.logs.map((line) => JSON.parse(line).event));
    for (const event of ['oauth.client_registered', 'oauth.login_failed', 'oauth.login', 'oauth.consent', 'oauth.token_issued', 'oauth.code_replayed', 'oauth.token_refreshed', 'oauth.refresh_reused', 'oauth.token_revoked', 'mcp.tool_call', 'http.request', 'oauth.identity_unavailable', 'store.unavailable']) {
      expect(events).toContain(event);
    }
    const secrets = secretsIn(used);
    expect(secrets.length).toBeGreaterThan(30);
    expect(leaks(gw.logs, secrets)).toEqual([]);
  });

  test('no sign-in, a shared upstream credential from the configuration: never in a line', async () => {
    const noAuth = await startOpsGateway({ PORTICO_LOG_LEVEL: 'debug', PORTICO_MCP_MODE: 'stateless' }, { as: ALICE });
    try {
      const configured = Object.values(noAuth.config.upstreamHeaders);
      expect(configured[0]).toStartWith('Bearer ');
      await mcpRequest(noAuth.mcpUrl, undefined, 'tools/call', { name: 'get_current_user', arguments: {} });
      await mcpRequest(noAuth.mcpUrl, undefined, 'tools/call', { name: 'get_project', arguments: { projectId: 'prj_nope' } });
      await noAuth.demo.stop();
      await mcpRequest(noAuth.mcpUrl, undefined, 'tools/call', { name: 'get_current_user', arguments: {} });
      expect(noAuth.events('mcp.tool_call')).toHaveLength(3);
      expect(leaks(noAuth.logs, secretsIn(configured))).toEqual([]);
    } finally {
      await noAuth.gateway.stop();
    }
  });
});

describe('the last line of defence in the logger', () => {
  test('secrets handed to the logger by mistake are blanked by name, by shape and by value; the rest stays', async () => {
    const lines: string[] = [];
    const log = createLogger('debug', (line) => void lines.push(line));
    const literal = 'sk-live-configured-api-key-0042';
    log.redact?.(literal);
    const token = 'pat_Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u';
    const secrets = [literal, token, 'prt_abcdefghijklmnop0123', 'pac_abcdefghijklmnop0123', 'pcs_abcdefghijklmnop0123', 'hunter2-password', 'cookie-value-9911', 'csrf-value-8822', 'upstream-jwt-eyJhbGciOi', 'db-password-7731', 'basic-credential-base64'];
    log.info('mistakes', {
      headers: { Authorization: `Bearer ${token}`, cookie: 'portico-login=cookie-value-9911; portico-csrf=csrf-value-8822', 'x-api-key': literal, accept: 'application/json' },
      nested: { deeper: { password: 'hunter2-password', client_secret: 'pcs_abcdefghijklmnop0123' } },
      message: `the API said: invalid token prt_abcdefghijklmnop0123 (code pac_abcdefghijklmnop0123) for key ${literal}`,
      url: 'postgres://portico:db-password-7731@db.internal:5432/portico',
      query: '/oauth/token?refresh_token=prt_abcdefghijklmnop0123&password=hunter2-password',
      text: 'Authorization: Basic basic-credential-base64',
      upstreamHeaders: { Authorization: 'Bearer upstream-jwt-eyJhbGciOi' },
      error: new Error(`Set-Cookie: portico-login=cookie-value-9911; Path=/`),
      sessions: 3,
      tokens: 12,
      code: 'SPEC_UNREADABLE',
      tool: 'get_current_user',
    });
    log.warn('quoted', { body: JSON.stringify({ password: 'hunter2-password', api_key: literal }) });
    expect(lines).toHaveLength(2);
    expect(leaks(lines, secrets)).toEqual([]);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ event: 'mistakes', sessions: 3, tokens: 12, code: 'SPEC_UNREADABLE', tool: 'get_current_user', headers: { accept: 'application/json' } });
    expect(first.headers.Authorization).toBe('[redacted]');
    expect(first.message).toContain('[redacted]');
    expect(first.url).toBe('postgres://portico:[redacted]@db.internal:5432/portico');
  });

  test('a line that cannot be serialised is still written, with the event', () => {
    const lines: string[] = [];
    const log = createLogger('info', (line) => void lines.push(line));
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    log.info('odd', { cycle });
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: 'odd', level: 'info' });
    expect(lines[0]).toContain('unserialisable');
  });
});
