/**
 * @module oauth/context
 * Everything the authorization server's handlers share: where it lives (issuer, resource), the store, the
 * keys, who signs users in, and the lifetimes. Built once at start; the handlers hold no other state.
 */
import type { Logger } from '../log';
import type { TokenEvents } from '../ops/events';
import type { AppSignIn } from './app-login';
import type { ChainedSignIn } from './chained';
import type { OidcSignIn } from './oidc';
import type { Store } from '../store';
import type { ClientMetadataDocuments } from './cimd';
import type { Keys } from './crypto';
import type { IdentitySource } from './identity';
import type { Brand } from './pages';
import type { Scope } from './scopes';

export interface OAuthSettings {
  /** The authorization server's issuer: the public URL's origin and path, no trailing slash. */
  readonly issuer: string;
  /** The protected resource tokens are bound to: the public `/mcp` URL. */
  readonly resource: string;
  readonly brand: Brand;
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  /** Authorization codes live this long. */
  readonly codeTtlMs: number;
  /** A just-rotated refresh token may be presented again this long (a lost response, two concurrent refreshes). */
  readonly refreshGraceMs: number;
  /** The sign-in cookie lasts this long. */
  readonly loginTtlMs: number;
  /** Cookies get `Secure` and the `__Host-` prefix unless the public URL is plain-HTTP loopback (development). */
  readonly secureCookies: boolean;
  /** Failed sign-ins allowed per account and per client address in `loginWindowMs` before further tries are refused. */
  readonly maxLoginFailures: number;
  readonly loginWindowMs: number;
  /** Whether the password form is offered (the API's login endpoint); false: only the other methods' buttons. */
  readonly passwordSignIn: boolean;
}

export interface OAuthContext {
  readonly settings: OAuthSettings;
  readonly store: Store;
  readonly keys: Keys;
  readonly identity: IdentitySource;
  /** Sign-in through an OpenID provider, when configured. */
  readonly oidc?: OidcSignIn;
  /** Sign-in on the app's own login page (delegated), when configured. */
  readonly appLogin?: AppSignIn;
  /** Sign-in at the API's own authorization server (chained), when configured. */
  readonly chained?: ChainedSignIn;
  readonly documents: ClientMetadataDocuments;
  /** How many tools each scope unlocks (for the consent page), from the current catalog. */
  readonly toolCounts: () => Readonly<Record<Scope, number>>;
  readonly log: Logger;
  /** Told about tokens issued, refreshed and revoked (the metrics). */
  readonly events: TokenEvents;
  readonly now: () => number;
}
