/**
 * @module store/postgres
 * The store on PostgreSQL (Bun's built-in client), for several instances sharing one database. Bun's pool opens
 * connections as queries need them, so after the server goes away and comes back the next call simply reconnects;
 * while it is away calls fail fast (refused at once, or after the connect timeout) with StoreUnavailableError.
 */
import { SQL, type ReservedSQL } from 'bun';
import type {
  AccessTokenRecord,
  AuditEntry,
  AuditQuery,
  AuditRecord,
  BrowserSessionRecord,
  BucketSpend,
  BucketState,
  ClientRecord,
  CodeRecord,
  ConsentRecord,
  ConsumeCodeResult,
  GrantRecord,
  GrantUse,
  HitResult,
  IssueGrantInput,
  RedeemCodeInput,
  RefreshTokenRecord,
  Revocation,
  RotateInput,
  RotateResult,
  Snapshot,
  Store,
  StoredAnswer,
  Sweep,
  SweepOptions,
  SweepResult,
  TokenWithGrant,
  UserName,
} from '../contract';
import { checkAnswer, checkSweepOptions, CODE_RETENTION_MS, mergeSpends } from '../contract';
import { StoreUnavailableError } from '../errors';
import { decideRotation } from '../rotation';
import {
  int,
  joinedGrant,
  latestUses,
  toAccessToken,
  toAnswer,
  toAudit,
  toBrowserSession,
  toClient,
  toCode,
  toConsent,
  toGrant,
  toRefreshToken,
} from '../rows';
import type { PostgresTarget } from './errors';
import { isConnectionLost, isForeignKeyViolation, translatePostgresError } from './errors';
import { migrate } from './migrations';
import { Q } from './queries';

export interface PostgresStoreOptions {
  /**
   * Connections in the pool. Each instance holds at most this many.
   * @default 5
   */
  poolSize?: number;
  /**
   * Seconds to wait for a connection before a call fails with StoreUnavailableError.
   * @default 5
   */
  connectTimeoutSeconds?: number;
}

/** Where revocations are announced to every instance (LISTEN/NOTIFY). */
const REVOCATIONS = 'portico_revocations';
/** How long a revocation waits for the database to echo its announcement before returning anyway. */
const ECHO_WAIT_MS = 1000;

const DEFAULT_POOL_SIZE = 5;
const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;
/** Idle connections are closed, so a pool does not sit on connections a quiet instance no longer needs. */
const IDLE_TIMEOUT_SECONDS = 60;
/** The advisory lock a sweep pass holds: "sweep" in ASCII (the migrations' is "portico"). */
const SWEEP_LOCK = 0x7377656570;

/** Connects, migrates and returns a PostgreSQL store. */
export async function openPostgresStore(
  url: string,
  target: PostgresTarget,
  options: PostgresStoreOptions = {},
): Promise<Store> {
  const { poolSize = DEFAULT_POOL_SIZE, connectTimeoutSeconds = DEFAULT_CONNECT_TIMEOUT_SECONDS } = options;
  const sql = new SQL(url, {
    adapter: 'postgres',
    // Bun lets PGDATABASE override the URL's database; PORTICO_DATABASE_URL must say where the data is on its own.
    database: target.database,
    max: poolSize,
    connectionTimeout: connectTimeoutSeconds,
    idleTimeout: IDLE_TIMEOUT_SECONDS,
    connection: { application_name: 'portico' },
  });
  try {
    await migrate(sql, `PostgreSQL database ${target.redacted}`);
  } catch (error) {
    await sql.close({ timeout: 0 });
    throw translatePostgresError(error, target);
  }
  return new PostgresStore(sql, target);
}

async function consume(sql: SQL, hash: string, now: number): Promise<ConsumeCodeResult> {
  const [used] = await Q.consumeCode(sql, hash, now);
  if (used) return { kind: 'ok', code: toCode(used) };
  const [row] = await Q.getCode(sql, hash);
  if (!row) return { kind: 'unknown' };
  if (row.used_at !== null) return { kind: 'used', grantId: row.grant_id };
  return { kind: 'expired' };
}

async function insertGrant(tx: SQL, input: IssueGrantInput): Promise<void> {
  await Q.insertGrant(tx, input.grant);
  await Q.insertAccessToken(tx, input.grant.id, input.access);
  await Q.insertRefreshToken(tx, input.grant.id, null, input.refresh);
  if (input.codeHash !== undefined) await Q.setCodeGrant(tx, input.codeHash, input.grant.id);
}

