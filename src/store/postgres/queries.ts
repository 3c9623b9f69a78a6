/**
 * @module store/postgres/queries
 * Every statement the PostgreSQL store runs, in one place. Each is a tagged template, so values are always bound
 * parameters and Bun keeps one named prepared statement per query text on each connection. Casts mark parameters
 * whose type PostgreSQL cannot infer (a NULL filter, arithmetic on a parameter). A list of any length goes as one JSON
 * text parameter, cast `::text::jsonb` (a parameter typed jsonb would have Bun encode the JS string as a JSON string).
 */
import type { SQL } from 'bun';
import type {
  AuditEntry,
  AuditQuery,
  BrowserSessionRecord,
  BucketSpend,
  ClientRecord,
  CodeRecord,
  ConsentRecord,
  GrantUse,
  NewAccessToken,
  NewGrant,
  NewRefreshToken,
  StoredAnswer,
} from '../contract';
import type {
  AccessTokenRow,
  AnswerRow,
  AuditRow,
  BrowserSessionRow,
  ClientRow,
  CodeRow,
  ConsentRow,
  DbInt,
  GrantColumns,
  GrantRow,
  RefreshTokenRow,
} from '../rows';
import { ownerToColumn, scopesToText } from '../rows';

export type RotationRow = RefreshTokenRow & GrantColumns & { successor: string | null; successor_used: boolean };

