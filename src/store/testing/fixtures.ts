/**
 * @module store/testing/fixtures
 * Records for the conformance suite. Every secret is a random value the suite keeps to itself: only its SHA-256 (hex)
 * reaches the store, as in production. Ids are unique per call, so cases can share one database.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type {
  BrowserSessionRecord,
  ClientRecord,
  CodeRecord,
  GrantRecord,
  NewAccessToken,
  NewRefreshToken,
  Store,
  StoredAnswer,
} from '../contract';

/** A fixed clock: the store never reads the time itself, so cases say exactly when things happen. */
export const T0 = 1_800_000_000_000;
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A fresh random secret and the hash the store sees. */
export function secret(): { raw: string; hash: string } {
  const raw = randomBytes(32).toString('base64url');
  return { raw, hash: sha256Hex(raw) };
}

/** A fresh hash (the raw value is dropped at once). */
export function newHash(): string {
  return secret().hash;
}

export function uid(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export function aClient(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    id: uid('client'),
    secretHash: newHash(),
    metadata: JSON.stringify({ client_name: 'Test client', redirect_uris: ['http://127.0.0.1:4000/cb'] }),
    createdAt: T0,
    expiresAt: T0 + 90 * DAY,
    ...overrides,
  };
}

export function aCode(overrides: Partial<CodeRecord> = {}): CodeRecord {
  return {
    hash: newHash(),
    clientId: uid('client'),
    userId: uid('user'),
    redirectUri: 'http://127.0.0.1:4000/cb',
    codeChallenge: sha256Hex('verifier'),
    scopes: ['read', 'write'],
    resource: 'https://portico.example/mcp',
    data: 'v1.encrypted-blob',
    expiresAt: T0 + 10 * MINUTE,
    usedAt: null,
    grantId: null,
    ...overrides,
  };
}

export function aGrant(overrides: Partial<GrantRecord> = {}): GrantRecord {
  return {
    id: uid('grant'),
    userId: uid('user'),
    clientId: uid('client'),
    scopes: ['read'],
    resource: 'https://portico.example/mcp',
    data: 'v1.encrypted-upstream-credential',
    createdAt: T0,
    userName: 'someone@example.com',
    lastUsedAt: null,
    ...overrides,
  };
}

export function anAccessToken(overrides: Partial<NewAccessToken> = {}): NewAccessToken {
  return { hash: newHash(), scopes: ['read'], expiresAt: T0 + HOUR, createdAt: T0, ...overrides };
}

export function aRefreshToken(overrides: Partial<NewRefreshToken> = {}): NewRefreshToken {
  return { hash: newHash(), scopes: ['read'], expiresAt: T0 + 30 * DAY, createdAt: T0, ...overrides };
}

export function aBrowserSession(overrides: Partial<BrowserSessionRecord> = {}): BrowserSessionRecord {
  return { hash: newHash(), userId: uid('user'), createdAt: T0, expiresAt: T0 + 7 * DAY, ...overrides };
}

/** A fresh answer id as a caller makes one: 128 random bits, base64url. */
export function anAnswerId(): string {
  return randomBytes(16).toString('base64url');
}

/** A small JSON answer nobody signed in for (owner ''), readable for an hour from T0. */
export function anAnswer(overrides: Partial<StoredAnswer> = {}): StoredAnswer {
  return {
    id: anAnswerId(),
    owner: '',
    mediaType: 'application/json',
    body: new TextEncoder().encode('{"projects":[{"id":1,"name":"demo"}]}'),
    tool: 'list_projects',
    createdAt: T0,
    expiresAt: T0 + HOUR,
    ...overrides,
  };
}

/** What `issue` stored. */
export interface Issued {
  grant: GrantRecord;
  access: NewAccessToken;
  refresh: NewRefreshToken;
}

/** Issues a grant with fresh tokens (or the ones given) and returns what was stored. */
export async function issue(store: Store, overrides: Partial<Issued> = {}): Promise<Issued> {
  const issued = { grant: aGrant(), access: anAccessToken(), refresh: aRefreshToken(), ...overrides };
  await store.issueGrant(issued);
  return issued;
}

/** The next pair of tokens for a rotation at `now`. */
export function nextTokens(now: number): { access: NewAccessToken; refresh: NewRefreshToken } {
  return {
    access: anAccessToken({ createdAt: now, expiresAt: now + HOUR }),
    refresh: aRefreshToken({ createdAt: now, expiresAt: now + 30 * DAY }),
  };
}

/** How many times each `kind` occurs. */
export function countKinds(results: ReadonlyArray<{ kind: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { kind } of results) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}