/**
 * One batch of the sweep, in the transaction `tx`. The expired tokens are picked first and their grants locked before
 * any token is deleted (see Q.lockSweptGrants); the grants they leave empty go last. Nothing is announced to the
 * token caches: only expired tokens go, which a cache never answers for, and grants only once they have none.
 */
async function sweepBatch(tx: SQL, now: number, { batch, auditBefore }: SweepOptions): Promise<SweepResult> {
  const access = await Q.expiredAccessTokens(tx, now, batch);
  const refresh = await Q.expiredRefreshTokens(tx, now, batch);
  const touched = [...new Set([...access, ...refresh].map((token) => token.grant_id))];
  const emptied = touched.length > 0 ? (await Q.lockSweptGrants(tx, touched, now)).map((grant) => grant.id) : [];
  const deleted = (rows: readonly { hash: string }[], sweep: typeof Q.sweepAccessTokens) =>
    rows.length > 0 ? sweep(tx, rows.map((token) => token.hash), now).then((result) => result.affectedRows) : 0;
  const accessTokens = await deleted(access, Q.sweepAccessTokens);
  const refreshTokens = await deleted(refresh, Q.sweepRefreshTokens);
  return {
    codes: (await Q.sweepCodes(tx, now - CODE_RETENTION_MS, batch)).affectedRows,
    accessTokens,
    refreshTokens,
    grants: emptied.length > 0 ? (await Q.sweepGrants(tx, emptied)).affectedRows : 0,
    throttles: (await Q.sweepThrottles(tx, now, batch)).affectedRows,
    browserSessions: (await Q.sweepBrowserSessions(tx, now, batch)).affectedRows,
    // after the grants (see Q.sweepAnswers)
    answers: (await Q.sweepAnswers(tx, now, batch)).affectedRows,
    auditEntries: auditBefore === undefined ? 0 : (await Q.sweepAudit(tx, auditBefore, batch)).affectedRows,
  };
}

/**
 * Gives a pass's connection back to the pool, unlocked; closes it instead when it cannot be unlocked (dead, or
 * failing), so no pooled connection ever keeps the lock: the server drops it with the session.
 */
async function endPass(connection: ReservedSQL, locked: boolean): Promise<void> {
  try {
    if (locked) await Q.sweepUnlock(connection, SWEEP_LOCK);
    await connection.release();
  } catch {
    await connection.close().catch(() => {});
  }
}

/** Whether a delete removed a row; if it did, announces `revocation`. */
async function revoked(deletion: Promise<{ affectedRows: number }>, announce: (revocation: Revocation) => Promise<void>, revocation: Revocation): Promise<boolean> {
  const done = (await deletion).affectedRows > 0;
  if (done) await announce(revocation);
  return done;
}

class PostgresStore implements Store {
  readonly description: string;
  readonly multiInstance = true;
  readonly #sql: SQL;
  readonly #target: PostgresTarget;
  #closed = false;
  readonly #watchers = new Set<(revocation: Revocation) => void>();
  #subscription?: Promise<{ unlisten(): Promise<void> }>;
  /** Announcements of ours not yet echoed by the database, by nonce. */
  readonly #echoes = new Map<string, () => void>();

  constructor(sql: SQL, target: PostgresTarget) {
    this.#sql = sql;
    this.#target = target;
    this.description = `PostgreSQL database ${target.redacted}`;
  }

  /** Runs `fn` with the store's error translation. */
  async #run<T>(fn: (sql: SQL) => Promise<T>, what?: string): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError(`${this.description} is closed`);
    try {
      return await fn(this.#sql);
    } catch (error) {
      throw translatePostgresError(error, this.#target, what);
    }
  }

  /**
   * Runs a call that may safely run twice (a read, an upsert), once more if its connection turned out dead. Other
   * writes are not repeated: one whose connection died may have been applied, and running it again could answer
   * wrongly (a code consumed twice looks like a replay). The pause lets Bun read the goodbyes of the pool's other dead
   * connections, so the second try gets a live one.
   */
  async #idempotent<T>(fn: (sql: SQL) => Promise<T>): Promise<T> {
    try {
      return await this.#run(fn);
    } catch (error) {
      if (this.#closed || !(error instanceof StoreUnavailableError) || !isConnectionLost(error.cause)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 0));
      return this.#run(fn);
    }
  }

  /** Runs `fn` in one transaction on one connection; any error rolls it back. */
  #tx<T>(fn: (sql: SQL) => Promise<T>, what?: string): Promise<T> {
    return this.#run((sql) => sql.begin((tx) => fn(tx)) as Promise<T>, what);
  }

  async putClient(client: ClientRecord): Promise<void> {
    await this.#run((sql) => Q.insertClient(sql, client), 'a client with this id');
  }

