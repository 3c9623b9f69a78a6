/**
 * @module oauth/oidc
 * Sign-in through an OpenID provider (Google, Microsoft Entra ID, Okta, Auth0, Keycloak…), then an exchange at
 * the API. Portico is the provider's relying party, with well-kept libraries doing the protocol:
 * `oauth4webapi` for discovery, the authorization response (state; RFC 9207 `iss` where the provider sends it)
 * and the code grant with PKCE; `jose` for the ID token's signature against the provider's JWKS (fetched again
 * when a token names a key it does not know: key rotation) and its claims (issuer, audience, expiry and issue
 * time with 60 s of clock skew), the nonce checked after.
 *
 * What connects the two legs of the browser's trip is a sealed, short-lived cookie set when the trip starts:
 * the state, the nonce, the PKCE verifier and where to return. A callback whose state is not the cookie's
 * (replayed, or brought by another browser) is refused, and the cookie is cleared on every callback: one use.
 *
 * The provider's ID token then goes to the API's own endpoint that already accepts it (how single-page apps
 * with their own API do "Sign in with Google"), which answers with the user's API credential like its login
 * endpoint does (`oauth/api-answer`). The identity that comes out is the same as a password sign-in's.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import type { Logger } from '../log';
import { identityFromAnswer, type AnswerFields } from './api-answer';
import { IdentityUnavailableError, type Identity } from './identity';
import { authorizationUrl, isLoopbackHttp, isNetworkError, messageOf } from './remote';
import { SignInError } from './sign-in-error';

export interface OidcOptions {
  readonly issuer: string;
  readonly clientId: string;
  /** Absent: a public client (PKCE only). */
  readonly clientSecret?: string;
  /** What the button says: "Continue with {name}". */
  readonly name: string;
  readonly scopes: string;
  /** Portico's callback: `<public URL>/oauth/callback`. */
  readonly redirectUri: string;
  /** The API's endpoint that takes the ID token. */
  readonly exchangeUrl: string;
  readonly exchangeField: string;
  readonly answer: AnswerFields;
  readonly log: Logger;
  readonly timeoutMs?: number;
}

/** What the browser's trip to the provider carries, sealed in its cookie. */
export interface OidcTrip {
  readonly method: 'oidc';
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  /** Where to send the browser back (the authorization request's own URL). */
  readonly returnTo: string;
  readonly expiresAt: number;
}

const TRIP_TTL_MS = 10 * 60_000;
const CLOCK_SKEW_SECONDS = 60;
const DISCOVERY_TTL_MS = 60 * 60_000;

export class OidcSignIn {
  readonly name: string;
  private discovered?: { server: oauth.AuthorizationServer; jwks: ReturnType<typeof createRemoteJWKSet>; at: number };
  private readonly client: oauth.Client;
  private readonly clientAuth: oauth.ClientAuth;
  private readonly insecure: boolean;

  constructor(private readonly options: OidcOptions) {
    this.name = options.name;
    this.client = { client_id: options.clientId, [oauth.clockTolerance]: CLOCK_SKEW_SECONDS };
    this.clientAuth = options.clientSecret ? oauth.ClientSecretPost(options.clientSecret) : oauth.None();
    // plain http only for a provider on this machine (the demo's, tests')
    this.insecure = isLoopbackHttp(options.issuer);
  }

  get description(): string {
    return `the OpenID provider ${this.options.issuer}, then the API's POST ${this.options.exchangeUrl}`;
  }

  /** The trip to the provider: where to send the browser, and the trip's secrets for its cookie. */
  async start(returnTo: string, now: number): Promise<{ location: string; trip: OidcTrip }> {
    const { server } = await this.provider();
    if (!server.authorization_endpoint) throw new SignInError(this.unavailable(), `${this.options.issuer} names no authorization endpoint`, 503);
    const trip: OidcTrip = { method: 'oidc', state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce(), verifier: oauth.generateRandomCodeVerifier(), returnTo, expiresAt: now + TRIP_TTL_MS };
    const location = await authorizationUrl(server.authorization_endpoint, { clientId: this.options.clientId, redirectUri: this.options.redirectUri, scope: this.options.scopes, state: trip.state, nonce: trip.nonce, verifier: trip.verifier });
    return { location, trip };
  }

