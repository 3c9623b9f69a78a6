/**
 * @module store/contract
 * What Portico keeps durably, whatever the database. Secrets never arrive here in clear: callers pass SHA-256
 * hashes of tokens, codes and client secrets, and grant data already encrypted, so a dump of the database yields no
 * usable credential. Times are epoch milliseconds; a record is valid while `now < expiresAt`.
 *
 * Every backend passes the one suite in `store/testing/conformance.ts`; behaviour belongs to this contract, not to
 * a backend.
 */

/** A registered OAuth client (dynamic registration or configured). */
export interface ClientRecord {
  id: string;
  /** SHA-256 of the client secret; null for a public client. */
  secretHash: string | null;
  /** The registration as JSON text, as the caller will answer it again. */
  metadata: string;
  createdAt: number;
  /** When an unused dynamically registered client lapses; null for never. */
  expiresAt: number | null;
}

/** An authorization code, kept after use (until a day past expiry) so that a replay can be recognised. */
export interface CodeRecord {
  /** SHA-256 of the code. */
  hash: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  /** The PKCE S256 challenge (never the verifier). */
  codeChallenge: string;
  scopes: string[];
  /** The RFC 8707 resource the tokens will be bound to. */
  resource: string;
  /** Encrypted by the caller (the upstream credential, among others). */
  data: string;
  expiresAt: number;
  usedAt: number | null;
  /** The grant issued for this code, so a replay can revoke it. */
  grantId: string | null;
}

/** What one user allowed one client: the root of every token issued from one authorization. */
export interface GrantRecord {
  id: string;
  userId: string;
  clientId: string;
  scopes: string[];
  resource: string;
  /** Encrypted by the caller (the upstream credential, among others). */
  data: string;
  createdAt: number;
  /**
   * What the user is called (e.g. an email address), as the identity source said at sign-in. In clear, unlike
   * `data`: `portico audit` shows it without the server secret, and it is no credential. Null when not known
   * (grants issued before it was kept).
   */
  userName: string | null;
  /** When one of its access tokens was last accepted, as `recordGrantUses` stored it; null for never. */
  lastUsedAt: number | null;
}

/** A new grant: its use is set by the store (`recordGrantUses`). */
export type NewGrant = Omit<GrantRecord, 'lastUsedAt'>;

/** One grant's access token accepted at `at`. */
export interface GrantUse {
  grantId: string;
  at: number;
}

/** A user id with the name it was last known by. */
export interface UserName {
  userId: string;
  name: string;
}

export interface AccessTokenRecord {
  /** SHA-256 of the token. */
  hash: string;
  grantId: string;
  scopes: string[];
  expiresAt: number;
  createdAt: number;
}

export interface RefreshTokenRecord {
  /** SHA-256 of the token. */
  hash: string;
  grantId: string;
  scopes: string[];
  expiresAt: number;
  createdAt: number;
  /** The token this one was rotated from; null for the grant's first. */
  parentHash: string | null;
  /** When it was presented and rotated; a later presentation is a retry or a replay. */
  usedAt: number | null;
}

/** A new access token: its grant is the one it is issued into. */
export type NewAccessToken = Omit<AccessTokenRecord, 'grantId'>;
/** A new refresh token: grant, parent and use are set by the store. */
export type NewRefreshToken = Omit<RefreshTokenRecord, 'grantId' | 'parentHash' | 'usedAt'>;

/** A token together with the grant it belongs to. */
export interface TokenWithGrant<T> {
  token: T;
  grant: GrantRecord;
}

/** The outcome of presenting an authorization code once. */
export type ConsumeCodeResult =
  /** First presentation: the code is now used and the grant issued. */
  | { kind: 'ok'; code: CodeRecord }
  /** A replay: `grantId` names the grant issued for the first presentation (null if not issued yet). */
  | { kind: 'used'; grantId: string | null }
  | { kind: 'expired' }
  | { kind: 'unknown' };

