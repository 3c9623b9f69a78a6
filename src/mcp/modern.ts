/**
 * @module mcp/modern
 * `/mcp` for MCP 2026-07-28: every request stands alone (no `initialize`, no session), carries its protocol
 * version, client info and capabilities in `params._meta`, and is answered by whichever instance gets it.
 *
 * A request is checked in the order the revision's validation ladder gives, and the first check it fails answers
 * it: the JSON-RPC shape (400, -32600); the version its envelope claims against the `MCP-Protocol-Version`
 * header (400, -32020) and against the versions served here (400, -32022, listing them); the envelope itself
 * (400, -32602, naming the missing key); the method (404, -32601 — the 2025 methods `initialize`, `ping`,
 * `logging/setLevel` and `resources/(un)subscribe` are gone); the standard headers `MCP-Protocol-Version`,
 * `Mcp-Method` and `Mcp-Name` against the body (400, -32020); the caller's scopes (403 with the step-up
 * challenge, when the user could allow more: `ToolRequests.refuseBeyondScope`). Then the method runs; what it
 * answers wrong (bad params, an unknown tool) is a JSON-RPC error on a 200, except a capability the client did not
 * declare (400, -32021).
 *
 * tools/call, prompts/get and resources/read may need the client's input: the handler's `ask` ends the round with
 * an `InputRequiredResult` and a sealed `requestState` (`mcp/round`, `mcp/request-state`), and the client's retry
 * runs the request again from the start with the answers. Progress and log messages (only at the level the
 * request's `_meta` asks for; none without one) go on an SSE answer when the client accepts one.
 */
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { blobOf } from '../catalog/listing';
import { McpError } from '../wire/mcp-error';
import type { LogLevel } from '../../plugins/portico';
import type { Logger } from '../log';
import type { Principal } from '../oauth/bearer';
import type { RequestExtra } from '../plugins/context';
import { InputRequired, InvalidInput, MissingClientCapability } from '../wire/input-required';
import { errorMessage, JsonRpcCode, type RequestId } from '../wire/json-rpc';
import { ALL_VERSIONS, envelopeOf, META, MODERN_VERSIONS } from './era';
import type { Listeners } from './listen';
import { isRecord, wireMessage } from './messages';
import { ASKING_METHODS, cursorOf, invalidParams, serverInfo, sharedMethods, type MethodContext } from './methods';
import type { PluginFeatures } from './plugin-features';
import type { RequestStates } from './request-state';
import { Round } from './round';
import { ownerOf } from './sessions';
import { SseWriter } from './sse';
import { insufficientScope, refuseBeyondScope, type ScopeChallenge } from './scope-check';
import { InsufficientScopeError, type ToolRequests } from './tool-requests';

export interface ModernOptions {
  readonly requests: ToolRequests;
  readonly plugins?: PluginFeatures;
  readonly capabilities: ServerCapabilities;
  readonly states: RequestStates;
  readonly listeners: Listeners;
  /** How long a client may keep a list result (the catalog's refresh interval). */
  readonly listTtlMs: number;
  readonly insufficientScope?: ScopeChallenge;
  readonly log: Logger;
  /** The name clients show for this server. @default "portico" */
  readonly name?: string;
}

/** The methods of 2026-07-28 that were removed from the 2025 revisions: said so when a modern request uses one. */
const REMOVED = new Set(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);

/** The methods whose `params.name` (or `uri`) the `Mcp-Name` header repeats. */
const NAMED: Readonly<Record<string, 'name' | 'uri'>> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

const SEVERITY: readonly LogLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

/** A modern request that passed the ladder: what a method's handler works with. */
interface Served {
  readonly http: Request;
  readonly id: RequestId;
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly envelope: Record<string, unknown>;
  readonly principal: Principal | undefined;
  /** The toolsets the connection chose (its URL's `toolsets=`). */
  readonly toolsets?: ReadonlySet<string>;
}

/** What a handler answers: a result, or a Response it built itself (a stream, a refusal). */
type Handler = (served: Served) => Promise<Record<string, unknown> | Response> | Record<string, unknown> | Response;

/** An error to answer on the ladder: its HTTP status, JSON-RPC code, words and data. */
class Rejection extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export class ModernEndpoint {
  private readonly handlers: ReadonlyMap<string, Handler>;
  private readonly serverInfo: { name: string; version: string };

  constructor(private readonly options: ModernOptions) {
    this.serverInfo = serverInfo(options.name);
    this.handlers = this.methods();
  }