export const Q = {
  insertClient: (sql: SQL, c: ClientRecord) =>
    sql`INSERT INTO clients (id, secret_hash, metadata, created_at, expires_at)
      VALUES (${c.id}, ${c.secretHash}, ${c.metadata}, ${c.createdAt}, ${c.expiresAt})`,
  getClient: (sql: SQL, id: string) => sql<ClientRow[]>`SELECT * FROM clients WHERE id = ${id}`,
  /** The ids as one JSON array: one statement for any number of them (no limit on bound parameters to reach). */
  getClients: (sql: SQL, ids: readonly string[]) =>
    sql<ClientRow[]>`SELECT * FROM clients WHERE id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::text::jsonb))`,
  deleteClient: (sql: SQL, id: string) => sql`DELETE FROM clients WHERE id = ${id}`,
  deleteCodesOfClient: (sql: SQL, id: string) => sql`DELETE FROM codes WHERE client_id = ${id}`,
  deleteGrantsOfClient: (sql: SQL, id: string) => sql`DELETE FROM grants WHERE client_id = ${id}`,

  insertCode: (sql: SQL, c: CodeRecord) =>
    sql`INSERT INTO codes (hash, client_id, user_id, redirect_uri, code_challenge, scopes, resource, data,
        expires_at, used_at, grant_id)
      VALUES (${c.hash}, ${c.clientId}, ${c.userId}, ${c.redirectUri}, ${c.codeChallenge}, ${scopesToText(c.scopes)},
        ${c.resource}, ${c.data}, ${c.expiresAt}, ${c.usedAt}, ${c.grantId})`,
  getCode: (sql: SQL, hash: string) => sql<CodeRow[]>`SELECT * FROM codes WHERE hash = ${hash}`,
  /** One statement: concurrent callers queue on the row lock and re-check `used_at`, so only one gets the row. */
  consumeCode: (sql: SQL, hash: string, now: number) =>
    sql<CodeRow[]>`UPDATE codes SET used_at = ${now}
      WHERE hash = ${hash} AND used_at IS NULL AND expires_at > ${now} RETURNING *`,
  setCodeGrant: (sql: SQL, hash: string, grantId: string) =>
    sql`UPDATE codes SET grant_id = ${grantId} WHERE hash = ${hash}`,

  insertGrant: (sql: SQL, g: NewGrant) =>
    sql`INSERT INTO grants (id, user_id, client_id, scopes, resource, data, created_at, user_name, last_used_at)
      VALUES (${g.id}, ${g.userId}, ${g.clientId}, ${scopesToText(g.scopes)}, ${g.resource}, ${g.data}, ${g.createdAt},
        ${g.userName}, NULL)`,
  insertAccessToken: (sql: SQL, grantId: string, t: NewAccessToken) =>
    sql`INSERT INTO access_tokens (hash, grant_id, scopes, expires_at, created_at)
      VALUES (${t.hash}, ${grantId}, ${scopesToText(t.scopes)}, ${t.expiresAt}, ${t.createdAt})`,
  insertRefreshToken: (sql: SQL, grantId: string, parentHash: string | null, t: NewRefreshToken) =>
    sql`INSERT INTO refresh_tokens (hash, grant_id, scopes, expires_at, created_at, parent_hash, used_at)
      VALUES (${t.hash}, ${grantId}, ${scopesToText(t.scopes)}, ${t.expiresAt}, ${t.createdAt}, ${parentHash}, NULL)`,
  /** The hot path: one indexed lookup joined with its grant. */
  findAccessToken: (sql: SQL, hash: string, now: number) =>
    sql<(AccessTokenRow & GrantColumns)[]>`SELECT a.*, g.user_id AS g_user_id, g.client_id AS g_client_id,
        g.scopes AS g_scopes, g.resource AS g_resource, g.data AS g_data, g.created_at AS g_created_at,
        g.user_name AS g_user_name, g.last_used_at AS g_last_used_at
      FROM access_tokens a JOIN grants g ON g.id = a.grant_id
      WHERE a.hash = ${hash} AND a.expires_at > ${now}`,
  getRefreshToken: (sql: SQL, hash: string) =>
    sql<(RefreshTokenRow & GrantColumns)[]>`SELECT r.*, g.user_id AS g_user_id, g.client_id AS g_client_id,
        g.scopes AS g_scopes, g.resource AS g_resource, g.data AS g_data, g.created_at AS g_created_at,
        g.user_name AS g_user_name, g.last_used_at AS g_last_used_at
      FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id
      WHERE r.hash = ${hash}`,
  /**
   * Locks the grant of a refresh token, so that rotations within one grant take turns: the reuse policy looks at a
   * token's successors, which another rotation may be changing. NO KEY UPDATE still lets token inserts check their
   * foreign key against the row.
   */
  lockGrantOfRefreshToken: (sql: SQL, hash: string) =>
    sql<{ id: string }[]>`SELECT g.id FROM grants g JOIN refresh_tokens r ON r.grant_id = g.id
      WHERE r.hash = ${hash} FOR NO KEY UPDATE OF g`,
  /** Read after the grant lock, so this statement's snapshot includes every earlier rotation of the grant. */
  getRefreshTokenForRotation: (sql: SQL, hash: string) =>
    sql<RotationRow[]>`SELECT r.*, g.user_id AS g_user_id, g.client_id AS g_client_id,
        g.scopes AS g_scopes, g.resource AS g_resource, g.data AS g_data, g.created_at AS g_created_at,
        g.user_name AS g_user_name, g.last_used_at AS g_last_used_at,
        EXISTS (SELECT 1 FROM refresh_tokens c WHERE c.parent_hash = r.hash AND c.used_at IS NOT NULL) AS successor_used
      FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id
      WHERE r.hash = ${hash} FOR UPDATE OF r`,
  /** Used now, keeping the successor a retry within the grace window is answered with. */
  markRefreshTokenUsed: (sql: SQL, hash: string, now: number, successor: string) =>
    sql`UPDATE refresh_tokens SET used_at = ${now}, successor = ${successor} WHERE hash = ${hash}`,
  deleteGrant: (sql: SQL, id: string) => sql`DELETE FROM grants WHERE id = ${id}`,
  updateGrantData: (sql: SQL, id: string, data: string) => sql`UPDATE grants SET data = ${data} WHERE id = ${id}`,
  deleteGrantOfUser: (sql: SQL, userId: string, id: string) =>
    sql`DELETE FROM grants WHERE id = ${id} AND user_id = ${userId}`,
  deleteAccessToken: (sql: SQL, hash: string) => sql`DELETE FROM access_tokens WHERE hash = ${hash}`,
  listGrantsForUser: (sql: SQL, userId: string) =>
    sql<GrantRow[]>`SELECT * FROM grants WHERE user_id = ${userId} ORDER BY created_at DESC, id DESC`,
  /**
   * Locks the grants of a batch of uses in id order before `recordGrantUses` updates them: two instances' batches
   * sharing grants then wait for each other instead of deadlocking (the update's own row order is the planner's).
   */
  lockGrantsForUse: (sql: SQL, uses: readonly GrantUse[]) =>
    sql`SELECT id FROM grants WHERE id IN (SELECT u."grantId" FROM jsonb_to_recordset(${JSON.stringify(uses)}::text::jsonb) AS u("grantId" text))
      ORDER BY id FOR NO KEY UPDATE`,
  /** Only ever forward: another instance may have stored a later use already. */
  recordGrantUses: (sql: SQL, uses: readonly GrantUse[]) =>
    sql`UPDATE grants g SET last_used_at = u.at
      FROM jsonb_to_recordset(${JSON.stringify(uses)}::text::jsonb) AS u("grantId" text, at bigint)
      WHERE g.id = u."grantId" AND (g.last_used_at IS NULL OR g.last_used_at < u.at)`,
  /** Each user's newest grant that has a name (the same order as listGrantsForUser). */
  listUserNames: (sql: SQL, userIds: readonly string[]) =>
    sql<{ user_id: string; user_name: string }[]>`SELECT DISTINCT ON (user_id) user_id, user_name FROM grants
      WHERE user_name IS NOT NULL AND user_id IN (SELECT jsonb_array_elements_text(${JSON.stringify(userIds)}::text::jsonb))
      ORDER BY user_id, created_at DESC, id DESC`,

  putConsent: (sql: SQL, c: ConsentRecord) =>
    sql`INSERT INTO consents (user_id, client_id, scopes, updated_at)
      VALUES (${c.userId}, ${c.clientId}, ${scopesToText(c.scopes)}, ${c.updatedAt})
      ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`,
  getConsent: (sql: SQL, userId: string, clientId: string) =>
    sql<ConsentRow[]>`SELECT * FROM consents WHERE user_id = ${userId} AND client_id = ${clientId}`,

  insertBrowserSession: (sql: SQL, b: BrowserSessionRecord) =>
    sql`INSERT INTO browser_sessions (hash, user_id, created_at, expires_at)
      VALUES (${b.hash}, ${b.userId}, ${b.createdAt}, ${b.expiresAt})`,
  getBrowserSession: (sql: SQL, hash: string, now: number) =>
    sql<BrowserSessionRow[]>`SELECT * FROM browser_sessions WHERE hash = ${hash} AND expires_at > ${now}`,
  deleteBrowserSession: (sql: SQL, hash: string) => sql`DELETE FROM browser_sessions WHERE hash = ${hash}`,
  deleteBrowserSessionsOfUser: (sql: SQL, userId: string) => sql`DELETE FROM browser_sessions WHERE user_id = ${userId}`,

  /** The body goes as one binary parameter (bytea), byte for byte. */
  insertAnswer: (sql: SQL, a: StoredAnswer) =>
    sql`INSERT INTO answers (id, owner, media_type, body, tool, created_at, expires_at)
      VALUES (${a.id}, ${ownerToColumn(a.owner)}, ${a.mediaType}, ${a.body}, ${a.tool}, ${a.createdAt}, ${a.expiresAt})`,
  /** Live, and its grant still there, as in SQLite (the foreign key cascades: only a row written behind the store's back needs it). */
  getAnswer: (sql: SQL, id: string, now: number) =>
    sql<AnswerRow[]>`SELECT * FROM answers a WHERE a.id = ${id} AND a.expires_at > ${now}::bigint
      AND (a.owner IS NULL OR EXISTS (SELECT 1 FROM grants g WHERE g.id = a.owner))`,

  /** A fixed window: the first hit after `reset_at` starts a new one. Concurrent hits queue on the row lock. */
  hit: (sql: SQL, key: string, now: number, windowMs: number) =>
    sql<{ count: DbInt; reset_at: DbInt }[]>`INSERT INTO throttles AS t (key, count, reset_at)
      VALUES (${key}, 1, ${now}::bigint + ${windowMs}::bigint)
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN t.reset_at <= ${now}::bigint THEN 1 ELSE t.count + 1 END,
        reset_at = CASE WHEN t.reset_at <= ${now}::bigint THEN ${now}::bigint + ${windowMs}::bigint ELSE t.reset_at END
      RETURNING count, reset_at`,
  clearHits: (sql: SQL, key: string) => sql`DELETE FROM throttles WHERE key = ${key}`,
  releaseHit: (sql: SQL, key: string, now: number) => sql`UPDATE throttles SET count = count - 1 WHERE key = ${key} AND reset_at > ${now} AND count > 0`,
  peekHits: (sql: SQL, key: string, now: number) => sql<{ count: DbInt }[]>`SELECT count FROM throttles WHERE key = ${key} AND reset_at > ${now}`,

  /**
   * Token buckets: `reset_at` is when the bucket is full again. The rows are inserted, and so locked, in the order of
   * the SELECT's ORDER BY (the database's collation, the same for every instance), so two instances' batches over
   * shared keys wait for each other instead of deadlocking.
   */
  spendBuckets: (sql: SQL, spends: readonly BucketSpend[], now: number) =>
    sql<{ key: string; count: DbInt; reset_at: DbInt }[]>`INSERT INTO throttles AS t (key, count, reset_at)
      SELECT s.key, s.count, ${now}::bigint + s."refillMs"
      FROM jsonb_to_recordset(${JSON.stringify(spends)}::text::jsonb) AS s(key text, count integer, "refillMs" bigint)
      ORDER BY s.key
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN t.reset_at <= ${now}::bigint THEN excluded.count ELSE t.count + excluded.count END,
        reset_at = GREATEST(t.reset_at, ${now}::bigint) + (excluded.reset_at - ${now}::bigint)
      RETURNING key, count, reset_at`,

  putSnapshot: (sql: SQL, key: string, value: string, now: number) =>
    sql`INSERT INTO snapshots (key, value, updated_at) VALUES (${key}, ${value}, ${now})
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  getSnapshot: (sql: SQL, key: string) =>
    sql<{ value: string; updated_at: DbInt }[]>`SELECT value, updated_at FROM snapshots WHERE key = ${key}`,

  appendAudit: (sql: SQL, e: AuditEntry) =>
    sql`INSERT INTO audit_log (at, user_id, client_id, tool, outcome, upstream_status, latency_ms, detail)
      VALUES (${e.at}, ${e.userId}, ${e.clientId}, ${e.tool}, ${e.outcome}, ${e.upstreamStatus},
        ${e.latencyMs}::double precision, ${e.detail})`,
  appendAudits: (sql: SQL, entries: readonly AuditEntry[]) =>
    sql`INSERT INTO audit_log ${sql(
      entries.map((e) => ({ at: e.at, user_id: e.userId, client_id: e.clientId, tool: e.tool, outcome: e.outcome, upstream_status: e.upstreamStatus, latency_ms: e.latencyMs, detail: e.detail })),
    )}`,
  /** A NULL filter matches everything, so one prepared statement serves every combination. */
  queryAudit: (sql: SQL, q: AuditQuery) => {
    const userId = q.userId ?? null;
    const tool = q.tool ?? null;
    const since = q.since ?? null;
    return sql<AuditRow[]>`SELECT * FROM audit_log
      WHERE (${userId}::text IS NULL OR user_id = ${userId}::text)
        AND (${tool}::text IS NULL OR tool = ${tool}::text)
        AND (${since}::bigint IS NULL OR at >= ${since}::bigint)
      ORDER BY at DESC, id DESC LIMIT ${q.limit}`;
  },

  /**
   * One batch of the sweep. Rows are picked in the order of the index on their time (PostgreSQL's DELETE has no
   * LIMIT) and deleted by primary key (`= ANY(ARRAY(…))`: an index lookup each, where `IN (…)` may be planned as a
   * scan of every row due); the condition is repeated on the DELETE itself, so a row another transaction changed
   * meanwhile (a throttle window a hit just restarted) is checked again as it now is, and nothing that became live
   * is deleted. Codes compare their expiry with `before` (now less the retention) so that the index applies.
   */
  sweepCodes: (sql: SQL, before: number, batch: number) =>
    sql`DELETE FROM codes WHERE hash = ANY(ARRAY(SELECT hash FROM codes WHERE expires_at <= ${before}::bigint ORDER BY expires_at LIMIT ${batch}))
      AND expires_at <= ${before}::bigint`,
  /** The expired tokens of this batch, with their grants: picked before anything is locked (see lockSweptGrants). */
  expiredAccessTokens: (sql: SQL, now: number, batch: number) =>
    sql<{ hash: string; grant_id: string }[]>`SELECT hash, grant_id FROM access_tokens WHERE expires_at <= ${now}::bigint ORDER BY expires_at LIMIT ${batch}`,
  expiredRefreshTokens: (sql: SQL, now: number, batch: number) =>
    sql<{ hash: string; grant_id: string }[]>`SELECT hash, grant_id FROM refresh_tokens WHERE expires_at <= ${now}::bigint ORDER BY expires_at LIMIT ${batch}`,
  /**
   * Locks, in id order, the grants of `ids` that have no live token: the ones the batch may leave empty (one with a
   * live token is never touched, and cannot gain one: a rotation needs a live refresh token). Grant before token, the
   * order a rotation takes them in (lockGrantOfRefreshToken), so a rotation of an expired token and the sweep wait
   * for each other instead of deadlocking.
   */
  lockSweptGrants: (sql: SQL, ids: readonly string[], now: number) =>
    sql<{ id: string }[]>`SELECT id FROM grants g WHERE id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::text::jsonb))
      AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.grant_id = g.id AND a.expires_at > ${now}::bigint)
      AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = g.id AND r.expires_at > ${now}::bigint)
      ORDER BY id FOR UPDATE`,
  sweepAccessTokens: (sql: SQL, hashes: readonly string[], now: number) =>
    sql`DELETE FROM access_tokens WHERE hash IN (SELECT jsonb_array_elements_text(${JSON.stringify(hashes)}::text::jsonb))
      AND expires_at <= ${now}::bigint`,
  sweepRefreshTokens: (sql: SQL, hashes: readonly string[], now: number) =>
    sql`DELETE FROM refresh_tokens WHERE hash IN (SELECT jsonb_array_elements_text(${JSON.stringify(hashes)}::text::jsonb))
      AND expires_at <= ${now}::bigint`,
  /** Of the grants lockSweptGrants locked, those with no token left (expired ones beyond this batch wait for the next). */
  sweepGrants: (sql: SQL, ids: readonly string[]) =>
    sql`DELETE FROM grants g WHERE id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::text::jsonb))
      AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.grant_id = g.id)
      AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = g.id)`,
  sweepThrottles: (sql: SQL, now: number, batch: number) =>
    sql`DELETE FROM throttles WHERE key = ANY(ARRAY(SELECT key FROM throttles WHERE reset_at <= ${now}::bigint ORDER BY reset_at LIMIT ${batch}))
      AND reset_at <= ${now}::bigint`,
  sweepBrowserSessions: (sql: SQL, now: number, batch: number) =>
    sql`DELETE FROM browser_sessions WHERE hash = ANY(ARRAY(SELECT hash FROM browser_sessions WHERE expires_at <= ${now}::bigint ORDER BY expires_at LIMIT ${batch}))
      AND expires_at <= ${now}::bigint`,
  /** After the grants: a batch takes grant locks before answer locks, as a revocation cascading to answers does. */
  sweepAnswers: (sql: SQL, now: number, batch: number) =>
    sql`DELETE FROM answers WHERE id = ANY(ARRAY(SELECT id FROM answers WHERE expires_at <= ${now}::bigint ORDER BY expires_at LIMIT ${batch}))
      AND expires_at <= ${now}::bigint`,
  sweepAudit: (sql: SQL, before: number, batch: number) =>
    sql`DELETE FROM audit_log WHERE id = ANY(ARRAY(SELECT id FROM audit_log WHERE at < ${before}::bigint ORDER BY at LIMIT ${batch}))
      AND at < ${before}::bigint`,
  /**
   * The lock of a sweep pass, held by the session (the connection) until it is unlocked or the connection ends.
   * try: an instance that does not get it skips the pass instead of waiting.
   */
  trySweepLock: (sql: SQL, key: number) => sql<{ won: boolean }[]>`SELECT pg_try_advisory_lock(${key}::bigint) AS won`,
  sweepUnlock: (sql: SQL, key: number) => sql<{ released: boolean }[]>`SELECT pg_advisory_unlock(${key}::bigint) AS released`,

  ping: (sql: SQL) => sql`SELECT 1 AS ok`,
};