/** The outcome of presenting a refresh token once. */
export type RotateResult =
  /** First presentation: the token is now used and its successor stored. */
  | { kind: 'rotated'; grant: GrantRecord }
  /**
   * A retry of a just-rotated token whose successor was never used: the same successor, stored sealed, is returned;
   * nothing new is stored. So retries never fork the grant into chains a thief could keep one of.
   */
  | { kind: 'grace'; grant: GrantRecord; successor: string }
  /** Any other reuse: a stolen token is in play, so the whole grant has been deleted. */
  | { kind: 'reused'; grantId: string }
  | { kind: 'expired' }
  | { kind: 'unknown' };

export interface IssueGrantInput {
  grant: NewGrant;
  access: NewAccessToken;
  refresh: NewRefreshToken;
  /** The code the grant was issued for: it records the grant id, so a replay can revoke it. */
  codeHash?: string;
}

export interface RedeemCodeInput extends IssueGrantInput {
  codeHash: string;
  now: number;
}

export interface RotateInput {
  /** SHA-256 of the presented refresh token. */
  hash: string;
  now: number;
  /** How long after a rotation the same token may be presented again (lost response, concurrent refresh). */
  graceMs: number;
  next: { access: NewAccessToken; refresh: NewRefreshToken };
  /**
   * `next` as the caller will answer it, in clear but sealed by the caller under a key only a holder of the presented
   * token (and the server secret) can derive. A rotation keeps it with the presented token; a retry within the grace
   * window gets it back (RotateResult 'grace'), so that it can be answered with the very same pair.
   */
  successor: string;
}

/** What a user allowed a client last, so the consent page can be skipped for the same scopes. */
export interface ConsentRecord {
  userId: string;
  clientId: string;
  scopes: string[];
  updatedAt: number;
}

/** A fixed-window counter. */
export interface HitResult {
  /** Hits in the current window, this one included. */
  count: number;
  /** When the current window ends. */
  resetAt: number;
}

/** Requests to take from one shared token bucket (`ThrottleStore.spendBuckets`). */
export interface BucketSpend {
  readonly key: string;
  /** The requests, a positive integer. */
  readonly count: number;
  /** How long the bucket takes to refill them: count × a minute ÷ the requests it allows a minute (integer ms). */
  readonly refillMs: number;
}

/** A shared token bucket after a spend. */
export interface BucketState {
  key: string;
  /** Requests spent since it was last full. */
  count: number;
  /** When it is full again (all it spent refilled): then its row has lapsed, as a fixed window that has passed. */
  resetAt: number;
}

export interface Snapshot {
  value: string;
  updatedAt: number;
}

/** One tool call (or its refusal), for `portico audit`. */
export interface AuditEntry {
  at: number;
  userId: string;
  clientId: string;
  tool: string;
  /** 'ok' | 'tool_error' | 'denied' | 'upstream_error', or another outcome a caller records. */
  outcome: string;
  upstreamStatus: number | null;
  latencyMs: number;
  /** JSON text, already redacted by the caller. */
  detail: string | null;
}

/** A stored audit entry: `id` orders entries written in the same millisecond. */
export interface AuditRecord extends AuditEntry {
  id: number;
}

export interface AuditQuery {
  userId?: string;
  tool?: string;
  /** Only entries with `at >= since`. */
  since?: number;
  limit: number;
}

/** What one `sweep` call may delete. */
export interface SweepOptions {
  /** The most rows of each kind one call deletes (grants aside: see SweepResult), a positive integer. */
  batch: number;
  /** Audit entries with `at < auditBefore` are deleted too; without it the audit log is kept whole. */
  auditBefore?: number;
}

/** How many rows one `sweep` call deleted, by kind. */
export interface SweepResult {
  codes: number;
  accessTokens: number;
  refreshTokens: number;
  /**
   * Grants the call's token deletions left with no token: never more than the tokens it deleted, so up to twice
   * `batch`. Only those: a grant is found through a token of its being swept (an index lookup, never a scan).
   */
  grants: number;
  throttles: number;
  browserSessions: number;
  /** Expired answers (`AnswerStore`); those of a deleted grant go with it and are not counted here. */
  answers: number;
  auditEntries: number;
}

