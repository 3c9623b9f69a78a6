/**
 * @module mcp/scope-check
 * One answer to a call beyond the token's scopes that the user could allow (`ToolRequests.refuseBeyondScope`
 * decides; one their role never allows is a tool result instead), in either era and however its answer would
 * travel (JSON, an SSE stream, a batch): HTTP 403 with the `insufficient_scope` challenge, which lets the client
 * ask the user for more (step-up), and a JSON-RPC error in the body saying it in words. It is decided on the
 * POST's messages before any of them is served: once an answer has started (200, a stream), it could only be an
 * error inside it.
 *
 * A batch holding such a call is refused whole: nothing in it runs, and each of its requests gets an error (the
 * call beyond the scopes its own; the others one saying they were not run), so a client never has to work out
 * which part of a batch happened.
 */
import { McpError } from '../wire/mcp-error';
import type { Principal } from '../oauth/bearer';
import { topScope, type Scope } from '../oauth/scopes';
import { errorMessage, JsonRpcCode } from '../wire/json-rpc';
import { isRecord, requestIdOf, wireMessage, type RequestId } from './messages';
import type { InsufficientScopeError, ToolRequests } from './tool-requests';

/** The headers of the challenge for `needed`: `WWW-Authenticate: Bearer error="insufficient_scope", scope=…`. */
export type ScopeChallenge = (needed: Scope) => Record<string, string>;

/** A tools/call request refused for its scope. */
export interface ScopeDenial {
  readonly id: RequestId;
  readonly error: InsufficientScopeError;
}

/**
 * The 403 for `parsed` (one message, or a batch) when a tools/call in it needs a scope `principal`'s token lacks,
 * each such call reported as denied (`ToolRequests.refuseBeyondScope`); undefined when every call in it may go on.
 */
export function refuseBeyondScope(
  requests: ToolRequests,
  parsed: unknown,
  principal: Principal | undefined,
  headers: Readonly<Record<string, string>>,
  challenge: ScopeChallenge | undefined,
): Response | undefined {
  if (!principal) return undefined;
  const batch = Array.isArray(parsed) ? (parsed as unknown[]) : undefined;
  let denials: ScopeDenial[] | undefined;
  for (const message of batch ?? [parsed]) {
    const call = toolCallOf(message);
    const error = call && requests.refuseBeyondScope(call.name, call.args, principal);
    if (call && error) (denials ??= []).push({ id: call.id, error });
  }
  return denials && insufficientScope(denials, batch, headers, challenge);
}

/** The 403 itself: `denials` (at least one) among the requests of `batch`, or the one request sent alone. */
export function insufficientScope(
  denials: readonly ScopeDenial[],
  batch: readonly unknown[] | undefined,
  headers: Readonly<Record<string, string>>,
  challenge: ScopeChallenge | undefined,
): Response {
  const [first] = denials;
  if (!first) throw new TypeError('insufficientScope needs at least one denial');
  // the ladder makes the highest scope needed enough for all of them
  const needed = topScope(denials.map((denial) => denial.error.needed)) ?? first.error.needed;
  let body: unknown = errorAnswer(first.id, first.error);
  if (batch) {
    const notRun = new McpError(
      JsonRpcCode.InvalidRequest,
      `Not run: this batch also calls "${first.error.tool}", which needs the "${first.error.needed}" permission this connection was not given, so none of the batch was run. Send this request again without that call.`,
    );
    body = batch.flatMap((message) => {
      const id = requestIdOf(message);
      if (id === undefined) return [];
      const denial = denials.find((candidate) => candidate.id === id);
      return [errorAnswer(id, denial ? denial.error : notRun)];
    });
  }
  return new Response(JSON.stringify(body), { status: 403, headers: { ...headers, 'content-type': 'application/json', ...challenge?.(needed) } });
}

function errorAnswer(id: RequestId, error: McpError): unknown {
  return errorMessage(id, error.code, wireMessage(error));
}

/** A well-formed tools/call request: its id, the tool and its arguments (malformed ones are left to the usual paths, which say what to fix). */
function toolCallOf(message: unknown): { id: RequestId; name: string; args: Record<string, unknown> } | undefined {
  if (!isRecord(message) || message.jsonrpc !== '2.0' || message.method !== 'tools/call') return undefined;
  const id = requestIdOf(message);
  const { params } = message;
  if (id === undefined || !isRecord(params) || typeof params.name !== 'string') return undefined;
  if (params.arguments !== undefined && !isRecord(params.arguments)) return undefined;
  return { id, name: params.name, args: params.arguments ?? {} };
}

