/**
 * @module mcp/endpoint
 * `/mcp` over Streamable HTTP. Stateless mode serves every request with a fresh Server (any instance can
 * answer any request: scale-out). Stateful mode keeps sessions (ids, the GET stream for notifications), a
 * bounded number of them per grant and in all (`mcp/sessions`), closes the ones left idle, and fans
 * `notifications/tools/list_changed` out to every open session.
 *
 * Before any message of a POST is served, in this order: the body is read within its size cap; a batch is
 * checked against the rules of the request's protocol version (only 2025-03-26 has batches; initialize is
 * never in one); the caller is charged one request per JSON-RPC request in it (`Admission`: the per-token
 * rate limit); and calls beyond the token's scopes refuse the POST with one answer, whichever path it would
 * take (`mcp/scope-check`).
 */
import { randomUUID } from 'node:crypto';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { DEFAULT_NEGOTIATED_PROTOCOL_VERSION, isInitializeRequest, LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { silentLogger, type Logger } from '../log';
import { declaredLength, readCapped } from '../read-capped';
import { ANSWER_HEADERS, answerDirect, directRequest, sessionAnswerHeaders, type DirectRequest } from './direct';
import type { Principal } from '../oauth/bearer';
import { JsonRpcCode, jsonRpcErrorResponse } from '../wire/json-rpc';
import type { Refusal } from '../wire/refusal';
import { isModern } from './era';
import type { Listeners } from './listen';
import { isRecord } from './messages';
import type { ModernEndpoint } from './modern';
import { refuseBeyondScope, type ScopeChallenge } from './scope-check';
import { authInfoFor } from './server';
import { SessionTable, type EvictionReason } from './sessions';
import type { ToolRequests } from './tool-requests';

export type McpMode = 'stateful' | 'stateless';

/**
 * Lets a request go on, or refuses it (the per-token rate limit). `cost`: the JSON-RPC requests it carries (a
 * batch of 20 calls costs 20, like 20 calls sent one by one), at least 1. Undefined: go on; a `Refusal`: the
 * request is refused before anything of it ran (the endpoint throws it; `http/front` answers it).
 */
export type Admission = (cost: number) => Refusal | undefined;

/** Charges `cost` to the caller; throws the refusal when the charge does not fit. */
function charge(admit: Admission | undefined, cost: number): void {
  const refused = admit?.(cost);
  if (refused) throw refused;
}

export interface McpEndpointOptions {
  readonly mode: McpMode;
  readonly createServer: () => Server;
  /** Answers plain tools/list and tools/call requests without the SDK (`mcp/direct`). */
  readonly requests: ToolRequests;
  /** Serves the 2026-07-28 requests (`mcp/modern`), in either mode. */
  readonly modern: ModernEndpoint;
  /** The 2026-07-28 `subscriptions/listen` streams, told when the tool list changes. */
  readonly listeners: Listeners;
  /** A session unused this long is closed (clients that vanish never send DELETE). @default 1800000 (30 min) */
  readonly sessionIdleMs?: number;
  /** Largest request body accepted. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Most messages in one JSON-RPC batch. @default 20 */
  readonly maxBatch?: number;
  /** @default a logger that discards */
  readonly log?: Logger;
  /** The headers of a 403 for a call beyond the caller's scopes (the `insufficient_scope` challenge). */
  readonly insufficientScope?: ScopeChallenge;
  /** Most sessions one grant may have open (without sign-in: all clients together); one more closes its least recently used. @default 16 */
  readonly maxSessionsPerOwner?: number;
  /** Most sessions open in all; one more closes the least recently used of all. @default 10 000 */
  readonly maxSessions?: number;
}

interface Session {
  readonly transport: WebStandardStreamableHTTPServerTransport;
  readonly server: Server;
  lastSeen: number;
  /** Who opened it (`ownerOf`): a session is used by no one else, and counts against its owner's cap. */
  readonly owner: string;
  /** The protocol version initialize negotiated: what a request without Mcp-Protocol-Version is served under. */
  readonly protocolVersion: string;
  /** Calls on the direct path still running, by JSON-RPC id, so `notifications/cancelled` can stop them. */
  readonly calls: Map<string | number, AbortController>;
  /** The headers of its direct answers. */
  readonly answerHeaders: Readonly<Record<string, string>>;
}

export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_BATCH = 20;
export const DEFAULT_MAX_SESSIONS_PER_OWNER = 16;
export const DEFAULT_MAX_SESSIONS = 10_000;

/** The protocol versions with JSON-RPC batches: 2025-03-26 added them, 2025-06-18 removed them again. */
const BATCH_VERSIONS: ReadonlySet<string> = new Set(['2025-03-26']);

export class McpEndpoint {
  private readonly sessions: SessionTable<Session>;
  private readonly sweeper?: ReturnType<typeof setInterval>;
  private readonly log: Logger;
  private readonly idleMs: number;
  private readonly maxBodyBytes: number;
  /** The 404 message of a session closed to make room, by why. */
  private readonly evictedMessages: Readonly<Record<EvictionReason, string>>;

  constructor(private readonly options: McpEndpointOptions) {
    this.log = options.log ?? silentLogger;
    this.idleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const caps = { perOwner: options.maxSessionsPerOwner ?? DEFAULT_MAX_SESSIONS_PER_OWNER, total: options.maxSessions ?? DEFAULT_MAX_SESSIONS };
    this.sessions = new SessionTable(caps);
    this.evictedMessages = {
      owner_limit: `session closed: this connection had too many MCP sessions open (at most ${caps.perOwner} at once), so its least recently used one was closed; initialize a new session`,
      total_limit: `session closed: the server had too many MCP sessions open (at most ${caps.total}), so its least recently used one was closed; initialize a new session`,
    };
    if (options.mode === 'stateful') {
      this.sweeper = setInterval(() => void this.closeIdle(), Math.max(10, Math.min(this.idleMs / 2, 60_000)));
      this.sweeper.unref?.();
    }
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** The 2026-07-28 `subscriptions/listen` streams open. */
  get listening(): number {
    return this.options.listeners.size;
  }

  /**
   * Answers one HTTP request to `/mcp`, for `principal` when the caller signed in; `admit` is asked before
   * anything of it runs, with its cost (GET and DELETE: 1; a POST: its JSON-RPC requests, once read).
   */
  async handle(request: Request, principal?: Principal, admit?: Admission): Promise<Response> {
    // the era of a POST is in its body: read it once, first (`mcp/era`)
    let parsed: unknown = NOT_READ;
    if (request.method === 'POST') {
      parsed = await readJson(request, this.maxBodyBytes);
      if (parsed instanceof Response) {
        charge(admit, 1);
        return parsed;
      }
      if (isModern(request, parsed)) {
        charge(admit, 1);
        return this.options.modern.handle(request, parsed as Record<string, unknown>, principal);
      }
    }
    return this.options.mode === 'stateless' ? this.handleStateless(request, parsed, principal, admit) : this.handleStateful(request, parsed, principal, admit);
  }

  /** Tells every open session, and every 2026-07-28 stream listening for it, that the tool list changed. */
  async notifyToolsChanged(): Promise<void> {
    this.options.listeners.toolsChanged();
    await Promise.all(
      [...this.sessions.values()].map((session) => session.server.sendToolListChanged().catch(() => {})),
    );
  }

  /** Closes every session and listening stream (shutdown). */
  async close(): Promise<void> {
    this.options.listeners.close();
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((session) => session.transport.close().catch(() => {})));
    this.sessions.clear();
  }

  private async handleStateless(request: Request, body: unknown, principal: Principal | undefined, admit: Admission | undefined): Promise<Response> {
    if (request.method !== 'POST') {
      charge(admit, 1);
      return jsonRpcErrorResponse(405, JsonRpcCode.ServerError, 'this server is stateless: only POST is supported on /mcp', { allow: 'POST' });
    }
    const parsed = this.accept(body, admit, versionOf(request, undefined));
    if (parsed instanceof Response) return parsed;
    const refused = refuseBeyondScope(this.options.requests, parsed, principal, ANSWER_HEADERS, this.options.insufficientScope);
    if (refused) return refused;
    const direct = directRequest(request, parsed, false);
    // The client going away cancels the call: a stateless request has no other way to be cancelled
    if (direct) return answerDirect(this.options.requests, direct, { signal: request.signal, principal, headers: ANSWER_HEADERS, log: this.log, insufficientScope: this.options.insufficientScope });
    const server = this.options.createServer();
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: this.maxBodyBytes });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request, { parsedBody: parsed, authInfo: principal && authInfoFor(principal) });
    } finally {
      void server.close();
    }
  }

  private async handleStateful(request: Request, body: unknown, principal: Principal | undefined, admit: Admission | undefined): Promise<Response> {
    const owner = ownerOf(principal);
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId) {
      const session = this.sessions.get(sessionId);
      // 404 tells the client to start a new session (it may live on another instance, have expired, or have
      // been closed to make room); a session id someone else opened gets the same answer: it does not exist for this caller
      if (!session || session.owner !== owner) {
        charge(admit, 1);
        return this.sessionGone(sessionId, owner);
      }
      this.sessions.touch(sessionId, session, Date.now());
      if (request.method !== 'POST') {
        charge(admit, 1);
        return session.transport.handleRequest(request, { authInfo: principal && authInfoFor(principal) });
      }
      const parsed = this.accept(body, admit, versionOf(request, session.protocolVersion));
      if (parsed instanceof Response) return parsed;
      const refused = refuseBeyondScope(this.options.requests, parsed, principal, session.answerHeaders, this.options.insufficientScope);
      if (refused) return refused;
      const direct = directRequest(request, parsed, true, (tool) => this.options.requests.needsSession(tool, principal, session.server.getClientCapabilities()?.elicitation !== undefined));
      if (direct) return this.answerInSession(session, direct, principal);
      cancelDirectCalls(session, parsed);
      return session.transport.handleRequest(request, { parsedBody: parsed, authInfo: principal && authInfoFor(principal) });
    }
    if (request.method !== 'POST') {
      charge(admit, 1);
      return jsonRpcErrorResponse(400, JsonRpcCode.ServerError, 'the Mcp-Session-Id header is required; start a session with an initialize request');
    }
    const parsed = this.accept(body, admit, versionOf(request, undefined));
    if (parsed instanceof Response) return parsed;
    // an initialize in a batch was refused above: a new session starts with exactly one
    if (Array.isArray(parsed) || !isInitializeRequest(parsed)) {
      return jsonRpcErrorResponse(400, JsonRpcCode.ServerError, 'the Mcp-Session-Id header is required; start a session with an initialize request');
    }
    const protocolVersion = negotiatedVersion(parsed.params.protocolVersion);
    const server = this.options.createServer();
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: this.maxBodyBytes,
      onsessioninitialized: (id) => this.opened(id, { transport, server, lastSeen: Date.now(), owner, protocolVersion, calls: new Map(), answerHeaders: sessionAnswerHeaders(id) }),
      onsessionclosed: (id) => this.forget(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) this.forget(transport.sessionId);
    };
    await server.connect(transport);
    return transport.handleRequest(request, { parsedBody: parsed, authInfo: principal && authInfoFor(principal) });
  }

  /**
   * A call in a session is cancelled by `notifications/cancelled` only. The POST's connection closing is not
   * a cancellation (Streamable HTTP: "disconnection SHOULD NOT be interpreted as the client cancelling its
   * request"), and not listening to it spares every call a listener on the request's signal.
   */
  private async answerInSession(session: Session, direct: DirectRequest, principal: Principal | undefined): Promise<Response> {
    const controller = new AbortController();
    session.calls.set(direct.id, controller);
    try {
      return await answerDirect(this.options.requests, direct, {
        signal: controller.signal,
        principal,
        headers: session.answerHeaders,
        log: this.log,
        insufficientScope: this.options.insufficientScope,
      });
    } finally {
      if (session.calls.get(direct.id) === controller) session.calls.delete(direct.id);
    }
  }

  /**
   * The POST's message(s) (`body`, read by `handle`) once they may be served: checked against the batch rules of
   * `version`, and charged to the caller; or the answer to send instead. A body refused before it is charged still
   * costs one request, as every HTTP request does at least.
   */
  private accept(body: unknown, admit: Admission | undefined, version: string): unknown | Response {
    const parsed = Array.isArray(body) ? (batchRefusal(body, version, this.options.maxBatch ?? DEFAULT_MAX_BATCH) ?? body) : body;
    charge(admit, parsed instanceof Response ? 1 : costOf(parsed));
    return parsed;
  }

  /** A session initialized: kept, within the caps; the sessions it pushes out are closed. */
  private opened(id: string, session: Session): void {
    const now = Date.now();
    for (const evicted of this.sessions.add(id, session)) {
      this.log.warn('mcp.session_evicted', { reason: evicted.reason, idleSeconds: Math.round((now - evicted.session.lastSeen) / 1000), sessions: this.sessions.size });
      void evicted.session.transport.close().catch(() => {});
    }
    this.log.info('mcp.session_opened', { sessions: this.sessions.size });
  }

  /** The 404 for a session id that is not open for `owner`: why, when it was closed to make room. */
  private sessionGone(id: string, owner: string): Response {
    const reason = this.sessions.evictedReason(id, owner);
    return jsonRpcErrorResponse(404, JsonRpcCode.Unauthorized, reason ? this.evictedMessages[reason] : 'session not found: it expired or belongs to another instance; initialize a new one');
  }

  private forget(id: string): void {
    if (this.sessions.delete(id)) this.log.info('mcp.session_closed', { sessions: this.sessions.size });
  }

  private async closeIdle(): Promise<void> {
    const cutoff = Date.now() - this.idleMs;
    for (const [id, session] of this.sessions.entries()) {
      // least recently used first: once one is recent, so are the rest
      if (session.lastSeen >= cutoff) break;
      this.forget(id);
      await session.transport.close().catch(() => {});
    }
  }
}

