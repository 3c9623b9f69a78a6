/**
 * @module wire/oauth
 * The one place OAuth error bodies are built (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 7009 §2.2.1, and every
 * non-MCP route of the gateway): a JSON body with `error` and an `error_description` that says what to fix,
 * never cached. Handlers throw `OAuthError`; `http/answers` renders it.
 */

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'unsupported_token_type'
  | 'temporarily_unavailable'
  | 'server_error'
  /** RFC 6750 §3.1: the bearer token is missing, malformed, expired or revoked (`/mcp`'s 401 says it in its challenge). */
  | 'invalid_token'
  /** RFC 6749 §4.1.2.1: the server refuses this requester (e.g. `/metrics` to an address it does not serve). */
  | 'access_denied'
  /** Not an OAuth code: a path that is no route (the gateway's other routes answer in this shape too). */
  | 'not_found';

export const NO_STORE: Readonly<Record<string, string>> = { 'cache-control': 'no-store', pragma: 'no-cache' };

export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly status = 400,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description);
  }

  toResponse(): Response {
    return oauthErrorResponse(this.status, this.code, this.description, this.headers);
  }
}

/** An HTTP answer with an OAuth error body, never cached. */
export function oauthErrorResponse(status: number, code: OAuthErrorCode, description: string, headers: Readonly<Record<string, string>> = {}): Response {
  return Response.json({ error: code, error_description: description }, { status, headers: { ...NO_STORE, ...headers } });
}
