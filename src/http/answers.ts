/**
 * @module http/answers
 * The one place a thrown error becomes an answer on the wire. Each route speaks one dialect, decided once by
 * `http/front` from its route label: `/mcp` answers in JSON-RPC, every other route in OAuth's error shape. What
 * was thrown says what happened — a `Refusal` (a whole request refused), an `OAuthError` (an OAuth endpoint's
 * verdict), the store out of reach, or anything else (a bug) — and is rendered here in the route's dialect, so
 * the same refusal has the same status, words and headers wherever it is met.
 */
import type { Logger } from '../log';
import { StoreUnavailableError } from '../store';
import { JsonRpcCode, jsonRpcErrorResponse } from '../wire/json-rpc';
import { OAuthError, oauthErrorResponse } from '../wire/oauth';
import { Refusal } from '../wire/refusal';

/** How a route words its errors: JSON-RPC on `/mcp`, OAuth's `{ error, error_description }` elsewhere. */
export type Dialect = 'json-rpc' | 'oauth';

/** Where an error was met, for its log line. */
export interface Asked {
  readonly request: Request;
  /** The route label `http/front` decided (a fixed list: log lines and metrics stay comparable). */
  readonly route: string;
}

/** Said to the client for a bug: nothing of the error itself, only where to look it up. */
const INTERNAL = 'internal error; the request id is in X-Request-Id';

/** The store out of reach: retryable, and nothing was half-done (each write is one transaction). */
const STORE_DOWN = new Refusal(503, 'Portico cannot reach its database right now; try again shortly', { oauth: 'temporarily_unavailable' }, { 'retry-after': '5', 'cache-control': 'no-store' });

/** `refusal` in `dialect`: its status, words and headers; the code is the one that dialect uses for it. */
export function answerRefusal(refusal: Refusal, dialect: Dialect): Response {
  return dialect === 'json-rpc'
    ? jsonRpcErrorResponse(refusal.status, refusal.jsonRpcCode, refusal.message, refusal.headers)
    : oauthErrorResponse(refusal.status, refusal.codes.oauth, refusal.message, refusal.headers);
}

/**
 * The answer to `error`, thrown while answering `asked`, in `dialect`. Every error gets one: what is not a
 * refusal, an OAuth error or the store out of reach is a bug, logged with the request id and answered 500
 * without details (never a stack trace or a message meant for the log).
 */
export function answerError(error: unknown, dialect: Dialect, log: Logger, asked: Asked): Response {
  if (error instanceof Refusal) return answerRefusal(error, dialect);
  if (error instanceof OAuthError) {
    // an OAuth endpoint's verdict met on /mcp (none today) keeps its status and words
    return dialect === 'oauth' ? error.toResponse() : jsonRpcErrorResponse(error.status, JsonRpcCode.ServerError, error.description, error.headers);
  }
  if (error instanceof StoreUnavailableError) {
    log.error('store.unavailable', { path: new URL(asked.request.url).pathname, reason: error.message });
    return answerRefusal(STORE_DOWN, dialect);
  }
  log.error('http.failed', { route: asked.route, method: asked.request.method, error: error instanceof Error ? error.message : String(error) });
  return dialect === 'json-rpc' ? jsonRpcErrorResponse(500, JsonRpcCode.ServerError, INTERNAL) : oauthErrorResponse(500, 'server_error', INTERNAL);
}
