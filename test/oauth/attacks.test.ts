/**
 * Attacks on the authorization request and on what a client can claim (security research §3): redirect URI
 * manipulation (ATK-01), PKCE missing/plain/downgrade (ATK-02), audience / resource (ATK-06), XSS through
 * client metadata (ATK-12), SSRF through Client ID Metadata Documents (ATK-13), and the 401 challenge of
 * /mcp (RS-02/04/05). Raw OAuth over real HTTP against a signed-in gateway; every refusal also checks that
 * nothing was created, nothing went upstream, and that no secret reached the logs.
 * Token lifecycle attacks: attacks-tokens.test.ts. Browser attacks (CSRF, framing, enumeration): attacks-browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { ALICE, BOB, CAROL, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
import {
  authorizeFor, authorizeUrl, Browser, counts, expectPageHeaders, get, mcpInitialize, newClient, newVerifier, postForm, refreshWith, register,
  s256, Secrets, tokenRequest, tokensFor, unusedCodes, upstreamTokens, type TestClient,
} from './attacks-kit.test';

let gw: SignedInGateway;
const secrets = new Secrets();
let alice: Browser;
/** Every fetch this process makes while the suite runs (the CIMD fetcher takes the global fetch when the gateway starts). */
const fetched: string[] = [];
const realFetch = globalThis.fetch;

beforeAll(async () => {
  globalThis.fetch = Object.assign((input: string | URL | Request, init?: RequestInit) => {
    fetched.push(input instanceof Request ? input.url : String(input));
    return realFetch(input, init);
  }, realFetch);
  gw = await startSignedInGateway();
  alice = new Browser(ALICE);
  secrets.add(ALICE.password, BOB.password, CAROL.password);
});

afterAll(async () => {
  globalThis.fetch = realFetch;
  await gw?.stop();
});

/** A page of ours: 400 HTML with the framing headers, and never a redirect. */
async function expectLocalError(response: Response, status = 400): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('location')).toBeNull();
  expectPageHeaders(response);
  return response.text();
}

/** The error a redirect carries back to the client's (verified) redirect URI. */
function expectErrorRedirect(response: Response, redirectUri: string, error: string, state?: string): URL {
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
  expect(location.searchParams.get('error')).toBe(error);
  expect(location.searchParams.get('code')).toBeNull();
  expect(location.searchParams.get('iss')).toBe(gw.origin);
  if (state !== undefined) expect(location.searchParams.get('state')).toBe(state);
  return location;
}