/** One batch of a sweep: `Store.sweep`, or the one a `sweepExclusively` pass is handed. */
export type Sweep = (now: number, options: SweepOptions) => Promise<SweepResult>;

/** Registered OAuth clients. */
export interface ClientStore {
  /** Inserts a client; an id already taken throws StoreConflictError. */
  putClient(client: ClientRecord): Promise<void>;
  getClient(id: string): Promise<ClientRecord | null>;
  /**
   * The clients of `ids` that exist (expired or not), in no particular order; unknown ids are left out. One query
   * however many ids: `portico audit` names every client of up to 100 000 entries at once.
   */
  getClients(ids: readonly string[]): Promise<ClientRecord[]>;
  /** Deletes the client, its codes and its grants (with their tokens). True if it existed. */
  deleteClient(id: string): Promise<boolean>;
}

/** Authorization codes. */
export interface CodeStore {
  /** Inserts a code; a hash already present throws StoreConflictError. */
  putCode(code: CodeRecord): Promise<void>;
  /** Reads a code without consuming it, for the caller's client, redirect, PKCE and resource checks. */
  getCode(hash: string): Promise<CodeRecord | null>;
  /**
   * Redeems a code in one transaction: marks it used and issues `grant` with its first tokens, linked to the
   * code. 'ok' when this call did; otherwise (used, expired, unknown) nothing is written. Of any number of
   * concurrent calls exactly one gets 'ok', and the others see its grant; a crash leaves both or neither.
   */
  redeemCode(input: RedeemCodeInput): Promise<ConsumeCodeResult>;
}

/** Grants and the tokens issued into them. */
export interface GrantStore {
  /** In one transaction: the grant, its first access and refresh token, and the code's grant id. */
  issueGrant(input: IssueGrantInput): Promise<void>;
  /** The hot path of every MCP call: null for an unknown or expired token, or a revoked grant. */
  findAccessToken(hash: string, now: number): Promise<TokenWithGrant<AccessTokenRecord> | null>;
  /** Reads a refresh token (used, expired or not) without rotating it, for the caller's client and scope checks. */
  getRefreshToken(hash: string): Promise<TokenWithGrant<RefreshTokenRecord> | null>;
  /** Rotates a refresh token in one transaction with the presented token locked; see RotateResult and store/rotation. */
  rotateRefreshToken(input: RotateInput): Promise<RotateResult>;
  /** Deletes a grant and all its tokens (codes keep the id, so a replay is still recognised). True if it existed. */
  revokeGrant(id: string): Promise<boolean>;
  /** Replaces a grant's sealed data (the user's renewed upstream credential); its tokens then carry the new data. True if it exists. */
  updateGrantData(id: string, data: string): Promise<boolean>;
  /** Deletes one access token (RFC 7009 revocation of an access token). True if it existed. */
  deleteAccessToken(hash: string): Promise<boolean>;
  /** A user's grants, newest first. */
  listGrantsForUser(userId: string): Promise<GrantRecord[]>;
  /**
   * Stores when grants were used, all in one transaction: each grant's `lastUsedAt` becomes the later of what it
   * holds and `at` (instances writing out of order never move it back; a grant named twice gets the later time).
   * Grants that do not exist (revoked meanwhile) are skipped. A batch, not one write per call: see store/grant-uses.
   */
  recordGrantUses(uses: readonly GrantUse[]): Promise<void>;
  /**
   * The name each of `userIds` was last known by: the `userName` of their newest grant that has one. Users with
   * none (no grant left, or only grants from before names were kept) are left out. One query however many ids.
   */
  listUserNames(userIds: readonly string[]): Promise<UserName[]>;
  /** Revokes a grant only if `userId` owns it; true if it did. */
  revokeGrantOfUser(userId: string, grantId: string): Promise<boolean>;
}

/** A browser signed in on Portico's pages; the sign-in cookie carries its id, the store only its hash. */
export interface BrowserSessionRecord {
  /** SHA-256 of the session id. */
  hash: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
}