  /** Answers one POST whose body (`message`, already parsed) `mcp/era` found to be 2026-07-28 traffic. */
  async handle(request: Request, message: Record<string, unknown>, principal: Principal | undefined, toolsets?: ReadonlySet<string>): Promise<Response> {
    const rawId = message.id;
    const id = typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId)) ? rawId : undefined;
    try {
      if (message.jsonrpc !== '2.0' || (rawId !== undefined && id === undefined)) {
        throw new Rejection(400, JsonRpcCode.InvalidRequest, 'not a JSON-RPC 2.0 request: it needs "jsonrpc": "2.0", a "method" and an "id" that is a string or a number');
      }
      const method = message.method as string;
      const envelope = checkedEnvelope(request, message);
      // a notification asks for nothing: 2026-07-28 has none a stateless server acts on
      if (id === undefined) return new Response(null, { status: 202 });
      const handler = this.handlers.get(method);
      if (!handler) {
        const removed = REMOVED.has(method) ? `"${method}" is not part of MCP 2026-07-28 (it was a 2025 method; this request claims 2026-07-28)` : `method "${method}" not found`;
        throw new Rejection(404, JsonRpcCode.MethodNotFound, removed);
      }
      const params = isRecord(message.params) ? message.params : {};
      checkStandardHeaders(request, method, params);
      if (method === 'tools/call') this.checkArgumentHeaders(request, params, principal);
      const refused = refuseBeyondScope(this.options.requests, message, principal, JSON_HEADERS, this.options.insufficientScope);
      if (refused) return refused;
      const answer = await handler({ http: request, id, method, params, envelope, principal, toolsets });
      return answer instanceof Response ? answer : new Response(answerJson(id, answer), { headers: JSON_HEADERS });
    } catch (error) {
      return this.errorAnswer(id ?? null, error);
    }
  }

  /**
   * The `Mcp-Param-*` headers of a tool call: each argument the tool's schema marks `x-mcp-header` travels in its
   * header too (so that what sits between client and server can route on it), and the two must agree — a value in
   * the body without its header, a header without its value, a broken base64 form or another value is -32020.
   */
  private checkArgumentHeaders(request: Request, params: Record<string, unknown>, principal: Principal | undefined): void {
    if (typeof params.name !== 'string') return;
    const marked = this.options.requests.headerArguments(params.name, principal);
    if (marked.size === 0) return;
    const args = isRecord(params.arguments) ? params.arguments : {};
    for (const [argument, suffix] of marked) {
      const header = `Mcp-Param-${suffix}`;
      const raw = request.headers.get(header);
      const value = args[argument];
      if (value === undefined || value === null) {
        if (raw !== null) throw mismatch(`the ${header} header is sent but the argument "${argument}" is not: send both or neither`);
        continue;
      }
      if (raw === null) throw mismatch(`the argument "${argument}" of "${params.name}" travels in the ${header} header too (x-mcp-header): send it`);
      const said = decodedHeader(raw.trim());
      if (said === undefined) throw mismatch(`the ${header} header is not valid =?base64?…?= (padding or characters): encode the value again`);
      if (said !== String(value)) throw mismatch(`the ${header} header ("${said}") does not match the argument "${argument}" ("${String(value)}")`);
    }
  }

  /** The answer to a request that failed: on the ladder with its status, from a handler in-band (200). */
  private errorAnswer(id: RequestId | null, error: unknown): Response {
    if (error instanceof Rejection) return Response.json(errorMessage(id, error.code, error.message, error.data), { status: error.status, headers: JSON_HEADERS });
    if (error instanceof InsufficientScopeError) return insufficientScope([{ id: id ?? 0, error }], undefined, JSON_HEADERS, this.options.insufficientScope);
    return Response.json(this.inBand(id, error), { status: error instanceof MissingClientCapability ? 400 : 200, headers: JSON_HEADERS });
  }

  /** A handler's error as a JSON-RPC error message. */
  private inBand(id: RequestId | null, error: unknown): ReturnType<typeof errorMessage> {
    if (error instanceof MissingClientCapability) {
      const requiredCapabilities = Object.fromEntries(error.capabilities.map((capability) => [capability, {}]));
      return errorMessage(id, JsonRpcCode.MissingRequiredClientCapability, `${error.message}: declare it in _meta["${META.clientCapabilities}"] to use this`, { requiredCapabilities });
    }
    if (error instanceof InvalidInput) return errorMessage(id, JsonRpcCode.InvalidParams, error.message);
    if (error instanceof McpError) return errorMessage(id, error.code, wireMessage(error), error.data);
    this.options.log.error('mcp.request_failed', { error: error instanceof Error ? error.message : String(error) });
    return errorMessage(id, JsonRpcCode.InternalError, 'internal error');
  }

  private methods(): Map<string, Handler> {
    const { requests, plugins, capabilities } = this.options;
    const methods = new Map<string, Handler>();
    methods.set('server/discover', () => ({
      supportedVersions: [...ALL_VERSIONS],
      capabilities,
      // what a server offers does not depend on who asks
      ttlMs: this.options.listTtlMs,
      cacheScope: 'public',
      _meta: { [META.serverInfo]: this.serverInfo },
    }));
    methods.set('tools/list', (served) => this.listTools(served));
    methods.set('subscriptions/listen', (served) => this.options.listeners.listen(served.id, served.params.notifications, served.principal, served.http.signal));
    for (const [method, handler] of sharedMethods(requests, plugins, capabilities)) {
      if (method.endsWith('/list')) {
        methods.set(method, async (served) => this.listed(served, await handler(served.params, this.context(served, {}))));
      } else if (ASKING_METHODS.has(method)) {
        methods.set(method, (served) => {
          // what a round's state is bound to: the tool or prompt, or the resource, and the arguments
          const { name, uri, arguments: args = {} } = served.params;
          const read = method === 'resources/read';
          return this.inRounds(served, String(read ? uri : name), read ? {} : args, async (extra, signal) => {
            const result = await handler(served.params, { principal: served.principal, signal, extra });
            // what a resource holds may change at any time, and may be the caller's own
            return read ? { ...result, ttlMs: 0, cacheScope: cacheScopeOf(served.principal) } : result;
          });
        });
      } else {
        methods.set(method, (served) => handler(served.params, this.context(served, {})));
      }
    }
    return methods;
  }

  private context(served: Served, extra: Partial<RequestExtra>): MethodContext {
    return { principal: served.principal, signal: served.http.signal, extra: { sendNotification: async () => {}, ...extra } };
  }

  /**
   * tools/list: the page as the caller sees it (its tools' bytes made once), with the 2026-07-28 fields spliced in
   * front, written from the page's parts (`blobOf`: copied once, into the answer).
   */
  private listTools(served: Served): Response {
    const [open, ...rest] = this.options.requests.listJson(cursorOf(served.params), served.principal, served.toolsets);
    const head = encoder.encode(`{"jsonrpc":"2.0","id":${JSON.stringify(served.id)},"result":{"resultType":"complete","ttlMs":${this.options.listTtlMs},"cacheScope":"${cacheScopeOf(served.principal)}",`);
    // the page is an object: its opening brace gives way to the fields above, its closing one ends the result, one more the message
    return new Response(blobOf([head, open!.subarray(1), ...rest, CLOSING_BRACE]), { headers: JSON_HEADERS });
  }

  private listed<T extends object>(served: Served, result: T): Record<string, unknown> {
    return { ...result, ttlMs: this.options.listTtlMs, cacheScope: cacheScopeOf(served.principal) };
  }

  /**
   * Runs a request that may ask the client: this round's answers in, an `InputRequiredResult` out when it asks
   * for more. With a progress token or a log level, and a client that takes SSE, the answer streams.
   */
  private async inRounds(served: Served, name: string, args: unknown, run: (extra: RequestExtra, signal: AbortSignal) => Promise<object>): Promise<Record<string, unknown> | Response> {
    const capabilities = served.envelope[META.clientCapabilities] as Record<string, unknown>;
    // the arguments as they came (validation may fill in defaults before the state is sealed): a native copy, put
    // in canonical order only when a state is sealed or opened
    const binding = { owner: ownerOf(served.principal), method: served.method, name, args: JSON.stringify(args) };
    const round = Round.begin(served.params, capabilities, this.options.states, binding);
    const progressToken = progressTokenOf(served.params);
    const level = served.envelope[META.logLevel];
    const threshold = typeof level === 'string' && SEVERITY.includes(level as LogLevel) ? SEVERITY.indexOf(level as LogLevel) : undefined;
    const streams = (progressToken !== undefined || threshold !== undefined) && (served.http.headers.get('accept') ?? '').includes('text/event-stream');
    const once = async (send: (notification: { method: string; params?: Record<string, unknown> }) => Promise<void>): Promise<Record<string, unknown>> => {
      const extra: RequestExtra = {
        progressToken,
        sendNotification: send,
        logs: (at) => threshold !== undefined && SEVERITY.indexOf(at) >= threshold,
        ask: round.ask,
        memo: round.memo,
      };
      try {
        return (await run(extra, served.http.signal)) as Record<string, unknown>;
      } catch (error) {
        if (!(error instanceof InputRequired)) throw error;
        return { resultType: 'input_required', inputRequests: error.requests, requestState: this.options.states.seal(round.next(), binding) };
      }
    };
    if (!streams) return once(async () => {});
    return this.streamed(served.id, once);
  }

  /** An SSE answer: the notifications `work` sends as it runs, then its result (or error) as the last event. */
  private streamed(id: RequestId, work: (send: (notification: { method: string; params?: Record<string, unknown> }) => Promise<void>) => Promise<Record<string, unknown>>): Response {
    const stream = new SseWriter();
    void (async () => {
      let last: string;
      try {
        last = answerJson(id, await work((notification) => stream.send({ jsonrpc: '2.0', ...notification })));
      } catch (error) {
        last = JSON.stringify(this.inBand(id, error));
      }
      await stream.sendJson(last);
      stream.close();
    })();
    return stream.response();
  }
}