/** Whose a session is: the grant that opened it (a refreshed token keeps it); without sign-in, everyone's. */
function ownerOf(principal: Principal | undefined): string {
  return principal ? `grant:${principal.grantId}` : 'open';
}

/** The version a POST is served under: its Mcp-Protocol-Version header, else its session's, else 2025-03-26 (what the spec says to assume). */
function versionOf(request: Request, negotiated: string | undefined): string {
  return request.headers.get('mcp-protocol-version') ?? negotiated ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION;
}

/** The version initialize settles on, as the SDK's Server answers it: the client's when supported, else the latest. */
function negotiatedVersion(requested: string): string {
  return SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
}

/**
 * Why a batch (a JSON array body) cannot be served under `version`, or undefined. JSON-RPC batches exist in MCP
 * 2025-03-26 only, and initialize is never part of one; the SDK's transport checks neither (it runs a batch under
 * any version, and an initialize alone in one).
 */
function batchRefusal(messages: readonly unknown[], version: string, maxBatch: number): Response | undefined {
  if (messages.length > maxBatch) return jsonRpcErrorResponse(400, JsonRpcCode.InvalidRequest, `a batch may hold at most ${maxBatch} messages, this one has ${messages.length}`);
  if (messages.length === 0) return jsonRpcErrorResponse(400, JsonRpcCode.InvalidRequest, 'an empty batch: send at least one message');
  if (messages.some((message) => isRecord(message) && message.method === 'initialize')) return jsonRpcErrorResponse(400, JsonRpcCode.InvalidRequest, 'initialize must be sent on its own, not in a batch');
  // a version the SDK does not know is its to refuse, naming the ones it supports
  if (!BATCH_VERSIONS.has(version) && SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    return jsonRpcErrorResponse(400, JsonRpcCode.InvalidRequest, `MCP ${version} has no JSON-RPC batches (only 2025-03-26 had them): send one message per POST`);
  }
  return undefined;
}