/** Browser sign-in sessions: signing out deletes one, so a copied cookie stops working at once on every instance. */
export interface BrowserSessionStore {
  /** Inserts a session; a hash already present throws StoreConflictError. */
  putBrowserSession(session: BrowserSessionRecord): Promise<void>;
  /** The session, or null when unknown, deleted or expired (`now >= expiresAt`). */
  getBrowserSession(hash: string, now: number): Promise<BrowserSessionRecord | null>;
  /** Deletes one session. True if it existed. */
  deleteBrowserSession(hash: string): Promise<boolean>;
  /** Deletes every session of a user (sign out everywhere). How many there were. */
  deleteBrowserSessionsOfUser(userId: string): Promise<number>;
}

/** What each user allowed each client. */
export interface ConsentStore {
  /** Inserts or replaces the consent of `userId` for `clientId`. */
  putConsent(consent: ConsentRecord): Promise<void>;
  getConsent(userId: string, clientId: string): Promise<ConsentRecord | null>;
}

/** Rate-limit counters shared by every instance. */
export interface ThrottleStore {
  /** Counts one hit in `key`'s fixed window, starting a new window of `windowMs` when the old one has passed. */
  hit(key: string, now: number, windowMs: number): Promise<HitResult>;
  /** The hits in `key`'s current window without counting one (0 when none, or the window has passed). */
  peekHits(key: string, now: number): Promise<number>;
  /**
   * Takes back one hit counted in `key`'s current window — a count reserved before the outcome was known that
   * turned out not to count (a sign-in that succeeded or was refused). Never below 0; nothing when the window
   * has passed. Atomic, like `hit`.
   */
  releaseHit(key: string, now: number): Promise<void>;
  clearHits(key: string): Promise<void>;
  /**
   * Takes requests from shared token buckets (the request limits every instance counts into), all of `spends` in
   * one statement, atomically per key: a bucket's `resetAt` moves to the later of itself and `now`, plus the spend's
   * `refillMs` (so it is full again once everything spent has refilled), and `count` adds up until then. A key named
   * twice is spent twice. The buckets' new states, one per key, in no particular order. The rows are throttle rows
   * (swept once lapsed): a key is either a bucket or a `hit` window, never both.
   */
  spendBuckets(spends: readonly BucketSpend[], now: number): Promise<BucketState[]>;
}

/** Last good copies (spec, catalog) so an instance can start while the upstream is down. Values may be MBs. */
export interface SnapshotStore {
  /** Inserts or replaces. */
  putSnapshot(key: string, value: string, now: number): Promise<void>;
  getSnapshot(key: string): Promise<Snapshot | null>;
}

/** The audit log of tool calls. */
export interface AuditStore {
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Appends several entries in one transaction (all or none): what a busy gateway writes. */
  appendAudits(entries: readonly AuditEntry[]): Promise<void>;
  /** Matching entries, newest first. */
  queryAudit(query: AuditQuery): Promise<AuditRecord[]>;
}

