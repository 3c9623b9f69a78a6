/**
 * @module oauth/identity
 * Who the user is: an identity source checks a username and password (the first one asks the upstream
 * API's own login endpoint) and answers with the user, the credential Portico will call the API with on
 * their behalf, and the highest scope they may grant an agent. Plugins add other sources.
 */
import type { Scope } from './scopes';

/** The credential Portico sends upstream for this user: headers set on every call (never the MCP token). */
export interface UpstreamCredential {
  readonly headers: Readonly<Record<string, string>>;
  /** When the API stops accepting it (ms since the epoch); unknown when absent. */
  readonly expiresAt?: number;
  /** What the identity source needs to renew it (e.g. the API's refresh token): sealed with the grant, never sent anywhere. */
  readonly state?: string;
}

export interface Identity {
  /** Stable id of the user (grants, consents and the audit log are keyed by it). */
  readonly userId: string;
  /** What pages and logs show, e.g. an email address. */
  readonly name: string;
  /** The highest scope this user may let an agent have. */
  readonly maxScope: Scope;
  readonly upstream: UpstreamCredential;
  /**
   * Who renews the credential: absent, the identity source (when the client refreshes its token); `chained`, the
   * API's own authorization server (`oauth/chained`), silently, on the request that finds it about to expire.
   */
  readonly via?: 'chained';
}

export interface IdentitySource {
  /** For logs and `portico check`, e.g. "the API's login endpoint POST https://api.example.com/auth/login". */
  readonly description: string;
  /**
   * The user, or null when the username and password do not match. Throws `IdentityUnavailableError`
   * when the source cannot answer (the API is down), and `IdentityMisconfiguredError` when it could not
   * understand the question (the API's login wants other fields): the login page says so instead of "wrong
   * password", and neither counts as a wrong guess.
   */
  verifyPassword(username: string, password: string): Promise<Identity | null>;
  /**
   * A new credential for `identity` once its own has expired, or null when it cannot be renewed (the user
   * signs in again). Without it, an expired credential always ends the grant. A throw means "not now":
   * the grant is kept and the client is told to retry.
   */
  refresh?(identity: Identity): Promise<UpstreamCredential | null>;
}

/** The identity source could not be asked (as opposed to: it said no). */
export class IdentityUnavailableError extends Error {
  override readonly name = 'IdentityUnavailableError';
}

/**
 * The identity source was asked in a way it does not accept (the API answered a validation error naming a field
 * Portico does not send): no password was checked. The message is for the log — what the API answered, never
 * the password — and names what to fix.
 */
export class IdentityMisconfiguredError extends Error {
  override readonly name = 'IdentityMisconfiguredError';

  /** @param details for the log: where the source was asked and what it answered (bounded, the password blanked) */
  constructor(
    message: string,
    readonly details: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
  }
}
