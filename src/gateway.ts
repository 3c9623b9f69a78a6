/**
 * @module gateway
 * Puts the pieces together for `portico serve`: the catalog (kept fresh), the MCP endpoint, the HTTP app,
 * and the proxy that calls the API.
 */
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { CatalogCache, discoverSpec, type SpecSnapshot, type SpecSnapshots } from './catalog';
import type { ServeConfig } from './config/serve';
import { ConfigError } from './config/serve';
import { createApp, mcpHandler } from './http/app';
import { ClientAddresses } from './http/client-address';
import { front, type FrontOptions } from './http/front';
import { RequestLimits } from './http/limits';
import { healthz, metricsRoute, readyz } from './http/ops-routes';
import { createAuthorization, endpointsOf, loadServerSecret, publicUrlProblem, type Authorization } from './oauth';
import type { ClientMetadataDocuments } from './oauth/cimd';
import { openStore, parseDatabaseUrl, StoreUnavailableError, type AuditEntry, type Store } from './store';
import { withTokenCache } from './store/token-cache';
import type { Logger } from './log';
import { ArgumentValidator } from './mcp/arguments';
import { CatalogTools, type CallOperation, type ToolSource } from './mcp/catalog-tools';
import { McpEndpoint } from './mcp/endpoint';
import type { PluginFeatures } from './mcp/plugin-features';
import { createMcpServer } from './mcp/server';
import { ToolRequests, type CallEvent } from './mcp/tool-requests';
import { requestContext, toolContext } from './plugins/context';
import { startPluginApis } from './plugins/apis';
import { loadConfiguredPlugins } from './plugins/load';
import { auditDetail, type RedactionRule } from './audit/redact';
import { AuditWriter } from './audit/writer';
import { callOutcome } from './ops/call-outcome';
import { Drain } from './ops/drain';
import { GatewayMetrics } from './ops/gateway-metrics';
import { NotReady, Readiness, type ReadinessCheck } from './ops/readiness';

export interface Gateway {
  /** Where it listens, e.g. http://127.0.0.1:8787 */
  readonly url: string;
  /** What clients are told to use: the public URL's `/mcp`. */
  readonly mcpUrl: string;
  readonly cache: CatalogCache;
  readonly endpoint: McpEndpoint;
  readonly metrics: GatewayMetrics;
  /**
   * Stops: refuses new connections and requests, lets what is in flight finish within `graceMs` (default 0:
   * cut at once), then closes the MCP sessions and their SSE streams, flushes the audit log and closes the
   * store. Called again while stopping with `graceMs: 0`, it stops waiting.
   */
  stop(options?: { graceMs?: number; reason?: string }): Promise<void>;
}

/** Parts a test (or an embedding program) may supply instead of the ones built from the configuration. */
export interface GatewayParts {
  /** Fetches Client ID Metadata Documents (tests point it at a local HTTPS server). */
  readonly documents?: ClientMetadataDocuments;
  /** The store, opened by the caller instead of from PORTICO_DATABASE_URL (with sign-in); closed by `stop`. */
  readonly store?: Store;
}

