/**
 * Attacks on codes and tokens (security research §3): code replay (ATK-03), refresh-token reuse after
 * rotation (ATK-04), scope escalation at authorize, token, refresh and tool call (ATK-05), revocation abuse
 * (ATK-24), and tokens/secrets at rest (storage requirement 14). Raw OAuth over real HTTP against a
 * signed-in gateway (ALICE owner→admin, BOB developer→write, CAROL viewer→read).
 */
import { Database } from 'bun:sqlite';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { ALICE, BOB, CAROL, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
import {
  authorizeFor, Browser, counts, get, mcpSession, mcpStatus, newClient, newVerifier, refreshWith, revokeRequest, Secrets, sha256Hex,
  storeBytes, tokenRequest, tokensFor, unusedCodes, upstreamTokens, type TestClient,
} from './attacks-kit.test';

let gw: SignedInGateway;
const secrets = new Secrets();
let alice: Browser;
let bob: Browser;
let carol: Browser;

beforeAll(async () => {
  gw = await startSignedInGateway();
  alice = new Browser(ALICE);
  bob = new Browser(BOB);
  carol = new Browser(CAROL);
  secrets.add(ALICE.password, BOB.password, CAROL.password);
});

afterAll(async () => {
  await gw?.stop();
});

const redeem = (client: TestClient, code: string, verifier: string) =>
  tokenRequest(gw, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: client.redirectUri, ...client.auth });

function expectInvalidGrant(answer: { status: number; body: Record<string, any>; headers: Headers }): void {
  expect(answer.status).toBe(400);
  expect(answer.body.error).toBe('invalid_grant');
  expect(answer.body.access_token).toBeUndefined();
  expect(answer.headers.get('cache-control')).toBe('no-store');
}

describe('ATK-03 authorization code replay', () => {
  let client: TestClient;
  let other: TestClient;
  beforeAll(async () => {
    client = await newClient(gw, secrets);
    other = await newClient(gw, secrets);
  });

  test('a second redemption → invalid_grant, and the tokens of the first are revoked', async () => {
    const first = await tokensFor(gw, alice, client, secrets);
    expect(await mcpStatus(gw, first.access)).toBe(200);
    const second = await redeem(client, first.code, first.verifier);
    expectInvalidGrant(second);
    expect(await mcpStatus(gw, first.access)).toBe(401);
    expectInvalidGrant(await refreshWith(gw, client, first.refresh, secrets));
  });

  test('20 parallel redemptions → exactly one 200, the rest invalid_grant', async () => {
    const verifier = newVerifier();
    const { code } = await alice.approve(authorizeFor(gw, client, verifier));
    secrets.add(code, verifier);
    const grantsBefore = counts(gw).grants;
    const answers = await Promise.all(Array.from({ length: 20 }, () => redeem(client, code, verifier)));
    for (const answer of answers) secrets.add(answer.body.access_token, answer.body.refresh_token);
    expect(answers.filter((answer) => answer.status === 200).length).toBe(1);
    expect(answers.filter((answer) => answer.status === 400 && answer.body.error === 'invalid_grant').length).toBe(19);
    // one grant at most was created, and the replays revoked it (on SQLite the losers always see the winner's grant)
    expect(counts(gw).grants - grantsBefore).toBeLessThanOrEqual(1);
    const winner = answers.find((answer) => answer.status === 200)!;
    expect(await mcpStatus(gw, winner.body.access_token)).toBe(401);
  });

  test('redemption by another client → invalid_grant, and the code still works for its owner', async () => {
    const verifier = newVerifier();
    const { code } = await alice.approve(authorizeFor(gw, client, verifier));
    secrets.add(code, verifier);
    const unused = unusedCodes(gw);
    expectInvalidGrant(await tokenRequest(gw, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: client.redirectUri, client_id: other.id }));
    // naming the owner while authenticating as nobody, or with a secret for a public client, is no better
    const withSecret = await tokenRequest(gw, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.id, client_secret: 'pcs_guess' });
    expect(withSecret.status).toBe(401);
    expect(withSecret.body.error).toBe('invalid_client');
    expect(unusedCodes(gw)).toBe(unused);
    const owner = await redeem(client, code, verifier);
    expect(owner.status).toBe(200);
    secrets.add(owner.body.access_token, owner.body.refresh_token);
    // and the failed attempt by the other client did not count as the replay that revokes
    expect(await mcpStatus(gw, owner.body.access_token)).toBe(200);
  });

  test('an unknown or made-up code → invalid_grant', async () => {
    expectInvalidGrant(await redeem(client, 'pac_' + 'x'.repeat(43), newVerifier()));
  });
});

