/**
 * @module mcp/direct
 * The direct path: a POST holding one plain `tools/call` or `tools/list` request is answered here, with
 * JSON, without the SDK's Server and transport. Those two are nearly every request an agent sends, and
 * the SDK's per-request work (a Server and transport per stateless request, schema checks of every
 * message and result, an SSE stream per call) cost several times more than the upstream call itself.
 *
 * Only what the SDK would answer the same way comes here: the headers it requires (Accept with JSON and
 * SSE, a JSON Content-Type, a supported Mcp-Protocol-Version) and a well-formed single request. Anything
 * else — initialize, ping, notifications, batches, a call in a session that may need the SSE stream
 * (one asking for progress, a plugin tool's, or any call when policy plugins may ask the user and the
 * client can be asked), an odd header — goes to the SDK, which answers or refuses it as usual. Malformed
 * params of these two methods are answered here, with InvalidParams and what to fix.
 */
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import { ErrorCode, McpError, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log';
import type { Principal } from '../oauth/bearer';
import { errorMessage } from '../wire/json-rpc';
import { isRecord, type RequestId } from './messages';
import { insufficientScope, type ScopeChallenge } from './scope-check';
import { InsufficientScopeError, type ToolRequests } from './tool-requests';

/** A request the direct path takes. */
export type DirectRequest =
  | { readonly id: RequestId; readonly method: 'tools/list'; readonly cursor: string | undefined }
  | { readonly id: RequestId; readonly method: 'tools/call'; readonly name: string; readonly args: Record<string, unknown> }
  /** Params that do not fit: answered with InvalidParams and a message saying what to fix (the SDK would dump its schema error). */
  | { readonly id: RequestId; readonly method: 'invalid'; readonly problem: string };

/**
 * `message` as a request the direct path answers, or null to leave it to the SDK. `session`: the request
 * belongs to a session, where a call with a progress token needs the SDK's SSE answer.
 */
export function directRequest(request: Request, message: unknown, session: boolean, needsSession?: (tool: string) => boolean): DirectRequest | null {
  if (!isRecord(message) || message.jsonrpc !== '2.0') return null;
  const { id, method, params } = message;
  if (typeof id !== 'string' && (typeof id !== 'number' || !Number.isFinite(id))) return null;
  if (method !== 'tools/call' && method !== 'tools/list') return null;
  if (!acceptedHeaders(request.headers)) return null;
  if (params !== undefined && !isRecord(params)) return { id, method: 'invalid', problem: `${method}: "params" must be an object` };
  if (method === 'tools/list') {
    const cursor = params?.cursor;
    if (cursor !== undefined && typeof cursor !== 'string') return { id, method: 'invalid', problem: 'tools/list: "params.cursor" must be a string' };
    return { id, method, cursor };
  }
  if (typeof params?.name !== 'string') return { id, method: 'invalid', problem: 'tools/call: "params.name" must be the name of a tool (a string)' };
  const args = params.arguments ?? {};
  if (!isRecord(args)) return { id, method: 'invalid', problem: 'tools/call: "params.arguments" must be an object' };
  if (session && isRecord(params._meta) && params._meta.progressToken !== undefined) return null;
  if (session && needsSession?.(params.name)) return null;
  return { id, method, name: params.name, args };
}

/** The headers of a direct answer outside a session. */
export const ANSWER_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

/** The headers of a direct answer in session `id` (made once per session). */
export function sessionAnswerHeaders(id: string): Readonly<Record<string, string>> {
  return Object.freeze({ 'content-type': 'application/json', 'mcp-session-id': id });
}

/**
 * Answers `direct` as the SDK would in JSON mode: 200 with the JSON-RPC result or error. `headers`:
 * `ANSWER_HEADERS` or the session's (`sessionAnswerHeaders`).
 */
export async function answerDirect(
  requests: ToolRequests,
  direct: DirectRequest,
  context: { signal: AbortSignal; principal?: Principal; headers: Readonly<Record<string, string>>; log: Logger; insufficientScope?: ScopeChallenge },
): Promise<Response> {
  const { headers, log } = context;
  try {
    if (direct.method === 'invalid') throw new McpError(ErrorCode.InvalidParams, direct.problem);
    if (direct.method === 'tools/list') return jsonResponse(withResult(direct.id, requests.listJson(direct.cursor, context.principal)), headers);
    const result = await requests.call(direct.name, direct.args, context.signal, context.principal);
    return jsonResponse(JSON.stringify({ jsonrpc: '2.0', id: direct.id, result }), headers);
  } catch (error) {
    let code: number = ErrorCode.InternalError;
    // refused before the request was served, as a rule (`mcp/scope-check`); here when the tool's scope changed since: the same answer
    if (error instanceof InsufficientScopeError) return insufficientScope([{ id: direct.id, error }], undefined, headers, context.insufficientScope);
    if (error instanceof McpError) code = error.code;
    else log.error('mcp.request_failed', { method: direct.method, error: error instanceof Error ? error.message : String(error) });
    const message = error instanceof Error ? error.message : 'Internal error';
    return jsonResponse(JSON.stringify(errorMessage(direct.id, code, message)), headers);
  }
}

function acceptedHeaders(headers: Headers): boolean {
  const accept = headers.get('accept');
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) return false;
  if (!isJsonContentType(headers.get('content-type'))) return false;
  const version = headers.get('mcp-protocol-version');
  return version === null || SUPPORTED_PROTOCOL_VERSIONS.includes(version);
}

const encoder = new TextEncoder();
const RESULT_END = encoder.encode('}');

/** `{"jsonrpc":"2.0","id":…,"result":<json>}` around JSON that is already bytes (a tools/list page). */
function withResult(id: RequestId, json: Uint8Array): Uint8Array {
  const start = encoder.encode(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`);
  const out = new Uint8Array(start.length + json.length + RESULT_END.length);
  out.set(start);
  out.set(json, start.length);
  out.set(RESULT_END, start.length + json.length);
  return out;
}

function jsonResponse(body: string | Uint8Array, headers: Readonly<Record<string, string>>): Response {
  return new Response(body, { status: 200, headers });
}