/** Starts the gateway; rejects (before listening) when the spec cannot be loaded. */
export async function startGateway(config: ServeConfig, call: CallOperation, baseLog: Logger, parts: GatewayParts = {}): Promise<Gateway> {
  let endpoint: McpEndpoint | undefined;
  let cache: CatalogCache | undefined;
  const metrics = new GatewayMetrics({ sessions: () => endpoint?.sessionCount ?? 0, tools: () => cache?.current.entries.length ?? 0 });
  // counts the events it passes on (tokens, catalog refreshes): see ops/gateway-metrics
  const log = metrics.observing(baseLog);
  redactConfigured(log, config);
  // a malformed PORTICO_TRUSTED_PROXIES stops the start before anything is opened
  const addresses = new ClientAddresses(config.trustedProxies);
  const store = config.auth === 'oauth' ? await cachingTokens(parts.store ?? (await openStore(config.databaseUrl)), config, log) : undefined;
  const snapshots = store && specSnapshots(store, config);
  let source: string;
  try {
    source = config.spec ?? (await discover(config.upstream, snapshots, log));
    cache = new CatalogCache({ source, ttlSeconds: config.specTtl, maxNameLength: config.maxToolNameLength, allowRemoteRefs: config.allowRemoteRefs, log, snapshots });
    await cache.start();
  } catch (error) {
    await store?.close();
    throw error;
  }

  let authorization: Authorization | undefined;
  let audit: AuditWriter | undefined;
  let apis: ToolSource[] = [];
  const drain = new Drain();
  const limits = new RequestLimits({ perToken: config.rateLimitMcp, perAddress: config.rateLimitIp, loopback: config.rateLimitLoopback, listenHost: config.host, onLimited: (kind) => metrics.limited(kind) });
  try {
    const secret = store && loadServerSecret(config.secretFile, parseDatabaseUrl(config.databaseUrl));
    // a call in flight holds a graceful shutdown back, even when its answer goes out on an SSE stream later
    const tracked = (operation: CallOperation): CallOperation => (entry, args, signal, principal) => drain.track(operation(entry, args, signal, principal));
    const plugins = await loadConfiguredPlugins(config, log);
    const access = { upstream: config.upstream, sharedHeaders: config.upstreamHeaders };
    apis = await startPluginApis(plugins, config, log, store && ((key) => snapshotsAt(store, key)));
    const sources: ToolSource[] = [{ cache, call: tracked(call), prefix: '' }, ...apis.map((api) => ({ ...api, call: tracked(api.call) }))];
    const tools = new CatalogTools(sources, () => void endpoint?.notifyToolsChanged(), config.toolsPageSize, plugins, log);
    audit = store && new AuditWriter(store, log);
    const rule = { keep: config.auditArguments, names: config.auditRedact };
    const requests = new ToolRequests(tools, new ArgumentValidator(), {
      listed: config.toolsListed,
      denial: config.scopeDenial,
      onCall: (event) => {
        metrics.toolCall(event);
        if (log.enabled?.('debug') !== false) {
          const { outcome, status } = callOutcome(event);
          log.debug('mcp.tool_call', { tool: event.tool, outcome, upstreamStatus: status ?? null, ms: Math.round(event.latencyMs * 10) / 10, user: event.principal?.userId, client: event.principal?.clientId });
        }
        audit?.record(auditEntry(event, rule));
      },
      plugins: plugins.empty ? undefined : plugins,
      toolContext: (principal, signal, extra) => toolContext(access, principal, signal, extra),
      log,
    });
    const jsonSchemaValidator = new AjvJsonSchemaValidator();
    const features: PluginFeatures | undefined = plugins.empty ? undefined : { host: plugins, context: (principal, signal) => requestContext(access, principal, signal), log };
    endpoint = new McpEndpoint({
      mode: config.mcpMode,
      requests,
      createServer: () => createMcpServer({ requests, jsonSchemaValidator, plugins: features }),
      maxBodyBytes: config.maxRequestBytes,
      sessionIdleMs: config.sessionIdleSeconds * 1000,
      maxSessionsPerOwner: config.maxSessionsPerToken,
      maxSessions: config.maxSessions,
      log,
      insufficientScope: (needed) => authorization?.insufficientScope(needed) ?? {},
    });

    const server = Bun.serve({ port: config.port, hostname: config.host, fetch: () => new Response(null, { status: 503 }) });
    const publicUrl = new URL(config.publicUrl ?? `http://localhost:${server.port}`);
    if (store && secret) {
      const problem = publicUrlProblem(publicUrl);
      if (problem) {
        server.stop(true);
        throw new ConfigError(problem);
      }
      authorization = createAuthorization({ config, publicUrl, store, secret: secret.secret, log, toolCounts: () => tools.countByScope(), documents: parts.documents, identity: plugins.identity?.value });
      log.info('oauth.ready', { issuer: authorization.context.settings.issuer, identity: authorization.context.identity.description, store: store.description, sealingKey: secret.source });
    }
    const allowedHosts = [...new Set([publicUrl.host, `localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`, ...config.allowedHosts])].map((h) => h.toLowerCase());
    const guard = { allowedHosts, allowedOrigins: config.allowedOrigins };
    const http = { endpoint, authorization, log, limits, ...guard };
    const app = createApp(http);
    const readiness = new Readiness(readinessChecks(store, cache, drain), log);
    const options: FrontOptions = { log, metrics, drain, limits, guard, addresses };
    server.reload({
      routes: {
        '/mcp': front(options, mcpHandler(http), '/mcp'),
        '/healthz': front(options, healthz, '/healthz'),
        '/readyz': front(options, readyz(readiness), '/readyz'),
        '/metrics': front(options, metricsRoute(metrics, config.metricsToken), '/metrics'),
      },
      fetch: front(options, (request) => app.handle(request)),
    });
    return listening({ config, server, publicUrl, cache, apis, endpoint, store, audit, source, log, metrics, drain, limits });
  } catch (error) {
    cache.stop();
    for (const api of apis) api.cache.stop();
    limits.stop();
    await endpoint?.close();
    await audit?.close();
    await store?.close();
    throw error;
  }
}


/** The deployment's own secrets: blanked in every log line, should one ever carry them. */
function redactConfigured(log: Logger, config: ServeConfig): void {
  for (const value of [...Object.values(config.upstreamHeaders), config.metricsToken ?? '']) {
    log.redact?.(value);
    // "Bearer abc…": the credential alone too
    for (const part of value.split(/\s+/)) if (part.length >= 12) log.redact?.(part);
  }
  if (config.databaseUrl && /^postgres(ql)?:/i.test(config.databaseUrl)) {
    try {
      const password = decodeURIComponent(new URL(config.databaseUrl).password);
      if (password) log.redact?.(password);
    } catch {
      // not a URL: the store says so when it opens it
    }
  }
}

