/**
 * @module wire/json-rpc
 * The one place JSON-RPC error messages and answers are built (`/mcp`'s dialect). Ground level: it imports
 * nothing of Portico's, so the MCP endpoint, the bearer check and the HTTP front all answer in the same words
 * and shape. Where an error is raised, it is thrown as a `Refusal` (`wire/refusal`) and rendered by `http/answers`;
 * what the MCP layer answers as part of the protocol (a batch's per-request errors, a direct answer) is built here.
 */

/** A JSON-RPC request id (JSON-RPC 2.0 §4: a string or a number; null only in answers to unreadable requests). */
export type RequestId = string | number;

/** JSON-RPC 2.0's codes and the ones MCP's servers use for transport-level refusals. */
export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** A refusal of the HTTP request as a whole (host, origin, limits, sessions, shutdown). */
  ServerError: -32000,
  /** Not signed in, or the token is not accepted (with a 401). */
  Unauthorized: -32001,
  /** MCP 2026-07-28: a standard header (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`) missing or not matching the body (with a 400). */
  HeaderMismatch: -32020,
  /** MCP 2026-07-28: the request needs a capability the client did not declare in its `_meta` (with a 400). */
  MissingRequiredClientCapability: -32021,
  /** MCP 2026-07-28: a protocol revision this server does not speak; `data` names the ones it does (with a 400). */
  UnsupportedProtocolVersion: -32022,
} as const;

export interface JsonRpcErrorMessage {
  readonly jsonrpc: '2.0';
  readonly id: RequestId | null;
  readonly error: { readonly code: number; readonly message: string; readonly data?: unknown };
}

/** One JSON-RPC error message (an element of a batch answer, or a whole answer). */
export function errorMessage(id: RequestId | null, code: number, message: string, data?: unknown): JsonRpcErrorMessage {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** An HTTP answer whose body is one JSON-RPC error (`id` null: it answers the HTTP request, not one message of it). */
export function jsonRpcErrorResponse(status: number, code: number, message: string, headers: Readonly<Record<string, string>> = {}, id: RequestId | null = null): Response {
  return Response.json(errorMessage(id, code, message), { status, headers });
}
