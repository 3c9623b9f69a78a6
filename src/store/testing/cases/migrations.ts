/** Migrations: applied once however many instances start together; a database from a newer binary is left alone. */
import { describe, expect, test } from 'bun:test';
import { StoreSchemaError } from '../../errors';
import type { FreshDatabase } from '../conformance';
import { aClient } from '../fixtures';

/** The table every backend keeps its schema version in, as a newer binary would have left it. */
const FUTURE_SCHEMA = [
  'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from-the-future', 0)",
];

export function migrationCases(fresh: () => Promise<FreshDatabase>): void {
  describe('migrations', () => {
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