describe('ATK-01 redirect_uri manipulation', () => {
  let client: TestClient;
  const GOOD = 'https://app.example.com/callback';
  const LOOPBACK = 'http://127.0.0.1:5000/cb';

  beforeAll(async () => {
    client = await newClient(gw, secrets, { redirect_uris: [GOOD, LOOPBACK] });
  });

  const refused = [
    ['unregistered host', 'https://evil.example/callback'],
    ['another port on a non-loopback https URI', 'https://app.example.com:8443/callback'],
    ['explicit default port', 'https://app.example.com:443/callback'],
    ['longer path', 'https://app.example.com/callback/extra'],
    ['other path', 'https://app.example.com/other'],
    ['path case', 'https://app.example.com/Callback'],
    ['host case', 'https://APP.example.com/callback'],
    ['scheme case', 'HTTPS://app.example.com/callback'],
    ['trailing slash', 'https://app.example.com/callback/'],
    ['percent-encoded path', 'https://app.example.com/%63allback'],
    ['dot segment', 'https://app.example.com/x/../callback'],
    ['added query', 'https://app.example.com/callback?next=https://evil.example'],
    ['added fragment', 'https://app.example.com/callback#frag'],
    ['userinfo', 'https://app.example.com@evil.example/callback'],
    ['suffix host', 'https://app.example.com.evil.example/callback'],
    ['http downgrade', 'http://app.example.com/callback'],
    ['loopback lookalike', 'http://127.0.0.1.evil.example:5000/cb'],
    ['localhost instead of 127.0.0.1', 'http://localhost:5000/cb'],
    ['loopback other path', 'http://127.0.0.1:5000/cb2'],
    ['loopback added query', 'http://127.0.0.1:5000/cb?x=1'],
    ['javascript:', 'javascript:alert(document.cookie)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
  ] as const;

  for (const [name, redirectUri] of refused) {
    test(`${name} → our own 400 page, no redirect, nothing created`, async () => {
      const before = counts(gw);
      const html = await expectLocalError(await get(authorizeFor(gw, client, newVerifier(), { redirect_uri: redirectUri }), alice.jar));
      expect(html).toContain('not one the application registered');
      expect(html).not.toContain('<script>alert');
      expect(counts(gw)).toEqual(before);
    });
  }

  test('the POST (sign-in/consent) refuses a bad redirect_uri the same way, even with a valid form', async () => {
    const before = counts(gw);
    const response = await postForm(authorizeFor(gw, client, newVerifier(), { redirect_uri: 'https://evil.example/callback' }), [['csrf', 'x'], ['decision', 'approve'], ['scope', 'read']], { jar: alice.jar });
    await expectLocalError(response);
    expect(counts(gw)).toEqual(before);
  });

  test('redirect_uri omitted while two are registered → 400 page', async () => {
    await expectLocalError(await get(authorizeFor(gw, client, newVerifier(), { redirect_uri: undefined })));
  });

  test('unknown client_id with an evil redirect_uri → 400 page, no redirect', async () => {
    const url = authorizeUrl(gw, { response_type: 'code', client_id: 'pcl_doesnotexist', redirect_uri: 'https://evil.example/cb', code_challenge: s256(newVerifier()), code_challenge_method: 'S256' });
    const html = await expectLocalError(await get(url));
    expect(html).toContain('not registered here');
    // the explanation is plain text; only the client_id it could not find is code
    expect(html).toContain('<dt>client_id</dt><dd><code>pcl_doesnotexist</code></dd>');
    expect(html).not.toContain('<pre');
  });

  test('unsupported response_type goes back only to the verified redirect URI, with state and iss: automatically to a loopback one', async () => {
    const response = await get(authorizeFor(gw, client, newVerifier(), { response_type: 'token', redirect_uri: LOOPBACK, state: 's1' }));
    expectErrorRedirect(response, LOOPBACK, 'unsupported_response_type', 's1');
  });

  // MCP authorization, "Open Redirection": redirect automatically only to trusted URIs. A client that registered
  // itself names any https URI or handler scheme it likes; an error would bounce the user there with no action.
  for (const [name, redirectUri, metadata] of [
    ['an https URI of a self-registered client', GOOD, {}],
    ['an operating-system handler scheme of a self-registered public client', 'com.example.app:/oauth/callback', { redirect_uris: ['com.example.app:/oauth/callback'] }],
  ] as const) {
    test(`an error for ${name} is a page with a link the user may follow, never an automatic redirect`, async () => {
      const own = Object.keys(metadata).length > 0 ? await newClient(gw, secrets, metadata) : client;
      for (const extra of [{ response_type: 'token' }, { code_challenge_method: 'plain' }, { resource: 'https://elsewhere.example/mcp' }]) {
        const response = await get(authorizeFor(gw, own, newVerifier(), { redirect_uri: redirectUri, state: 's2', ...extra }));
        const html = await expectLocalError(response, 400);
        const link = /<a href="([^"]+)"[^>]*>Go back to the application/.exec(html)?.[1]?.replaceAll('&amp;', '&');
        expect(link).toBeDefined();
        const target = new URL(link!);
        expect(target.href.startsWith(redirectUri)).toBe(true);
        expect(target.searchParams.get('state')).toBe('s2');
        expect(target.searchParams.get('iss')).toBe(gw.origin);
        expect(target.searchParams.get('error')).toBeTruthy();
        expect(target.searchParams.get('code')).toBeNull();
      }
    });
  }

  test('loopback with another port is accepted (RFC 8252 §7.3) and the code goes to that port', async () => {
    const verifier = newVerifier();
    const page = await get(authorizeFor(gw, client, verifier, { redirect_uri: 'http://127.0.0.1:5999/cb' }));
    expect(page.status).toBe(200);
    await page.body?.cancel();
    const { code, location } = await alice.approve(authorizeFor(gw, client, verifier, { redirect_uri: 'http://127.0.0.1:5999/cb', state: 'loop-state' }));
    secrets.add(code);
    expect(location.host).toBe('127.0.0.1:5999');
    expect(location.pathname).toBe('/cb');
    expect(location.searchParams.get('state')).toBe('loop-state');
    expect(location.searchParams.get('iss')).toBe(gw.origin);
    // the code is bound to the redirect URI it was issued for
    const wrong = await tokenRequest(gw, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: LOOPBACK, client_id: client.id });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    const right = await tokenRequest(gw, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: 'http://127.0.0.1:5999/cb', client_id: client.id });
    expect(right.status).toBe(200);
    secrets.add(right.body.access_token, right.body.refresh_token);
  });

  const badRegistrations = [
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'data:text/html,hi',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'blob:https://app.example.com/x',
    'mailto:a@example.com',
    'http://evil.example/cb',
    'http://localhost.evil.example/cb',
    'https://good.example@evil.example/cb',
    'https://app.example.com/cb#frag',
    '/relative/cb',
  ];
  test('registration with a dangerous or non-loopback-http redirect URI → 400 invalid_redirect_uri, no client', async () => {
    const before = counts(gw);
    for (const uri of badRegistrations) {
      const answer = await register(gw, { redirect_uris: [uri], token_endpoint_auth_method: 'none' });
      expect({ uri, status: answer.status, error: answer.body.error }).toEqual({ uri, status: 400, error: 'invalid_redirect_uri' });
      expect(answer.body.client_id).toBeUndefined();
    }
    expect(counts(gw).clients).toBe(before.clients);
  });

  test('private-use schemes are for public clients only', async () => {
    const confidential = await register(gw, { redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback'], token_endpoint_auth_method: 'client_secret_post' });
    expect(confidential.status).toBe(400);
    expect(confidential.body.error).toBe('invalid_redirect_uri');
  });
});

