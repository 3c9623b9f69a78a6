/**
 * @module store/open
 * PORTICO_DATABASE_URL → an open, migrated store.
 */
import type { Store } from './contract';
import { parseDatabaseUrl } from './database-url';
import type { PostgresStoreOptions } from './postgres';
import { openPostgresStore } from './postgres';
import { openSqliteStore } from './sqlite';

export interface OpenStoreOptions extends PostgresStoreOptions {
  /**
   * The folder that relative SQLite paths (and the default ./data/portico.db) are resolved against.
   * @default process.cwd()
   */
  cwd?: string;
}

/**
 * Opens the store that `url` names: unset → the SQLite file ./data/portico.db; `sqlite:<path>`, `file:<path>` or a
 * plain path → SQLite; `postgres://` or `postgresql://` → PostgreSQL. The schema is migrated before it returns.
 * @throws StoreUrlError for any other form, StoreUnavailableError when the database cannot be reached,
 *   StoreSchemaError when a newer Portico has migrated it.
 */
export async function openStore(url: string | undefined, options: OpenStoreOptions = {}): Promise<Store> {
  const { cwd, ...postgres } = options;
  const target = parseDatabaseUrl(url, cwd);
  if (target.kind === 'sqlite') return openSqliteStore(target.path);
  return openPostgresStore(target.url, target, postgres);
}
