/**
 * @module mcp/legacy-session
 * One MCP session of the 2025 revisions: what `initialize` settled (the protocol version, what the client can
 * do), the level of log messages it asked for, the resources it subscribed to, its `GET` stream for what the server
 * says on its own (tool list changes, resource updates), the requests the server sent it that await an answer
 * (questions to the user, the model, the roots), and the calls in flight that `notifications/cancelled` may stop.
 */
import type { LogLevel } from '../../plugins/portico';
import type { RequestExtra } from '../plugins/context';
import { CAPABILITY_OF, MissingClientCapability } from '../wire/input-required';
import type { RequestId } from '../wire/json-rpc';
import { isRecord } from './messages';
import { SseWriter } from './sse';

const SEVERITY: readonly LogLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** How long a question to the client may wait for its answer (the SDK's default for a request). */
export const SERVER_REQUEST_TIMEOUT_MS = 60_000;

/** A JSON-RPC message the server sends on a stream. */
export type Outgoing = { method: string; params?: Record<string, unknown>; id?: RequestId };

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

export class LegacySession {
  lastSeen = Date.now();
  /** Whether its initialize was answered (a second one is refused). */
  initialized = false;
  /** The level `logging/setLevel` set; until then every message goes. */
  logLevel: LogLevel | undefined;
  readonly subscriptions = new Set<string>();
  /** Calls in flight, by request id: `notifications/cancelled` stops them (closing a POST does not). */
  readonly calls = new Map<RequestId, AbortController>();
  /** The headers of this session's JSON answers. */
  readonly jsonHeaders: Readonly<Record<string, string>>;
  private stream: SseWriter | undefined;
  private readonly pending = new Map<RequestId, Pending>();
  private nextId = 0;
  private closed = false;

  constructor(
    readonly id: string,
    /** Who opened it: it is used by no one else, and counts against its owner's cap. */
    readonly owner: string,
    /** The version `initialize` settled on: what a request without Mcp-Protocol-Version is served under. */
    readonly protocolVersion: string,
    readonly clientCapabilities: Readonly<Record<string, unknown>>,
  ) {
    this.jsonHeaders = Object.freeze({ 'content-type': 'application/json', 'mcp-session-id': id });
  }

  /** Whether the client said it can answer a question of this kind. */
  can(capability: 'elicitation' | 'sampling' | 'roots'): boolean {
    return isRecord(this.clientCapabilities[capability]);
  }

  /** Whether the client can be asked anything at all. */
  get canBeAsked(): boolean {
    return this.can('elicitation') || this.can('sampling') || this.can('roots');
  }

  logs(level: LogLevel): boolean {
    return this.logLevel === undefined || SEVERITY.indexOf(level) >= SEVERITY.indexOf(this.logLevel);
  }

  /** The `GET` stream: one per session, for what the server says on its own. Undefined when one is already open. */
  openStream(signal: AbortSignal): Response | undefined {
    if (this.stream && !this.stream.closed) return undefined;
    const stream = new SseWriter({ keepaliveMs: 15_000, opened: true });
    this.stream = stream;
    signal.addEventListener('abort', () => stream.close(), { once: true });
    return stream.response({ 'mcp-session-id': this.id });
  }

  /** Says `message` on the `GET` stream, when one is open (otherwise there is no one to tell). */
  notify(method: string, params?: Record<string, unknown>): void {
    this.stream?.send({ jsonrpc: '2.0', method, ...(params && { params }) });
  }

  /**
   * How a request asks its client in this session (`RequestExtra.ask`): each question is a request of the server's
   * own, sent in turn on the request's stream (`send`), its answer awaited. A question the client did not declare
   * it can answer is not sent (and fails the request when `required`).
   */
  asker(send: (message: Outgoing) => Promise<void>, signal: AbortSignal): NonNullable<RequestExtra['ask']> {
    return async (requests, options) => {
      const missing = [...new Set(Object.values(requests).map((request) => CAPABILITY_OF[request.method]).filter((capability) => !this.can(capability)))];
      if (options?.required && missing.length > 0) throw new MissingClientCapability(missing);
      const answers: Record<string, unknown> = {};
      for (const [key, request] of Object.entries(requests)) {
        if (!this.can(CAPABILITY_OF[request.method])) continue;
        answers[key] = await this.request(send, request.method, request.params, signal);
      }
      return answers;
    };
  }

  /** A client's answer to one of the server's requests (a POSTed JSON-RPC response); false when none awaits it. */
  answered(message: Record<string, unknown>): boolean {
    const id = message.id as RequestId;
    const waiting = this.pending.get(id);
    if (!waiting) return false;
    this.pending.delete(id);
    if (isRecord(message.error)) waiting.reject(new Error(`the client answered ${String(message.error.code)}: ${String(message.error.message)}`));
    else waiting.resolve(message.result);
    return true;
  }

  /** Ends the session: its stream closes, questions still waiting fail, calls in flight stop. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream?.close();
    for (const waiting of this.pending.values()) waiting.reject(new Error('the session was closed'));
    this.pending.clear();
    for (const controller of this.calls.values()) controller.abort('the session was closed');
  }

  private request(send: (message: Outgoing) => Promise<void>, method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the session was closed'));
    const id = `portico-${++this.nextId}`;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => finish(() => reject(new Error(`the client did not answer ${method} within ${SERVER_REQUEST_TIMEOUT_MS / 1000} s`))), SERVER_REQUEST_TIMEOUT_MS);
      const onAbort = () => finish(() => reject(new Error(`${method} was cancelled`)));
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        settle();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve: (result) => finish(() => resolve(result)), reject: (error) => finish(() => reject(error)) });
      send({ id, method, params }).catch((error: unknown) => finish(() => reject(error instanceof Error ? error : new Error(String(error)))));
    });
  }
}
