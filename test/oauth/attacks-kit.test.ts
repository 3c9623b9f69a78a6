/**
 * Shared helpers for the attack suites (`attacks*.test.ts`): raw OAuth over real HTTP — registration,
 * PKCE, authorization URLs, the browser steps with a cookie jar, the token endpoint — an MCP session with a
 * bearer token, row counts of the SQLite store, and a list of every secret a suite saw so the logs can be
 * searched for them at the end. Its own tests (run only when this file is the one being run) check the helpers.
 */
import { Database } from 'bun:sqlite';
import { expect, test } from 'bun:test';
import { createHash, randomBytes } from 'node:crypto';
import { Sessions } from '../../src/demo/auth';
import { CookieJar, formOf, signIn, type DemoAccount } from '../fixtures/oauth-client';
import type { SignedInGateway } from '../fixtures/signed-in-gateway';

export { CookieJar, formOf, signIn };

// ---------- secrets seen during a suite ----------

/** Every secret value a suite handled; `leaks` says which of them appear in a text. */
export class Secrets {
  readonly values = new Set<string>();
  add(...values: (string | undefined | null)[]): void {
    for (const value of values) if (value) this.values.add(value);
  }
  leaks(text: string): string[] {
    return [...this.values].filter((value) => text.includes(value));
  }
}

/**
 * The upstream (demo API) tokens issued while a suite runs: `Sessions.issue` is wrapped once per process,
 * so every token the demo API hands to the gateway at sign-in is known to the test.
 */
export const upstreamTokens: string[] = [];
const wrapped = Symbol.for('attacks.sessions.wrapped');
const proto = Sessions.prototype as unknown as Record<PropertyKey, unknown> & { issue: Sessions['issue'] };
if (!proto[wrapped]) {
  const original = proto.issue;
  proto.issue = function issue(this: Sessions, userId: string) {
    const issued = original.call(this, userId);
    upstreamTokens.push(issued.token);
    return issued;
  };
  proto[wrapped] = true;
}

// ---------- PKCE ----------

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function newVerifier(): string {
  return randomBytes(32).toString('base64url'); // 43 characters
}

// ---------- HTTP ----------

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, any>;
  readonly text: string;
}

async function jsonAnswer(response: Response): Promise<JsonAnswer> {
  const text = await response.text();
  let body: Record<string, any> = {};
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body, text };
}

