/**
 * @module wire/refusal
 * A request refused as a whole, said once, whatever the route's dialect: the HTTP status, the words, the
 * headers (Retry-After, WWW-Authenticate…), and the code each dialect uses for it. Handlers and the checks in
 * front of them throw it (or return it); `http/answers` renders it as a JSON-RPC error on `/mcp` and as an
 * OAuth error elsewhere — the route decides, once.
 */
import { JsonRpcCode } from './json-rpc';
import type { OAuthErrorCode } from './oauth';

export class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(
    readonly status: number,
    message: string,
    readonly codes: { readonly oauth: OAuthErrorCode; readonly jsonRpc?: number },
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  get jsonRpcCode(): number {
    return this.codes.jsonRpc ?? JsonRpcCode.ServerError;
  }
}
