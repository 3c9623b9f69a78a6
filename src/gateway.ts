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
import { createAuthorization, endpointsOf, loadServerSecret, type Authorization } from './oauth';
import type { ClientMetadataDocuments } from './oauth/cimd';
import { openStore, parseDatabaseUrl, type AuditEntry, type Store } from './store';
import type { Logger } from './log';
import { ArgumentValidator } from './mcp/arguments';
import { CatalogTools, type CallOperation } from './mcp/catalog-tools';
import { McpEndpoint } from './mcp/endpoint';
import { createMcpServer } from './mcp/server';
import { ToolRequests, type CallEvent } from './mcp/tool-requests';
import { auditDetail, type RedactionRule } from './audit/redact';
import { AuditWriter } from './audit/writer';
import { upstreamStatus } from './proxy';

export interface Gateway {
  /** Where it listens, e.g. http://127.0.0.1:8787 */
  readonly url: string;
  /** What clients are told to use: the public URL's `/mcp`. */
  readonly mcpUrl: string;
  readonly cache: CatalogCache;
  readonly endpoint: McpEndpoint;
  stop(): Promise<void>;
}

/** Parts a test (or an embedding program) may supply instead of the ones built from the configuration. */
export interface GatewayParts {
  /** Fetches Client ID Metadata Documents (tests point it at a local HTTPS server). */
  readonly documents?: ClientMetadataDocuments;
}

/** Starts the gateway; rejects (before listening) when the spec cannot be loaded. */
export async function startGateway(config: ServeConfig, call: CallOperation, log: Logger, parts: GatewayParts = {}): Promise<Gateway> {
  const store = config.auth === 'oauth' ? await openStore(config.databaseUrl) : undefined;
  const snapshots = store && specSnapshots(store, config);
  let source: string;
  let cache: CatalogCache;
  try {
    source = config.spec ?? (await discover(config.upstream, snapshots, log));
    cache = new CatalogCache({ source, ttlSeconds: config.specTtl, maxNameLength: config.maxToolNameLength, allowRemoteRefs: config.allowRemoteRefs, log, snapshots });
    await cache.start();
  } catch (error) {
    await store?.close();
    throw error;
  }

  let endpoint: McpEndpoint | undefined;
  let authorization: Authorization | undefined;
  let audit: AuditWriter | undefined;
  try {
    const secret = store && loadServerSecret(config.secretFile, parseDatabaseUrl(config.databaseUrl));
    const tools = new CatalogTools(cache, call, () => void endpoint?.notifyToolsChanged(), config.toolsPageSize);
    audit = store && new AuditWriter(store, log);
    const rule = { keep: config.auditArguments, names: config.auditRedact };
    const requests = new ToolRequests(tools, new ArgumentValidator(), {
      listed: config.toolsListed,
      denial: config.scopeDenial,
      onCall: audit && ((event) => audit?.record(auditEntry(event, rule))),
    });
    const jsonSchemaValidator = new AjvJsonSchemaValidator();
    endpoint = new McpEndpoint({
      mode: config.mcpMode,
      requests,
      createServer: () => createMcpServer({ requests, jsonSchemaValidator }),
      maxBodyBytes: config.maxRequestBytes,
      sessionIdleMs: config.sessionIdleSeconds * 1000,
      log,
      insufficientScope: (needed) => authorization?.insufficientScope(needed) ?? {},
    });

    const server = Bun.serve({ port: config.port, hostname: config.host, fetch: () => new Response(null, { status: 503 }) });
    const publicUrl = new URL(config.publicUrl ?? `http://localhost:${server.port}`);
    if (store && secret) {
      if (publicUrl.protocol !== 'https:' && !LOOPBACK.has(publicUrl.hostname)) {
        server.stop(true);
        throw new ConfigError(`PORTICO_PUBLIC_URL must be https when users sign in through Portico (got ${publicUrl.href}); plain http is only for localhost`);
      }
      authorization = createAuthorization({ config, publicUrl, store, secret: secret.secret, log, toolCounts: () => tools.countByScope(), documents: parts.documents });
      log.info('oauth.ready', { issuer: authorization.context.settings.issuer, identity: authorization.context.identity.description, store: store.description, secret: secret.source });
    }
    const allowedHosts = [...new Set([publicUrl.host, `localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`, ...config.allowedHosts])].map((h) => h.toLowerCase());
    const http = { endpoint, authorization, log, allowedHosts, allowedOrigins: config.allowedOrigins };
    const app = createApp(http);
    server.reload({ routes: { '/mcp': mcpHandler(http) }, fetch: (request) => app.handle(request) });
    return listening(config, server, publicUrl, cache, endpoint, store, audit, source, log);
  } catch (error) {
    cache.stop();
    await endpoint?.close();
    await audit?.close();
    await store?.close();
    throw error;
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The last good spec, kept in the store per configured source (or per upstream, when discovered). */
function specSnapshots(store: Store, config: ServeConfig): SpecSnapshots {
  const key = `spec:${config.spec ?? `discovered:${config.upstream}`}`;
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
  const status = event.result ? upstreamStatus(event.result) : undefined;
  let outcome: string = event.stage;
  if (event.stage === 'called') outcome = !event.result?.isError ? 'ok' : status === undefined || status >= 400 ? 'upstream_error' : 'tool_error';
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

function listening(config: ServeConfig, server: ReturnType<typeof Bun.serve>, publicUrl: URL, cache: CatalogCache, endpoint: McpEndpoint, store: Store | undefined, audit: AuditWriter | undefined, source: string, log: Logger): Gateway {
  const mcpUrl = endpointsOf(publicUrl).resource;
  log.info('gateway.listening', { listen: `http://${config.host}:${server.port}`, mcp: mcpUrl, upstream: config.upstream, spec: source, mode: config.mcpMode, tools: cache.current.entries.length });
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port}`,
    mcpUrl,
    cache,
    endpoint,
    async stop() {
      cache.stop();
      await endpoint.close();
      server.stop(true);
      await audit?.close();
      await store?.close();
    },
  };
}
