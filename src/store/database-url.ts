/**
 * @module store/database-url
 * PORTICO_DATABASE_URL → which backend and where. The URL carries a password, so everything shown to a person goes
 * through `redactUrl` first.
 */
import { isAbsolute, resolve } from 'node:path';
import { StoreUrlError } from './errors';

/** Where the store lives when PORTICO_DATABASE_URL is not set, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = './data/portico.db';

export type DatabaseTarget =
  /** `path` is absolute, or `:memory:`. */
  | { kind: 'sqlite'; path: string }
  /** `url` as given (with its password); `redacted` for messages. */
  | { kind: 'postgres'; url: string; redacted: string; host: string; port: number; database: string };

const ACCEPTED =
  'accepted forms: postgres://user:password@host:5432/database (or postgresql://…) for PostgreSQL; ' +
  'sqlite:<path>, file:<path>, a plain file path, or sqlite::memory: for SQLite; unset for ./data/portico.db';

/**
 * Picks the backend for a database URL. A plain path (no scheme) is an SQLite file; relative paths are resolved
 * against `cwd`.
 * @throws StoreUrlError for a scheme Portico does not speak or a PostgreSQL URL that cannot be parsed.
 */
export function parseDatabaseUrl(url: string | undefined, cwd: string = process.cwd()): DatabaseTarget {
  const text = url?.trim() ?? '';
  if (text === '') return sqliteAt(DEFAULT_SQLITE_PATH, cwd);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return sqliteAt(text, cwd);
  if (scheme === 'postgres' || scheme === 'postgresql') return postgresAt(text);
  if (scheme === 'sqlite' || scheme === 'file') return sqliteAt(sqlitePath(text.slice(scheme.length + 1), scheme), cwd);
  throw new StoreUrlError(`PORTICO_DATABASE_URL has the unsupported scheme "${scheme}:" (${ACCEPTED})`);
}

/** The URL with its password replaced by `***` (and nothing at all if it cannot be parsed). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparseable URL)';
  }
}

function sqliteAt(path: string, cwd: string): DatabaseTarget {
  if (path === '') throw new StoreUrlError(`PORTICO_DATABASE_URL names no SQLite file (${ACCEPTED})`);
  if (path === ':memory:') return { kind: 'sqlite', path };
  return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) };
}

/** `sqlite:x.db`, `sqlite://./x.db`, `sqlite:///abs/x.db`, `file:x.db`, `file:///abs/x.db` → the path. */
function sqlitePath(rest: string, scheme: string): string {
  const query = rest.indexOf('?');
  if (query >= 0) {
    throw new StoreUrlError(`PORTICO_DATABASE_URL: options after "?" are not supported for ${scheme}: URLs (${ACCEPTED})`);
  }
  let path = rest.startsWith('//') ? rest.slice(2) : rest;
  // `file:` URLs percent-encode; Bun-style `sqlite://` paths are written as they are.
  if (scheme === 'file') {
    if (rest.startsWith('//') && !path.startsWith('/')) {
      throw new StoreUrlError(`PORTICO_DATABASE_URL: file:// URLs must name a local absolute path, as in file:///var/lib/portico.db`);
    }
    path = decodeURIComponent(path);
  }
  return path;
}

function postgresAt(url: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Never echo the value: it may hold a password.
    throw new StoreUrlError(`PORTICO_DATABASE_URL looks like a PostgreSQL URL but cannot be parsed (${ACCEPTED})`);
  }
  if (!parsed.hostname) {
    throw new StoreUrlError(`PORTICO_DATABASE_URL=${redactUrl(url)} names no host (${ACCEPTED})`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return {
    kind: 'postgres',
    url,
    redacted: redactUrl(url),
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 5432,
    database: database || decodeURIComponent(parsed.username) || 'postgres',
  };
}
