/**
 * @module store/postgres/migrations
 * The PostgreSQL schema, as numbered migrations applied at open. Append new versions; never edit an applied one.
 * Times are BIGINT epoch milliseconds, as in the SQLite schema, so both backends store the same values.
 */
import type { SQL } from 'bun';
import { schemaTooNew } from '../errors';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    statements: [
      `CREATE TABLE clients (
        id TEXT PRIMARY KEY,
        secret_hash TEXT,
        metadata TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT
      )`,
      `CREATE TABLE codes (
        hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        scopes TEXT NOT NULL,
        resource TEXT NOT NULL,
        data TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT,
        grant_id TEXT
      )`,
      'CREATE INDEX codes_expires_at ON codes (expires_at)',
      'CREATE INDEX codes_client_id ON codes (client_id)',
      `CREATE TABLE grants (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL,
        resource TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
      'CREATE INDEX grants_user_id ON grants (user_id, created_at)',
      'CREATE INDEX grants_client_id ON grants (client_id)',
      `CREATE TABLE access_tokens (
        hash TEXT PRIMARY KEY,
        grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
        scopes TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
      'CREATE INDEX access_tokens_grant_id ON access_tokens (grant_id)',
      'CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at)',
      `CREATE TABLE refresh_tokens (
        hash TEXT PRIMARY KEY,
        grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
        scopes TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        parent_hash TEXT,
        used_at BIGINT
      )`,
      'CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id)',
      'CREATE INDEX refresh_tokens_parent_hash ON refresh_tokens (parent_hash)',
      'CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at)',
      `CREATE TABLE consents (
        user_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, client_id)
      )`,
      `CREATE TABLE throttles (
        key TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        reset_at BIGINT NOT NULL
      )`,
      'CREATE INDEX throttles_reset_at ON throttles (reset_at)',
      `CREATE TABLE snapshots (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE TABLE audit_log (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        user_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        outcome TEXT NOT NULL,
        upstream_status INTEGER,
        latency_ms DOUBLE PRECISION NOT NULL,
        detail TEXT
      )`,
      'CREATE INDEX audit_log_at ON audit_log (at)',
      'CREATE INDEX audit_log_user_id ON audit_log (user_id, at)',
      'CREATE INDEX audit_log_tool ON audit_log (tool, at)',
    ],
  },
  {
    version: 2,
    name: 'browser sessions',
    statements: [
      `CREATE TABLE browser_sessions (
        hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      )`,
      'CREATE INDEX browser_sessions_user_id ON browser_sessions (user_id)',
      'CREATE INDEX browser_sessions_expires_at ON browser_sessions (expires_at)',
    ],
  },
  {
    version: 3,
    name: 'refresh token successor',
    // the pair a rotation issued, sealed by the caller, kept with the token it replaced: what a retry is answered with
    statements: ['ALTER TABLE refresh_tokens ADD COLUMN successor TEXT'],
  },
  {
    version: 4,
    name: 'grant user name and last use',
    // the name in clear for `portico audit` (the sealed data needs the server secret); the last use for /account
    statements: ['ALTER TABLE grants ADD COLUMN user_name TEXT', 'ALTER TABLE grants ADD COLUMN last_used_at BIGINT'],
  },
  {
    version: 5,
    name: 'answers',
    // a tool's whole answer, read in pages by the grant that called. The owner is that grant (NULL without sign-in),
    // so whatever deletes the grant deletes its answers, as it does its tokens
    statements: [
      `CREATE TABLE answers (
        id TEXT PRIMARY KEY,
        owner TEXT REFERENCES grants (id) ON DELETE CASCADE,
        media_type TEXT NOT NULL,
        body BYTEA NOT NULL,
        tool TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      )`,
      'CREATE INDEX answers_expires_at ON answers (expires_at)',
      'CREATE INDEX answers_owner ON answers (owner)',
    ],
  },
];

/** The newest schema version this binary knows. */
export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** The advisory lock that serialises migrations across instances: "portico" in ASCII. */
const MIGRATION_LOCK = 0x706f727469636f;

/**
 * Brings the schema up to date in one transaction. The advisory lock makes instances that start together take turns:
 * the first migrates, the others then find nothing to do. DDL is transactional in PostgreSQL, so a failed migration
 * leaves nothing behind.
 * @param upTo the version to stop at: the latest, except in tests of an upgrade from an older one
 * @throws StoreSchemaError, with nothing changed, if a newer Portico has migrated this database.
 */
export async function migrate(sql: SQL, where: string, upTo = LATEST_VERSION): Promise<void> {
  await sql.begin(async (tx) => {
    await tx.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.unsafe(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at BIGINT NOT NULL
    )`);
    const [row] = await tx<{ version: number | null }[]>`SELECT max(version) AS version FROM schema_migrations`;
    const current = row?.version ?? 0;
    if (current > LATEST_VERSION) throw schemaTooNew(where, current, LATEST_VERSION);
    for (const migration of MIGRATIONS) {
      if (migration.version <= current || migration.version > upTo) continue;
      for (const statement of migration.statements) await tx.unsafe(statement);
      await tx`INSERT INTO schema_migrations (version, name, applied_at)
        VALUES (${migration.version}, ${migration.name}, ${Date.now()})`;
    }
  });
}