/** Ready: the store answers (with sign-in), a catalog is being served, and the gateway is not shutting down. */
function readinessChecks(store: Store | undefined, cache: CatalogCache, drain: Drain): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [];
  if (store) {
    checks.push({
      name: 'store',
      async check() {
        try {
          await store.ping();
        } catch (error) {
          throw new NotReady(error instanceof StoreUnavailableError ? 'unreachable' : 'failed', { cause: error });
        }
      },
    });
  }
  checks.push(
    {
      name: 'catalog',
      check() {
        // `current` throws until the first catalog is in
        try {
          void cache.current;
        } catch (error) {
          throw new NotReady('not loaded', { cause: error });
        }
      },
    },
    {
      name: 'shutdown',
      check() {
        if (drain.draining) throw new NotReady('shutting down');
      },
    },
  );
  return checks;
}

/** The last good spec, kept in the store per configured source (or per upstream, when discovered). */
function specSnapshots(store: Store, config: ServeConfig): SpecSnapshots {
  return snapshotsAt(store, `spec:${config.spec ?? `discovered:${config.upstream}`}`);
}

function snapshotsAt(store: Store, key: string): SpecSnapshots {
  return {
    async load() {
      const stored = await store.getSnapshot(key);
      return stored ? (JSON.parse(stored.value) as SpecSnapshot) : null;
    },
    save: (snapshot) => store.putSnapshot(key, JSON.stringify(snapshot), Date.now()),
  };
}

/** Where the API publishes its spec; when the API cannot be asked, where it was found last time. */
async function discover(upstream: string, snapshots: SpecSnapshots | undefined, log: Logger): Promise<string> {
  try {
    return await discoverSpec(upstream);
  } catch (error) {
    const last = await snapshots?.load();
    if (!last) throw error;
    log.warn('catalog.discovery_failed', { upstream, error: error instanceof Error ? error.message : String(error), using: last.uri });
    return last.uri;
  }
}

/** A call as the audit log keeps it: who, which tool, how it ended, what the API answered; arguments redacted. */
function auditEntry(event: CallEvent, rule: RedactionRule): AuditEntry {
  const { outcome, status } = callOutcome(event);
  return {
    at: event.startedAt,
    userId: event.principal?.userId ?? '',
    clientId: event.principal?.clientId ?? '',
    tool: event.tool,
    outcome,
    upstreamStatus: status ?? null,
    latencyMs: Math.round(event.latencyMs * 10) / 10,
    detail: auditDetail(event.args, rule),
  };
}

interface Running {
  readonly config: ServeConfig;
  readonly server: ReturnType<typeof Bun.serve>;
  readonly publicUrl: URL;
  readonly cache: CatalogCache;
  /** The catalogs of the APIs plugins added. */
  readonly apis: readonly ToolSource[];
  readonly endpoint: McpEndpoint;
  readonly store: Store | undefined;
  readonly audit: AuditWriter | undefined;
  readonly source: string;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly drain: Drain;
  readonly limits: RequestLimits;
}

function listening(running: Running): Gateway {
  const { config, server, publicUrl, cache, apis, endpoint, store, audit, source, log, metrics, drain, limits } = running;
  const mcpUrl = endpointsOf(publicUrl).resource;
  log.info('gateway.listening', { listen: `http://${config.host}:${server.port}`, mcp: mcpUrl, upstream: config.upstream, spec: source, mode: config.mcpMode, tools: cache.current.entries.length });
  let stopping: Promise<void> | undefined;
  const stop = async (graceMs: number, reason: string | undefined) => {
    drain.draining = true;
    const inFlight = drain.inFlight;
    if (graceMs > 0) log.info('gateway.stopping', { reason, inFlight, graceSeconds: graceMs / 1000 });
    // no new connections from here on; a request on an open keep-alive connection gets a 503 (http/front)
    void server.stop(false);
    cache.stop();
    for (const api of apis) api.cache.stop();
    const drained = await drain.settle(graceMs);
    if (!drained && graceMs > 0) log.warn('gateway.drain_timeout', { cut: drain.inFlight, graceSeconds: graceMs / 1000 });
    // the answers of calls that just ended reach their streams before those close
    if (drained && inFlight > 0) await Bun.sleep(20);
    await endpoint.close();
    server.stop(true);
    limits.stop();
    await audit?.close();
    await store?.close();
    if (graceMs > 0) log.info('gateway.stopped', { drained });
  };
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port}`,
    mcpUrl,
    cache,
    endpoint,
    metrics,
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

/** The store with access tokens kept in memory where it can watch revocations (PostgreSQL); as it is otherwise. */
async function cachingTokens(store: Store, config: ServeConfig, log: Logger): Promise<Store> {
  if (!store.watchRevocations || config.tokenCache === 0) return store;
  try {
    return await withTokenCache(store, { maxAgeMs: config.tokenCache * 1000 });
  } catch (error) {
    // without the watch a cache could accept revoked tokens: every request asks the database instead
    log.warn('store.token_cache_off', { reason: `revocations cannot be watched (LISTEN failed: ${error instanceof Error ? error.message : String(error)}); every request reads its token from the database` });
    return store;
  }
}
