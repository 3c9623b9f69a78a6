/**
 * @module ops/gateway-metrics
 * What Portico counts, under which names. HTTP requests are counted by the front of the HTTP server
 * (`http/front`), tool calls from the record the call pipeline hands its observers (`calls/pipeline`), tokens
 * and catalog refreshes through the typed events the authorization server and the catalog cache are handed
 * (`ops/events`, which this class implements), like the rows the store's housekeeping sweeps.
 *
 * Every label has a bounded set of values: routes are a fixed list, statuses are HTTP's, tools are the
 * catalog's names, outcomes and kinds are enumerations below.
 */
import type { CallMeasure } from './call-outcome';
import { SWEPT_KINDS, type CatalogRefresh, type GatewayEvents, type Revocation, type SweptKind } from './events';
import { Registry, type Value } from './metrics';

/** Latency buckets (seconds): fast local APIs up to the slow ones near the default 30 s upstream timeout. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type RateLimitKind = 'token' | 'address';

export class GatewayMetrics implements GatewayEvents {
  readonly registry = new Registry();
  private readonly requests = this.registry.counter('portico_http_requests_total', 'HTTP requests answered, by route and status', ['route', 'status']);
  private readonly inFlight = this.registry.gauge('portico_http_requests_in_flight', 'HTTP requests being answered now (open SSE streams not included)').labels();
  private readonly rateLimited = this.registry.counter('portico_rate_limited_total', 'Requests refused with 429, by the limit they hit (token or client address)', ['limit']);
  private readonly toolCalls = this.registry.counter('portico_tool_calls_total', 'Tool calls, by tool and outcome (ok, tool_error, upstream_error, denied, refused, invalid_arguments)', ['tool', 'outcome']);
  private readonly toolDuration = this.registry.histogram('portico_tool_call_duration_seconds', 'Time from a tools/call to its result, by tool', ['tool'], LATENCY_BUCKETS);
  private readonly upstreamDuration = this.registry.histogram('portico_upstream_request_duration_seconds', 'Time the API took to answer a call (retries and redirects included)', [], LATENCY_BUCKETS).labels();
  private readonly upstreamErrors = this.registry.counter('portico_upstream_errors_total', 'Calls the API answered with an error status, or did not answer (status_class="none": unreachable, timed out, cut off)', ['status_class']);
  private readonly tokensIssued = this.registry.counter('portico_oauth_tokens_issued_total', 'Access and refresh token pairs issued for an authorization code').labels();
  private readonly tokensRefreshed = this.registry.counter('portico_oauth_tokens_refreshed_total', 'Refresh token rotations').labels();
  private readonly tokensRevoked = this.registry.counter('portico_oauth_tokens_revoked_total', 'Revocations: kind="access" or "refresh" through /oauth/revoke, "grant" on the account page', ['kind']);
  private readonly catalogRefreshes = this.registry.counter('portico_catalog_refreshes_total', 'Refreshes of the OpenAPI document, by outcome (unchanged, rebuilt, changed, failed)', ['outcome']);
  private readonly swept = this.registry.counter('portico_store_swept_rows_total', `Rows the housekeeping deleted from the store, by kind (${SWEPT_KINDS.join(', ')}): expired, or audit entries past their retention`, ['kind']);
  private readonly catalogSuccess = this.registry.gauge('portico_catalog_last_success_timestamp_seconds', 'When the catalog was last loaded or confirmed current (Unix time)').labels();

  /** What the gauges read when scraped; the gateway says once its parts exist (`watch`). */
  private read: { sessions: () => number; tools: () => number };

  /** `sessions`: open MCP sessions now; `tools`: tools in the catalog served now (0 until `watch` says otherwise). */
  constructor(read: { sessions: () => number; tools: () => number } = { sessions: () => 0, tools: () => 0 }) {
    this.read = read;
    this.registry.collected('portico_mcp_sessions', 'Open MCP sessions (stateful mode)', () => this.read.sessions());
    this.registry.collected('portico_catalog_tools', 'Tools in the catalog being served', () => {
      try {
        return this.read.tools();
      } catch {
        return 0;
      }
    });
    this.registry.gauge('process_start_time_seconds', 'When this process started (Unix time)').labels().set(Math.round(performance.timeOrigin / 1000));
    this.registry.collected('process_resident_memory_bytes', 'Resident memory of this process', () => process.memoryUsage.rss());
    for (const kind of ['token', 'address'] as const) this.rateLimited.labels(kind);
    for (const outcome of ['unchanged', 'rebuilt', 'changed', 'failed']) this.catalogRefreshes.labels(outcome);
    for (const kind of SWEPT_KINDS) this.swept.labels(kind);
  }

  /** Where the sessions and tools gauges read from, once those parts exist. */
  watch(read: { sessions: () => number; tools: () => number }): void {
    this.read = read;
  }

  /** The series of `route` and `status`, for the caller to keep (see `http/front`). */
  requestSeries(route: string, status: number): Value {
    return this.requests.labels(route, status);
  }

  requestStarted(): void {
    this.inFlight.value++;
  }

  requestEnded(): void {
    this.inFlight.value--;
  }

  limited(kind: RateLimitKind): void {
    this.rateLimited.labels(kind).value++;
  }

  /** A tool call ended (one of the call pipeline's observers). */
  toolCall(call: CallMeasure): void {
    const { outcome, upstreamStatus: status } = call;
    this.toolCalls.labels(call.tool, outcome).value++;
    this.toolDuration.labels(call.tool).observe(call.latencyMs / 1000);
    // the API's own time: not the hooks', nor the wait for the user's confirmation
    if (call.upstreamMs !== undefined) this.upstreamDuration.observe(call.upstreamMs / 1000);
    if (outcome === 'upstream_error') this.upstreamErrors.labels(status === undefined ? 'none' : `${Math.floor(status / 100)}xx`).value++;
  }

  tokenIssued(): void {
    this.tokensIssued.value++;
  }

  tokenRefreshed(): void {
    this.tokensRefreshed.value++;
  }

  tokenRevoked(kind: Revocation): void {
    this.tokensRevoked.labels(kind).value++;
  }

  rowsSwept(kind: SweptKind, rows: number): void {
    this.swept.labels(kind).inc(rows);
  }

  render(): string {
    return this.registry.render();
  }

  catalogLoaded(): void {
    this.catalogSuccess.set(Date.now() / 1000);
  }

  catalogRefreshed(outcome: CatalogRefresh): void {
    this.catalogRefreshes.labels(outcome).value++;
    // a failed refresh keeps serving the last good catalog: it did not succeed
    if (outcome !== 'failed') this.catalogSuccess.set(Date.now() / 1000);
  }
}
