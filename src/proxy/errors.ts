/**
 * @module proxy/errors
 * The failures a tool call can meet, each with a stable code, and the one place that turns them into an
 * MCP tool result (`isError: true`). Expected failures never reach the MCP layer as exceptions: a model
 * reads the message and tries again, so messages say what was wrong and with which argument.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export type ProxyErrorCode =
  /** An argument cannot be sent as it is (the caller's fault; the message names it). */
  | 'INVALID_ARGUMENT'
  /** The operation itself cannot be called as described (the API document's fault). */
  | 'INVALID_TARGET'
  /** Portico refused to send a request it built (a broken invariant, e.g. the path left its template). */
  | 'UNSAFE_REQUEST'
  /** No connection could be made to the API (refused, no such host, connect timeout, reset). */
  | 'UPSTREAM_UNREACHABLE'
  /** The API did not answer completely within the call's deadline. */
  | 'UPSTREAM_TIMEOUT'
  /** The API redirected somewhere Portico does not follow (another host, or too many hops). */
  | 'UPSTREAM_REDIRECT'
  /** The MCP client cancelled the call. */
  | 'CANCELLED';

export class ProxyError extends Error {
  override readonly name: string = 'ProxyError';
  constructor(
    readonly code: ProxyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A tool argument that cannot be sent. `argument` is the name in the tool's input schema. */
export class ProxyArgumentError extends ProxyError {
  override readonly name = 'ProxyArgumentError';
  constructor(
    readonly argument: string,
    problem: string,
  ) {
    super('INVALID_ARGUMENT', `Invalid argument "${argument}": ${problem}`);
  }
}

/** A tool result that reports `message` as an error the model can read. */
export function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** The tool result for a `ProxyError`. */
export function proxyErrorResult(error: ProxyError): CallToolResult {
  return errorResult(error.message);
}