  /** The identity at the end of the trip: the callback checked against `trip`, the code redeemed, the ID token verified and exchanged at the API. */
  async finish(callback: URL, trip: OidcTrip, now: number): Promise<Identity> {
    if (trip.expiresAt <= now) throw new SignInError('The sign-in took too long. Go back to your application and connect again.', 'the trip to the provider expired');
    const { server, jwks } = await this.provider();
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(server, this.client, callback.searchParams, trip.state);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        const denied = error.error === 'access_denied';
        throw new SignInError(denied ? `You did not sign in with ${this.name}.` : `${this.name} did not sign you in (${error.error}).`, `the provider answered ${error.error}: ${error.error_description ?? ''}`);
      }
      throw new SignInError('This sign-in cannot be completed: it does not belong to this browser or was already used. Go back to your application and connect again.', `the authorization response was refused: ${messageOf(error)}`);
    }
    let idToken: string;
    try {
      const response = await oauth.authorizationCodeGrantRequest(server, this.client, this.clientAuth, params, this.options.redirectUri, trip.verifier, this.requestOptions());
      const result = await oauth.processAuthorizationCodeResponse(server, this.client, response, { expectedNonce: trip.nonce, requireIdToken: true });
      idToken = result.id_token!;
    } catch (error) {
      if (error instanceof TypeError || isNetworkError(error)) throw new SignInError(this.unavailable(), `the provider's token endpoint could not be reached: ${messageOf(error)}`, 503);
      throw new SignInError(`${this.name} did not confirm who you are, so you are not signed in.`, `the code grant failed: ${messageOf(error)}`);
    }
    const claims = await this.verified(idToken, server, jwks, trip.nonce);
    return this.exchange(idToken, claims);
  }

  /** The ID token's signature against the provider's keys, and its claims (issuer, audience, expiry, nonce). */
  private async verified(idToken: string, server: oauth.AuthorizationServer, jwks: ReturnType<typeof createRemoteJWKSet>, nonce: string): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, jwks, {
        issuer: server.issuer,
        audience: this.options.clientId,
        clockTolerance: CLOCK_SKEW_SECONDS,
        algorithms: server.id_token_signing_alg_values_supported?.filter((alg) => alg !== 'none') ?? ['RS256'],
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (error) {
      const reason = error instanceof joseErrors.JOSEError ? `${error.code}: ${error.message}` : messageOf(error);
      throw new SignInError(`${this.name} did not confirm who you are, so you are not signed in.`, `the ID token was refused: ${reason}`);
    }
    if (payload.nonce !== nonce) throw new SignInError(`${this.name} did not confirm who you are, so you are not signed in.`, 'the ID token was refused: its nonce is not the one this sign-in sent');
    return payload;
  }

  /** The user's API credential for the verified ID token, from the API's exchange endpoint. */
  private async exchange(idToken: string, claims: JWTPayload): Promise<Identity> {
    const who = typeof claims.email === 'string' ? claims.email : String(claims.sub);
    let response: Response;
    try {
      response = await fetch(this.options.exchangeUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ [this.options.exchangeField]: idToken }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new SignInError('Signing in is not possible right now: the service did not answer. Try again in a minute.', `the exchange at ${this.options.exchangeUrl} failed: ${messageOf(error)}`, 503);
    }
    if (response.status !== 200 && response.status !== 201) {
      const excerpt = (await response.text()).slice(0, 300);
      if (response.status >= 500) throw new SignInError('Signing in is not possible right now: the service did not answer. Try again in a minute.', `the exchange answered ${response.status}: ${excerpt}`, 503);
      throw new SignInError(`Your ${this.name} account (${who}) has no access here.`, `the exchange refused the ID token of ${who}: ${response.status} ${excerpt}`, 403);
    }
    try {
      return await identityFromAnswer(response, this.options.answer, who, `the exchange at ${this.options.exchangeUrl}`);
    } catch (error) {
      if (error instanceof IdentityUnavailableError) throw new SignInError('Signing in is not possible right now: the service answered in a way Portico cannot use.', error.message, 502);
      throw error;
    }
  }

  /** The provider's metadata and keys, discovered once an hour (a failure is retried on the next sign-in). */
  private async provider(): Promise<{ server: oauth.AuthorizationServer; jwks: ReturnType<typeof createRemoteJWKSet> }> {
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS) return this.discovered;
    const issuer = new URL(this.options.issuer);
    let server: oauth.AuthorizationServer;
    try {
      server = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...this.requestOptions() }));
    } catch (error) {
      throw new SignInError(this.unavailable(), `discovery at ${this.options.issuer} failed: ${messageOf(error)}`, 503);
    }
    if (!server.jwks_uri) throw new SignInError(this.unavailable(), `${this.options.issuer} publishes no jwks_uri`, 503);
    // jose refetches the key set when a token names a key it does not have (rotation). Without its 30 s cooldown
    // between fetches: a token signed with a key published just after the last fetch would be refused for up to
    // 30 s. The cooldown guards nothing here: ID tokens come only from the provider's token endpoint, so no
    // stranger can make Portico fetch the keys by naming unknown ones.
    const jwks = createRemoteJWKSet(new URL(server.jwks_uri), { timeoutDuration: this.options.timeoutMs ?? 10_000, cooldownDuration: 0 });
    this.discovered = { server, jwks, at: Date.now() };
    return this.discovered;
  }

  private requestOptions(): { [oauth.allowInsecureRequests]?: boolean; signal: AbortSignal } {
    return { ...(this.insecure && { [oauth.allowInsecureRequests]: true }), signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) };
  }

  private unavailable(): string {
    return `Signing in with ${this.name} is not possible right now: ${this.name} did not answer. Try again in a minute, or sign in another way.`;
  }
}

/** The button's words for a provider, from its issuer when not configured. */
export function providerName(issuer: string): string {
  const host = URL.canParse(issuer) ? new URL(issuer).hostname : issuer;
  if (host === 'accounts.google.com') return 'Google';
  if (host === 'login.microsoftonline.com' || host.endsWith('.microsoftonline.com')) return 'Microsoft';
  if (host.endsWith('.okta.com')) return 'Okta';
  if (host.endsWith('.auth0.com')) return 'Auth0';
  return host;
}
