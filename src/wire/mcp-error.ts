/**
 * @module wire/mcp-error
 * MCP's protocol error and the 2025 revisions' version constants, as the official SDK (1.x `types.js`) defines them.
 * Importing them from the SDK would load zod and every schema of MCP into each gateway: about 15 MiB of memory
 * and tens of milliseconds of start-up for a class and three constants. The SDK stays what defines them:
 * test/mcp/sdk-parity.test.ts fails when these differ from what the installed SDK says, and when anything the
 * gateway loads at start pulls zod back in. Codes are JSON-RPC's (`JsonRpcCode`).
 */

/** A JSON-RPC error to answer with; the message has the SDK's `MCP error <code>: ` prefix (`wireMessage` strips it). */
export class McpError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(`MCP error ${code}: ${message}`);
    this.name = 'McpError';
  }
}

/** The newest revision of the 2025 era: what `initialize` answers a version it does not know with. */
export const LATEST_PROTOCOL_VERSION = '2025-11-25';
/** What a request without `MCP-Protocol-Version` (nor a session that negotiated one) is taken to speak. */
export const DEFAULT_NEGOTIATED_PROTOCOL_VERSION = '2025-03-26';
/** The revisions `initialize` accepts, newest first. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [LATEST_PROTOCOL_VERSION, '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'];
