/**
 * @module mcp/messages
 * What a JSON-RPC message in a POST body is, decided in one place for every part of `/mcp` that looks at the
 * messages before they are served (the era, the batch rules and their cost, the scope check).
 */

import type { RequestId } from '../wire/json-rpc';

export type { RequestId };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What a protocol error says on the wire: its own words. The SDK's `McpError` puts "MCP error <code>: " in front of
 * them, and a client adds that again when it shows the error ("MCP error -32602: MCP error -32602: …").
 */
export function wireMessage(error: Error): string {
  return error.message.replace(/^MCP error -?\d+: /, '');
}

/** The id of a JSON-RPC request; undefined for a notification, a response or anything else. */
export function requestIdOf(message: unknown): RequestId | undefined {
  if (!isRecord(message) || typeof message.method !== 'string') return undefined;
  const { id } = message;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined;
}