/** What a POST costs against the per-token limit: one per JSON-RPC request in it (notifications and responses ask for no work), at least one. */
function costOf(parsed: unknown): number {
  if (!Array.isArray(parsed)) return 1;
  let requests = 0;
  for (const message of parsed) if (isRecord(message) && typeof message.method === 'string' && message.id !== undefined) requests++;
  return Math.max(1, requests);
}

/** Aborts the direct-path calls that `notifications/cancelled` in `parsed` name (the SDK knows nothing of them). */
function cancelDirectCalls(session: Session, parsed: unknown): void {
  if (session.calls.size === 0) return;
  for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
    const { method, params } = (message ?? {}) as { method?: unknown; params?: { requestId?: unknown; reason?: unknown } };
    if (method !== 'notifications/cancelled' || (typeof params?.requestId !== 'string' && typeof params?.requestId !== 'number')) continue;
    session.calls.get(params.requestId)?.abort(typeof params.reason === 'string' ? params.reason : 'cancelled by the client');
  }
}

const UTF8 = new TextDecoder();

/** The body of a request that is not a POST: nothing was read. */
const NOT_READ = Symbol('not read');

/** Reads a JSON body without ever holding more than `maxBytes` of it; a Response is the error to send instead. */
async function readJson(request: Request, maxBytes: number): Promise<unknown | Response> {
  const declared = declaredLength(request);
  // a declared length that fits bounds the body (the server reads no more): Bun parses it in one native step
  if (declared !== undefined && declared <= maxBytes) {
    try {
      return await request.json();
    } catch {
      return jsonRpcErrorResponse(400, JsonRpcCode.ParseError, 'parse error: the request body is not valid JSON');
    }
  }
  const body = await readCapped(request, maxBytes);
  if (body.truncated || (body.declaredLength ?? 0) > maxBytes) return jsonRpcErrorResponse(413, JsonRpcCode.InvalidRequest, `request body over ${maxBytes} bytes`);
  try {
    return JSON.parse(UTF8.decode(body.bytes));
  } catch {
    return jsonRpcErrorResponse(400, JsonRpcCode.ParseError, 'parse error: the request body is not valid JSON');
  }
}
