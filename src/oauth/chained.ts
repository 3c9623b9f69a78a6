/**
 * @module oauth/chained
 * Sign-in for APIs that are OAuth providers themselves (GitHub, Slack, Atlassian, Google's APIs): chained
 * authorization. Portico is an OAuth client of the API's own authorization server — authorization code with
 * PKCE and `state` (`oauth4webapi`), endpoints from discovery or configured — and the user's credential is the
 * API's access token, with its refresh token kept as the credential's renewal state: both sealed in the grant,
 * never sent anywhere but to the API's own endpoints.
 *
 * The MCP client's tokens live on their own clock. When the API's access token is about to expire, the next
 * request renews it silently (`oauth/renewal`), rotating the refresh token if the server does; when the server
 * refuses the refresh token (the user removed the app there, or it expired), the grant ends and the client is
 * sent to sign in again. Disconnecting the app on the account page revokes the API's refresh token too (RFC 7009,
 * where the server offers revocation).
 */
import * as oauth from 'oauth4webapi';
import type { Logger } from '../log';
import { credentialHeaderOf, valueAt } from './api-answer';
import { authorizationUrl, isLoopbackHttp, isNetworkError, messageOf } from './remote';
import { IdentityUnavailableError, type Identity, type UpstreamCredential } from './identity';
import type { Scope } from './scopes';
import { SignInError } from './sign-in-error';

export interface ChainedOptions {
  /** What the button says: "Continue with {name}". */
  readonly name: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly scopes: string;
  /** Portico's callback: `<public URL>/oauth/callback`. */
  readonly callbackUri: string;
  /** Where the server's metadata comes from: discovery at its issuer, or the endpoints as configured. */
  readonly server: { readonly issuer: string } | { readonly authorize: string; readonly token: string; readonly revoke?: string };
  /** The API's endpoint that says who the token's user is. */
  readonly userUrl: string;
  /** Dotted paths into its answer. */
  readonly fields: { readonly id: string; readonly name: string; readonly role: string };
  readonly roles: Readonly<Record<string, Scope>>;
  readonly defaultScope: Scope;
  /** How the access token is sent to the API: `Name: value` with `{token}` in the value. */
  readonly credentialHeader: string;
  readonly log: Logger;
  readonly timeoutMs?: number;
}

/** What the trip to the API's authorization server carries, sealed in its cookie. */
export interface ChainedTrip {
  readonly method: 'chained';
  readonly state: string;
  readonly verifier: string;
  readonly returnTo: string;
  readonly expiresAt: number;
}

/** What the credential's renewal state holds (sealed with the grant). */
interface ChainedState {
  readonly refreshToken?: string;
  /** When the access token was obtained (ms): with its expiry, its lifetime. */
  readonly obtainedAt?: number;
}

/** How long before its expiry an access token is renewed: a quarter of its lifetime, at most 30 s. */
const MAX_MARGIN_MS = 30_000;

const TRIP_TTL_MS = 10 * 60_000;
const DISCOVERY_TTL_MS = 60 * 60_000;

export class ChainedSignIn {
  readonly name: string;
  private discovered?: { server: oauth.AuthorizationServer; at: number };
  private readonly client: oauth.Client;
  private readonly clientAuth: oauth.ClientAuth;
  private readonly header: { name: string; template: string };

  constructor(private readonly options: ChainedOptions) {
    this.name = options.name;
    this.client = { client_id: options.clientId };
    this.clientAuth = options.clientSecret ? oauth.ClientSecretPost(options.clientSecret) : oauth.None();
    this.header = credentialHeaderOf(options.credentialHeader);
  }

  get description(): string {
    const where = 'issuer' in this.options.server ? this.options.server.issuer : this.options.server.authorize;
    return `the API's authorization server ${where} (chained), the user from GET ${this.options.userUrl}`;
  }

  /** The trip to the API's authorization server. */
  async start(returnTo: string, now: number): Promise<{ location: string; trip: ChainedTrip }> {
    const server = await this.server();
    const trip: ChainedTrip = { method: 'chained', state: oauth.generateRandomState(), verifier: oauth.generateRandomCodeVerifier(), returnTo, expiresAt: now + TRIP_TTL_MS };
    const location = await authorizationUrl(server.authorization_endpoint!, { clientId: this.options.clientId, redirectUri: this.options.callbackUri, scope: this.options.scopes, state: trip.state, verifier: trip.verifier });
    return { location, trip };
  }

