/**
 * @module store/rows
 * Database rows → contract records, shared by both backends so that they cannot drift apart. Both schemas use the
 * same snake_case column names. PostgreSQL returns BIGINT as a string (epoch milliseconds do not fit int4), SQLite as
 * a number: `int` accepts either and insists on a safe integer.
 */
import type {
  AccessTokenRecord,
  AuditRecord,
  BrowserSessionRecord,
  ClientRecord,
  CodeRecord,
  ConsentRecord,
  GrantRecord,
  GrantUse,
  RefreshTokenRecord,
  StoredAnswer,
} from './contract';

/** An integer column as a driver returns it. */
export type DbInt = number | string | bigint;

export interface ClientRow {
  id: string;
  secret_hash: string | null;
  metadata: string;
  created_at: DbInt;
  expires_at: DbInt | null;
}

export interface CodeRow {
  hash: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  code_challenge: string;
  scopes: string;
  resource: string;
  data: string;
  expires_at: DbInt;
  used_at: DbInt | null;
  grant_id: string | null;
}

export interface GrantRow {
  id: string;
  user_id: string;
  client_id: string;
  scopes: string;
  resource: string;
  data: string;
  created_at: DbInt;
  user_name: string | null;
  last_used_at: DbInt | null;
}

export interface AccessTokenRow {
  hash: string;
  grant_id: string;
  scopes: string;
  expires_at: DbInt;
  created_at: DbInt;
}

export interface RefreshTokenRow {
  hash: string;
  grant_id: string;
  scopes: string;
  expires_at: DbInt;
  created_at: DbInt;
  parent_hash: string | null;
  used_at: DbInt | null;
}

/** A token joined with its grant: the grant's columns carry a `g_` prefix where names clash. */
export interface GrantColumns {
  g_user_id: string;
  g_client_id: string;
  g_scopes: string;
  g_resource: string;
  g_data: string;
  g_created_at: DbInt;
  g_user_name: string | null;
  g_last_used_at: DbInt | null;
}

export interface ConsentRow {
  user_id: string;
  client_id: string;
  scopes: string;
  updated_at: DbInt;
}

export interface BrowserSessionRow {
  hash: string;
  user_id: string;
  created_at: DbInt;
  expires_at: DbInt;
}

export interface AnswerRow {
  id: string;
  /** NULL for an answer without sign-in (owner ''): a grant id otherwise, a foreign key that cascades. */
  owner: string | null;
  media_type: string;
  /** bun:sqlite returns a Uint8Array, Bun.sql a Buffer. */
  body: Uint8Array;
  tool: string;
  created_at: DbInt;
  expires_at: DbInt;
}

export interface AuditRow {
  id: DbInt;
  at: DbInt;
  user_id: string;
  client_id: string;
  tool: string;
  outcome: string;
  upstream_status: DbInt | null;
  /** A float column (latencies are measured with performance.now()). */
  latency_ms: number | string;
  detail: string | null;
}

/** An integer column as a JS number. */
export function int(value: DbInt): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new TypeError(`store: expected an integer column, got ${typeof value} "${String(value)}"`);
  return n;
}

export function intOrNull(value: DbInt | null): number | null {
  return value === null ? null : int(value);
}

/** Scopes are stored as a JSON array: unambiguous for an empty list, and the same text in both backends. */
export function scopesToText(scopes: readonly string[]): string {
  return JSON.stringify(scopes);
}

export function scopesFromText(text: string): string[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every((s): s is string => typeof s === 'string')) {
    throw new TypeError('store: a scopes column does not hold a JSON array of strings');
  }
  return value;
}

export function toClient(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    metadata: row.metadata,
    createdAt: int(row.created_at),
    expiresAt: intOrNull(row.expires_at),
  };
}

export function toCode(row: CodeRow): CodeRecord {
  return {
    hash: row.hash,
    clientId: row.client_id,
    userId: row.user_id,
    redirectUri: row.redirect_uri,
    codeChallenge: row.code_challenge,
    scopes: scopesFromText(row.scopes),
    resource: row.resource,
    data: row.data,
    expiresAt: int(row.expires_at),
    usedAt: intOrNull(row.used_at),
    grantId: row.grant_id,
  };
}

export function toGrant(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    scopes: scopesFromText(row.scopes),
    resource: row.resource,
    data: row.data,
    createdAt: int(row.created_at),
    userName: row.user_name,
    lastUsedAt: intOrNull(row.last_used_at),
  };
}

/** The grant half of a token row joined with `grants` (see GrantColumns). */
export function joinedGrant(row: GrantColumns & { grant_id: string }): GrantRecord {
  return {
    id: row.grant_id,
    userId: row.g_user_id,
    clientId: row.g_client_id,
    scopes: scopesFromText(row.g_scopes),
    resource: row.g_resource,
    data: row.g_data,
    createdAt: int(row.g_created_at),
    userName: row.g_user_name,
    lastUsedAt: intOrNull(row.g_last_used_at),
  };
}

export function toAccessToken(row: AccessTokenRow): AccessTokenRecord {
  return {
    hash: row.hash,
    grantId: row.grant_id,
    scopes: scopesFromText(row.scopes),
    expiresAt: int(row.expires_at),
    createdAt: int(row.created_at),
  };
}

export function toRefreshToken(row: RefreshTokenRow): RefreshTokenRecord {
  return {
    hash: row.hash,
    grantId: row.grant_id,
    scopes: scopesFromText(row.scopes),
    expiresAt: int(row.expires_at),
    createdAt: int(row.created_at),
    parentHash: row.parent_hash,
    usedAt: intOrNull(row.used_at),
  };
}

/**
 * `uses` with one entry per grant, its latest time, in grant id order: so a batch updates each row once, and
 * concurrent batches of several instances lock the rows they share in the same order (no deadlock).
 */
export function latestUses(uses: readonly GrantUse[]): GrantUse[] {
  const latest = new Map<string, number>();
  for (const { grantId, at } of uses) latest.set(grantId, Math.max(at, latest.get(grantId) ?? at));
  return [...latest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([grantId, at]) => ({ grantId, at }));
}

export function toConsent(row: ConsentRow): ConsentRecord {
  return {
    userId: row.user_id,
    clientId: row.client_id,
    scopes: scopesFromText(row.scopes),
    updatedAt: int(row.updated_at),
  };
}

export function toBrowserSession(row: BrowserSessionRow): BrowserSessionRecord {
  return { hash: row.hash, userId: row.user_id, createdAt: int(row.created_at), expiresAt: int(row.expires_at) };
}

/** The owner column of an answer: its grant, or NULL (never a grant) for an answer without sign-in. */
export function ownerToColumn(owner: string): string | null {
  return owner === '' ? null : owner;
}

export function toAnswer(row: AnswerRow): StoredAnswer {
  const { body } = row;
  return {
    id: row.id,
    owner: row.owner ?? '',
    mediaType: row.media_type,
    // a plain Uint8Array over the same bytes, whatever the driver's subclass (no copy of a body of many MB)
    body: body.constructor === Uint8Array ? body : new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    tool: row.tool,
    createdAt: int(row.created_at),
    expiresAt: int(row.expires_at),
  };
}

export function toAudit(row: AuditRow): AuditRecord {
  return {
    id: int(row.id),
    at: int(row.at),
    userId: row.user_id,
    clientId: row.client_id,
    tool: row.tool,
    outcome: row.outcome,
    upstreamStatus: intOrNull(row.upstream_status),
    latencyMs: Number(row.latency_ms),
    detail: row.detail,
  };
}