/** The envelope of a modern request once it holds what 2026-07-28 requires; the ladder's rejection otherwise. */
function checkedEnvelope(request: Request, message: Record<string, unknown>): Record<string, unknown> {
  const envelope = envelopeOf(message);
  const claim = envelope?.[META.protocolVersion];
  const header = request.headers.get('mcp-protocol-version')?.trim();
  if (claim !== undefined && header !== undefined && header !== claim) {
    throw new Rejection(400, JsonRpcCode.HeaderMismatch, `the MCP-Protocol-Version header ("${header}") does not match _meta["${META.protocolVersion}"] ("${String(claim)}"): send the same version in both`);
  }
  if (claim !== undefined && (typeof claim !== 'string' || !MODERN_VERSIONS.includes(claim))) {
    const requested = typeof claim === 'string' ? claim : JSON.stringify(claim);
    throw new Rejection(400, JsonRpcCode.UnsupportedProtocolVersion, `protocol version "${requested}" is not supported; this server speaks ${ALL_VERSIONS.join(', ')} (the 2025 revisions start with initialize)`, {
      supported: [...ALL_VERSIONS],
      requested,
    });
  }
  const missing: string[] = [];
  if (!envelope) missing.push('params._meta');
  else {
    if (typeof claim !== 'string') missing.push(`_meta["${META.protocolVersion}"]`);
    if (!isRecord(envelope[META.clientCapabilities])) missing.push(`_meta["${META.clientCapabilities}"] (an object)`);
    if (envelope[META.clientInfo] !== undefined && !isRecord(envelope[META.clientInfo])) missing.push(`_meta["${META.clientInfo}"] as an object`);
  }
  if (missing.length > 0) throw new Rejection(400, JsonRpcCode.InvalidParams, `MCP ${MODERN_VERSIONS[0]} needs ${missing.join(' and ')} on every request`);
  return envelope!;
}

