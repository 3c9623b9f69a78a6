/**
 * @module store/sqlite
 * The store on one SQLite file (bun:sqlite): the default, for a single instance. Calls run synchronously on one
 * connection, so each is atomic within the process; transactions use BEGIN IMMEDIATE so that another process on the
 * same file (a second instance, `portico audit`) waits for the write lock instead of failing half-way.
 */
import { Database } from 'bun:sqlite';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
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
  NewAccessToken,
  NewRefreshToken,
  RefreshTokenRecord,
  Revocation,
  RotateInput,
  RotateResult,
  Snapshot,
  Store,
  Sweep,
  SweepOptions,
  StoredAnswer,
  SweepResult,
  TokenWithGrant,
  UserName,
} from '../contract';
import { checkAnswer, checkSweepOptions, CODE_RETENTION_MS, mergeSpends } from '../contract';
import { StoreUnavailableError } from '../errors';
import { decideRotation } from '../rotation';
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
import {
  int,
  joinedGrant,
  latestUses,
  ownerToColumn,
  scopesToText,
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
import { isForeignKeyViolation, translateSqliteError } from './errors';
import { migrate } from './migrations';
import { SQL } from './sql';

type Params = Record<string, string | number | null | Uint8Array>;
type RotationRow = RefreshTokenRow & GrantColumns & { successor: string | null; successor_used: number };

/**
 * The database holds token hashes, sealed upstream credentials and the audit log: nothing for the machine's other
 * users, like `secret.key` beside it. Owner-only folder and files.
 */
const PRIVATE_FOLDER = 0o700;
const PRIVATE_FILE = 0o600;
/** The owner's permission bits: what tightening keeps. */
const OWNER_BITS = 0o700;

function errorCode(error: unknown): string {
  return error instanceof Error && 'code' in error ? String(error.code) : 'error';
}

/**
 * Makes the file (and the folder Portico creates for it) owner-only before SQLite opens it: SQLite gives the -wal
 * and -shm files it creates later the database file's mode. A file left readable by others (an older Portico, a
 * copy) is tightened, with its -wal and -shm; one another user owns is left as it is — the operator chose that.
 */
function preparePrivateFile(path: string, where: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_FOLDER });
  } catch (error) {
    throw new StoreUnavailableError(`${where}: cannot create its folder ${dirname(path)} (${errorCode(error)})`, { cause: error });
  }
  try {
    // `wx`: only when it does not exist yet, so nothing is ever truncated; an empty file is an empty database
    writeFileSync(path, '', { flag: 'wx', mode: PRIVATE_FILE });
  } catch {
    // it exists (tightened below), or cannot be created: then SQLite's own error says why, as it always has
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      const mode = statSync(file).mode & 0o777;
      if ((mode & ~OWNER_BITS) !== 0) chmodSync(file, mode & OWNER_BITS);
    } catch (error) {
      // absent (no WAL yet), owned by another user, or on a read-only mount: nothing to tighten, or not ours to
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'EPERM' && code !== 'EROFS') {
        throw new StoreUnavailableError(`${where}: cannot make ${file} private to its owner (${code})`, { cause: error });
      }
    }
  }
}

/** How long a call waits for another process's lock before failing with StoreUnavailableError. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Puts the file in WAL mode. Of processes converting a fresh file at the same moment, SQLite answers SQLITE_BUSY at
 * once to those that would otherwise deadlock (a read lock held while waiting for the write lock), without its busy
 * timeout: they try again shortly, until the busy timeout would have passed.
 */
