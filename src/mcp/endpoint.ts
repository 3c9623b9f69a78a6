/**
 * @module mcp/endpoint
 * `/mcp` over Streamable HTTP, for both eras of MCP. The era of a POST is read from its body first (`mcp/era`):
 * 2026-07-28 requests go to `mcp/modern`, in either mode (they need no session). The 2025 revisions are served
 * here and by `mcp/legacy`: stateless mode answers every POST on its own (any instance can answer any request:
 * scale-out); stateful mode keeps sessions (ids, the GET stream for notifications), a bounded number of them per
 * grant and in all (`mcp/sessions`), closes the ones left idle, and tells every open session when the tool list
 * changes or a resource it subscribed to does.
 *
 * Before any message of a 2025 POST is served, in this order: the headers (what the client accepts, the content
 * type, a protocol version spoken here); the session; the batch rules of the request's protocol version (only
 * 2025-03-26 has batches; initialize is never in one); the caller is charged one request per JSON-RPC request in it
 * (`Admission`: the per-token rate limit); and calls beyond the token's scopes refuse the POST with one answer
 * (`mcp/scope-check`).
 */
import { randomUUID } from 'node:crypto';
import { silentLogger, type Logger } from '../log';
import { activeSpan, type TraceSpan } from '../ops/tracing';
import type { Principal } from '../oauth/bearer';
import { declaredLength, readCapped } from '../read-capped';
import { JsonRpcCode, jsonRpcErrorResponse } from '../wire/json-rpc';
import type { Refusal } from '../wire/refusal';
import { envelopeOf, isModern, META } from './era';
import { DEFAULT_NEGOTIATED_PROTOCOL_VERSION, LEGACY_VERSIONS, type LegacyProtocol } from './legacy';
import { LegacySession } from './legacy-session';
import type { Listeners } from './listen';
import { isRecord } from './messages';
import type { ModernEndpoint } from './modern';
import { refuseBeyondScope, type ScopeChallenge } from './scope-check';
import { ownerOf, SessionTable, type EvictionReason } from './sessions';
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
  /** The tool requests: what a call beyond the token's scopes is checked against before anything runs. */
  readonly requests: ToolRequests;
  /** Serves the messages of the 2025 revisions (`mcp/legacy`). */
  readonly legacy: LegacyProtocol;
  /** Serves the 2026-07-28 requests (`mcp/modern`), in either mode. */
  readonly modern: ModernEndpoint;
  /** The 2026-07-28 `subscriptions/listen` streams, told when the tool list changes. */
  readonly listeners: Listeners;
  /** Resource updates from plugins, for the sessions subscribed to them. */
  readonly onResourceUpdated?: (listener: (uri: string) => void) => () => void;
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

export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_BATCH = 20;
export const DEFAULT_MAX_SESSIONS_PER_OWNER = 16;
export const DEFAULT_MAX_SESSIONS = 10_000;

/** The protocol versions with JSON-RPC batches: 2025-03-26 added them, 2025-06-18 removed them again. */
const BATCH_VERSIONS: ReadonlySet<string> = new Set(['2025-03-26']);

/** The headers of a stateless answer. */
const STATELESS_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