/** `MCP-Protocol-Version`, `Mcp-Method` and (for the methods that name something) `Mcp-Name`, present and equal to the body. */
function checkStandardHeaders(request: Request, method: string, params: Record<string, unknown>): void {
  const { headers } = request;
  if (headers.get('mcp-protocol-version') === null) throw mismatch('the MCP-Protocol-Version header is required on every request');
  const said = headers.get('mcp-method')?.trim();
  if (said === undefined) throw mismatch(`the Mcp-Method header is required (here: "${method}")`);
  if (said !== method) throw mismatch(`the Mcp-Method header ("${said}") does not match the body's method ("${method}")`);
  const field = NAMED[method];
  if (!field) return;
  const raw = headers.get('mcp-name');
  if (raw === null) throw mismatch(`the Mcp-Name header is required for ${method} (here: params.${field})`);
  const name = decodedHeader(raw.trim());
  if (name !== params[field]) throw mismatch(`the Mcp-Name header ("${name ?? raw.trim()}") does not match params.${field} ("${String(params[field])}")`);
}

/** A header value as sent: plain, or `=?base64?…?=` for what a header cannot carry; undefined when that encoding is broken. */
function decodedHeader(value: string): string | undefined {
  const match = /^=\?base64\?(.*)\?=$/i.exec(value);
  if (!match) return value;
  const encoded = match[1]!;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined;
  return Buffer.from(encoded, 'base64').toString('utf8');
}

/**
 * A JSON-RPC answer with `result`: what a handler returned, as a complete result (2026-07-28 results say so) unless
 * it says what it is (`input_required`). Written as text, so the result is never copied to add one field.
 */
function answerJson(id: RequestId, result: Record<string, unknown>): string {
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`;
  const json = JSON.stringify(result);
  if (typeof result.resultType === 'string') return `${head}${json}}`;
  return `${head}{"resultType":"complete"${json.length > 2 ? ',' : ''}${json.slice(1)}}`;
}

function mismatch(message: string): Rejection {
  return new Rejection(400, JsonRpcCode.HeaderMismatch, message);
}

/** Whose answers these are: a signed-in caller's depend on their scopes (and plugins' visibility rules). */
function cacheScopeOf(principal: Principal | undefined): 'public' | 'private' {
  return principal ? 'private' : 'public';
}

function progressTokenOf(params: Record<string, unknown>): string | number | undefined {
  const token = isRecord(params._meta) ? params._meta.progressToken : undefined;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}

const encoder = new TextEncoder();
const CLOSING_BRACE = encoder.encode('}');
