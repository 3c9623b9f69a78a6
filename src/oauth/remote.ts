/**
 * @module oauth/remote
 * What every client of another party's server shares (an OpenID provider, the API's authorization server): plain
 * http only to this machine (the demo's and the tests' servers), the authorization request's URL, which failures are
 * "could not reach it", and an error's words for a log line.
 */

import * as oauth from 'oauth4webapi';

/** Where to send the browser for an authorization code with PKCE S256 (and, for OpenID, a nonce). */
export async function authorizationUrl(endpoint: string, request: { clientId: string; redirectUri: string; scope: string; state: string; verifier: string; nonce?: string }): Promise<string> {
  const url = new URL(endpoint);
  url.searchParams.set('client_id', request.clientId);
  url.searchParams.set('redirect_uri', request.redirectUri);
  url.searchParams.set('response_type', 'code');
  if (request.scope) url.searchParams.set('scope', request.scope);
  url.searchParams.set('state', request.state);
  if (request.nonce) url.searchParams.set('nonce', request.nonce);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(request.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return url.href;
}

/** Whether `url` is plain http to this machine — the only plain http a sign-in may use. */
export function isLoopbackHttp(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && (hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]');
}

/** Whether `error` says the other server could not be reached (as opposed to: it answered no). */
export function isNetworkError(error: unknown): boolean {
  if (error instanceof TypeError && /fetch|connect|network/i.test(error.message)) return true;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^(ECONN|ENOTFOUND|EAI_|ETIMEDOUT|ConnectionRefused|ConnectionClosed|UND_ERR|ABORT_ERR|TimeoutError)/.test(code);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
