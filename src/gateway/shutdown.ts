/**
 * @module gateway/shutdown
 * A started gateway: where it listens, and how it stops — stop sweeping and refuse new connections and requests,
 * let what is in flight finish within the grace period, then close the MCP sessions and their streams, flush the
 * audit log and close the store, then export the traces still buffered, in that order (each needs the ones after it
 * until it is done).
 */
import type { AuditWriter } from '../audit/writer';
import type { Toolbox } from '../calls/toolbox';
import type { ServeConfig } from '../config/serve';
import type { RequestLimits } from '../http/limits';
import type { Logger } from '../log';
import type { McpEndpoint } from '../mcp/endpoint';
import { servedMode } from '../mcp/tool-requests';
import { endpointsOf } from '../oauth';
import type { Drain } from '../ops/drain';
import type { GatewayMetrics } from '../ops/gateway-metrics';
import type { Tracing } from '../ops/tracing';
import type { Store } from '../store';
import type { Housekeeping } from './housekeeping';

export interface Gateway {
  /** Where it listens, e.g. http://127.0.0.1:8787 */
  readonly url: string;
  /** What clients are told to use: the public URL's `/mcp`. */
  readonly mcpUrl: string;
  /** The tools served (every API's catalog, as plugins shape them). */
  readonly tools: Toolbox;
  readonly endpoint: McpEndpoint;
  readonly metrics: GatewayMetrics;
  /** Answers a request in process, through the same routes and checks as the listener (its client address is unknown). */
  handle(request: Request): Promise<Response>;
  /**
   * Stops: refuses new connections and requests, lets what is in flight finish within `graceMs` (default 0:
   * cut at once), then closes the MCP sessions and their SSE streams, flushes the audit log and closes the
   * store. Called again while stopping with `graceMs: 0`, it stops waiting.
   */
  stop(options?: { graceMs?: number; reason?: string }): Promise<void>;
}

export interface Running {
  readonly config: Pick<ServeConfig, 'host' | 'upstream' | 'mcpMode' | 'toolMode' | 'toolModeThreshold'>;
  readonly server: ReturnType<typeof Bun.serve>;
  readonly publicUrl: URL;
  readonly tools: Toolbox;
  readonly endpoint: McpEndpoint;
  readonly store: Store | undefined;
  readonly audit: AuditWriter | undefined;
  /** The store's sweeping, when there is a store and it is not turned off. */
  readonly housekeeping: Housekeeping | undefined;
  /** Where the API's document was read. */
  readonly spec: string;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly drain: Drain;
  readonly limits: RequestLimits;
  readonly handle: (request: Request) => Promise<Response>;
  /** Traces still buffered are exported last, once nothing more can start a span. */
  readonly tracing: Tracing;
}

export function listening(running: Running): Gateway {
  const { config, server, publicUrl, tools, endpoint, store, audit, housekeeping, spec, log, metrics, drain, limits, handle, tracing } = running;
  const mcpUrl = endpointsOf(publicUrl).resource;
  // what tools/list offers (auto decides by the catalog's size, and a refresh may cross the threshold later)
  const toolMode = servedMode(config.toolMode, tools.size, config.toolModeThreshold);
  log.info('gateway.listening', { listen: `http://${config.host}:${server.port}`, mcp: mcpUrl, upstream: config.upstream, spec, mode: config.mcpMode, tools: tools.size, toolMode });
  let stopping: Promise<void> | undefined;
  const stop = async (graceMs: number, reason: string | undefined) => {
    drain.draining = true;
    const inFlight = drain.inFlight;
    if (graceMs > 0) log.info('gateway.stopping', { reason, inFlight, graceSeconds: graceMs / 1000 });
    // no new connections from here on; a request on an open keep-alive connection gets a 503 (http/front)
    void server.stop(false);
    tools.stop();
    // no new pass, and the one running stops after its batch: sweeping can wait for the next start
    const swept = housekeeping?.close();
    const drained = await drain.settle(graceMs);
    if (!drained && graceMs > 0) log.warn('gateway.drain_timeout', { cut: drain.inFlight, graceSeconds: graceMs / 1000 });
    // the answers of calls that just ended reach their streams before those close
    if (drained && inFlight > 0) await Bun.sleep(20);
    await endpoint.close();
    server.stop(true);
    limits.stop();
    await audit?.close();
    await swept;
    await store?.close();
    await tracing.close();
    if (graceMs > 0) log.info('gateway.stopped', { drained });
  };
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port}`,
    mcpUrl,
    tools,
    endpoint,
    metrics,
    handle,
    stop(options = {}) {
      const graceMs = options.graceMs ?? 0;
      if (stopping) {
        if (graceMs <= 0) drain.cut();
        return stopping;
      }
      stopping = stop(graceMs, options.reason);
      return stopping;
    },
  };
}