  /** The identity at the end of the trip: the callback checked, the code redeemed, the user asked of the API. */
  async finish(callback: URL, trip: ChainedTrip, now: number): Promise<Identity> {
    if (trip.expiresAt <= now) throw new SignInError('The sign-in took too long. Go back to your application and connect again.', 'the trip to the authorization server expired');
    const server = await this.server();
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(server, this.client, callback.searchParams, trip.state);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        throw new SignInError(error.error === 'access_denied' ? `You did not allow access at ${this.name}.` : `${this.name} did not sign you in (${error.error}).`, `the authorization server answered ${error.error}: ${error.error_description ?? ''}`);
      }
      throw new SignInError('This sign-in cannot be completed: it does not belong to this browser or was already used. Go back to your application and connect again.', `the authorization response was refused: ${messageOf(error)}`);
    }
    let tokens: oauth.TokenEndpointResponse;
    try {
      const response = await oauth.authorizationCodeGrantRequest(server, this.client, this.clientAuth, params, this.options.callbackUri, trip.verifier, this.requestOptions());
      tokens = await oauth.processAuthorizationCodeResponse(server, this.client, response);
    } catch (error) {
      if (isNetworkError(error)) throw new SignInError(this.unavailable(), `the token endpoint could not be reached: ${messageOf(error)}`, 503);
      throw new SignInError(`${this.name} did not give access, so you are not signed in.`, `the code grant failed: ${messageOf(error)}`);
    }
    const upstream = this.credentialOf(tokens, undefined, now);
    return this.userOf(upstream);
  }

  /**
   * Whether `identity`'s access token should be renewed before a call sets out with it: expired, or within the
   * last quarter of its lifetime (at most its last 30 s). Without a refresh token it is used until the API refuses it.
   */
  needsRenewal(identity: Identity, now: number): boolean {
    const { expiresAt } = identity.upstream;
    if (expiresAt === undefined) return false;
    const state = stateOf(identity);
    if (!state.refreshToken) return false;
    const lifetime = state.obtainedAt === undefined ? MAX_MARGIN_MS * 4 : expiresAt - state.obtainedAt;
    return expiresAt - Math.min(MAX_MARGIN_MS, lifetime / 4) <= now;
  }

  /** A renewed credential for `identity` (its refresh token used, rotated where the server rotates it); null when the server refuses it. Throws when the server cannot be asked now. */
  async refresh(identity: Identity, now: number): Promise<UpstreamCredential | null> {
    const refreshToken = stateOf(identity).refreshToken;
    if (!refreshToken) return null;
    const server = await this.server().catch((error: unknown) => {
      throw new IdentityUnavailableError(messageOf(error));
    });
    let tokens: oauth.TokenEndpointResponse;
    try {
      const response = await oauth.refreshTokenGrantRequest(server, this.client, this.clientAuth, refreshToken, this.requestOptions());
      tokens = await oauth.processRefreshTokenResponse(server, this.client, response);
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && (error.error === 'invalid_grant' || error.error === 'unauthorized_client')) {
        this.options.log.info('oauth.chained_refresh_refused', { user: identity.userId, error: error.error });
        return null;
      }
      throw new IdentityUnavailableError(`the refresh at ${this.name} failed: ${messageOf(error)}`);
    }
    return this.credentialOf(tokens, refreshToken, now);
  }

  /** Revokes the API's refresh token (and so, at most servers, its access tokens) where the server offers revocation; best effort, logged. */
  async revoke(identity: Identity): Promise<void> {
    const refreshToken = stateOf(identity).refreshToken;
    try {
      const server = await this.server();
      if (!server.revocation_endpoint || !refreshToken) return;
      const response = await oauth.revocationRequest(server, this.client, this.clientAuth, refreshToken, { ...this.requestOptions(), additionalParameters: { token_type_hint: 'refresh_token' } });
      await oauth.processRevocationResponse(response);
      this.options.log.info('oauth.chained_revoked', { user: identity.userId });
    } catch (error) {
      this.options.log.warn('oauth.chained_revoke_failed', { user: identity.userId, error: messageOf(error) });
    }
  }

  /** The credential in a token answer; the refresh token kept (the new one when the server rotated it). */
  private credentialOf(tokens: oauth.TokenEndpointResponse, previousRefresh: string | undefined, now: number): UpstreamCredential {
    if (!/^[\x21-\x7e]+$/.test(tokens.access_token)) throw new SignInError(this.unavailable(), 'the access token holds characters a header cannot carry', 502);
    const refreshToken = tokens.refresh_token ?? previousRefresh;
    const state: ChainedState = refreshToken ? { refreshToken, obtainedAt: now } : { obtainedAt: now };
    return {
      headers: { [this.header.name]: this.header.template.replaceAll('{token}', tokens.access_token) },
      ...(typeof tokens.expires_in === 'number' && { expiresAt: now + tokens.expires_in * 1000 }),
      state: JSON.stringify(state),
    };
  }

  /** Who the API says the token's user is, and the highest scope their role allows. */
  private async userOf(upstream: UpstreamCredential): Promise<Identity> {
    let response: Response;
    try {
      response = await fetch(this.options.userUrl, { headers: { ...upstream.headers, accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    } catch (error) {
      throw new SignInError(this.unavailable(), `GET ${this.options.userUrl} failed: ${messageOf(error)}`, 503);
    }
    if (!response.ok) throw new SignInError(`${this.name} gave access, but the API did not say who you are.`, `GET ${this.options.userUrl} answered ${response.status}: ${(await response.text()).slice(0, 300)}`, 502);
    let user: unknown;
    try {
      user = await response.json();
    } catch {
      throw new SignInError(`${this.name} gave access, but the API did not say who you are.`, `GET ${this.options.userUrl} did not answer JSON`, 502);
    }
    const id = valueAt(user, this.options.fields.id);
    if (typeof id !== 'string' && typeof id !== 'number') throw new SignInError(`${this.name} gave access, but the API did not say who you are.`, `GET ${this.options.userUrl} answered no user id at "${this.options.fields.id}"`, 502);
    const name = valueAt(user, this.options.fields.name);
    const role = valueAt(user, this.options.fields.role);
    return {
      userId: String(id),
      name: typeof name === 'string' && name !== '' ? name : String(id),
      maxScope: typeof role === 'string' ? (this.options.roles[role] ?? 'read') : this.options.defaultScope,
      upstream,
      via: 'chained',
    };
  }

  private async server(): Promise<oauth.AuthorizationServer> {
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS) return this.discovered.server;
    const configured = this.options.server;
    let server: oauth.AuthorizationServer;
    if ('issuer' in configured) {
      const issuer = new URL(configured.issuer);
      try {
        server = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...this.requestOptions() }));
      } catch (error) {
        throw new SignInError(this.unavailable(), `discovery at ${configured.issuer} failed: ${messageOf(error)}`, 503);
      }
    } else {
      server = { issuer: new URL(configured.authorize).origin, authorization_endpoint: configured.authorize, token_endpoint: configured.token, ...(configured.revoke && { revocation_endpoint: configured.revoke }) };
    }
    if (!server.authorization_endpoint || !server.token_endpoint) throw new SignInError(this.unavailable(), `${server.issuer} names no authorization or token endpoint`, 503);
    this.discovered = { server, at: Date.now() };
    return server;
  }

  private requestOptions(): { [oauth.allowInsecureRequests]?: boolean; signal: AbortSignal } {
    const where = 'issuer' in this.options.server ? this.options.server.issuer : this.options.server.token;
    return { ...(isLoopbackHttp(where) && { [oauth.allowInsecureRequests]: true }), signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) };
  }

  private unavailable(): string {
    return `Signing in with ${this.name} is not possible right now: ${this.name} did not answer. Try again in a minute.`;
  }
}

function stateOf(identity: Identity): ChainedState {
  try {
    const state = JSON.parse(identity.upstream.state ?? '{}') as ChainedState;
    return typeof state === 'object' && state !== null ? state : {};
  } catch {
    return {};
  }
}
