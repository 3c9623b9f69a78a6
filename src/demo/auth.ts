/**
 * @module demo/auth
 * Bearer tokens: issued by `POST /v1/auth/login`, kept only as SHA-256 hashes, valid for `tokenTtlMs`. The
 * `authenticated` plugin puts the caller's user on every route of the module that uses it, or answers 401.
 */
import { Elysia } from 'elysia';
import { ApiError } from './errors';
import { secret } from './ids';
import type { DemoStore, UserRecord } from './store';

/** The `WWW-Authenticate` challenge sent with every 401 (RFC 6750 §3). */
const CHALLENGE = 'Bearer realm="pghost"';

interface Session {
  userId: string;
  expiresAt: number;
}

/** Issued tokens, by hash. */
export class Sessions {
  readonly #byHash = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** A new random token for `userId`, and when it expires (ms). */
  issue(userId: string): { token: string; expiresAt: number } {
    this.#prune();
    const token = `pgh_${secret(24)}`;
    const expiresAt = this.now() + this.ttlMs;
    this.#byHash.set(hash(token), { userId, expiresAt });
    return { token, expiresAt };
  }

  /** The user id a live token belongs to; `expired` for a known token past its time; undefined otherwise. */
  check(token: string): string | 'expired' | undefined {
    const session = this.#byHash.get(hash(token));
    if (!session) return undefined;
    if (this.now() >= session.expiresAt) {
      this.#byHash.delete(hash(token));
      return 'expired';
    }
    return session.userId;
  }

  #prune(): void {
    const now = this.now();
    for (const [key, session] of this.#byHash) if (now >= session.expiresAt) this.#byHash.delete(key);
  }
}

function hash(token: string): string {
  return new Bun.CryptoHasher('sha256').update(token).digest('hex');
}

const unauthorized = (message: string): ApiError =>
  new ApiError(401, 'unauthorized', message, undefined, { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` });

/** The user behind `Authorization: Bearer <token>`, or a 401 saying what is wrong. */
export function authenticate(store: DemoStore, sessions: Sessions, authorization: string | undefined): UserRecord {
  if (!authorization) {
    throw new ApiError(401, 'unauthorized', 'missing bearer token: log in with POST /v1/auth/login and send "Authorization: Bearer <token>"', undefined, {
      'www-authenticate': CHALLENGE,
    });
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (!match) throw unauthorized('the Authorization header must be "Bearer <token>"');
  const userId = sessions.check(match[1]!);
  if (userId === 'expired') throw unauthorized('the bearer token has expired: log in again');
  const user = userId === undefined ? undefined : store.users.get(userId);
  if (!user) throw unauthorized('the bearer token is not valid');
  return user;
}

/**
 * Adds `user` to the context of the routes of the module that uses it. `derive` runs before any body or query
 * is looked at, so a request without a valid token is a 401 whatever else is wrong with it. Scoped, so it
 * reaches the using module's routes and no further; not named, because Elysia would skip a named plugin's
 * second use and leave the next module unprotected.
 */
export const authenticated = (store: DemoStore, sessions: Sessions) =>
  new Elysia().derive({ as: 'scoped' }, function deriveUser({ headers }) {
    return { user: authenticate(store, sessions, headers.authorization) };
  });