describe('ATK-04 refresh-token reuse after rotation', () => {
  let client: TestClient;
  let other: TestClient;
  beforeAll(async () => {
    client = await newClient(gw, secrets);
    other = await newClient(gw, secrets);
  });

  test('rotation, one grace retry, then reuse of the old token revokes the whole grant but not another grant', async () => {
    const unrelated = await tokensFor(gw, alice, client, secrets); // same user, same client, another grant
    const t0 = await tokensFor(gw, alice, client, secrets);

    const r1 = await refreshWith(gw, client, t0.refresh, secrets);
    expect(r1.status).toBe(200);
    expect(r1.headers.get('cache-control')).toBe('no-store');
    expect(r1.body.refresh_token).not.toBe(t0.refresh);
    const { access_token: at1, refresh_token: rt1 } = r1.body;

    // RT0 again within the grace window, before RT1 was used: a lost response, tolerated — with the same pair, not a new one
    const retry = await refreshWith(gw, client, t0.refresh, secrets);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('cache-control')).toBe('no-store');
    expect([retry.body.access_token, retry.body.refresh_token]).toEqual([at1, rt1]);

    const r2 = await refreshWith(gw, client, rt1, secrets);
    expect(r2.status).toBe(200);
    const { access_token: at2, refresh_token: rt2 } = r2.body;
    expect(await mcpStatus(gw, at2)).toBe(200);

    // RT0 once more, now that its successor has been used: someone else holds it → the grant goes
    const reuse = await refreshWith(gw, client, t0.refresh, secrets);
    expectInvalidGrant(reuse);
    for (const access of [t0.access, at1, at2, retry.body.access_token]) expect(await mcpStatus(gw, access)).toBe(401);
    for (const refresh of [rt2, retry.body.refresh_token, rt1]) expectInvalidGrant(await refreshWith(gw, client, refresh, secrets));

    // the user's other grant is untouched
    expect(await mcpStatus(gw, unrelated.access)).toBe(200);
    expect((await refreshWith(gw, client, unrelated.refresh, secrets)).status).toBe(200);
  });

  test("client A's refresh token presented by client B → invalid_grant, and nothing is revoked", async () => {
    const t = await tokensFor(gw, alice, client, secrets);
    const stolen = await refreshWith(gw, other, t.refresh, secrets);
    expectInvalidGrant(stolen);
    expect(await mcpStatus(gw, t.access)).toBe(200);
    const own = await refreshWith(gw, client, t.refresh, secrets);
    expect(own.status).toBe(200);
    // and B's attempt did not "use" the token: A's first use was a rotation, so the old one is still in grace
    expect(await mcpStatus(gw, own.body.access_token)).toBe(200);
  });

  test('token error responses are not cacheable either', async () => {
    const answer = await refreshWith(gw, client, 'prt_unknown', secrets);
    expectInvalidGrant(answer);
    expect(answer.headers.get('pragma')).toBe('no-cache');
  });
});

