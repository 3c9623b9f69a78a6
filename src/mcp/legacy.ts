/**
 * @module mcp/legacy
 * The messages of a POST to `/mcp` in the 2025 revisions (2025-03-26, 2025-06-18, 2025-11-25), answered with the
 * same methods as 2026-07-28 (`mcp/methods`): `initialize` and the 2025 methods besides (`ping`,
 * `logging/setLevel`, resource subscriptions), notifications, and the client's answers to the server's own
 * requests. The endpoint (`mcp/endpoint`) has checked the HTTP side by then: headers, session, batch rules, cost,
 * scopes.
 *
 * An answer is JSON unless something may have to be said while a request runs — progress it asked for, a question
 * for the user or the model, a plugin tool's log messages — and the client can hear it: then the POST is answered
 * with an SSE stream that carries those, then the answer. So a plain call, which is nearly every request, costs
 * no stream; and there is one way to answer a request, whichever it is.
 */
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_NEGOTIATED_PROTOCOL_VERSION, LATEST_PROTOCOL_VERSION, McpError, SUPPORTED_PROTOCOL_VERSIONS } from '../wire/mcp-error';
import type { LogLevel } from '../../plugins/portico';
import type { Logger } from '../log';
import type { Principal } from '../oauth/bearer';
import type { RequestExtra } from '../plugins/context';
import { blobOf, joinParts, type JsonParts } from '../catalog/listing';
import { MissingClientCapability } from '../wire/input-required';
import { errorMessage, JsonRpcCode, type RequestId } from '../wire/json-rpc';
import type { LegacySession, Outgoing } from './legacy-session';
import { isRecord, wireMessage } from './messages';
import { cursorOf, sharedMethods, type MethodHandler } from './methods';
import type { PluginFeatures } from './plugin-features';
import { checkReadable } from './resources';
import { insufficientScope, type ScopeChallenge } from './scope-check';
import { SseWriter } from './sse';
import { InsufficientScopeError, type ToolRequests } from './tool-requests';

/** The version a request is served under when nothing says which (the spec's assumption). */
export { DEFAULT_NEGOTIATED_PROTOCOL_VERSION };

/** The revisions of this era, newest first. */
export const LEGACY_VERSIONS: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;

const LOG_LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);

export interface LegacyOptions {
  readonly requests: ToolRequests;
  readonly plugins?: PluginFeatures;
  readonly capabilities: ServerCapabilities;
  readonly serverInfo: { name: string; version: string };
  readonly log: Logger;
  readonly insufficientScope?: ScopeChallenge;
}

/** A JSON-RPC request of the POST. */
interface Incoming {
  readonly id: RequestId;
  readonly method: string;
  readonly params: Record<string, unknown>;
  /** The toolsets the connection chose (its URL's `toolsets=`). */
  readonly toolsets?: ReadonlySet<string>;
}

/**
 * What is served: the whole answer as JSON (text, or UTF-8 in parts: a tools/list page is never decoded, and written
 * from its tools' bytes as they are kept), or an error message.
 */
type Answer = { readonly json: string | JsonParts } | { readonly error: ReturnType<typeof errorMessage> };

export class LegacyProtocol {
  private readonly methods: ReadonlyMap<string, MethodHandler>;

  constructor(private readonly options: LegacyOptions) {
    this.methods = sharedMethods(options.requests, options.plugins, options.capabilities);
  }

  /** The result of `initialize`: the version settled on (the client's when spoken here, else the latest), what is offered, who answers. */
  initialize(params: Record<string, unknown>): { protocolVersion: string; result: Record<string, unknown> } {
    const requested = params.protocolVersion;
    const protocolVersion = typeof requested === 'string' && LEGACY_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
    return { protocolVersion, result: { protocolVersion, capabilities: this.options.capabilities, serverInfo: this.options.serverInfo } };
  }