/** A tool's whole answer, kept for a short time for the grant that called (an MCP resource it reads in pages). */
export interface StoredAnswer {
  /** Random and unguessable (the caller makes it: 128 bits or more, base64url). */
  readonly id: string;
  /** Who may read it: the grant id of the call ('' without sign-in, where anyone who reaches the gateway may). The reader checks it. */
  readonly owner: string;
  /** The media type of `body` as the API sent it (`application/json`, `text/plain; charset=utf-8`, `application/zip`…). */
  readonly mediaType: string;
  readonly body: Uint8Array;
  /** The tool that answered (for logs and the resource's name). */
  readonly tool: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * Answers kept for reading later (`calls/answer`). Bodies may be tens of MB (the proxy's response cap) and come back
 * byte for byte. An answer is readable while `now < expiresAt`; then `sweep` deletes it. It never outlives its owner
 * grant: whatever deletes a grant (revocation, a refresh token's reuse, its client's deletion, the sweep of a grant
 * left without tokens) deletes its answers in the same transaction.
 */
export interface AnswerStore {
  /**
   * Keeps `answer`; an id already taken throws StoreConflictError. An owner that is no grant (one revoked while the
   * tool ran) keeps nothing, as if the grant had been revoked a moment later: no answer outlives its grant. A record
   * that is not an answer (see `checkAnswer`) is a TypeError or RangeError, and nothing is written.
   */
  putAnswer(answer: StoredAnswer): Promise<void>;
  /** The answer `id` unless it has expired at `now` (then null, as for an unknown id); the owner check is the caller's. */
  getAnswer(id: string, now: number): Promise<StoredAnswer | null>;
}

/** What answers about access tokens kept in memory (`store/token-cache`) must drop: what a revocation took away, or a grant whose data changed. */
export type Revocation =
  | { readonly kind: 'grant'; readonly id: string }
  | { readonly kind: 'token'; readonly hash: string }
  | { readonly kind: 'client'; readonly id: string }
  /** Revocations may have been missed (the watch connected again): forget everything. */
  | { readonly kind: 'all' };

/**
 * The whole store. Every read sees every instance's committed writes: nothing is cached (the access-token
 * cache of `store/token-cache` wraps a store and says what it changes).
 */
export interface Store
  extends ClientStore, CodeStore, GrantStore, ConsentStore, ThrottleStore, SnapshotStore, AuditStore, BrowserSessionStore, AnswerStore {
  /** Which database this is, for logs: the backend and where, never a password. */
  readonly description: string;
  /**
   * Whether several gateway instances may run on this database (PostgreSQL), so that what limits count must be
   * counted in it; false for SQLite, one instance's file.
   */
  readonly multiInstance: boolean;
  /**
   * Calls `listener` with every revocation made through any store on this database, by this instance or
   * another, until the returned function is called; resolves once watching works.
   * - PostgreSQL (LISTEN/NOTIFY): a revocation returns once the database has sent it to every watcher.
   * - SQLite: this process's revocations are told before they return; another process's commits on the same
   *   file (any commit: SQLite cannot tell which) are told as `all` within FOREIGN_COMMIT_POLL_MS (50 ms).
   */
  watchRevocations?(listener: (revocation: Revocation) => void): Promise<() => Promise<void>>;
  /**
   * Deletes one batch of what has had its time, in one short transaction: of each kind at most `options.batch`
   * rows — codes CODE_RETENTION_MS past expiry (used or not), expired access and refresh tokens, throttle windows
   * that have passed, expired browser sessions and answers, and with `auditBefore` audit entries older than it — and
   * the grants that the tokens it deleted belonged to, once none of their tokens is left (and with each its answers,
   * which never outlive their grant). Nothing else live is touched, and every query follows an index, so a batch
   * costs the same however large the tables are. To delete everything that is due, call again (requests get the
   * database in between) until `sweepFinished` says a call left nothing behind.
   * A `batch` that is not a positive integer is a RangeError.
   */
  sweep(now: number, options: SweepOptions): Promise<SweepResult>;
  /**
   * Runs `pass` unless a pass is running on this database already (this instance's or another's), and resolves
   * to what it returned; null, without calling it, when one is. `pass` deletes through the `sweep` it is handed,
   * batch by batch, as long as it likes. The scheduler need not know the backend:
   *
   * - PostgreSQL: a session advisory lock, taken with pg_try_advisory_lock on one of the pool's connections and
   *   released when `pass` settles (or by the server, should the connection die). Every batch of the pass runs on
   *   that connection, so a pass never takes more than one connection from requests, and a pool of one does not
   *   deadlock.
   * - SQLite: one pass at a time in this process; the file is this instance's (several instances share PostgreSQL).
   */
  sweepExclusively<T>(pass: (sweep: Sweep) => Promise<T>): Promise<T | null>;
  /** Throws StoreUnavailableError if the database cannot be reached (for /readyz). */
  ping(): Promise<void>;
  /** Closes the connections; later calls throw StoreUnavailableError. */
  close(): Promise<void>;
}

/** How long a used or expired code is kept, so that a late replay is still recognised as one. */
export const CODE_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Whether a `sweep` call with this `batch` left nothing due behind: it deleted fewer than `batch` rows of every
 * kind. Grants do not count: they go with the tokens that named them, so none is left once the tokens are done.
 */
export function sweepFinished(result: SweepResult, batch: number): boolean {
  const { grants: _grants, ...limited } = result;
  return Object.values(limited).every((rows) => rows < batch);
}

/** The options of `sweep`, checked: a batch that is not a positive integer would delete nothing, or everything at once. */
export function checkSweepOptions(options: SweepOptions): void {
  if (!Number.isSafeInteger(options.batch) || options.batch < 1) {
    throw new RangeError(`store: a sweep batch must be a positive integer, got ${String(options.batch)}`);
  }
  if (options.auditBefore !== undefined && !Number.isFinite(options.auditBefore)) {
    throw new RangeError(`store: auditBefore must be a time (epoch milliseconds), got ${String(options.auditBefore)}`);
  }
}

/**
 * The spends of `spendBuckets`, checked and merged: one per key (a key named twice adds up; one statement may not
 * update a row twice), in key order.
 */
export function mergeSpends(spends: readonly BucketSpend[]): BucketSpend[] {
  const merged = new Map<string, BucketSpend>();
  for (const spend of spends) {
    if (!Number.isSafeInteger(spend.count) || spend.count < 1 || !Number.isSafeInteger(spend.refillMs) || spend.refillMs < 0) {
      throw new RangeError(`store: a bucket spend needs a positive integer count and integer refillMs ≥ 0, got ${spend.count} and ${spend.refillMs}`);
    }
    const before = merged.get(spend.key);
    merged.set(spend.key, before ? { key: spend.key, count: before.count + spend.count, refillMs: before.refillMs + spend.refillMs } : spend);
  }
  return [...merged.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The shortest id `putAnswer` takes: 128 bits in base64url. */
export const MIN_ANSWER_ID_LENGTH = 22;
/** The longest (an index entry has a size limit; 1536 random bits are plenty). */
export const MAX_ANSWER_ID_LENGTH = 256;
const ANSWER_ID = /^[A-Za-z0-9_-]+$/;

/**
 * An answer for `putAnswer`, checked before anything is written: ids must look unguessable (MIN_ANSWER_ID_LENGTH to
 * MAX_ANSWER_ID_LENGTH base64url characters), the body must be bytes (a string would be stored as text, or not at
 * all), and the times integer epoch milliseconds, as the schema keeps them.
 */
export function checkAnswer(answer: StoredAnswer): void {
  const { id, owner, mediaType, body, tool, createdAt, expiresAt } = answer;
  if (typeof id !== 'string' || id.length < MIN_ANSWER_ID_LENGTH || id.length > MAX_ANSWER_ID_LENGTH || !ANSWER_ID.test(id)) {
    throw new RangeError(
      `store: an answer id must be ${MIN_ANSWER_ID_LENGTH} to ${MAX_ANSWER_ID_LENGTH} base64url characters (128 random bits or more)`,
    );
  }
  for (const [field, value] of [['owner', owner], ['mediaType', mediaType], ['tool', tool]] as const) {
    if (typeof value !== 'string') throw new TypeError(`store: an answer's ${field} must be a string, got ${typeof value}`);
  }
  if (!(body instanceof Uint8Array)) {
    const got = body === null ? 'null' : typeof body === 'object' ? (body as object).constructor?.name ?? 'object' : typeof body;
    throw new TypeError(`store: an answer's body must be a Uint8Array, got ${got}`);
  }
  for (const [field, value] of [['createdAt', createdAt], ['expiresAt', expiresAt]] as const) {
    if (!Number.isSafeInteger(value)) throw new RangeError(`store: an answer's ${field} must be a time (integer epoch milliseconds), got ${String(value)}`);
  }
}