export class McpEndpoint {
  private readonly sessions: SessionTable<LegacySession>;
  private readonly sweeper?: ReturnType<typeof setInterval>;
  private readonly stopWatching?: () => void;
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
      this.sweeper = setInterval(() => this.closeIdle(), Math.max(10, Math.min(this.idleMs / 2, 60_000)));
      this.sweeper.unref?.();
      this.stopWatching = options.onResourceUpdated?.((uri) => {
        for (const session of this.sessions.values()) if (session.subscriptions.has(uri)) session.notify('notifications/resources/updated', { uri });
      });
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
    // the toolsets a connection chose are in its URL (`/mcp?toolsets=a,b`): every request of it carries them
    // (in toolsets mode a connection must name some: none is refused too)
    const toolsets = this.options.requests.toolsetsOf(request.url.includes('toolsets=') ? new URL(request.url).searchParams.get('toolsets') : null);
    if (typeof toolsets === 'string') {
      charge(admit, 1);
      return jsonRpcErrorResponse(400, JsonRpcCode.InvalidRequest, toolsets);
    }
    const view = toolsets ?? undefined;
    // the era of a POST is in its body: read it once, first (`mcp/era`)
    let parsed: unknown = NOT_READ;
    if (request.method === 'POST') {
      parsed = await readJson(request, this.maxBodyBytes);
      if (parsed instanceof Response) {
        charge(admit, 1);
        return parsed;
      }
      const modern = isModern(request, parsed);
      const span = activeSpan();
      if (span) describe(span, request, parsed, modern);
      if (modern) {
        charge(admit, 1);
        return this.options.modern.handle(request, parsed as Record<string, unknown>, principal, view);
      }
    }
    return this.options.mode === 'stateless' ? this.handleStateless(request, parsed, principal, admit, view) : this.handleStateful(request, parsed, principal, admit, view);
  }

  /** Tells every open session, and every 2026-07-28 stream listening for it, that the tool list changed. */
  async notifyToolsChanged(): Promise<void> {
    this.options.listeners.toolsChanged();
    for (const session of this.sessions.values()) session.notify('notifications/tools/list_changed');
  }

  /** Closes every session and listening stream (shutdown). */
  async close(): Promise<void> {
    this.options.listeners.close();
    this.stopWatching?.();
    clearInterval(this.sweeper);
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
  }

  private async handleStateless(request: Request, body: unknown, principal: Principal | undefined, admit: Admission | undefined, toolsets: ReadonlySet<string> | undefined): Promise<Response> {
    if (request.method !== 'POST') {
      charge(admit, 1);
      return jsonRpcErrorResponse(405, JsonRpcCode.ServerError, 'this server is stateless: only POST is supported on /mcp', { allow: 'POST' });
    }
    const refusedHeaders = headersProblem(request);
    if (refusedHeaders) {
      charge(admit, 1);
      return refusedHeaders;
    }
    const parsed = this.accept(body, admit, versionOf(request, undefined));
    if (parsed instanceof Response) return parsed;
    const refused = refuseBeyondScope(this.options.requests, parsed, principal, STATELESS_HEADERS, this.options.insufficientScope);
    if (refused) return refused;
    // the client going away cancels the call: a stateless request has no other way to be cancelled
    return this.options.legacy.answer(parsed, undefined, principal, STATELESS_HEADERS, request.signal, toolsets);
  }

  private async handleStateful(request: Request, body: unknown, principal: Principal | undefined, admit: Admission | undefined, toolsets: ReadonlySet<string> | undefined): Promise<Response> {
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
      if (request.method === 'GET') {
        charge(admit, 1);
        if (!(request.headers.get('accept') ?? '').includes('text/event-stream')) return jsonRpcErrorResponse(406, JsonRpcCode.ServerError, 'Not Acceptable: the GET stream is text/event-stream; send Accept: text/event-stream');
        return session.openStream(request.signal) ?? jsonRpcErrorResponse(409, JsonRpcCode.ServerError, 'Conflict: this session already has its GET stream open (one per session)');
      }
      if (request.method === 'DELETE') {
        charge(admit, 1);
        this.forget(sessionId);
        session.close();
        return new Response(null, { status: 200 });
      }
      if (request.method !== 'POST') {
        charge(admit, 1);
        return jsonRpcErrorResponse(405, JsonRpcCode.ServerError, `${request.method} is not supported on /mcp: POST messages, GET the session's stream, DELETE the session`, { allow: 'GET, POST, DELETE' });
      }
      const refusedHeaders = headersProblem(request);
      if (refusedHeaders) {
        charge(admit, 1);
        return refusedHeaders;
      }
      const parsed = this.accept(body, admit, versionOf(request, session.protocolVersion));
      if (parsed instanceof Response) return parsed;
      const refused = refuseBeyondScope(this.options.requests, parsed, principal, session.jsonHeaders, this.options.insufficientScope);
      if (refused) return refused;
      // a call in a session is cancelled by notifications/cancelled only: the POST's connection closing is not a
      // cancellation (Streamable HTTP: "disconnection SHOULD NOT be interpreted as the client cancelling its request")
      return this.options.legacy.answer(parsed, session, principal, session.jsonHeaders, NEVER, toolsets);
    }
    if (request.method !== 'POST') {
      charge(admit, 1);
      return jsonRpcErrorResponse(400, JsonRpcCode.ServerError, 'the Mcp-Session-Id header is required; start a session with an initialize request');
    }
    const refusedHeaders = headersProblem(request);
    if (refusedHeaders) {
      charge(admit, 1);
      return refusedHeaders;
    }
    const parsed = this.accept(body, admit, versionOf(request, undefined));
    if (parsed instanceof Response) return parsed;
    // an initialize in a batch was refused above: a new session starts with exactly one
    if (!isRecord(parsed) || parsed.method !== 'initialize' || parsed.id === undefined) {
      return jsonRpcErrorResponse(400, JsonRpcCode.ServerError, 'the Mcp-Session-Id header is required; start a session with an initialize request');
    }
    const params = isRecord(parsed.params) ? parsed.params : {};
    const { protocolVersion } = this.options.legacy.initialize(params);
    const capabilities = isRecord(params.capabilities) ? params.capabilities : {};
    const session = new LegacySession(randomUUID(), owner, protocolVersion, capabilities);
    this.opened(session);
    return this.options.legacy.answer(parsed, session, principal, session.jsonHeaders, NEVER, toolsets);
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
  private opened(session: LegacySession): void {
    const now = Date.now();
    for (const evicted of this.sessions.add(session.id, session)) {
      this.log.warn('mcp.session_evicted', { reason: evicted.reason, idleSeconds: Math.round((now - evicted.session.lastSeen) / 1000), sessions: this.sessions.size });
      evicted.session.close();
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

  private closeIdle(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [id, session] of this.sessions.entries()) {
      // least recently used first: once one is recent, so are the rest
      if (session.lastSeen >= cutoff) break;
      this.forget(id);
      session.close();
    }
  }
}

