/**
 * @module mcp/listen
 * `subscriptions/listen` (MCP 2026-07-28): the one long-lived stream of a stateless server. A client opens it with
 * a filter of what it wants to hear; the first event acknowledges the subscription with what will actually be
 * sent (the tool list changing, updates of the resources named that the caller may read), and every event
 * carries the subscription's id. It lasts until the client goes away or the server stops. Each caller may hold a
 * bounded number open (the per-grant session cap), so listening costs memory only in proportion to callers.
 */
import type { Principal } from '../oauth/bearer';
import type { PluginHost } from '../plugins/host';
import { errorMessage, JsonRpcCode, type RequestId } from '../wire/json-rpc';
import { META } from './era';
import { isRecord } from './messages';
import type { PluginFeatures } from './plugin-features';
import { checkReadable } from './resources';
import { ownerOf } from './sessions';
import { SseWriter } from './sse';

/** What a stream was opened for and will carry. */
interface Filter {
  toolsListChanged?: true;
  resourceSubscriptions?: string[];
}

interface Listener {
  readonly owner: string;
  readonly filter: Filter;
  send(method: string, params?: Record<string, unknown>): void;
  close(): void;
}

/** A comment line now and then keeps the stream through proxies and idle timeouts that close a silent connection. */
const KEEPALIVE_MS = 15_000;

export class Listeners {
  private readonly open = new Set<Listener>();
  private readonly stopWatching?: () => void;

  constructor(
    private readonly options: {
      readonly plugins?: PluginFeatures;
      /** Most streams one grant may hold open (without sign-in: all clients together). */
      readonly perOwner: number;
    },
  ) {
    const host: PluginHost | undefined = options.plugins?.host;
    this.stopWatching = host?.onResourceUpdated((uri) => this.publish((filter) => filter.resourceSubscriptions?.includes(uri) === true, 'notifications/resources/updated', { uri }));
  }

  get size(): number {
    return this.open.size;
  }

  /** Tells every stream that asked for it that the tool list changed. */
  toolsChanged(): void {
    this.publish((filter) => filter.toolsListChanged === true, 'notifications/tools/list_changed');
  }

  /** Ends every stream (shutdown). */
  close(): void {
    this.stopWatching?.();
    for (const listener of [...this.open]) listener.close();
  }

  /** Opens a stream for the `subscriptions/listen` request `id` with the filter `requested`. */
  listen(id: RequestId, requested: unknown, principal: Principal | undefined, signal: AbortSignal): Response {
    if (!isRecord(requested)) {
      return Response.json(errorMessage(id, JsonRpcCode.InvalidParams, 'subscriptions/listen: "params.notifications" must be an object, e.g. { "toolsListChanged": true }'));
    }
    const owner = ownerOf(principal);
    let held = 0;
    for (const listener of this.open) if (listener.owner === owner) held++;
    if (held >= this.options.perOwner) {
      return Response.json(errorMessage(id, JsonRpcCode.ServerError, `this connection already has ${held} subscriptions/listen streams open (at most ${this.options.perOwner}): close one first`), { status: 429 });
    }
    const filter = this.honored(requested, principal);
    const meta = { [META.subscriptionId]: id };
    const stream = new SseWriter({ keepaliveMs: KEEPALIVE_MS });
    const listener: Listener = {
      owner,
      filter,
      send: (method, params = {}) => void stream.send({ jsonrpc: '2.0', method, params: { ...params, _meta: meta } }),
      close: () => stream.close(),
    };
    // a client that went away (or a write that failed) ends the stream; it is then no longer listening
    stream.onClose = () => this.open.delete(listener);
    this.open.add(listener);
    listener.send('notifications/subscriptions/acknowledged', { notifications: filter });
    signal.addEventListener('abort', () => stream.close(), { once: true });
    return stream.response();
  }

  /** What of `requested` this server will send: tool list changes, and updates of the resources the caller may read. */
  private honored(requested: Record<string, unknown>, principal: Principal | undefined): Filter {
    const filter: Filter = {};
    if (requested.toolsListChanged === true) filter.toolsListChanged = true;
    const { plugins } = this.options;
    if (plugins && Array.isArray(requested.resourceSubscriptions)) {
      const readable = requested.resourceSubscriptions.filter((uri): uri is string => typeof uri === 'string' && canRead(plugins, uri, principal));
      if (readable.length > 0) filter.resourceSubscriptions = readable;
    }
    return filter;
  }

  private publish(wants: (filter: Filter) => boolean, method: string, params?: Record<string, unknown>): void {
    for (const listener of this.open) if (wants(listener.filter)) listener.send(method, params);
  }
}

function canRead(plugins: PluginFeatures, uri: string, principal: Principal | undefined): boolean {
  try {
    checkReadable(plugins, uri, principal);
    return true;
  } catch {
    return false;
  }
}