export async function register(gw: SignedInGateway, metadata: Record<string, unknown>): Promise<JsonAnswer> {
  const response = await fetch(`${gw.origin}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metadata) });
  return jsonAnswer(response);
}

export interface TestClient {
  readonly id: string;
  readonly secret?: string;
  readonly redirectUri: string;
  /** Fields that authenticate this client at the token and revocation endpoints. */
  readonly auth: Record<string, string>;
}

/** A registered public client (or confidential with `client_secret_post` when `metadata` says so). */
export async function newClient(gw: SignedInGateway, secrets: Secrets, metadata: Record<string, unknown> = {}): Promise<TestClient> {
  const redirectUris = (metadata.redirect_uris as string[] | undefined) ?? ['http://127.0.0.1:45123/callback'];
  const answer = await register(gw, { client_name: 'Attack test client', token_endpoint_auth_method: 'none', ...metadata, redirect_uris: redirectUris });
  if (answer.status !== 201) throw new Error(`registration failed: ${answer.status} ${answer.text}`);
  const secret = answer.body.client_secret as string | undefined;
  secrets.add(secret);
  return {
    id: answer.body.client_id,
    secret,
    redirectUri: redirectUris[0]!,
    auth: secret ? { client_id: answer.body.client_id, client_secret: secret } : { client_id: answer.body.client_id },
  };
}

export function authorizeUrl(gw: SignedInGateway, params: Record<string, string | undefined>): URL {
  const url = new URL('/oauth/authorize', gw.origin);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

/** A well-formed authorization URL for `client` with the challenge of `verifier`; `extra` adds or overrides (undefined removes). */
export function authorizeFor(gw: SignedInGateway, client: TestClient, verifier: string, extra: Record<string, string | undefined> = {}): URL {
  return authorizeUrl(gw, {
    response_type: 'code',
    client_id: client.id,
    redirect_uri: client.redirectUri,
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
    state: 'st-' + randomBytes(4).toString('hex'),
    resource: gw.mcpUrl,
    ...extra,
  });
}

/** GET without following redirects (and with the jar's cookies, when given). */
export async function get(url: URL | string, jar?: CookieJar): Promise<Response> {
  const response = await fetch(url, { redirect: 'manual', headers: jar ? { cookie: jar.header() } : {} });
  jar?.take(response);
  return response;
}

/** A form POST as a browser on `origin` sends it (origin null: no Origin header). */
export async function postForm(url: URL | string, fields: [string, string][], options: { jar?: CookieJar; cookie?: string; origin?: string | null } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...FORM };
  const cookie = options.cookie ?? options.jar?.header();
  if (cookie) headers.cookie = cookie;
  if (options.origin !== null) headers.origin = options.origin ?? new URL(url).origin;
  const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(fields).toString(), redirect: 'manual' });
  options.jar?.take(response);
  return response;
}

/** Fields whose values are secrets: an answer (error descriptions included) must never echo them. */
const SECRET_FIELDS = ['code', 'code_verifier', 'refresh_token', 'client_secret', 'token', 'password'];

function expectNoEcho(answer: JsonAnswer, fields: Record<string, string>): void {
  for (const name of SECRET_FIELDS) {
    const value = fields[name];
    if (value && value.length >= 8) expect({ echoed: name, found: answer.text.includes(value) }).toEqual({ echoed: name, found: false });
  }
}

/** POST /oauth/token; also checks that the answer echoes none of the secrets sent. */
export async function tokenRequest(gw: SignedInGateway, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  const response = await fetch(`${gw.origin}/oauth/token`, { method: 'POST', headers: { ...FORM, ...headers }, body: new URLSearchParams(fields).toString() });
  const answer = await jsonAnswer(response);
  expectNoEcho(answer, fields);
  return answer;
}

/** POST /oauth/revoke; also checks that the answer echoes none of the secrets sent. */
export async function revokeRequest(gw: SignedInGateway, fields: Record<string, string>): Promise<JsonAnswer> {
  const response = await fetch(`${gw.origin}/oauth/revoke`, { method: 'POST', headers: FORM, body: new URLSearchParams(fields).toString() });
  const answer = await jsonAnswer(response);
  expectNoEcho(answer, fields);
  return answer;
}

/** A browser that stays signed in as `account` (one sign-in per suite keeps the per-address throttle far away). */
export class Browser {
  readonly jar = new CookieJar();
  constructor(readonly account: DemoAccount) {}

  /** Opens `url`, signs in if asked, ticks `scopes` (all offered when omitted) and approves: the code. */
  async approve(url: URL, scopes?: string[]): Promise<{ code: string; location: URL }> {
    const { code, location } = await signIn(url, this.account, { jar: this.jar, scopes });
    if (!code) throw new Error(`no code: ${location.href}`);
    return { code, location };
  }
}

export interface Tokens {
  readonly access: string;
  readonly refresh: string;
  readonly scope: string;
  readonly code: string;
  readonly verifier: string;
}

/** The whole flow for `client` as `browser`'s user: authorize, approve, redeem. */
export async function tokensFor(
  gw: SignedInGateway,
  browser: Browser,
  client: TestClient,
  secrets: Secrets,
  options: { scope?: string; ticks?: string[] } = {},
): Promise<Tokens> {
  const verifier = newVerifier();
  const { code } = await browser.approve(authorizeFor(gw, client, verifier, { scope: options.scope }), options.ticks);
  secrets.add(code, verifier);
  const answer = await tokenRequest(gw, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: client.redirectUri, ...client.auth });
  if (answer.status !== 200) throw new Error(`code exchange failed: ${answer.status} ${answer.text}`);
  secrets.add(answer.body.access_token, answer.body.refresh_token);
  return { access: answer.body.access_token, refresh: answer.body.refresh_token, scope: answer.body.scope, code, verifier };
}

export async function refreshWith(gw: SignedInGateway, client: TestClient, refreshToken: string, secrets: Secrets, extra: Record<string, string> = {}): Promise<JsonAnswer> {
  const answer = await tokenRequest(gw, { grant_type: 'refresh_token', refresh_token: refreshToken, ...client.auth, ...extra });
  secrets.add(answer.body.access_token, answer.body.refresh_token);
  return answer;
}

// ---------- MCP ----------

const MCP_HEADERS = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
const PROTOCOL = '2025-06-18';

/** Sends `initialize` with `token` (or without Authorization); the raw response. */
export async function mcpInitialize(gw: SignedInGateway, token?: string, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = { ...MCP_HEADERS };
  if (authorization !== undefined) headers.authorization = authorization;
  else if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return fetch(gw.mcpUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'attacks', version: '1' } } }),
  });
}

/** Whether `token` is accepted at /mcp: the status of an initialize (200 or 401). */
export async function mcpStatus(gw: SignedInGateway, token: string): Promise<number> {
  const response = await mcpInitialize(gw, token);
  await response.body?.cancel();
  return response.status;
}

/** An MCP session opened with `token`; `send` posts one JSON-RPC request in it. */
export async function mcpSession(gw: SignedInGateway, token: string) {
  const opened = await mcpInitialize(gw, token);
  await opened.text();
  if (opened.status !== 200) throw new Error(`initialize answered ${opened.status}`);
  const session = opened.headers.get('mcp-session-id')!;
  const headers = { ...MCP_HEADERS, authorization: `Bearer ${token}`, 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL };
  const note = await fetch(gw.mcpUrl, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  await note.body?.cancel();
  let id = 10;
  return {
    session,
    async send(method: string, params: Record<string, unknown> = {}): Promise<{ status: number; headers: Headers; body: any }> {
      const response = await fetch(gw.mcpUrl, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
    },
  };
}

// ---------- the store, read as bytes and rows ----------

const TABLES = ['clients', 'codes', 'grants', 'access_tokens', 'refresh_tokens', 'consents'] as const;
export type Counts = Record<(typeof TABLES)[number], number>;

/** Rows per table, read through a second connection to the gateway's SQLite file. */
export function counts(gw: SignedInGateway): Counts {
  const db = new Database(gw.databasePath);
  try {
    return Object.fromEntries(TABLES.map((table) => [table, (db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n])) as Counts;
  } finally {
    db.close();
  }
}

/** Codes not yet redeemed. */
export function unusedCodes(gw: SignedInGateway): number {
  const db = new Database(gw.databasePath);
  try {
    return (db.query('SELECT count(*) AS n FROM codes WHERE used_at IS NULL').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The database file and its write-ahead log, as one byte string (latin1 keeps every byte). */
export async function storeBytes(gw: SignedInGateway): Promise<string> {
  let text = '';
  for (const path of [gw.databasePath, `${gw.databasePath}-wal`, `${gw.databasePath}-journal`]) {
    const file = Bun.file(path);
    if (await file.exists()) text += Buffer.from(await file.arrayBuffer()).toString('latin1');
  }
  return text;
}

/** The page text without the per-browser CSRF field. */
export function withoutCsrf(html: string): string {
  return html.replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value=""');
}

export function expectPageHeaders(response: Response): void {
  expect(response.headers.get('content-type')).toStartWith('text/html');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
}

// ---------- the helpers' own checks ----------

if (Bun.main === import.meta.path) {
  test('s256 matches RFC 7636 Appendix B', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    expect(newVerifier()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
  test('withoutCsrf blanks the field only', () => {
    expect(withoutCsrf('<input name="csrf" value="abc"/><p>x</p>')).toBe('<input name="csrf" value=""/><p>x</p>');
  });
}
