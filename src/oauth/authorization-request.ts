/**
 * @module oauth/authorization-request
 * Checks an authorization request before anything is shown. The order matters (RFC 6749 §4.1.2.1): until
 * the client and its redirect URI are known good, an error is a page of ours — redirecting to an
 * unverified URI would make Portico an open redirector. After that, errors go back to the client:
 * automatically only to a redirect URI Portico trusts (`trustedRedirect`), otherwise on a page with a link
 * the user may follow (MCP authorization, "Open Redirection": redirect automatically only to trusted URIs).
 */
import { ClientMetadataError } from './client-metadata';
import { findClient, type Client } from './clients';
import type { OAuthContext } from './context';
import type { Identifier } from './pages';
import { redirectUriMatches } from './redirect-uri';
import { parseScopes, SCOPES, type Scope } from './scopes';

export interface AuthorizationRequest {
  readonly client: Client;
  readonly redirectUri: string;
  readonly state: string | undefined;
  readonly codeChallenge: string;
  /** The known scopes asked for (all of them when the client named none). */
  readonly scopes: readonly Scope[];
  readonly resource: string;
}

export type CheckedRequest =
  | { readonly kind: 'ok'; readonly request: AuthorizationRequest }
  /**
   * Shown to the user; never a redirect. `detail`: more explanation in plain words; `identifiers`: the request's values
   * the error is about, shown as code. `link`: where the user may choose to go back to the application.
   */
  | { readonly kind: 'page'; readonly status: number; readonly title: string; readonly message: string; readonly detail?: string; readonly identifiers?: readonly Identifier[]; readonly link?: string }
  /** Sent back to the client's (verified and trusted) redirect URI. */
  | { readonly kind: 'redirect'; readonly location: string };

const SINGLE = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'resource'];
/** RFC 7636 §4.2: BASE64URL(SHA-256) is 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export async function checkAuthorizationRequest(context: OAuthContext, params: URLSearchParams): Promise<CheckedRequest> {
  const page = (message: string, detail?: string, identifiers?: Identifier[]): CheckedRequest => ({ kind: 'page', status: 400, title: 'This sign-in link is not valid', message, detail, identifiers });
  for (const name of SINGLE) {
    if (params.getAll(name).length > 1) return page(`The request names "${name}" more than once.`, 'Start the connection again from your application.');
  }
  const clientId = params.get('client_id');
  if (!clientId) return page('The request does not say which application is asking (client_id is missing).', 'Start the connection again from your application.');
  let client: Client | null;
  try {
    client = await findClient(context, clientId);
  } catch (error) {
    if (!(error instanceof ClientMetadataError)) throw error;
    return page('The application\'s published description could not be used.', error.error_description);
  }
  if (!client) {
    return page('This application is not registered here.', 'It may have been registered with another server, or removed. Remove the connection in your application and add it again.', [{ name: 'client_id', value: clientId }]);
  }

  const registered = client.metadata.redirectUris;
  const given = params.get('redirect_uri');
  const redirectUri = given ?? (registered.length === 1 ? registered[0] : undefined);
  if (!redirectUri) return page('The request does not say where to return to (redirect_uri is missing).');
  if (!redirectUriMatches(registered, redirectUri)) {
    return page('The return address in this request is not one the application registered.', undefined, [{ name: 'redirect_uri', value: redirectUri }]);
  }

  const state = params.get('state') ?? undefined;
  const trusted = trustedRedirect(client, redirectUri);
  const back = (error: string, description: string): CheckedRequest => {
    const location = errorRedirect(context, redirectUri, state, error, description);
    if (trusted) return { kind: 'redirect', location };
    return { kind: 'page', status: 400, title: 'This sign-in request cannot be completed', message: `The application asked for something Portico cannot do: ${description}.`, detail: `Going back to the application opens ${destination(redirectUri)}.`, link: location };
  };
  if (params.get('response_type') !== 'code') return back('unsupported_response_type', 'response_type must be "code"');
  const challenge = params.get('code_challenge');
  const method = params.get('code_challenge_method');
  if (!challenge) return back('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256');
  if (method !== 'S256') return back('invalid_request', 'code_challenge_method must be S256 (plain is not allowed)');
  if (!S256_CHALLENGE.test(challenge)) return back('invalid_request', 'code_challenge must be the base64url SHA-256 of the verifier (43 characters)');
  if (!client.metadata.grantTypes.includes('authorization_code')) return back('unauthorized_client', 'this client did not register the authorization_code grant');

  const resourceParam = params.get('resource');
  const resource = resourceParam === null ? context.settings.resource : canonicalResource(resourceParam);
  if (resource !== context.settings.resource) return back('invalid_target', `resource must be ${context.settings.resource}`);

  const { scopes } = parseScopes(params.get('scope'));
  return { kind: 'ok', request: { client, redirectUri, state, codeChallenge: challenge, scopes: scopes.length > 0 ? scopes : [...SCOPES], resource } };
}

/**
 * Whether errors may be sent to `redirectUri` without the user choosing to go there. Trusted: a loopback
 * `http:` URI (the user's own machine, where a native client waits for its answer), and an https URI on the
 * same origin as a client whose metadata document Portico fetched from that origin (the host vouches for its
 * own address). A client that registered itself (anonymous dynamic registration) names any https URI or
 * operating-system handler scheme it likes: an automatic redirect there would make Portico an open redirector.
 */
export function trustedRedirect(client: Client, redirectUri: string): boolean {
  const url = URL.parse(redirectUri);
  if (!url) return false;
  if (url.protocol === 'http:') return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  return client.verified && url.protocol === 'https:' && url.origin === new URL(client.id).origin;
}

/** Where following a redirect URI takes the user, in words: its origin, or the app that handles its scheme. */
function destination(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : `the app that handles "${url.protocol}" links on this device`;
}

/** A resource URI compared as RFC 8707 clients send it: scheme and host case-insensitive; no fragment. */
export function canonicalResource(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.hash || value.includes('#')) return undefined;
  return url.href.replace(/\/$/, url.pathname === '/' ? '' : '/');
}

/** The client's redirect URI with the answer in its query, and `iss` (RFC 9207) so it knows who answered. */
export function redirectWith(context: OAuthContext, redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(name, value);
  url.searchParams.append('iss', context.settings.issuer);
  return url.href;
}

function errorRedirect(context: OAuthContext, redirectUri: string, state: string | undefined, error: string, description: string): string {
  return redirectWith(context, redirectUri, { error, error_description: description, state });
}