describe('ATK-02 PKCE', () => {
  let client: TestClient;
  beforeAll(async () => {
    client = await newClient(gw, secrets);
  });

  const authorizeCases: [string, Record<string, string | undefined>][] = [
    ['no code_challenge', { code_challenge: undefined, code_challenge_method: undefined }],
    ['no code_challenge but a method', { code_challenge: undefined }],
    ['method plain', { code_challenge_method: 'plain' }],
    ['challenge without method (would default to plain)', { code_challenge_method: undefined }],
    ['method S512', { code_challenge_method: 'S512' }],
    ['method s256 (wrong case)', { code_challenge_method: 's256' }],
    ['plain-looking challenge (the verifier itself, 64 chars)', { code_challenge: 'a'.repeat(64) }],
    ['42-character challenge', { code_challenge: 'a'.repeat(42) }],
  ];
  for (const [name, extra] of authorizeCases) {
    test(`authorize: ${name} → invalid_request at the verified redirect URI, nothing created`, async () => {
      const before = counts(gw);
      const response = await get(authorizeFor(gw, client, newVerifier(), { state: 'pkce-state', ...extra }), alice.jar);
      expectErrorRedirect(response, client.redirectUri, 'invalid_request', 'pkce-state');
      expect(counts(gw)).toEqual(before);
    });
  }

  test('the metadata advertises S256 only', async () => {
    const metadata = (await (await fetch(`${gw.origin}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
  });

  test('token: a wrong, short, long, illegal or missing verifier is refused and does not consume the code', async () => {
    const verifier = newVerifier();
    const { code } = await alice.approve(authorizeFor(gw, client, verifier));
    secrets.add(code, verifier);
    const exchange = (fields: Record<string, string>) => tokenRequest(gw, { grant_type: 'authorization_code', code, client_id: client.id, redirect_uri: client.redirectUri, ...fields });
    const bad = [newVerifier(), verifier.slice(0, 42), verifier + 'x'.repeat(86), verifier.slice(0, 42) + '!', `${verifier} `, verifier.toUpperCase()];
    expect(bad.map((v) => v.length)).toEqual([43, 42, 129, 43, 44, 43]);
    for (const wrong of bad) {
      const answer = await exchange({ code_verifier: wrong });
      expect({ len: wrong.length, status: answer.status, error: answer.body.error }).toEqual({ len: wrong.length, status: 400, error: 'invalid_grant' });
      expect(answer.body.access_token).toBeUndefined();
    }
    // no verifier at all: a malformed request (invalid_request) rather than invalid_grant — defensible, RFC 6749 §5.2
    const missing = await exchange({});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
    expect(unusedCodes(gw)).toBeGreaterThan(0);
    // the code was not consumed: it still works with the right verifier
    const right = await exchange({ code_verifier: verifier });
    expect(right.status).toBe(200);
    secrets.add(right.body.access_token, right.body.refresh_token);
  });

  // A verifier outside RFC 7636 §4.1 is refused even when its S256 is exactly the stored challenge.
  const malformed: [string, string][] = [
    ['42 characters', 'A'.repeat(42)],
    ['129 characters', 'B'.repeat(129)],
    ['an illegal character (+)', 'C'.repeat(42) + '+'],
    ['an illegal character (/)', 'D'.repeat(42) + '/'],
  ];
  for (const [name, verifier] of malformed) {
    test(`token: a verifier of ${name} whose S256 matches → invalid_grant`, async () => {
      const { code } = await alice.approve(authorizeFor(gw, client, verifier));
      secrets.add(code);
      const answer = await tokenRequest(gw, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.id });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_grant');
    });
  }
});

describe('ATK-06 audience / resource', () => {
  let client: TestClient;
  beforeAll(async () => {
    client = await newClient(gw, secrets);
  });

  for (const [name, resource] of [
    ['another resource', 'https://other.example/mcp'],
    ['our URL with a fragment', '{mcp}#frag'],
    ['a relative value', '/mcp'],
    ['javascript:', 'javascript:alert(1)'],
    ['our origin without /mcp', '{origin}'],
    ['our /mcp with a trailing slash', '{mcp}/'],
  ] as const) {
    test(`authorize with resource = ${name} → invalid_target at the redirect URI, nothing created`, async () => {
      const before = counts(gw);
      const value = resource.replace('{mcp}', gw.mcpUrl).replace('{origin}', gw.origin);
      const response = await get(authorizeFor(gw, client, newVerifier(), { resource: value, state: 'aud' }), alice.jar);
      expectErrorRedirect(response, client.redirectUri, 'invalid_target', 'aud');
      expect(counts(gw)).toEqual(before);
    });
  }

  test('authorize accepts our resource with upper-case scheme and host, and without resource (default)', async () => {
    const upper = gw.mcpUrl.replace('http://localhost', 'HTTP://LOCALHOST');
    for (const resource of [upper, undefined]) {
      const response = await get(authorizeFor(gw, client, newVerifier(), { resource }), alice.jar);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('name="decision"');
    }
  });

  test('token: a foreign, fragment or relative resource → invalid_target and the code is not consumed', async () => {
    const verifier = newVerifier();
    const { code } = await alice.approve(authorizeFor(gw, client, verifier));
    secrets.add(code, verifier);
    const base = { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.id };
    for (const resource of ['https://other.example/mcp', `${gw.mcpUrl}#x`, '/mcp', 'urn:portico:mcp']) {
      const answer = await tokenRequest(gw, { ...base, resource });
      expect({ resource, status: answer.status, error: answer.body.error }).toEqual({ resource, status: 400, error: 'invalid_target' });
    }
    const right = await tokenRequest(gw, { ...base, resource: gw.mcpUrl });
    expect(right.status).toBe(200);
    secrets.add(right.body.access_token, right.body.refresh_token);

    // refresh cannot move the token to another resource either, and the refresh token survives the attempt
    const moved = await refreshWith(gw, client, right.body.refresh_token, secrets, { resource: 'https://other.example/mcp' });
    expect(moved.status).toBe(400);
    expect(moved.body.error).toBe('invalid_target');
    const same = await refreshWith(gw, client, right.body.refresh_token, secrets, { resource: gw.mcpUrl });
    expect(same.status).toBe(200);
  });

  test('a token issued by the upstream API is not accepted at /mcp (no passthrough)', async () => {
    await tokensFor(gw, alice, client, secrets); // signs in, so the demo API has issued Alice a token
    const upstream = upstreamTokens.at(-1)!;
    expect(upstream).toStartWith('pgh_');
    const response = await mcpInitialize(gw, upstream);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});

describe('ATK-12 XSS through client metadata', () => {
  test('a javascript: client_uri (and other non-https URIs) is refused at registration', async () => {
    for (const [field, value] of [['client_uri', 'javascript:alert(1)'], ['client_uri', 'http://example.com/'], ['logo_uri', 'data:image/svg+xml,<svg onload=alert(1)>'], ['policy_uri', 'JAVASCRIPT:alert(1)']]) {
      const answer = await register(gw, { redirect_uris: ['http://127.0.0.1:7000/cb'], token_endpoint_auth_method: 'none', client_name: 'x', [field!]: value });
      expect({ field, status: answer.status, error: answer.body.error }).toEqual({ field, status: 400, error: 'invalid_client_metadata' });
    }
  });

  for (const name of ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "</title><script src='https://evil.example/x.js'></script>"]) {
    test(`client_name ${JSON.stringify(name)} is escaped on the sign-in and consent pages`, async () => {
      const client = await newClient(gw, secrets, { client_name: name, client_uri: 'https://app.example.com/' });
      const url = authorizeFor(gw, client, newVerifier());
      const pages = [await (await get(url)).text(), await (await get(url, alice.jar)).text()];
      expect(pages[0]).toContain('name="password"');
      expect(pages[1]).toContain('name="decision"');
      for (const html of pages) {
        expect(html).not.toContain('<script');
        expect(html).not.toContain('<img src=x');
        expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i); // no element with an event-handler attribute
        expect(html).not.toContain('href="javascript:');
        expect(html).toContain('&lt;');
        // a self-chosen name with a loopback redirect: said plainly, without alarm
        expect(html).toContain('Name chosen by the app itself');
      }
    });
  }
});

describe('ATK-13 SSRF through a Client ID Metadata Document URL', () => {
  const internal = [
    'https://127.0.0.1/client.json',
    'https://169.254.169.254/latest',
    'https://localhost/client.json',
    'https://[::1]/client.json',
    'https://[::ffff:127.0.0.1]/client.json',
    'https://2130706433/client.json',
    'https://10.0.0.5/client.json',
  ];
  for (const clientId of internal) {
    test(`${clientId}: authorize → 400 page, token → invalid_client, and no request is made`, async () => {
      const before = fetched.length;
      const started = performance.now();
      const url = authorizeUrl(gw, { response_type: 'code', client_id: clientId, redirect_uri: 'https://app.example.com/cb', code_challenge: s256(newVerifier()), code_challenge_method: 'S256' });
      const html = await expectLocalError(await get(url));
      expect(html).not.toContain('169.254.169.254:'); // diagnostics stay in the log
      const token = await tokenRequest(gw, { grant_type: 'authorization_code', code: 'pac_x', code_verifier: newVerifier(), client_id: clientId });
      expect(token.status).toBe(401);
      expect(token.body.error).toBe('invalid_client');
      const revoke = await fetch(`${gw.origin}/oauth/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: 'x', client_id: clientId }) });
      expect(revoke.status).toBe(401);
      expect(performance.now() - started).toBeLessThan(2000);
      // the only requests made meanwhile are this test's own, to the gateway
      expect(fetched.slice(before).filter((href) => !href.startsWith(gw.origin))).toEqual([]);
    });
  }
});

test('ATK-13 control: the recorder does see the gateway\'s own outgoing requests (its sign-in call upstream)', () => {
  expect(fetched).toContain(`${gw.demo.baseUrl}/auth/login`);
});

describe('401 challenge on /mcp (RS-02/04/05)', () => {
  test('no token → 401 with resource_metadata and scope, and no error code', async () => {
    const before = gw.upstream.length;
    const response = await mcpInitialize(gw);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${gw.origin}/.well-known/oauth-protected-resource/mcp", scope="read write admin"`);
    expect(gw.upstream.length).toBe(before);
    // the metadata it points at names this resource and this authorization server
    const prm = (await (await fetch(`${gw.origin}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<string, unknown>;
    expect(prm.resource).toBe(gw.mcpUrl);
    expect(prm.authorization_servers).toEqual([gw.origin]);
  });

  for (const [name, header] of [
    ['an unknown token', 'Bearer pat_' + 'A'.repeat(43)],
    ['a malformed header', 'Bearer a b c'],
    ['HTTP Basic', 'Basic dXNlcjpwYXNz'],
    ['a refresh token as bearer', 'refresh'],
  ] as const) {
    test(`${name} → 401 error="invalid_token" with resource_metadata`, async () => {
      let value: string = header;
      if (header === 'refresh') {
        const client = await newClient(gw, secrets);
        value = `Bearer ${(await tokensFor(gw, alice, client, secrets)).refresh}`;
      }
      const response = await mcpInitialize(gw, undefined, value);
      expect(response.status).toBe(401);
      const challenge = response.headers.get('www-authenticate')!;
      expect(challenge).toStartWith('Bearer error="invalid_token"');
      expect(challenge).toContain(`resource_metadata="${gw.origin}/.well-known/oauth-protected-resource/mcp"`);
    });
  }

  test('a valid access token in the query string is not accepted', async () => {
    const client = await newClient(gw, secrets);
    const { access } = await tokensFor(gw, alice, client, secrets);
    const response = await fetch(`${gw.mcpUrl}?access_token=${access}`, {
      method: 'POST',
      headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'q', version: '1' } } }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).not.toContain('error=');
  });
});

describe('ATK-22 secrets in logs', () => {
  test('no token, code, verifier, client secret, password or upstream token of this suite appears in the logs', () => {
    secrets.add(...upstreamTokens);
    expect(secrets.values.size).toBeGreaterThan(10);
    expect(secrets.leaks(gw.logs.join(''))).toEqual([]);
  });
});