async function enableWal(db: Database, deadline: number): Promise<void> {
  for (;;) {
    try {
      db.run('PRAGMA journal_mode = WAL');
      return;
    } catch (error) {
      if (errorCode(error) !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      await Bun.sleep(5 + Math.random() * 20);
    }
  }
}

/** Opens (creating the file and its folder if needed) and migrates an SQLite store. `:memory:` for tests. */
export async function openSqliteStore(path: string): Promise<Store> {
  const where = path === ':memory:' ? 'SQLite in-memory database' : `SQLite database ${path}`;
  if (path !== ':memory:') preparePrivateFile(path, where);
  let db: Database | undefined;
  try {
    db = new Database(path, { create: true, readwrite: true, strict: true });
    // busy_timeout first: the pragmas below and the migration may have to wait for another process's lock.
    db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    await enableWal(db, Date.now() + BUSY_TIMEOUT_MS);
    // In WAL mode NORMAL syncs at checkpoints instead of at every commit. A commit is in the WAL (and so in the OS
    // page cache) before it returns, so it survives a crash of the process; only a power loss or OS crash can roll
    // back the last commits, never corrupt the file. Losing a token minted a moment before a power cut only means
    // signing in again, which is worth an fsync saved on every token.
    db.run('PRAGMA synchronous = NORMAL');
    db.run('PRAGMA foreign_keys = ON');
    migrate(db, where);
    return new SqliteStore(db, where);
  } catch (error) {
    db?.close();
    throw translateSqliteError(error, where);
  }
}

/**
 * How often a watched store asks SQLite whether another connection committed (`PRAGMA data_version`): the bound on
 * how long a token cache may trust a token another process on the same file revoked.
 */
export const FOREIGN_COMMIT_POLL_MS = 50;

class SqliteStore implements Store {
  readonly description: string;
  readonly multiInstance = false;
  readonly #db: Database;
  #closed = false;
  /** `watchRevocations` listeners; see there. */
  readonly #watchers = new Set<(revocation: Revocation) => void>();
  #foreignCommits: { timer: ReturnType<typeof setInterval>; version: number } | undefined;
  readonly #issueGrant: (input: IssueGrantInput) => void;
  readonly #rotate: (input: RotateInput) => RotateResult;
  readonly #deleteClient: (id: string) => boolean;
  readonly #redeem: (input: RedeemCodeInput) => ConsumeCodeResult;
  readonly #sweep: (now: number, options: SweepOptions) => SweepResult;
  /** Whether a `sweepExclusively` pass is running: this process is the file's one instance, so that is all to know. */
  #sweeping = false;
  readonly #appendAudits: (entries: readonly AuditEntry[]) => void;
  readonly #recordGrantUses: (uses: readonly GrantUse[]) => void;
  readonly #spendBuckets: (spends: readonly BucketSpend[], now: number) => BucketState[];

  constructor(db: Database, description: string) {
    this.#db = db;
    this.description = description;
    const tx = <A extends unknown[], T>(fn: (...args: A) => T) => {
      const wrapped = db.transaction(fn);
      return (...args: A): T => wrapped.immediate(...args);
    };
    this.#appendAudits = tx((entries: readonly AuditEntry[]) => {
      for (const entry of entries) this.#insertAudit(entry);
    });
    this.#recordGrantUses = tx((uses: readonly GrantUse[]) => {
      for (const { grantId, at } of latestUses(uses)) this.#stmt(SQL.recordGrantUse).run({ id: grantId, at });
    });
    this.#spendBuckets = tx((spends: readonly BucketSpend[], now: number) =>
      spends.map(({ key, count, refillMs }) => {
        const row = this.#stmt<{ count: DbInt; reset_at: DbInt }>(SQL.spendBucket).get({ key, count, now, refill_ms: refillMs });
        if (!row) throw new Error('store: the bucket upsert returned no row');
        return { key, count: int(row.count), resetAt: int(row.reset_at) };
      }),
    );
    this.#issueGrant = tx((input: IssueGrantInput) => {
      const { grant } = input;
      this.#stmt(SQL.insertGrant).run({
        id: grant.id,
        user_id: grant.userId,
        client_id: grant.clientId,
        scopes: scopesToText(grant.scopes),
        resource: grant.resource,
        data: grant.data,
        created_at: grant.createdAt,
        user_name: grant.userName,
      });
      this.#insertTokens(grant.id, null, input.access, input.refresh);
      if (input.codeHash !== undefined) this.#stmt(SQL.setCodeGrant).run({ hash: input.codeHash, grant_id: grant.id });
    });
    this.#redeem = tx((input: RedeemCodeInput): ConsumeCodeResult => {
      const consumed = this.#consume(input.codeHash, input.now);
      if (consumed.kind === 'ok') this.#issueGrant(input);
      return consumed;
    });
    this.#rotate = tx(({ hash, now, graceMs, next, successor }: RotateInput): RotateResult => {
      const row = this.#stmt<RotationRow>(SQL.getRefreshTokenForRotation).get({ hash });
      if (!row) return { kind: 'unknown' };
      const grantId = row.grant_id;
      const decision = decideRotation({ ...toRefreshToken(row), successor: row.successor, successorUsed: row.successor_used === 1 }, now, graceMs);
      switch (decision.kind) {
        case 'expired':
          return { kind: 'expired' };
        case 'revoke':
          this.#stmt(SQL.deleteGrant).run({ id: grantId });
          return { kind: 'reused', grantId };
        case 'rotate':
          this.#stmt(SQL.markRefreshTokenUsed).run({ hash, now, successor });
          this.#insertTokens(grantId, hash, next.access, next.refresh);
          return { kind: 'rotated', grant: joinedGrant(row) };
        case 'grace':
          return { kind: 'grace', grant: joinedGrant(row), successor: decision.successor };
      }
    });
    this.#deleteClient = tx((id: string) => {
      this.#stmt(SQL.deleteGrantsOfClient).run({ id });
      this.#stmt(SQL.deleteCodesOfClient).run({ id });
      return this.#stmt(SQL.deleteClient).run({ id }).changes > 0;
    });
    this.#sweep = tx((now: number, { batch, auditBefore }: SweepOptions): SweepResult => {
      const count = (sql: string, params: Params) => this.#stmt(sql).run(params).changes;
      // each deleted token names its grant: the grants that may have been left empty, found without a scan
      const grantsOf = (sql: string) => this.#stmt<{ grant_id: string }>(sql).all({ now, batch }).map((row) => row.grant_id);
      const accessGrants = grantsOf(SQL.sweepAccessTokens);
      const refreshGrants = grantsOf(SQL.sweepRefreshTokens);
      const touched = [...new Set([...accessGrants, ...refreshGrants])];
      return {
        codes: count(SQL.sweepCodes, { before: now - CODE_RETENTION_MS, batch }),
        accessTokens: accessGrants.length,
        refreshTokens: refreshGrants.length,
        grants: touched.length > 0 ? count(SQL.sweepGrants, { ids: JSON.stringify(touched) }) : 0,
        throttles: count(SQL.sweepThrottles, { now, batch }),
        browserSessions: count(SQL.sweepBrowserSessions, { now, batch }),
        answers: count(SQL.sweepAnswers, { now, batch }),
        auditEntries: auditBefore === undefined ? 0 : count(SQL.sweepAudit, { before: auditBefore, batch }),
      };
    });
  }

  /** A prepared statement; bun:sqlite's `query` compiles each SQL text once and caches it on the connection. */
  #stmt<Row = unknown>(sql: string) {
    return this.#db.query<Row, Params>(sql);
  }

  /** Runs `fn` with the store's error translation; async so that both backends fail the same way (a rejection). */
  async #run<T>(fn: () => T, what?: string): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError(`${this.description} is closed`);
    try {
      return fn();
    } catch (error) {
      throw translateSqliteError(error, this.description, what);
    }
  }

  #insertTokens(grantId: string, parentHash: string | null, access: NewAccessToken, refresh: NewRefreshToken): void {
    this.#stmt(SQL.insertAccessToken).run({
      hash: access.hash,
      grant_id: grantId,
      scopes: scopesToText(access.scopes),
      expires_at: access.expiresAt,
      created_at: access.createdAt,
    });
    this.#stmt(SQL.insertRefreshToken).run({
      hash: refresh.hash,
      grant_id: grantId,
      scopes: scopesToText(refresh.scopes),
      expires_at: refresh.expiresAt,
      created_at: refresh.createdAt,
      parent_hash: parentHash,
    });
  }

  /**
   * This process's revocations are told as they commit. A file may have other writers (a second instance, the
   * sqlite3 shell), whose commits this connection cannot see as revocations: `PRAGMA data_version` moves with every
   * commit of another connection, so when it has moved (checked every FOREIGN_COMMIT_POLL_MS) the watchers are told
   * to forget everything. Any commit counts, a revocation or not: a second instance's audit writes empty the cache
   * several times a second, which costs it lookups, never correctness.
   */
  async watchRevocations(listener: (revocation: Revocation) => void): Promise<() => Promise<void>> {
    if (this.#closed) throw new StoreUnavailableError(`${this.description} is closed`);
    this.#watchers.add(listener);
    if (!this.#foreignCommits) {
      const timer = setInterval(() => this.#checkForeignCommits(), FOREIGN_COMMIT_POLL_MS);
      timer.unref?.();
      this.#foreignCommits = { timer, version: this.#dataVersion() };
    }
    return async () => {
      this.#watchers.delete(listener);
      if (this.#watchers.size === 0) this.#stopWatching();
    };
  }

  #dataVersion(): number {
    return int(this.#db.query<{ data_version: DbInt }, []>('PRAGMA data_version').get()!.data_version);
  }

  #checkForeignCommits(): void {
    const watch = this.#foreignCommits;
    if (!watch || this.#closed) return;
    let version: number;
    try {
      version = this.#dataVersion();
    } catch {
      // cannot tell (the file is locked, gone): assume the worst
      this.#announce({ kind: 'all' });
      return;
    }
    if (version === watch.version) return;
    watch.version = version;
    this.#announce({ kind: 'all' });
  }

  #stopWatching(): void {
    if (this.#foreignCommits) clearInterval(this.#foreignCommits.timer);
    this.#foreignCommits = undefined;
  }

  #announce(revocation: Revocation): void {
    for (const watcher of this.#watchers) watcher(revocation);
  }

  /** `done` (what a revoking write returned), telling the watchers `revocation` if it revoked something. */
  #revoked(done: boolean, revocation: Revocation): boolean {
    if (done) this.#announce(revocation);
    return done;
  }

  putClient(client: ClientRecord): Promise<void> {
    return this.#run(() => {
      this.#stmt(SQL.insertClient).run({
        id: client.id,
        secret_hash: client.secretHash,
        metadata: client.metadata,
        created_at: client.createdAt,
        expires_at: client.expiresAt,
      });
    }, 'a client with this id');
  }

  getClient(id: string): Promise<ClientRecord | null> {
    return this.#run(() => {
      const row = this.#stmt<ClientRow>(SQL.getClient).get({ id });
      return row ? toClient(row) : null;
    });
  }

  getClients(ids: readonly string[]): Promise<ClientRecord[]> {
    return this.#run(() => this.#stmt<ClientRow>(SQL.getClients).all({ ids: JSON.stringify(ids) }).map(toClient));
  }

  deleteClient(id: string): Promise<boolean> {
    return this.#run(() => this.#revoked(this.#deleteClient(id), { kind: 'client', id }));
  }

  putCode(code: CodeRecord): Promise<void> {
    return this.#run(() => {
      this.#stmt(SQL.insertCode).run({
        hash: code.hash,
        client_id: code.clientId,
        user_id: code.userId,
        redirect_uri: code.redirectUri,
        code_challenge: code.codeChallenge,
        scopes: scopesToText(code.scopes),
        resource: code.resource,
        data: code.data,
        expires_at: code.expiresAt,
        used_at: code.usedAt,
        grant_id: code.grantId,
      });
    }, 'an authorization code with this hash');
  }

  getCode(hash: string): Promise<CodeRecord | null> {
    return this.#run(() => {
      const row = this.#stmt<CodeRow>(SQL.getCode).get({ hash });
      return row ? toCode(row) : null;
    });
  }

  redeemCode(input: RedeemCodeInput): Promise<ConsumeCodeResult> {
    return this.#run(() => this.#redeem(input), 'a grant or token with this id or hash');
  }

  #consume(hash: string, now: number): ConsumeCodeResult {
    const used = this.#stmt<CodeRow>(SQL.consumeCode).get({ hash, now });
    if (used) return { kind: 'ok', code: toCode(used) };
    const row = this.#stmt<CodeRow>(SQL.getCode).get({ hash });
    if (!row) return { kind: 'unknown' };
    if (row.used_at !== null) return { kind: 'used', grantId: row.grant_id };
    return { kind: 'expired' };
  }

  issueGrant(input: IssueGrantInput): Promise<void> {
    return this.#run(() => this.#issueGrant(input), 'a grant or token with this id or hash');
  }

  /**
   * The token, then its grant, both read afresh every time: another process on the same file (a second instance,
   * the sqlite3 shell) may have renewed the grant's data or deleted the grant, even without cascading to its tokens,
   * and a copy kept here would go on answering for it. Two lookups by primary key, not a join: SQLite answers the
   * join in about twice their time (measured: 11.7 µs against 2.6 + 3.0 µs), and this is every MCP request.
   * Whatever another process commits between the two reads, the answer is one it could have given.
   */
  findAccessToken(hash: string, now: number): Promise<TokenWithGrant<AccessTokenRecord> | null> {
    return this.#run(() => {
      const row = this.#stmt<AccessTokenRow>(SQL.findAccessTokenOnly).get({ hash, now });
      if (!row) return null;
      const grant = this.#stmt<GrantRow>(SQL.getGrant).get({ id: row.grant_id });
      return grant ? { token: toAccessToken(row), grant: toGrant(grant) } : null;
    });
  }

  getRefreshToken(hash: string): Promise<TokenWithGrant<RefreshTokenRecord> | null> {
    return this.#run(() => {
      const row = this.#stmt<RefreshTokenRow & GrantColumns>(SQL.getRefreshToken).get({ hash });
      return row ? { token: toRefreshToken(row), grant: joinedGrant(row) } : null;
    });
  }

  rotateRefreshToken(input: RotateInput): Promise<RotateResult> {
    return this.#run(() => {
      const result = this.#rotate(input);
      if (result.kind === 'reused') this.#announce({ kind: 'grant', id: result.grantId });
      return result;
    }, 'a token with this hash');
  }

  revokeGrant(id: string): Promise<boolean> {
    return this.#run(() => this.#revoked(this.#stmt(SQL.deleteGrant).run({ id }).changes > 0, { kind: 'grant', id }));
  }

  updateGrantData(id: string, data: string): Promise<boolean> {
    return this.#run(() => this.#revoked(this.#stmt(SQL.updateGrantData).run({ id, data }).changes > 0, { kind: 'grant', id }));
  }

  deleteAccessToken(hash: string): Promise<boolean> {
    return this.#run(() => this.#revoked(this.#stmt(SQL.deleteAccessToken).run({ hash }).changes > 0, { kind: 'token', hash }));
  }

  listGrantsForUser(userId: string): Promise<GrantRecord[]> {
    return this.#run(() => this.#stmt<GrantRow>(SQL.listGrantsForUser).all({ user_id: userId }).map(toGrant));
  }

  revokeGrantOfUser(userId: string, grantId: string): Promise<boolean> {
    return this.#run(() => this.#revoked(this.#stmt(SQL.deleteGrantOfUser).run({ id: grantId, user_id: userId }).changes > 0, { kind: 'grant', id: grantId }));
  }

  recordGrantUses(uses: readonly GrantUse[]): Promise<void> {
    return this.#run(() => {
      if (uses.length > 0) this.#recordGrantUses(uses);
    });
  }

  listUserNames(userIds: readonly string[]): Promise<UserName[]> {
    return this.#run(() =>
      this.#stmt<{ user_id: string; user_name: string }>(SQL.listUserNames)
        .all({ ids: JSON.stringify(userIds) })
        .map((row) => ({ userId: row.user_id, name: row.user_name })),
    );
  }

  putConsent(consent: ConsentRecord): Promise<void> {
    return this.#run(() => {
      this.#stmt(SQL.putConsent).run({
        user_id: consent.userId,
        client_id: consent.clientId,
        scopes: scopesToText(consent.scopes),
        updated_at: consent.updatedAt,
      });
    });
  }

  getConsent(userId: string, clientId: string): Promise<ConsentRecord | null> {
    return this.#run(() => {
      const row = this.#stmt<ConsentRow>(SQL.getConsent).get({ user_id: userId, client_id: clientId });
      return row ? toConsent(row) : null;
    });
  }

  putBrowserSession(session: BrowserSessionRecord): Promise<void> {
    return this.#run(() => {
      this.#stmt(SQL.insertBrowserSession).run({
        hash: session.hash,
        user_id: session.userId,
        created_at: session.createdAt,
        expires_at: session.expiresAt,
      });
    }, 'a browser session with this hash');
  }

  getBrowserSession(hash: string, now: number): Promise<BrowserSessionRecord | null> {
    return this.#run(() => {
      const row = this.#stmt<BrowserSessionRow>(SQL.getBrowserSession).get({ hash, now });
      return row ? toBrowserSession(row) : null;
    });
  }

  deleteBrowserSession(hash: string): Promise<boolean> {
    return this.#run(() => this.#stmt(SQL.deleteBrowserSession).run({ hash }).changes > 0);
  }

  deleteBrowserSessionsOfUser(userId: string): Promise<number> {
    return this.#run(() => this.#stmt(SQL.deleteBrowserSessionsOfUser).run({ user_id: userId }).changes);
  }

  putAnswer(answer: StoredAnswer): Promise<void> {
    return this.#run(() => {
      checkAnswer(answer);
      try {
        this.#stmt(SQL.insertAnswer).run({
          id: answer.id,
          owner: ownerToColumn(answer.owner),
          media_type: answer.mediaType,
          body: answer.body,
          tool: answer.tool,
          created_at: answer.createdAt,
          expires_at: answer.expiresAt,
        });
      } catch (error) {
        // its grant is gone (revoked while the tool ran): nothing is kept, as the revocation would have deleted it
        if (!isForeignKeyViolation(error)) throw error;
      }
    }, 'an answer with this id');
  }

  getAnswer(id: string, now: number): Promise<StoredAnswer | null> {
    return this.#run(() => {
      const row = this.#stmt<AnswerRow>(SQL.getAnswer).get({ id, now });
      return row ? toAnswer(row) : null;
    });
  }

  hit(key: string, now: number, windowMs: number): Promise<HitResult> {
    return this.#run(() => {
      const row = this.#stmt<{ count: DbInt; reset_at: DbInt }>(SQL.hit).get({ key, now, window_ms: windowMs });
      if (!row) throw new Error('store: the throttle upsert returned no row');
      return { count: int(row.count), resetAt: int(row.reset_at) };
    });
  }

  peekHits(key: string, now: number): Promise<number> {
    return this.#run(() => {
      const row = this.#stmt<{ count: DbInt }>(SQL.peekHits).get({ key, now });
      return row ? int(row.count) : 0;
    });
  }

  releaseHit(key: string, now: number): Promise<void> {
    return this.#run(() => {
      this.#stmt(SQL.releaseHit).run({ key, now });
    });
  }

  clearHits(key: string): Promise<void> {
    return this.#run(() => {
      this.#stmt(SQL.clearHits).run({ key });
    });
  }

  async spendBuckets(spends: readonly BucketSpend[], now: number): Promise<BucketState[]> {
    const merged = mergeSpends(spends);
    if (merged.length === 0) return [];
    return this.#run(() => this.#spendBuckets(merged, now));
  }

  putSnapshot(key: string, value: string, now: number): Promise<void> {
    return this.#run(() => {
      this.#stmt(SQL.putSnapshot).run({ key, value, updated_at: now });
    });
  }

  getSnapshot(key: string): Promise<Snapshot | null> {
    return this.#run(() => {
      const row = this.#stmt<{ value: string; updated_at: DbInt }>(SQL.getSnapshot).get({ key });
      return row ? { value: row.value, updatedAt: int(row.updated_at) } : null;
    });
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return this.#run(() => this.#insertAudit(entry));
  }

  appendAudits(entries: readonly AuditEntry[]): Promise<void> {
    return this.#run(() => {
      if (entries.length > 0) this.#appendAudits(entries);
    });
  }

  #insertAudit(entry: AuditEntry): void {
    this.#stmt(SQL.appendAudit).run({
      at: entry.at,
      user_id: entry.userId,
      client_id: entry.clientId,
      tool: entry.tool,
      outcome: entry.outcome,
      upstream_status: entry.upstreamStatus,
      latency_ms: entry.latencyMs,
      detail: entry.detail,
    });
  }

  queryAudit(query: AuditQuery): Promise<AuditRecord[]> {
    return this.#run(() =>
      this.#stmt<AuditRow>(SQL.queryAudit)
        .all({ user_id: query.userId ?? null, tool: query.tool ?? null, since: query.since ?? null, limit: query.limit })
        .map(toAudit),
    );
  }

  sweep(now: number, options: SweepOptions): Promise<SweepResult> {
    return this.#run(() => {
      checkSweepOptions(options);
      return this.#sweep(now, options);
    });
  }

  async sweepExclusively<T>(pass: (sweep: Sweep) => Promise<T>): Promise<T | null> {
    if (this.#closed) throw new StoreUnavailableError(`${this.description} is closed`);
    if (this.#sweeping) return null;
    this.#sweeping = true;
    try {
      return await pass((now, options) => this.sweep(now, options));
    } finally {
      this.#sweeping = false;
    }
  }

  ping(): Promise<void> {
    return this.#run(() => {
      this.#stmt(SQL.ping).get({});
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatching();
    this.#db.close();
  }
}
