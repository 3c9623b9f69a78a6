/**
 * @module store/postgres/errors
 * Bun.SQL's errors → the store's. Connection trouble becomes StoreUnavailableError with a message that says what to
 * check and shows PORTICO_DATABASE_URL without its password; anything not recognised is rethrown as it is.
 */
import { StoreConflictError, StoreError, StoreUnavailableError } from '../errors';

/** What the message needs to know about the database. */
export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
  /** PORTICO_DATABASE_URL with the password masked. */
  redacted: string;
}

/** Why, what to check, and what happened ("is unreachable" unless said otherwise). */
export type Problem = [reason: string, advice: string, what?: string];

/** Bun's own connection error codes. */
const CONNECTION_CODES: Record<string, Problem> = {
  ERR_POSTGRES_CONNECTION_REFUSED: [
    'connection refused or host not found',
    'is it running, and are the host and port right?',
  ],
  ERR_POSTGRES_CONNECTION_TIMEOUT: ['no answer in time', 'is the host reachable (firewall, network)?'],
  ERR_POSTGRES_CONNECTION_FAILED: [
    'the connection closed before the handshake',
    'is it starting up, or is something else listening on that port?',
  ],
  ERR_POSTGRES_CONNECTION_CLOSED: ['the connection was closed', 'was the server restarted or stopped?'],
  ERR_POSTGRES_IDLE_TIMEOUT: ['the connection was closed', 'was the server restarted or stopped?'],
  ERR_POSTGRES_LIFETIME_TIMEOUT: ['the connection was closed', 'was the server restarted or stopped?'],
  ERR_POSTGRES_TLS_NOT_AVAILABLE: ['the server does not offer TLS', 'check sslmode in the URL'],
  ERR_POSTGRES_TLS_UPGRADE_FAILED: ['the TLS handshake failed', 'check sslmode and the server certificate'],
};

/** Server SQLSTATEs that mean "this database cannot serve us", by exact code or two-character class. */
function serverReason(sqlstate: string, message: string, database: string): Problem | null {
  if (sqlstate === '57P01' || sqlstate === '57P02') return ['the server is shutting down', 'was it stopped or restarted?'];
  if (sqlstate === '57P03') return ['the server is starting up or in recovery', 'try again shortly'];
  if (sqlstate === '53300') return ['too many connections', 'raise max_connections or lower the pool size'];
  if (sqlstate === '28P01' || sqlstate === '28000') return [message, 'check the user and password:', 'refused the login'];
  if (sqlstate === '3D000') {
    return [message, `create it (createdb ${database}) or fix the database name:`, 'has no such database'];
  }
  if (sqlstate.startsWith('08')) return [message, 'is the server healthy?'];
  return null;
}

function stringField(error: unknown, field: 'code' | 'errno' | 'message'): string | undefined {
  if (typeof error !== 'object' || error === null || !(field in error)) return undefined;
  const value: unknown = (error as Record<typeof field, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Whether a pooled connection died under the call (the server stopped or restarted): a fresh connection may well
 * succeed. Bun drops a dead idle connection when its event loop reads the server's goodbye, but a call sent before
 * that hands the goodbye back as its own error.
 */
export function isConnectionLost(error: unknown): boolean {
  const code = stringField(error, 'code');
  const sqlstate = stringField(error, 'errno');
  return (
    code === 'ERR_POSTGRES_CONNECTION_CLOSED' ||
    sqlstate === '57P01' ||
    sqlstate === '57P02' ||
    sqlstate === '08003' ||
    sqlstate === '08006'
  );
}

/** Whether a write named a row that does not exist (an answer's owner grant, deleted meanwhile): SQLSTATE 23503. */
export function isForeignKeyViolation(error: unknown): boolean {
  return stringField(error, 'errno') === '23503';
}

/** The driver error as a StoreError when it is one we understand; otherwise the error itself. */
export function translatePostgresError(error: unknown, target: PostgresTarget, what = 'a record with this key'): unknown {
  if (error instanceof StoreError) return error;
  const code = stringField(error, 'code');
  const sqlstate = stringField(error, 'errno');
  if (sqlstate === '23505') return new StoreConflictError(`${what} already exists`, { cause: error });
  const known =
    (code !== undefined ? CONNECTION_CODES[code] : undefined) ??
    (sqlstate !== undefined ? serverReason(sqlstate, stringField(error, 'message') ?? sqlstate, target.database) : null);
  if (!known) return error;
  return unavailable(target, known, error);
}

/** The one shape of an "unreachable" message. */
export function unavailable(target: PostgresTarget, problem: Problem, cause?: unknown): StoreUnavailableError {
  const [reason, advice, what = 'is unreachable'] = problem;
  return new StoreUnavailableError(
    `PostgreSQL at ${target.host}:${target.port} ${what} (${reason}): ${advice} ` +
      `PORTICO_DATABASE_URL=${target.redacted}`,
    { cause },
  );
}