  getClient(id: string): Promise<ClientRecord | null> {
    return this.#idempotent(async (sql) => {
      const [row] = await Q.getClient(sql, id);
      return row ? toClient(row) : null;
    });
  }

  getClients(ids: readonly string[]): Promise<ClientRecord[]> {
    return this.#idempotent(async (sql) => (await Q.getClients(sql, ids)).map(toClient));
  }

  deleteClient(id: string): Promise<boolean> {
    return this.#revoking(async (tx, announce) => {
      await Q.deleteGrantsOfClient(tx, id);
      await Q.deleteCodesOfClient(tx, id);
      const deleted = (await Q.deleteClient(tx, id)).affectedRows > 0;
      if (deleted) await announce({ kind: 'client', id });
      return deleted;
    });
  }

  async watchRevocations(listener: (revocation: Revocation) => void): Promise<() => Promise<void>> {
    this.#watchers.add(listener);
    this.#subscription ??= this.#run((sql) =>
      sql.listen(
        REVOCATIONS,
        (payload) => this.#heard(payload),
        // on every (re)subscription: what was announced while no one listened is lost, so forget everything
        () => this.#announceLocally({ kind: 'all' }),
      ),
    );
    try {
      await this.#subscription;
    } catch (error) {
      this.#watchers.delete(listener);
      this.#subscription = undefined;
      throw error;
    }
    return async () => {
      this.#watchers.delete(listener);
      if (this.#watchers.size > 0 || !this.#subscription) return;
      const subscription = this.#subscription;
      this.#subscription = undefined;
      await (await subscription).unlisten().catch(() => {});
    };
  }

  /**
   * Runs `fn` in a transaction in which it may announce revocations (sent to every instance on commit);
   * returns once the database has echoed them back (so every watcher has been sent them), or after ECHO_WAIT_MS.
   */
  async #revoking<T>(fn: (tx: SQL, announce: (revocation: Revocation) => Promise<void>) => Promise<T>, what?: string): Promise<T> {
    const announced: Revocation[] = [];
    const echoes: Promise<void>[] = [];
    const nonces: string[] = [];
    try {
      const result = await this.#tx(
        (tx) =>
          fn(tx, async (revocation) => {
            const nonce = crypto.randomUUID();
            nonces.push(nonce);
            if (this.#subscription) echoes.push(new Promise((resolve) => this.#echoes.set(nonce, resolve)));
            await tx.notify(REVOCATIONS, JSON.stringify({ ...revocation, nonce }));
            announced.push(revocation);
          }),
        what,
      );
      for (const revocation of announced) this.#announceLocally(revocation);
      if (echoes.length > 0) await Promise.race([Promise.all(echoes), new Promise((resolve) => setTimeout(resolve, ECHO_WAIT_MS).unref?.())]);
      return result;
    } finally {
      for (const nonce of nonces) this.#echoes.delete(nonce);
    }
  }

  #heard(payload: string): void {
    let message: Revocation & { nonce?: string };
    try {
      message = JSON.parse(payload);
    } catch {
      message = { kind: 'all' };
    }
    const { nonce, ...revocation } = message;
    this.#announceLocally(revocation as Revocation);
    if (nonce) this.#echoes.get(nonce)?.();
  }

  #announceLocally(revocation: Revocation): void {
    for (const watcher of this.#watchers) watcher(revocation);
  }

  async putCode(code: CodeRecord): Promise<void> {
    await this.#run((sql) => Q.insertCode(sql, code), 'an authorization code with this hash');
  }

  getCode(hash: string): Promise<CodeRecord | null> {
    return this.#idempotent(async (sql) => {
      const [row] = await Q.getCode(sql, hash);
      return row ? toCode(row) : null;
    });
  }

  redeemCode(input: RedeemCodeInput): Promise<ConsumeCodeResult> {
    return this.#tx(async (tx) => {
      // a concurrent redemption holds the code's row until it commits; this one then sees it used, with its grant
      const consumed = await consume(tx, input.codeHash, input.now);
      if (consumed.kind === 'ok') await insertGrant(tx, input);
      return consumed;
    }, 'a grant or token with this id or hash');
  }

  async issueGrant(input: IssueGrantInput): Promise<void> {
    await this.#tx((tx) => insertGrant(tx, input), 'a grant or token with this id or hash');
  }

  findAccessToken(hash: string, now: number): Promise<TokenWithGrant<AccessTokenRecord> | null> {
    return this.#idempotent(async (sql) => {
      const [row] = await Q.findAccessToken(sql, hash, now);
      return row ? { token: toAccessToken(row), grant: joinedGrant(row) } : null;
    });
  }

  getRefreshToken(hash: string): Promise<TokenWithGrant<RefreshTokenRecord> | null> {
    return this.#idempotent(async (sql) => {
      const [row] = await Q.getRefreshToken(sql, hash);
      return row ? { token: toRefreshToken(row), grant: joinedGrant(row) } : null;
    });
  }

  rotateRefreshToken({ hash, now, graceMs, next, successor }: RotateInput): Promise<RotateResult> {
    return this.#revoking(async (tx, announce): Promise<RotateResult> => {
      const [grant] = await Q.lockGrantOfRefreshToken(tx, hash);
      if (!grant) return { kind: 'unknown' };
      const [row] = await Q.getRefreshTokenForRotation(tx, hash);
      if (!row) return { kind: 'unknown' };
      const grantId = row.grant_id;
      const decision = decideRotation({ ...toRefreshToken(row), successor: row.successor, successorUsed: row.successor_used }, now, graceMs);
      switch (decision.kind) {
        case 'expired':
          return { kind: 'expired' };
        case 'revoke':
          await Q.deleteGrant(tx, grantId);
          await announce({ kind: 'grant', id: grantId });
          return { kind: 'reused', grantId };
        case 'rotate':
          await Q.markRefreshTokenUsed(tx, hash, now, successor);
          await Q.insertAccessToken(tx, grantId, next.access);
          await Q.insertRefreshToken(tx, grantId, hash, next.refresh);
          return { kind: 'rotated', grant: joinedGrant(row) };
        case 'grace':
          return { kind: 'grace', grant: joinedGrant(row), successor: decision.successor };
      }
    }, 'a token with this hash');
  }

  revokeGrant(id: string): Promise<boolean> {
    return this.#revoking((tx, announce) => revoked(Q.deleteGrant(tx, id), announce, { kind: 'grant', id }));
  }

  updateGrantData(id: string, data: string): Promise<boolean> {
    // instances that keep this grant's tokens in memory read them again, with the new data
    return this.#revoking((tx, announce) => revoked(Q.updateGrantData(tx, id, data), announce, { kind: 'grant', id }));
  }

  deleteAccessToken(hash: string): Promise<boolean> {
    return this.#revoking((tx, announce) => revoked(Q.deleteAccessToken(tx, hash), announce, { kind: 'token', hash }));
  }

  listGrantsForUser(userId: string): Promise<GrantRecord[]> {
    return this.#idempotent(async (sql) => (await Q.listGrantsForUser(sql, userId)).map(toGrant));
  }

  revokeGrantOfUser(userId: string, grantId: string): Promise<boolean> {
    return this.#revoking((tx, announce) => revoked(Q.deleteGrantOfUser(tx, userId, grantId), announce, { kind: 'grant', id: grantId }));
  }

  async recordGrantUses(uses: readonly GrantUse[]): Promise<void> {
    if (uses.length === 0) return;
    const latest = latestUses(uses);
    // safe to run twice (a use only ever moves forward), so a dead connection is retried. Not announced: a token
    // cache's copy of the grant may keep its older lastUsedAt, which nothing on the request path reads
    await this.#idempotent((sql) =>
      sql.begin(async (tx) => {
        await Q.lockGrantsForUse(tx, latest);
        await Q.recordGrantUses(tx, latest);
      }),
    );
  }

  listUserNames(userIds: readonly string[]): Promise<UserName[]> {
    return this.#idempotent(async (sql) => (await Q.listUserNames(sql, userIds)).map((row) => ({ userId: row.user_id, name: row.user_name })));
  }

  async putConsent(consent: ConsentRecord): Promise<void> {
    await this.#idempotent((sql) => Q.putConsent(sql, consent));
  }

  getConsent(userId: string, clientId: string): Promise<ConsentRecord | null> {
    return this.#idempotent(async (sql) => {
      const [row] = await Q.getConsent(sql, userId, clientId);
      return row ? toConsent(row) : null;
    });
  }

  async putBrowserSession(session: BrowserSessionRecord): Promise<void> {
    await this.#run((sql) => Q.insertBrowserSession(sql, session), 'a browser session with this hash');
  }

  getBrowserSession(hash: string, now: number): Promise<BrowserSessionRecord | null> {
    return this.#idempotent(async (sql) => {
      const [row] = await Q.getBrowserSession(sql, hash, now);
      return row ? toBrowserSession(row) : null;
    });
  }

  // deletes are not retried (#idempotent): a repeat of one that was applied would answer false
  async deleteBrowserSession(hash: string): Promise<boolean> {
    return (await this.#run((sql) => Q.deleteBrowserSession(sql, hash))).affectedRows > 0;
  }

  async deleteBrowserSessionsOfUser(userId: string): Promise<number> {
    return (await this.#run((sql) => Q.deleteBrowserSessionsOfUser(sql, userId))).affectedRows;
  }

  // not retried (#idempotent): a repeat of an insert that was applied would answer StoreConflictError
  async putAnswer(answer: StoredAnswer): Promise<void> {
    await this.#run(async (sql) => {
      checkAnswer(answer);
      try {
        await Q.insertAnswer(sql, answer);
      } catch (error) {
        // its grant is gone (revoked while the tool ran): nothing is kept, as the revocation would have deleted it
        if (!isForeignKeyViolation(error)) throw error;
      }
    }, 'an answer with this id');
  }

  getAnswer(id: string, now: number): Promise<StoredAnswer | null> {
    return this.#idempotent(async (sql) => {
      const [row] = await Q.getAnswer(sql, id, now);
      return row ? toAnswer(row) : null;
    });
  }

  hit(key: string, now: number, windowMs: number): Promise<HitResult> {
    return this.#run(async (sql) => {
      const [row] = await Q.hit(sql, key, now, windowMs);
      if (!row) throw new Error('store: the throttle upsert returned no row');
      return { count: int(row.count), resetAt: int(row.reset_at) };
    });
  }

  peekHits(key: string, now: number): Promise<number> {
    return this.#run(async (sql) => {
      const [row] = await Q.peekHits(sql, key, now);
      return row ? int(row.count) : 0;
    });
  }

  releaseHit(key: string, now: number): Promise<void> {
    // not idempotent (a retry after a lost answer would take back two): run once
    return this.#run(async (sql) => {
      await Q.releaseHit(sql, key, now);
    });
  }

  async clearHits(key: string): Promise<void> {
    await this.#idempotent((sql) => Q.clearHits(sql, key));
  }

  async spendBuckets(spends: readonly BucketSpend[], now: number): Promise<BucketState[]> {
    const merged = mergeSpends(spends);
    if (merged.length === 0) return [];
    // not idempotent (a retry after a lost answer would spend twice): run once
    const rows = await this.#run((sql) => Q.spendBuckets(sql, merged, now));
    return rows.map((row) => ({ key: row.key, count: int(row.count), resetAt: int(row.reset_at) }));
  }

  async putSnapshot(key: string, value: string, now: number): Promise<void> {
    await this.#idempotent((sql) => Q.putSnapshot(sql, key, value, now));
  }

  getSnapshot(key: string): Promise<Snapshot | null> {
    return this.#idempotent(async (sql) => {
      const [row] = await Q.getSnapshot(sql, key);
      return row ? { value: row.value, updatedAt: int(row.updated_at) } : null;
    });
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.#run((sql) => Q.appendAudit(sql, entry));
  }

  async appendAudits(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // one statement: a round trip per entry cannot keep up with a busy gateway
    await this.#run((sql) => Q.appendAudits(sql, entries));
  }

  queryAudit(query: AuditQuery): Promise<AuditRecord[]> {
    return this.#idempotent(async (sql) => (await Q.queryAudit(sql, query)).map(toAudit));
  }

  // not retried (#idempotent): a batch whose answer was lost may have been applied, and the next batch sees that
  sweep(now: number, options: SweepOptions): Promise<SweepResult> {
    return this.#sweepOn(this.#sql, now, options);
  }

  /** One batch in its own transaction on `sql`: the pool, or the connection a pass holds its lock on. */
  #sweepOn(sql: SQL, now: number, options: SweepOptions): Promise<SweepResult> {
    return this.#run(async () => {
      checkSweepOptions(options);
      return (await sql.begin((tx) => sweepBatch(tx, now, options))) as SweepResult;
    });
  }

  sweepExclusively<T>(pass: (sweep: Sweep) => Promise<T>): Promise<T | null> {
    return this.#run(async (sql) => {
      // the lock belongs to a session: one connection, kept from the pool until the pass is over
      const connection = await sql.reserve();
      let locked = false;
      try {
        const [row] = await Q.trySweepLock(connection, SWEEP_LOCK);
        locked = row?.won === true;
        if (!locked) return null;
        return await pass((now, options) => this.#sweepOn(connection, now, options));
      } finally {
        await endPass(connection, locked);
      }
    });
  }

  async ping(): Promise<void> {
    await this.#idempotent((sql) => Q.ping(sql));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watchers.clear();
    const subscription = this.#subscription;
    this.#subscription = undefined;
    if (subscription) await (await subscription.catch(() => undefined))?.unlisten().catch(() => {});
    await this.#sql.close({ timeout: 5 });
  }
}