/**
 * What a trace says of an MCP request: the JSON-RPC method (and the tool's name, for tools/call) — also the span's
 * name —, the era, the protocol version and the session. Never its arguments.
 */
function describe(span: TraceSpan, request: Request, parsed: unknown, modern: boolean): void {
  const version = request.headers.get('mcp-protocol-version') ?? (isRecord(parsed) && modern ? envelopeOf(parsed)?.[META.protocolVersion] : undefined);
  span.setAttributes({
    'portico.mcp.era': modern ? '2026-07-28' : '2025',
    'mcp.protocol.version': typeof version === 'string' ? version.slice(0, 32) : undefined,
    'mcp.session.id': request.headers.get('mcp-session-id')?.slice(0, 128) ?? undefined,
  });
  if (Array.isArray(parsed)) {
    span.setAttributes({ 'mcp.method.name': 'batch', 'portico.mcp.batch_size': parsed.length });
    span.updateName('batch');
    return;
  }
  if (!isRecord(parsed) || typeof parsed.method !== 'string') return;
  const method = parsed.method.slice(0, 64);
  const tool = method === 'tools/call' && isRecord(parsed.params) && typeof parsed.params.name === 'string' ? parsed.params.name.slice(0, 64) : undefined;
  span.setAttributes({ 'mcp.method.name': method, 'gen_ai.tool.name': tool, 'jsonrpc.request.id': typeof parsed.id === 'string' || typeof parsed.id === 'number' ? String(parsed.id).slice(0, 64) : undefined });
  span.updateName(tool ? `${method} ${tool}` : method);
}

/** A signal that never aborts: the calls of a session stop on notifications/cancelled, not when a POST goes away. */
const NEVER = new AbortController().signal;

/**
 * What Streamable HTTP asks of a POST before its messages are read: that the client takes both answers (JSON and
 * SSE), sends JSON, and names a protocol version spoken here (when it names one). Undefined when all is well.
 */
function headersProblem(request: Request): Response | undefined {
  const accept = request.headers.get('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    return jsonRpcErrorResponse(406, JsonRpcCode.ServerError, 'Not Acceptable: the client must accept both application/json and text/event-stream');
  }
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) return jsonRpcErrorResponse(415, JsonRpcCode.ServerError, 'Unsupported Media Type: Content-Type must be application/json');
  const version = request.headers.get('mcp-protocol-version');
  if (version !== null && !LEGACY_VERSIONS.includes(version)) {
    return jsonRpcErrorResponse(400, JsonRpcCode.ServerError, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${LEGACY_VERSIONS.join(', ')})`);
  }
  return undefined;
}

/** The version a POST is served under: its Mcp-Protocol-Version header, else its session's, else 2025-03-26 (what the spec says to assume). */
function versionOf(request: Request, negotiated: string | undefined): string {
  return request.headers.get('mcp-protocol-version') ?? negotiated ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION;
}

/**
 * Why a batch (a JSON array body) cannot be served under `version`, or undefined. JSON-RPC batches exist in MCP
 * 2025-03-26 only, and initialize is never part of one.
 */
function batchRefusal(messages: readonly unknown[], version: string, maxBatch: number): Response | undefined {
  if (messages.length > maxBatch) return jsonRpcErrorResponse(400, JsonRpcCode.InvalidRequest, `a batch may hold at most ${maxBatch} messages, this one has ${messages.length}`);
  if (messages.length === 0) return jsonRpcErrorResponse(400, JsonRpcCode.InvalidRequest, 'an empty batch: send at least one message');
  if (messages.some((message) => isRecord(message) && message.method === 'initialize')) return jsonRpcErrorResponse(400, JsonRpcCode.InvalidRequest, 'initialize must be sent on its own, not in a batch');
  if (!BATCH_VERSIONS.has(version)) {
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
