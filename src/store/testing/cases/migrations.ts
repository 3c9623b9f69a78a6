/** Migrations: applied once however many instances start together; a database from a newer binary is left alone. */
import { describe, expect, test } from 'bun:test';
import { StoreSchemaError } from '../../errors';
import type { FreshDatabase } from '../conformance';
import { aBrowserSession, aClient, anAnswer, DAY, HOUR, MINUTE, nextTokens, T0 } from '../fixtures';

/** The table every backend keeps its schema version in, as a newer binary would have left it. */
const FUTURE_SCHEMA = [
  'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from-the-future', 0)",
];

/** What an older Portico (schema version 1) left: one grant with an unused refresh token, one rotated a moment ago. */
const VERSION_1_ROWS = [
  `INSERT INTO grants (id, user_id, client_id, scopes, resource, data, created_at)
    VALUES ('grant-kept', 'user-old', 'client-old', '["read"]', 'https://portico.example/mcp', 'sealed-data', ${T0})`,
  `INSERT INTO access_tokens (hash, grant_id, scopes, expires_at, created_at) VALUES ('access-old', 'grant-kept', '["read"]', ${T0 + HOUR}, ${T0})`,
  `INSERT INTO refresh_tokens (hash, grant_id, scopes, expires_at, created_at, parent_hash, used_at)
    VALUES ('refresh-unused', 'grant-kept', '["read"]', ${T0 + DAY}, ${T0}, NULL, NULL)`,
  `INSERT INTO grants (id, user_id, client_id, scopes, resource, data, created_at)
    VALUES ('grant-rotated', 'user-old', 'client-old', '["read"]', 'https://portico.example/mcp', 'sealed-data', ${T0})`,
  `INSERT INTO refresh_tokens (hash, grant_id, scopes, expires_at, created_at, parent_hash, used_at)
    VALUES ('refresh-rotated', 'grant-rotated', '["read"]', ${T0 + DAY}, ${T0}, NULL, ${T0})`,
  `INSERT INTO refresh_tokens (hash, grant_id, scopes, expires_at, created_at, parent_hash, used_at)
    VALUES ('refresh-child', 'grant-rotated', '["read"]', ${T0 + DAY}, ${T0}, 'refresh-rotated', NULL)`,
];

export function migrationCases(fresh: () => Promise<FreshDatabase>): void {
  describe('migrations', () => {
    test('a database an older Portico left (version 1) is brought up to date, and what it holds goes on working', async () => {
      const db = await fresh();
      try {
        await db.migrateTo(1);
        for (const statement of VERSION_1_ROWS) await db.exec(statement);
        const store = await db.open();
        try {
          expect((await store.findAccessToken('access-old', T0))?.grant.id).toBe('grant-kept');
          const now = T0 + MINUTE;
          const rotate = (hash: string, successor: string) => store.rotateRefreshToken({ hash, now, graceMs: MINUTE, next: nextTokens(now), successor });
          // an old unused token rotates, and its retry gets the successor kept from now on
          expect((await rotate('refresh-unused', 'sealed-first')).kind).toBe('rotated');
          expect(await rotate('refresh-unused', 'sealed-second')).toMatchObject({ kind: 'grace', successor: 'sealed-first' });
          // one rotated before the upgrade kept no successor: a retry could only fork the grant, so it ends it instead
          expect(await rotate('refresh-rotated', 'sealed-other')).toEqual({ kind: 'reused', grantId: 'grant-rotated' });
          // a grant from before names and uses were kept has neither, and its use is recorded from now on
          expect(await store.listGrantsForUser('user-old')).toMatchObject([{ id: 'grant-kept', userName: null, lastUsedAt: null }]);
          expect(await store.listUserNames(['user-old'])).toEqual([]);
          await store.recordGrantUses([{ grantId: 'grant-kept', at: now }]);
          expect((await store.findAccessToken('access-old', T0))?.grant.lastUsedAt).toBe(now);
          // and the tables added since work
          const session = aBrowserSession();
          await store.putBrowserSession(session);
          expect(await store.getBrowserSession(session.hash, T0)).toEqual(session);
          const answer = anAnswer({ owner: 'grant-kept' });
          await store.putAnswer(answer);
          expect(await store.getAnswer(answer.id, T0)).toEqual(answer);
        } finally {
          await store.close();
        }
      } finally {
        await db.dispose();
      }
    });

    test('a database at version 4 gets the answers table, tied to the grants it already holds', async () => {
      const db = await fresh();
      try {
        await db.migrateTo(4);
        await db.exec(`INSERT INTO grants (id, user_id, client_id, scopes, resource, data, created_at, user_name, last_used_at)
          VALUES ('grant-v4', 'user-v4', 'client-v4', '["read"]', 'https://portico.example/mcp', 'sealed-data', ${T0}, 'v4@example.com', NULL)`);
        // the table is not there yet
        expect(await db.exec('SELECT count(*) FROM answers').catch((e: unknown) => e)).toBeInstanceOf(Error);
        const store = await db.open();
        try {
          const mine = anAnswer({ owner: 'grant-v4' });
          const anyone = anAnswer({ owner: '' });
          for (const answer of [mine, anyone]) await store.putAnswer(answer);
          expect(await store.getAnswer(mine.id, T0)).toEqual(mine);
          expect(await store.revokeGrant('grant-v4')).toBe(true);
          expect(await store.getAnswer(mine.id, T0)).toBeNull();
          expect(await store.getAnswer(anyone.id, T0)).toEqual(anyone);
          expect((await store.sweep(T0 + HOUR, { batch: 10 })).answers).toBe(1);
        } finally {
          await store.close();
        }
      } finally {
        await db.dispose();
      }
    });

    test('instances opening a fresh database at the same moment all succeed and share it', async () => {
      const db = await fresh();
      try {
        const stores = await Promise.all(Array.from({ length: 4 }, () => db.open()));
        const client = aClient();
        await stores[0]!.putClient(client);
        for (const store of stores) expect(await store.getClient(client.id)).toEqual(client);
        await Promise.all(stores.map((s) => s.close()));
      } finally {
        await db.dispose();
      }
    });

    test('reopening a migrated database keeps its data', async () => {
      const db = await fresh();
      try {
        const client = aClient();
        const first = await db.open();
        await first.putClient(client);
        await first.close();
        const again = await db.open();
        expect(await again.getClient(client.id)).toEqual(client);
        await again.close();
      } finally {
        await db.dispose();
      }
    });

    test('a database with a newer schema version is refused with a clear message, and not changed', async () => {
      const db = await fresh();
      try {
        for (const statement of FUTURE_SCHEMA) await db.exec(statement);
        const error = await db.open().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreSchemaError);
        expect((error as Error).message).toContain('schema version 9999');
        expect((error as Error).message).toContain('newer Portico');
        // Nothing was migrated: the store's tables do not exist.
        expect(await db.exec('SELECT count(*) FROM clients').catch((e: unknown) => e)).toBeInstanceOf(Error);
      } finally {
        await db.dispose();
      }
    });
  });
}