describe('ATK-05 scope escalation', () => {
  let client: TestClient;
  const catalog = () => gw.gateway.tools.all;
  const namesOf = (scope: string) => catalog().filter((entry) => entry.scope === scope).map((entry) => entry.tool.name).sort();

  beforeAll(async () => {
    client = await newClient(gw, secrets);
  });

  test('authorize: an unknown scope is dropped (only read is offered for "read bogus")', async () => {
    const url = authorizeFor(gw, client, newVerifier(), { scope: 'read bogus:all' });
    await alice.approve(authorizeFor(gw, client, newVerifier(), { scope: 'read' })); // signs Alice in
    const html = await (await get(url, alice.jar)).text();
    expect([...html.matchAll(/name="scope" value="(\w+)"/g)].map((m) => m[1])).toEqual(['read']);
    expect(html.replace(/action="[^"]*"/, '')).not.toContain('bogus'); // only the form's action (the request itself) names it
    const t = await tokensFor(gw, alice, client, secrets, { scope: 'read bogus:all', ticks: ['read', 'write', 'admin', 'bogus:all'] });
    expect(t.scope).toBe('read');
  });

  test('authorize: a viewer asking for admin sees it disabled, and posting scope=admin anyway gives read only', async () => {
    const verifier = newVerifier();
    const url = authorizeFor(gw, client, verifier, { scope: 'read write admin' });
    await carol.approve(authorizeFor(gw, client, newVerifier(), { scope: 'read' })); // signs Carol in
    const html = await (await get(url, carol.jar)).text();
    expect(html).toContain('name="decision"');
    expect(html).toMatch(/<input type="checkbox" id="scope-admin" checked="false" disabled|<input type="checkbox" id="scope-admin" disabled/);
    expect(html).not.toMatch(/name="scope" value="(write|admin)"/);
    expect(html).toContain('Your account does not have this permission, so it cannot be ticked.');
    const t = await tokensFor(gw, carol, client, secrets, { scope: 'read write admin', ticks: ['read', 'write', 'admin'] });
    expect(t.scope).toBe('read');
    // and asking for more at the token endpoint does not help
    const again = await tokensFor(gw, carol, client, secrets, { scope: 'admin', ticks: ['admin'] });
    expect(again.scope).toBe('read');
  });

  test('token exchange: scope=read write admin after a read consent → invalid_scope, code not consumed', async () => {
    const verifier = newVerifier();
    const { code } = await alice.approve(authorizeFor(gw, client, verifier, { scope: 'read write admin' }), ['read']);
    secrets.add(code, verifier);
    const base = { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.id };
    for (const scope of ['read write admin', 'write', 'read bogus']) {
      const answer = await tokenRequest(gw, { ...base, scope });
      expect({ scope, status: answer.status, error: answer.body.error }).toEqual({ scope, status: 400, error: 'invalid_scope' });
    }
    const right = await tokenRequest(gw, base);
    expect(right.status).toBe(200);
    expect(right.body.scope).toBe('read');
    secrets.add(right.body.access_token, right.body.refresh_token);
  });

  test('refresh: adding admin → invalid_scope (token kept); narrowing to read works and lists only read tools', async () => {
    const t = await tokensFor(gw, bob, client, secrets, { scope: 'read write admin' }); // a developer: up to write
    expect(t.scope).toBe('read write');
    const wider = await refreshWith(gw, client, t.refresh, secrets, { scope: 'read write admin' });
    expect(wider.status).toBe(400);
    expect(wider.body.error).toBe('invalid_scope');
    const narrow = await refreshWith(gw, client, t.refresh, secrets, { scope: 'read' });
    expect(narrow.status).toBe(200);
    expect(narrow.body.scope).toBe('read');
    const session = await mcpSession(gw, narrow.body.access_token);
    const listed = await session.send('tools/list');
    expect(listed.body.result.tools.map((tool: { name: string }) => tool.name).sort()).toEqual(namesOf('read'));
    // the narrowed refresh token still carries the consented scopes (RFC 6749 §6), never more
    const back = await refreshWith(gw, client, narrow.body.refresh_token, secrets);
    expect(back.body.scope).toBe('read write');
  });

  test('tools/list shows only what the token reaches, counted against the catalog', async () => {
    const read = await tokensFor(gw, alice, client, secrets, { scope: 'read', ticks: ['read'] });
    const write = await tokensFor(gw, bob, client, secrets, { scope: 'read write' });
    const admin = await tokensFor(gw, alice, client, secrets, { scope: 'read write admin' });
    expect([read.scope, write.scope, admin.scope]).toEqual(['read', 'read write', 'read write admin']);
    const listedNames = async (access: string) => ((await (await mcpSession(gw, access)).send('tools/list')).body.result.tools as { name: string }[]).map((tool) => tool.name).sort();
    expect(namesOf('read').length).toBeGreaterThan(0);
    expect(await listedNames(read.access)).toEqual(namesOf('read'));
    expect(await listedNames(write.access)).toEqual([...namesOf('read'), ...namesOf('write')].sort());
    expect((await listedNames(admin.access)).length).toBe(catalog().length);
  });

  test('a tool call beyond the token → HTTP 403 insufficient_scope with the needed scopes (when the user could allow them), nothing sent upstream', async () => {
    const read = await tokensFor(gw, alice, client, secrets, { scope: 'read', ticks: ['read'] });
    const aliceWrite = await tokensFor(gw, alice, client, secrets, { scope: 'read write' });
    const write = await tokensFor(gw, bob, client, secrets, { scope: 'read write' });
    const writeTool = namesOf('write')[0]!;
    const adminTool = namesOf('admin')[0]!;
    const metadata = `resource_metadata="${gw.origin}/.well-known/oauth-protected-resource/mcp"`;

    const before = [...gw.upstream];
    const session = await mcpSession(gw, read.access);
    const denied = await session.send('tools/call', { name: writeTool, arguments: {} });
    expect(denied.status).toBe(403);
    const challenge = denied.headers.get('www-authenticate')!;
    expect(challenge).toStartWith('Bearer error="insufficient_scope", scope="read write"');
    expect(challenge).toContain(metadata);
    expect(denied.body.error.message).toContain('"write"');

    // alice, an owner, may allow admin: the challenge asks for the whole ladder
    const aliceSession = await mcpSession(gw, aliceWrite.access);
    const deniedAdmin = await aliceSession.send('tools/call', { name: adminTool, arguments: {} });
    expect(deniedAdmin.status).toBe(403);
    expect(deniedAdmin.headers.get('www-authenticate')).toStartWith('Bearer error="insufficient_scope", scope="read write admin"');
    // bob, a developer, never may: no challenge a client would act on in vain, a tool error saying so
    const writeSession = await mcpSession(gw, write.access);
    const neverAdmin = await writeSession.send('tools/call', { name: adminTool, arguments: {} });
    expect(neverAdmin.status).toBe(200);
    expect(neverAdmin.headers.get('www-authenticate')).toBeNull();
    expect(neverAdmin.body.result).toMatchObject({ isError: true, content: [{ text: expect.stringContaining('needs the "admin" permission, which your account (bob@example.com) cannot grant') }] });
    expect(gw.upstream).toEqual(before);

    // control: a read tool with the read token does reach the API, with the user's own credential
    const allowed = await session.send('tools/call', { name: 'get_current_user', arguments: {} });
    expect(allowed.status).toBe(200);
    expect(allowed.body.result.isError).toBeFalsy();
    expect(gw.upstream.length).toBe(before.length + 1);
    expect(JSON.stringify(allowed.body.result)).toContain(ALICE.email);
  });

});

describe('ATK-24 revocation (RFC 7009)', () => {
  let client: TestClient;
  let other: TestClient;
  beforeAll(async () => {
    client = await newClient(gw, secrets);
    other = await newClient(gw, secrets);
  });

  test('revoking the access token → 401 at /mcp; the refresh token still works', async () => {
    const t = await tokensFor(gw, alice, client, secrets);
    const answer = await revokeRequest(gw, { token: t.access, token_type_hint: 'access_token', ...client.auth });
    expect(answer.status).toBe(200);
    expect(await mcpStatus(gw, t.access)).toBe(401);
    const refreshed = await refreshWith(gw, client, t.refresh, secrets);
    expect(refreshed.status).toBe(200);
    expect(await mcpStatus(gw, refreshed.body.access_token)).toBe(200);
  });

  test("revoking the refresh token ends the grant: its access tokens get 401 (even with a misleading hint)", async () => {
    const t = await tokensFor(gw, alice, client, secrets);
    const r = await refreshWith(gw, client, t.refresh, secrets);
    const answer = await revokeRequest(gw, { token: r.body.refresh_token, token_type_hint: 'access_token', ...client.auth });
    expect(answer.status).toBe(200);
    expect(await mcpStatus(gw, r.body.access_token)).toBe(401);
    expectInvalidGrant(await refreshWith(gw, client, r.body.refresh_token, secrets));
  });

  test("another client cannot revoke someone else's tokens (200, but they still work)", async () => {
    const t = await tokensFor(gw, alice, client, secrets);
    for (const token of [t.access, t.refresh]) {
      const answer = await revokeRequest(gw, { token, ...other.auth });
      expect(answer.status).toBe(200);
    }
    expect(await mcpStatus(gw, t.access)).toBe(200);
    expect((await refreshWith(gw, client, t.refresh, secrets)).status).toBe(200);
  });

  test('an unknown token → 200; no client authentication → 401 invalid_client', async () => {
    const before = counts(gw);
    expect((await revokeRequest(gw, { token: 'pat_nothing', ...client.auth })).status).toBe(200);
    expect((await revokeRequest(gw, { token: 'prt_nothing', token_type_hint: 'refresh_token', ...client.auth })).status).toBe(200);
    const anonymous = await revokeRequest(gw, { token: 'pat_nothing' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
    expect(counts(gw)).toEqual(before);
  });
});

describe('tokens and secrets at rest', () => {
  test('after a full flow (and an audited tool call) the SQLite file holds no token, code, secret, upstream token or password — only hashes', async () => {
    const client = await newClient(gw, secrets, { token_endpoint_auth_method: 'client_secret_post', redirect_uris: ['https://app.example.com/callback'] });
    expect(client.secret).toStartWith('pcs_');
    const dave = new Browser(BOB); // a fresh browser: a fresh sign-in, so a fresh upstream token
    const issuedBefore = upstreamTokens.length;
    const t = await tokensFor(gw, dave, client, secrets, { scope: 'read write' });
    const upstream = upstreamTokens.slice(issuedBefore);
    expect(upstream.length).toBe(1);
    const r = await refreshWith(gw, client, t.refresh, secrets);
    expect(r.status).toBe(200);
    // the confidential client really is checked
    const noSecret = await refreshWith(gw, { ...client, auth: { client_id: client.id } }, r.body.refresh_token, secrets);
    expect(noSecret.status).toBe(401);
    expect(noSecret.body.error).toBe('invalid_client');

    // the API's own login is no tool (an agent would get a user's raw API token with it)
    const session = await mcpSession(gw, r.body.access_token);
    const login = await session.send('tools/call', { name: 'login', arguments: { email: BOB.email, password: BOB.password } });
    expect(login.body.error.message).toContain('unknown tool "login"');
    expect(upstreamTokens.length).toBe(issuedBefore + 1);
    // a tool call whose arguments hold a password (a database role's): the audit log must blank it
    const rolePassword = 'r0le-pass-5h0uld-vanish';
    const called = await session.send('tools/call', { name: 'create_role', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q', name: 'audit_probe', password: rolePassword } });
    expect(called.status).toBe(200);
    expect(called.body.result.isError).toBeFalsy();
    await Bun.sleep(400); // the audit log is written in batches every 200 ms
    const audit = new Database(gw.databasePath);
    try {
      expect((audit.query("SELECT count(*) AS n FROM audit_log WHERE tool = 'create_role'").get() as { n: number }).n).toBe(1);
      expect((audit.query("SELECT count(*) AS n FROM audit_log WHERE tool = 'login'").get() as { n: number }).n).toBe(0);
    } finally {
      audit.close();
    }

    const bytes = await storeBytes(gw);
    const plain = { access: t.access, refresh: t.refresh, code: t.code, verifier: t.verifier, secret: client.secret!, access2: r.body.access_token, refresh2: r.body.refresh_token, upstream: upstream[0]!, password: BOB.password, rolePassword };
    for (const [what, value] of Object.entries(plain)) expect({ what, found: bytes.includes(value) }).toEqual({ what, found: false });
    // the token bytes without their prefix are not there either (no partial storage)
    expect(bytes.includes(t.access.slice(4))).toBe(false);
    // sanity: what is stored is the SHA-256 of each
    for (const value of [t.access, r.body.refresh_token, t.code, client.secret!]) expect(bytes.includes(sha256Hex(value))).toBe(true);

    // the stored hashes are not credentials
    expect(await mcpStatus(gw, sha256Hex(r.body.access_token))).toBe(401);
    expectInvalidGrant(await refreshWith(gw, client, sha256Hex(r.body.refresh_token), secrets));
    const hashAsSecret = await refreshWith(gw, { ...client, auth: { client_id: client.id, client_secret: sha256Hex(client.secret!) } }, r.body.refresh_token, secrets);
    expect(hashAsSecret.status).toBe(401);
    // and the real ones still work
    expect(await mcpStatus(gw, r.body.access_token)).toBe(200);
  });
});

describe('ATK-22 secrets in logs', () => {
  test('no token, code, verifier, client secret, password or upstream token of this suite appears in the logs', () => {
    secrets.add(...upstreamTokens);
    expect(secrets.values.size).toBeGreaterThan(20);
    expect(secrets.leaks(gw.logs.join(''))).toEqual([]);
  });
});