  /**
   * Answers the POST's `messages` (one, or a 2025-03-26 batch) for `session` (undefined: stateless). `headers`: of
   * the answer. `signal`: cancels the calls of a stateless POST (a session's are cancelled by notification only).
   */
  async answer(messages: unknown, session: LegacySession | undefined, principal: Principal | undefined, headers: Readonly<Record<string, string>>, signal: AbortSignal, toolsets?: ReadonlySet<string>): Promise<Response> {
    const batch = Array.isArray(messages);
    const incoming: Incoming[] = [];
    const invalid: ReturnType<typeof errorMessage>[] = [];
    for (const message of batch ? messages : [messages]) {
      if (!isRecord(message) || message.jsonrpc !== '2.0') {
        invalid.push(errorMessage(null, JsonRpcCode.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 message'));
        continue;
      }
      const { id, method } = message;
      const validId = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
      if (typeof method !== 'string') {
        // an answer to one of the server's requests
        if (validId && ('result' in message || 'error' in message) && session?.answered(message)) continue;
        if (!validId || !('result' in message || 'error' in message)) invalid.push(errorMessage(null, JsonRpcCode.InvalidRequest, 'Invalid Request: a message needs a "method", or an "id" with a "result" or an "error"'));
        continue;
      }
      const params = message.params === undefined ? {} : message.params;
      if (id === undefined) {
        this.notified(method, params, session);
        continue;
      }
      if (!validId) {
        invalid.push(errorMessage(null, JsonRpcCode.InvalidRequest, 'Invalid Request: "id" must be a string or a number'));
        continue;
      }
      if (!isRecord(params)) {
        invalid.push(errorMessage(id, JsonRpcCode.InvalidParams, `${method}: "params" must be an object`));
        continue;
      }
      incoming.push({ id, method, params, toolsets });
    }
    if (incoming.length === 0) {
      if (invalid.length === 0) return new Response(null, { status: 202, headers });
      return Response.json(batch ? invalid : invalid[0], { status: 400, headers });
    }
    if (session && incoming.some((request) => this.mayTalk(request, session, principal))) return this.streamed(incoming, invalid, session, principal, headers);
    if (!batch) {
      const answer = await this.serve(incoming[0]!, session, principal, SILENT, signal);
      // a call beyond the scopes (its scope changed since the check before anything ran): the same 403
      if ('scope' in answer) return insufficientScope([{ id: incoming[0]!.id, error: answer.scope }], undefined, headers, this.options.insufficientScope);
      return new Response('json' in answer ? bodyOf(answer.json) : JSON.stringify(answer.error), { status: 200, headers });
    }
    const answers = await Promise.all(incoming.map((request) => this.serve(request, session, principal, SILENT, signal)));
    const texts = [...answers.map((answer) => ('scope' in answer ? JSON.stringify(scopeError(answer.id, answer.scope)) : textOf(answer))), ...invalid.map((error) => JSON.stringify(error))];
    return new Response(`[${texts.join(',')}]`, { status: 200, headers });
  }

  /** Notifications from the client: a cancellation stops the call it names; the rest ask for nothing. */
  private notified(method: string, params: unknown, session: LegacySession | undefined): void {
    if (method !== 'notifications/cancelled' || !session || !isRecord(params)) return;
    const { requestId, reason } = params;
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    session.calls.get(requestId)?.abort(typeof reason === 'string' ? reason : 'cancelled by the client');
  }

  /**
   * Whether serving `request` may have to say something before its answer: progress it asked for, a question (a
   * plugin may ask where the client can answer), a plugin tool's log messages.
   */
  private mayTalk(request: Incoming, session: LegacySession, principal: Principal | undefined): boolean {
    const meta = request.params._meta;
    if (isRecord(meta) && meta.progressToken !== undefined) return true;
    if (request.method === 'tools/call') {
      const args = isRecord(request.params.arguments) ? request.params.arguments : undefined;
      return typeof request.params.name === 'string' && this.options.requests.needsSession(request.params.name, principal, session.canBeAsked, args);
    }
    return (request.method === 'prompts/get' || request.method === 'resources/read') && this.options.plugins !== undefined && session.canBeAsked;
  }

  /** The POST answered with an SSE stream: what is said while the requests run, then each answer as it comes. */
  private streamed(incoming: Incoming[], invalid: ReturnType<typeof errorMessage>[], session: LegacySession, principal: Principal | undefined, headers: Readonly<Record<string, string>>): Response {
    const stream = new SseWriter();
    const send = (message: Outgoing) => stream.send({ jsonrpc: '2.0', ...message });
    void (async () => {
      for (const error of invalid) await stream.send(error);
      await Promise.all(
        incoming.map(async (request) => {
          const answer = await this.serve(request, session, principal, send, undefined);
          await stream.sendJson('scope' in answer ? JSON.stringify(scopeError(answer.id, answer.scope)) : textOf(answer));
        }),
      );
      stream.close();
    })();
    return stream.response({ ...headers });
  }

  /** Serves one request: its answer, never a throw (a call refused for scope is marked, for the 403). */
  private async serve(request: Incoming, session: LegacySession | undefined, principal: Principal | undefined, send: (message: Outgoing) => Promise<void>, signal: AbortSignal | undefined): Promise<Answer | { id: RequestId; scope: InsufficientScopeError }> {
    const { id, method } = request;
    // a call in a session stops on notifications/cancelled only; a stateless one when its POST goes away
    const controller = session ? new AbortController() : undefined;
    if (session && controller) session.calls.set(id, controller);
    try {
      return { json: await this.dispatch(request, session, principal, send, controller?.signal ?? signal ?? new AbortController().signal) };
    } catch (error) {
      if (error instanceof InsufficientScopeError) return { id, scope: error };
      return { error: this.errorOf(id, method, error) };
    } finally {
      if (session && session.calls.get(id) === controller) session.calls.delete(id);
    }
  }

  /** The result of one request as JSON text. */
  private async dispatch(request: Incoming, session: LegacySession | undefined, principal: Principal | undefined, send: (message: Outgoing) => Promise<void>, signal: AbortSignal): Promise<string | JsonParts> {
    const { id, method, params } = request;
    const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`;
    switch (method) {
      case 'initialize':
        if (typeof params.protocolVersion !== 'string') throw new McpError(JsonRpcCode.InvalidParams, 'initialize: "params.protocolVersion" must be the protocol version the client speaks (a string)');
        // the session was opened by this request; another initialize in it would change what both sides agreed on
        if (session && session.initialized) throw new McpError(JsonRpcCode.InvalidRequest, 'this session is already initialized: to start over, send initialize without Mcp-Session-Id');
        if (session) session.initialized = true;
        return `${head}${JSON.stringify(this.initialize(params).result)}}`;
      case 'ping':
        return `${head}{}}`;
      case 'tools/list':
        return withResult(head, this.options.requests.listJson(cursorOf(params), principal, request.toolsets));
    }
    if (method === 'logging/setLevel' && this.options.capabilities.logging) {
      if (typeof params.level !== 'string' || !LOG_LEVELS.has(params.level)) throw new McpError(JsonRpcCode.InvalidParams, `logging/setLevel: "params.level" must be one of ${[...LOG_LEVELS].join(', ')}`);
      if (session) session.logLevel = params.level as LogLevel;
      return `${head}{}}`;
    }
    if ((method === 'resources/subscribe' || method === 'resources/unsubscribe') && this.options.plugins && this.options.capabilities.resources?.subscribe) {
      if (typeof params.uri !== 'string') throw new McpError(JsonRpcCode.InvalidParams, `${method}: "params.uri" must be the URI of a resource (a string)`);
      if (method === 'resources/subscribe') {
        checkReadable(this.options.plugins, params.uri, principal);
        session?.subscriptions.add(params.uri);
      } else session?.subscriptions.delete(params.uri);
      return `${head}{}}`;
    }
    const handler = this.methods.get(method);
    if (!handler) throw new McpError(JsonRpcCode.MethodNotFound, 'Method not found');
    const meta = params._meta;
    const progressToken = isRecord(meta) && (typeof meta.progressToken === 'string' || typeof meta.progressToken === 'number') ? meta.progressToken : undefined;
    const extra: RequestExtra = {
      progressToken,
      sendNotification: (notification) => send(notification),
      logs: (level) => session?.logs(level) ?? true,
      // a client that cannot be asked anything is asked nothing
      ...(session?.canBeAsked && { ask: session.asker(send, signal) }),
    };
    return `${head}${JSON.stringify(await handler(params, { principal, signal, extra }))}}`;
  }

  /** A request's error as MCP says it: the code and message of a protocol error; a generic one for the rest (logged). */
  private errorOf(id: RequestId, method: string, error: unknown): ReturnType<typeof errorMessage> {
    if (error instanceof MissingClientCapability) {
      return errorMessage(id, JsonRpcCode.MissingRequiredClientCapability, error.message, { requiredCapabilities: Object.fromEntries(error.capabilities.map((capability) => [capability, {}])) });
    }
    if (error instanceof McpError) return errorMessage(id, error.code, wireMessage(error), error.data);
    this.options.log.error('mcp.request_failed', { method, error: error instanceof Error ? error.message : String(error) });
    return errorMessage(id, JsonRpcCode.InternalError, error instanceof Error ? error.message : 'Internal error');
  }
}

/** An answer as JSON text (a batch or a stream is written as text). */
function textOf(answer: Answer): string {
  if (!('json' in answer)) return JSON.stringify(answer.error);
  return typeof answer.json === 'string' ? answer.json : UTF8.decode(joinParts(answer.json));
}

/** A body for `json`: text as it is, parts as one Blob (`blobOf`). */
function bodyOf(json: string | JsonParts): string | Blob {
  return typeof json === 'string' ? json : blobOf(json);
}

/** `head` + the page + `}`: a tools/list answer around the page's parts, none of them copied. */
function withResult(head: string, page: JsonParts): JsonParts {
  return [ENCODER.encode(head), ...page, CLOSING_BRACE];
}

/** Where a request answered in JSON says what it would say before its answer: nowhere (it has no stream). */
const SILENT = async (): Promise<void> => {};

function scopeError(id: RequestId, error: InsufficientScopeError): ReturnType<typeof errorMessage> {
  return errorMessage(id, error.code, wireMessage(error));
}

const UTF8 = new TextDecoder();
const ENCODER = new TextEncoder();
const CLOSING_BRACE = ENCODER.encode('}');
