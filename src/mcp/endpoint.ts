/**
 * @module mcp/endpoint
 * `/mcp` over Streamable HTTP. Stateless mode serves every request with a fresh Server (any instance can
 * answer any request: scale-out). Stateful mode keeps sessions (ids, the GET stream for notifications),
 * closes the ones left idle, and fans `notifications/tools/list_changed` out to every open session.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { silentLogger, type Logger } from '../log';
import { declaredLength, readCapped } from '../read-capped';
import { ANSWER_HEADERS, answerDirect, directRequest, sessionAnswerHeaders, type DirectRequest } from './direct';
import type { Principal } from '../oauth/bearer';
import type { Scope } from '../oauth/scopes';
import { authInfoFor } from './server';
import type { ToolRequests } from './tool-requests';

export type McpMode = 'stateful' | 'stateless';

export interface McpEndpointOptions {
  readonly mode: McpMode;
  readonly createServer: () => Server;
  /** Answers plain tools/list and tools/call requests without the SDK (`mcp/direct`). */
  readonly requests: ToolRequests;
  /** A session unused this long is closed (clients that vanish never send DELETE). @default 1800000 (30 min) */
  readonly sessionIdleMs?: number;
  /** Largest request body accepted. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Most messages in one JSON-RPC batch. @default 20 */
  readonly maxBatch?: number;
  /** @default a logger that discards */
  readonly log?: Logger;
  /** The headers of a 403 for a call beyond the caller's scopes (the `insufficient_scope` challenge). */
  readonly insufficientScope?: (needed: Scope) => Record<string, string>;
}

interface Session {
  readonly transport: WebStandardStreamableHTTPServerTransport;
  readonly server: Server;
  lastSeen: number;
  /** Who opened it (user and client): a session is used by no one else. */
  readonly owner: string | undefined;
  /** Calls on the direct path still running, by JSON-RPC id, so `notifications/cancelled` can stop them. */
  readonly calls: Map<string | number, AbortController>;
  /** The headers of its direct answers. */
  readonly answerHeaders: Readonly<Record<string, string>>;
}

export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_BATCH = 20;

export class McpEndpoint {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper?: ReturnType<typeof setInterval>;
  private readonly log: Logger;
  private readonly idleMs: number;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: McpEndpointOptions) {
    this.log = options.log ?? silentLogger;
    this.idleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (options.mode === 'stateful') {
      this.sweeper = setInterval(() => void this.closeIdle(), Math.max(10, Math.min(this.idleMs / 2, 60_000)));
      this.sweeper.unref?.();
    }
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Answers one HTTP request to `/mcp`, for `principal` when the caller signed in. */
  async handle(request: Request, principal?: Principal): Promise<Response> {
    return this.options.mode === 'stateless' ? this.handleStateless(request, principal) : this.handleStateful(request, principal);
  }

  /** Tells every open session that the tool list changed. */
  async notifyToolsChanged(): Promise<void> {
    await Promise.all(
      [...this.sessions.values()].map((session) => session.server.sendToolListChanged().catch(() => {})),
    );
  }

  /** Closes every session (shutdown). */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((session) => session.transport.close().catch(() => {})));
    this.sessions.clear();
  }

  private async handleStateless(request: Request, principal: Principal | undefined): Promise<Response> {
    if (request.method !== 'POST') {
      return jsonRpcError(405, -32000, 'this server is stateless: only POST is supported on /mcp', { allow: 'POST' });
    }
    const parsed = await this.readMessages(request);
    if (parsed instanceof Response) return parsed;
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

  private async handleStateful(request: Request, principal: Principal | undefined): Promise<Response> {
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId) {
      const session = this.sessions.get(sessionId);
      // 404 tells the client to start a new session (it may live on another instance, or have expired);
      // a session id someone else opened gets the same answer: it does not exist for this caller
      if (!session || session.owner !== ownerOf(principal)) return jsonRpcError(404, -32001, 'session not found: it expired or belongs to another instance; initialize a new one');
      session.lastSeen = Date.now();
      if (request.method !== 'POST') return session.transport.handleRequest(request, { authInfo: principal && authInfoFor(principal) });
      const parsed = await this.readMessages(request);
      if (parsed instanceof Response) return parsed;
      const direct = directRequest(request, parsed, true, (tool) => this.options.requests.needsSession(tool, session.server.getClientCapabilities()?.elicitation !== undefined));
      if (direct) return this.answerInSession(session, direct, principal);
      cancelDirectCalls(session, parsed);
      return session.transport.handleRequest(request, { parsedBody: parsed, authInfo: principal && authInfoFor(principal) });
    }
    if (request.method !== 'POST') {
      return jsonRpcError(400, -32000, 'the Mcp-Session-Id header is required; start a session with an initialize request');
    }
    const parsed = await this.readMessages(request);
    if (parsed instanceof Response) return parsed;
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    if (!messages.some((message) => isInitializeRequest(message))) {
      return jsonRpcError(400, -32000, 'the Mcp-Session-Id header is required; start a session with an initialize request');
    }
    const server = this.options.createServer();
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: this.maxBodyBytes,
      onsessioninitialized: (id) => {
        this.sessions.set(id, { transport, server, lastSeen: Date.now(), owner: ownerOf(principal), calls: new Map(), answerHeaders: sessionAnswerHeaders(id) });
        this.log.info('mcp.session_opened', { sessions: this.sessions.size });
      },
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

  /** The body's JSON-RPC message(s), or the error to answer instead (too big, not JSON, batch too long). */
  private async readMessages(request: Request): Promise<unknown | Response> {
    const parsed = await readJson(request, this.maxBodyBytes);
    const maxBatch = this.options.maxBatch ?? DEFAULT_MAX_BATCH;
    if (Array.isArray(parsed) && parsed.length > maxBatch) {
      return jsonRpcError(400, -32600, `a batch may hold at most ${maxBatch} messages, this one has ${parsed.length}`);
    }
    return parsed;
  }

  private forget(id: string): void {
    if (this.sessions.delete(id)) this.log.info('mcp.session_closed', { sessions: this.sessions.size });
  }

  private async closeIdle(): Promise<void> {
    const cutoff = Date.now() - this.idleMs;
    for (const [id, session] of this.sessions) {
      if (session.lastSeen >= cutoff) continue;
      this.forget(id);
      await session.transport.close().catch(() => {});
    }
  }
}

function ownerOf(principal: Principal | undefined): string | undefined {
  return principal && `${principal.userId}\n${principal.clientId}`;
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

/** Reads a JSON body without ever holding more than `maxBytes` of it; a Response is the error to send instead. */
async function readJson(request: Request, maxBytes: number): Promise<unknown | Response> {
  const declared = declaredLength(request);
  // a declared length that fits bounds the body (the server reads no more): Bun parses it in one native step
  if (declared !== undefined && declared <= maxBytes) {
    try {
      return await request.json();
    } catch {
      return jsonRpcError(400, -32700, 'parse error: the request body is not valid JSON');
    }
  }
  const body = await readCapped(request, maxBytes);
  if (body.truncated || (body.declaredLength ?? 0) > maxBytes) return jsonRpcError(413, -32600, `request body over ${maxBytes} bytes`);
  try {
    return JSON.parse(UTF8.decode(body.bytes));
  } catch {
    return jsonRpcError(400, -32700, 'parse error: the request body is not valid JSON');
  }
}

export function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status, headers });
}
