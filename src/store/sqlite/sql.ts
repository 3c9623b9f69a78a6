/**
 * @module store/sqlite/sql
 * Every statement the SQLite store runs, in one place. Parameters are named (`$hash`) and always bound.
 */

const GRANT_COLUMNS = `g.user_id AS g_user_id, g.client_id AS g_client_id, g.scopes AS g_scopes,
  g.resource AS g_resource, g.data AS g_data, g.created_at AS g_created_at,
  g.user_name AS g_user_name, g.last_used_at AS g_last_used_at`;

export const SQL = {
  insertClient: `INSERT INTO clients (id, secret_hash, metadata, created_at, expires_at)
    VALUES ($id, $secret_hash, $metadata, $created_at, $expires_at)`,
  getClient: 'SELECT * FROM clients WHERE id = $id',
  /** The ids as one JSON array: one statement for any number of them (no limit on bound parameters to reach). */
  getClients: 'SELECT * FROM clients WHERE id IN (SELECT value FROM json_each($ids))',
  deleteClient: 'DELETE FROM clients WHERE id = $id',
  deleteCodesOfClient: 'DELETE FROM codes WHERE client_id = $id',
  deleteGrantsOfClient: 'DELETE FROM grants WHERE client_id = $id',

  insertCode: `INSERT INTO codes (hash, client_id, user_id, redirect_uri, code_challenge, scopes, resource, data,
      expires_at, used_at, grant_id)
    VALUES ($hash, $client_id, $user_id, $redirect_uri, $code_challenge, $scopes, $resource, $data,
      $expires_at, $used_at, $grant_id)`,
  getCode: 'SELECT * FROM codes WHERE hash = $hash',
  /** One statement, so it is atomic without a transaction: only one caller finds the code unused. */
  consumeCode: `UPDATE codes SET used_at = $now
    WHERE hash = $hash AND used_at IS NULL AND expires_at > $now RETURNING *`,
  setCodeGrant: 'UPDATE codes SET grant_id = $grant_id WHERE hash = $hash',

  insertGrant: `INSERT INTO grants (id, user_id, client_id, scopes, resource, data, created_at, user_name, last_used_at)
    VALUES ($id, $user_id, $client_id, $scopes, $resource, $data, $created_at, $user_name, NULL)`,
  insertAccessToken: `INSERT INTO access_tokens (hash, grant_id, scopes, expires_at, created_at)
    VALUES ($hash, $grant_id, $scopes, $expires_at, $created_at)`,
  insertRefreshToken: `INSERT INTO refresh_tokens (hash, grant_id, scopes, expires_at, created_at, parent_hash, used_at)
    VALUES ($hash, $grant_id, $scopes, $expires_at, $created_at, $parent_hash, NULL)`,
  /** The hot path, with `getGrant` after it (two primary-key lookups are faster than the join; see the backend). */
  findAccessTokenOnly: 'SELECT * FROM access_tokens WHERE hash = $hash AND expires_at > $now',
  getGrant: 'SELECT * FROM grants WHERE id = $id',
  getRefreshToken: `SELECT r.*, ${GRANT_COLUMNS}
    FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id
    WHERE r.hash = $hash`,
  /** The presented token with what the reuse policy needs: whether a token rotated from it has been used. */
  getRefreshTokenForRotation: `SELECT r.*, ${GRANT_COLUMNS},
      EXISTS (SELECT 1 FROM refresh_tokens c WHERE c.parent_hash = r.hash AND c.used_at IS NOT NULL) AS successor_used
    FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id
    WHERE r.hash = $hash`,
  /** Used now, keeping the successor a retry within the grace window is answered with. */
  markRefreshTokenUsed: 'UPDATE refresh_tokens SET used_at = $now, successor = $successor WHERE hash = $hash',
  deleteGrant: 'DELETE FROM grants WHERE id = $id',
  updateGrantData: 'UPDATE grants SET data = $data WHERE id = $id',
  deleteGrantOfUser: 'DELETE FROM grants WHERE id = $id AND user_id = $user_id',
  deleteAccessToken: 'DELETE FROM access_tokens WHERE hash = $hash',
  listGrantsForUser: 'SELECT * FROM grants WHERE user_id = $user_id ORDER BY created_at DESC, id DESC',
  /** Only ever forward: another instance may have stored a later use already. */
  recordGrantUse: 'UPDATE grants SET last_used_at = $at WHERE id = $id AND (last_used_at IS NULL OR last_used_at < $at)',
  /** Each user's newest grant that has a name (the same order as listGrantsForUser). */
  listUserNames: `SELECT user_id, user_name FROM (
      SELECT user_id, user_name, row_number() OVER (PARTITION BY user_id ORDER BY created_at DESC, id DESC) AS n
      FROM grants WHERE user_name IS NOT NULL AND user_id IN (SELECT value FROM json_each($ids))
    ) WHERE n = 1`,

  putConsent: `INSERT INTO consents (user_id, client_id, scopes, updated_at)
    VALUES ($user_id, $client_id, $scopes, $updated_at)
    ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`,
  getConsent: 'SELECT * FROM consents WHERE user_id = $user_id AND client_id = $client_id',

  insertBrowserSession: `INSERT INTO browser_sessions (hash, user_id, created_at, expires_at)
    VALUES ($hash, $user_id, $created_at, $expires_at)`,
  getBrowserSession: 'SELECT * FROM browser_sessions WHERE hash = $hash AND expires_at > $now',
  deleteBrowserSession: 'DELETE FROM browser_sessions WHERE hash = $hash',
  deleteBrowserSessionsOfUser: 'DELETE FROM browser_sessions WHERE user_id = $user_id',

  insertAnswer: `INSERT INTO answers (id, owner, media_type, body, tool, created_at, expires_at)
    VALUES ($id, $owner, $media_type, $body, $tool, $created_at, $expires_at)`,
  /**
   * Live, and its grant still there: a grant deleted without cascading (the sqlite3 shell, where foreign keys are off
   * by default) takes its answers with it all the same, as it does its tokens (findAccessToken reads the grant too).
   */
  getAnswer: `SELECT * FROM answers a WHERE a.id = $id AND a.expires_at > $now
    AND (a.owner IS NULL OR EXISTS (SELECT 1 FROM grants g WHERE g.id = a.owner))`,

  /** A fixed window: the first hit after `reset_at` starts a new one. */
  hit: `INSERT INTO throttles (key, count, reset_at) VALUES ($key, 1, $now + $window_ms)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN throttles.reset_at <= $now THEN 1 ELSE throttles.count + 1 END,
      reset_at = CASE WHEN throttles.reset_at <= $now THEN $now + $window_ms ELSE throttles.reset_at END
    RETURNING count, reset_at`,
  clearHits: 'DELETE FROM throttles WHERE key = $key',
  releaseHit: 'UPDATE throttles SET count = count - 1 WHERE key = $key AND reset_at > $now AND count > 0',
  peekHits: 'SELECT count FROM throttles WHERE key = $key AND reset_at > $now',

  /** A token bucket: `reset_at` is when it is full again. */
  spendBucket: `INSERT INTO throttles (key, count, reset_at) VALUES ($key, $count, $now + $refill_ms)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN throttles.reset_at <= $now THEN excluded.count ELSE throttles.count + excluded.count END,
      reset_at = MAX(throttles.reset_at, $now) + $refill_ms
    RETURNING count, reset_at`,

  putSnapshot: `INSERT INTO snapshots (key, value, updated_at) VALUES ($key, $value, $updated_at)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  getSnapshot: 'SELECT value, updated_at FROM snapshots WHERE key = $key',

  appendAudit: `INSERT INTO audit_log (at, user_id, client_id, tool, outcome, upstream_status, latency_ms, detail)
    VALUES ($at, $user_id, $client_id, $tool, $outcome, $upstream_status, $latency_ms, $detail)`,
  /** A NULL filter matches everything, so one prepared statement serves every combination. */
  queryAudit: `SELECT * FROM audit_log
    WHERE ($user_id IS NULL OR user_id = $user_id)
      AND ($tool IS NULL OR tool = $tool)
      AND ($since IS NULL OR at >= $since)
    ORDER BY at DESC, id DESC LIMIT $limit`,

  /**
   * One batch of the sweep each: rows picked through the index on their time (a LIMIT in a subquery: DELETE has no
   * LIMIT in every SQLite build), so a batch costs the same however many rows are due. Codes compare their expiry
   * with `$before` (now less the retention) so that the index on it applies.
   */
  sweepCodes: 'DELETE FROM codes WHERE rowid IN (SELECT rowid FROM codes WHERE expires_at <= $before LIMIT $batch)',
  sweepAccessTokens: `DELETE FROM access_tokens
    WHERE rowid IN (SELECT rowid FROM access_tokens WHERE expires_at <= $now LIMIT $batch) RETURNING grant_id`,
  sweepRefreshTokens: `DELETE FROM refresh_tokens
    WHERE rowid IN (SELECT rowid FROM refresh_tokens WHERE expires_at <= $now LIMIT $batch) RETURNING grant_id`,
  /** Of the grants the batch's tokens belonged to (a JSON array of ids), those with no token left. */
  sweepGrants: `DELETE FROM grants WHERE id IN (SELECT value FROM json_each($ids))
    AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.grant_id = grants.id)
    AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = grants.id)`,
  sweepThrottles: 'DELETE FROM throttles WHERE rowid IN (SELECT rowid FROM throttles WHERE reset_at <= $now LIMIT $batch)',
  sweepBrowserSessions: `DELETE FROM browser_sessions
    WHERE rowid IN (SELECT rowid FROM browser_sessions WHERE expires_at <= $now LIMIT $batch)`,
  sweepAnswers: 'DELETE FROM answers WHERE rowid IN (SELECT rowid FROM answers WHERE expires_at <= $now LIMIT $batch)',
  sweepAudit: 'DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $before LIMIT $batch)',

  ping: 'SELECT 1 AS ok',
} as const;
