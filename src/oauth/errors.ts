/**
 * @module oauth/errors
 * OAuth error answers (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 7009 §2.2.1): a JSON body with `error` and
 * an `error_description` that says what to fix, never cached.
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
  | 'server_error';

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
    return Response.json({ error: this.code, error_description: this.description }, { status: this.status, headers: { ...NO_STORE, ...this.headers } });
  }
}

export const NO_STORE: Readonly<Record<string, string>> = { 'cache-control': 'no-store', pragma: 'no-cache' };
