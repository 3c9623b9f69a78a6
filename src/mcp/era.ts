/**
 * @module mcp/era
 * Which era of MCP a POST to `/mcp` belongs to, decided once, before anything else reads it.
 *
 * 2026-07-28 is stateless: every request carries its protocol version, client info and capabilities in
 * `params._meta` (the envelope). The 2025 revisions negotiate once (`initialize`) and keep a session. The body
 * decides (a request that claims a version in its envelope is modern, whichever version it claims — the modern
 * path answers an unknown one with the error that lists ours), the `MCP-Protocol-Version` header cross-checks it,
 * and a header that names a modern revision makes a request modern even without its envelope (the modern path
 * then says what is missing rather than the 2025 path asking for a session). Batches, posted responses, GET and
 * DELETE belong to the 2025 revisions.
 */
import { SUPPORTED_PROTOCOL_VERSIONS } from '../wire/mcp-error';
import { isRecord } from './messages';

/** The revisions served statelessly, with the per-request envelope. */
export const MODERN_VERSIONS: readonly string[] = ['2026-07-28'];

/** Every revision this server speaks, newest first (what `server/discover` and the unsupported-version error list). */
export const ALL_VERSIONS: readonly string[] = [...MODERN_VERSIONS, ...SUPPORTED_PROTOCOL_VERSIONS.filter((version) => !MODERN_VERSIONS.includes(version))];

/** The reserved `_meta` keys of 2026-07-28. */
export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

/** The envelope of a message (its `params._meta`), when it has one. */
export function envelopeOf(message: Record<string, unknown>): Record<string, unknown> | undefined {
  const { params } = message;
  return isRecord(params) && isRecord(params._meta) ? params._meta : undefined;
}

/** Whether the POST whose body parsed to `parsed` is 2026-07-28 traffic (see the module's note). */
export function isModern(request: Request, parsed: unknown): boolean {
  if (!isRecord(parsed) || typeof parsed.method !== 'string') return false;
  const envelope = envelopeOf(parsed);
  if (envelope && META.protocolVersion in envelope) return true;
  const header = request.headers.get('mcp-protocol-version')?.trim();
  return header !== undefined && MODERN_VERSIONS.includes(header);
}
