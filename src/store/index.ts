/**
 * @module store
 * The durable store: the contract, its errors, and `openStore`, which picks a backend from PORTICO_DATABASE_URL.
 */
export * from './contract';
export { DEFAULT_SQLITE_PATH, parseDatabaseUrl, redactUrl } from './database-url';
export type { DatabaseTarget } from './database-url';
export * from './errors';
export { openStore } from './open';
export type { OpenStoreOptions } from './open';
export type { PostgresStoreOptions } from './postgres';
