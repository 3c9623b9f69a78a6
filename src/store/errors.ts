/**
 * @module store/errors
 * The store's failures. Messages are written for the operator: which database, what went wrong, what to check.
 * They never carry SQL, keys, tokens or passwords; the driver's error stays in `cause` for debugging.
 */

export type StoreErrorCode =
  /** The database cannot be reached or refused us (down, wrong password, missing database, locked file). */
  | 'STORE_UNAVAILABLE'
  /** An id or hash already exists. */
  | 'STORE_CONFLICT'
  /** PORTICO_DATABASE_URL is not a form Portico accepts. */
  | 'STORE_BAD_URL'
  /** The database's schema is newer than this binary (or otherwise unusable); nothing was changed. */
  | 'STORE_SCHEMA';

/** Base of every store error. */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** Whether trying again later may succeed (the database may come back). */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The database is unreachable: callers answer 503 / `temporarily_unavailable` and may retry. */
export class StoreUnavailableError extends StoreError {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, true, options);
  }
}

/** A duplicate id or hash: a caller bug or an astronomically unlikely collision, never retried blindly. */
export class StoreConflictError extends StoreError {
  override readonly name = 'StoreConflictError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_CONFLICT', message, false, options);
  }
}

/** PORTICO_DATABASE_URL cannot be used; raised before any connection is attempted. */
export class StoreUrlError extends StoreError {
  override readonly name = 'StoreUrlError';
  constructor(message: string) {
    super('STORE_BAD_URL', message, false);
  }
}

/** The schema cannot be used by this binary (a newer Portico migrated it); nothing was changed. */
export class StoreSchemaError extends StoreError {
  override readonly name = 'StoreSchemaError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_SCHEMA', message, false, options);
  }
}

/** The refusal to touch a database that a newer binary has migrated. */
export function schemaTooNew(where: string, found: number, known: number): StoreSchemaError {
  return new StoreSchemaError(
    `${where} has schema version ${found}, but this Portico knows versions up to ${known}: a newer Portico has ` +
      'migrated it. Run that newer Portico, or point PORTICO_DATABASE_URL at another database. Nothing was changed.',
  );
}
