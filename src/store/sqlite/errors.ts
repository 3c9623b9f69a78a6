/**
 * @module store/sqlite/errors
 * bun:sqlite's errors → the store's. Anything not recognised is rethrown as it is: it is a bug, not an outage.
 */
import { StoreConflictError, StoreError, StoreUnavailableError } from '../errors';

/** What to tell the operator for each SQLite result code that means "the file cannot be used right now". */
const UNAVAILABLE: ReadonlyArray<[prefix: string, hint: string]> = [
  ['SQLITE_BUSY', 'database is locked: another process kept a write lock for longer than the 5 s busy timeout'],
  ['SQLITE_LOCKED', 'database table is locked'],
  ['SQLITE_CANTOPEN', 'cannot open the file: check that its folder exists and is writable'],
  ['SQLITE_READONLY', 'the file is read-only: check its permissions and those of its folder'],
  ['SQLITE_FULL', 'the disk is full'],
  ['SQLITE_IOERR', 'disk I/O error'],
  ['SQLITE_NOTADB', 'the file is not an SQLite database'],
  ['SQLITE_CORRUPT', 'the file is damaged'],
  ['SQLITE_PERM', 'permission denied'],
];

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** Whether a write named a row that does not exist (an answer's owner grant, deleted meanwhile). */
export function isForeignKeyViolation(error: unknown): boolean {
  return codeOf(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/**
 * @param where the database, for messages ("SQLite database /var/lib/portico/portico.db")
 * @param what the record being written, for duplicate messages ("a client with this id")
 */
export function translateSqliteError(error: unknown, where: string, what = 'a record with this key'): unknown {
  if (error instanceof StoreError) return error;
  const code = codeOf(error);
  if (code === undefined) return error;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new StoreConflictError(`${what} already exists`, { cause: error });
  }
  const match = UNAVAILABLE.find(([prefix]) => code.startsWith(prefix));
  if (!match) return error;
  return new StoreUnavailableError(`${where} is unavailable (${match[1]})`, { cause: error });
}
