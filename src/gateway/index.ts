/**
 * @module gateway
 * The one place a gateway is put together from its parts, in the order they need each other — no part is
 * read before it exists:
 *
 *   log and metrics → store → the APIs' catalogs and proxies (`gateway/sources`) → plugins → the toolbox →
 *   the listener (its port makes the public URL) → the authorization server → the call pipeline → the MCP
 *   endpoint → the routes (`gateway/routes`) → the store's housekeeping (`gateway/housekeeping`) → serving,
 *   until `stop` (`gateway/shutdown`).
 *
 * `portico serve`, `portico demo`, the tests and an embedding program all start a gateway here, so they run
 * the same wiring. Each part gets the settings it reads, not the whole configuration.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuditWriter } from '../audit/writer';
import type { Catalog } from '../catalog';
import { AnswerFitter } from '../calls/answer/fit';
import { MemoryAnswers } from '../calls/answer/memory';
import { CallPipeline, type CallRecord } from '../calls/pipeline';
import { Toolbox, type ToolSource } from '../calls/toolbox';
import { ConfigError, type ServeConfig } from '../config/serve';
import { readTracingSettings, type TracingSettings } from '../config/tracing';
import { didYouMean } from '../config/suggest';
import { ClientAddresses } from '../http/client-address';
import { RequestLimits } from '../http/limits';
import { createLogger, type Logger } from '../log';
import { McpEndpoint } from '../mcp/endpoint';
import { Listeners } from '../mcp/listen';
import { ModernEndpoint } from '../mcp/modern';
import { RequestStates } from '../mcp/request-state';
import { LegacyProtocol } from '../mcp/legacy';
import { capabilitiesOf, serverInfo } from '../mcp/methods';
import { Keys } from '../oauth/crypto';
import type { Scope } from '../oauth/scopes';
import { ToolRequests } from '../mcp/tool-requests';
import { createAuthorization, loadServerSecret, publicUrlProblem, type Authorization } from '../oauth';
import type { ClientMetadataDocuments } from '../oauth/cimd';
import { Drain } from '../ops/drain';
import type { TokenEvents } from '../ops/events';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { requestContext } from '../plugins/context';
import type { PluginHost } from '../plugins/host';
import { loadConfiguredPlugins } from '../plugins/load';
import { Sandbox } from '../sandbox/pool';
import { openStore, parseDatabaseUrl, type Store } from '../store';
import { withGrantUses } from '../store/grant-uses';
import { withTokenCache } from '../store/token-cache';
import { Housekeeping } from './housekeeping';
import { callObservers } from './observers';
import { serveRoutes } from './routes';
import { startGatewayTracing, tracedStore } from './tracing';
import { listening, type Gateway } from './shutdown';
import { ownSource, pluginApiSources } from './sources';

export type { Gateway } from './shutdown';

/** Parts a test or an embedding program may supply instead of the ones built from the configuration. */
export interface GatewayParts {
  /** Where log lines go. @default JSON lines on stderr at `config.logLevel` */
  readonly log?: Logger;
  /** The store, opened by the caller instead of from PORTICO_DATABASE_URL (with sign-in); closed by `stop`. */
  readonly store?: Store;
  /** Fetches Client ID Metadata Documents (tests point it at a local HTTPS server). */
  readonly documents?: ClientMetadataDocuments;
  /** Told about every tool call once it is decided, besides the metrics, the log and the audit log. */
  readonly onCall?: (record: CallRecord) => void;
  /** Where traces go. @default read from the `OTEL_*` variables of `process.env` (off unless an endpoint is named) */
  readonly tracing?: TracingSettings;
}

/** How long after the start the gateway readies what the first tool call needs (`CallPipeline.warm`). */
const WARM_UP_DELAY_MS = 1000;

/** Starts a gateway for `config`; rejects (before listening, with nothing left open) when it cannot start. */
export async function createGateway(config: ServeConfig, parts: GatewayParts = {}): Promise<Gateway> {
  const metrics = new GatewayMetrics();
  const log = parts.log ?? createLogger(config.logLevel);
  redactConfigured(log, config);
  // a malformed PORTICO_TRUSTED_PROXIES stops the start before anything is opened
  const addresses = new ClientAddresses(config.trustedProxies);
  const opened = new Opened();
  // a failed start leaves no database file (nor its folder) that it created: the next try starts clean
  const undo = config.auth === 'oauth' && !parts.store ? undoNewDatabase(config.databaseUrl) : () => {};
  try {
    const tracing = opened.add(await startGatewayTracing(parts.tracing ?? readTracingSettings(process.env), log), (it) => it.close());
    const store = config.auth === 'oauth' ? opened.add(recordingUses(await cachingTokens(tracedStore(parts.store ?? (await openStore(config.databaseUrl)), tracing), config, log), log)) : undefined;
    const own = await ownSource(config, log, store, metrics);
    opened.add({ close: () => own.source.cache.stop() });
    // read (or made) once the API's document is in: a start that fails on the spec leaves no secret file behind
    const secret = store && loadServerSecret(config.secretFile, parseDatabaseUrl(config.databaseUrl));
    const plugins = await loadConfiguredPlugins(config, log);
    const apis = await pluginApiSources(plugins, config, log, store, metrics);
    const sources: ToolSource[] = [own.source, ...apis];
    opened.add({ close: () => apis.forEach((api) => api.cache.stop()) });
    const tools = new Toolbox(sources, config.toolsPageSize, plugins, log);

    const server = opened.add(listen(config), (listener) => listener.stop(true));
    const publicUrl = new URL(config.publicUrl ?? `http://localhost:${server.port}`);
    const authorization = store && secret ? signIn(config, { publicUrl, store, secret: secret.secret, log, tools, plugins, events: metrics, documents: parts.documents, catalog: own.source.cache.current }) : undefined;
    if (authorization) log.info('oauth.ready', { issuer: authorization.context.settings.issuer, identity: authorization.context.identity.description, store: store!.description, sealingKey: secret!.source });

    const drain = new Drain();
    const audit = store && opened.add(new AuditWriter(store, log));
    const access = { upstream: config.upstream, sharedHeaders: config.upstreamHeaders };
    const observers = callObservers(metrics, log, audit, { keep: config.auditArguments, names: config.auditRedact }, config.auditDurable);
    if (parts.onCall) observers.push(parts.onCall);
    const answers = answerFitter(config, store, tools);
    const calls = new CallPipeline({ tools, plugins: plugins.empty ? undefined : plugins, access, drain, observers, log, answers });
    // without sign-in a secret file is still what lets every instance open a 2026-07-28 request's state
    const sealing = secret?.secret ?? (config.secretFile ? loadServerSecret(config.secretFile, parseDatabaseUrl(config.databaseUrl)).secret : undefined);
    // code mode's programs run in worker threads, started when the first program comes
    const sandbox = config.toolMode === 'code' ? opened.add(codeSandbox(config)) : undefined;
    const endpoint = opened.add(mcpEndpoint(config, calls, plugins, access, log, authorization, sealing, sandbox));
    tools.onChange(() => void endpoint.notifyToolsChanged());
    metrics.watch({ sessions: () => endpoint.sessionCount, tools: () => tools.size });

    const limits = opened.add(
      new RequestLimits({ perToken: config.rateLimitMcp, perAddress: config.rateLimitIp, loopback: config.rateLimitLoopback, listenHost: config.host, shared: store?.multiInstance ? { buckets: store, log } : undefined, onLimited: (kind) => metrics.limited(kind) }),
      (it) => it.stop(),
    );
    const handle = serveRoutes(server, { config, publicUrl, endpoint, authorization, store, tools, drain, limits, addresses, metrics, log, tracing });
    const housekeeping = store && config.sweepMinutes > 0 ? opened.add(sweeping(store, config, log, metrics)) : undefined;
    // what the first tool call needs (Ajv) and no start should wait for: readied a second on, when the first clients
    // have usually listed the tools (unref'd: it keeps no process alive)
    setTimeout(() => calls.warm(), WARM_UP_DELAY_MS).unref();
    return listening({ config, server, publicUrl, tools, endpoint, store, audit, housekeeping, spec: own.spec, log, metrics, drain, limits, handle, tracing });
  } catch (error) {
    await opened.closeAll();
    undo();
    throw error;
  }
}

/**
 * Removes, once called, the SQLite file at `databaseUrl` and the folders above it that do not exist now (nothing
 * for PostgreSQL, or a file that was there: that holds someone's grants). Its `-wal`/`-shm` files go with it.
 */
function undoNewDatabase(databaseUrl: string | undefined): () => void {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.kind !== 'sqlite' || target.path === ':memory:' || existsSync(target.path)) return () => {};
  const file = target.path;
  const created: string[] = [];
  for (let folder = dirname(file); !existsSync(folder) && folder !== dirname(folder); folder = dirname(folder)) created.push(folder);
  return () => {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
    for (const folder of created) {
      try {
        rmdirSync(folder); // only when empty: anything else put there is not ours to remove
      } catch {
        return;
      }
    }
  };
}

/** The listener, answering 503 until the routes are in; a port it cannot have is a `ConfigError` saying which and what to set. */
function listen(config: Pick<ServeConfig, 'host' | 'port'>): ReturnType<typeof Bun.serve> {
  try {
    return Bun.serve({ port: config.port, hostname: config.host, fetch: () => new Response(null, { status: 503 }) });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const where = `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
    if (code === 'EADDRINUSE') throw new ConfigError(`port ${config.port} is already in use on ${config.host} (another Portico, or another program, listens there): choose another with --port or PORTICO_PORT`, { cause: error });
    if (code === 'EACCES') throw new ConfigError(`not allowed to listen on ${where} (ports below 1024 need privileges): choose another with --port or PORTICO_PORT`, { cause: error });
    if (code === 'EADDRNOTAVAIL') throw new ConfigError(`cannot listen on ${config.host}: it is not an address of this machine; set --host or PORTICO_HOST to one that is (127.0.0.1, 0.0.0.0)`, { cause: error });
    throw error;
  }
}

/** The authorization server, with sign-in through the configured (or a plugin's) identity source; a public URL it cannot be the issuer of stops the start. */
function signIn(
  config: ServeConfig,
  parts: { publicUrl: URL; store: Store; secret: Uint8Array; log: Logger; tools: Toolbox; plugins: PluginHost; events: TokenEvents; documents?: ClientMetadataDocuments; catalog: Catalog },
): Authorization {
  const problem = publicUrlProblem(parts.publicUrl);
  if (problem) throw new ConfigError(problem);
  return createAuthorization({
    config,
    publicUrl: parts.publicUrl,
    store: parts.store,
    secret: parts.secret,
    log: parts.log,
    toolCounts: () => parts.tools.countByScope(),
    documents: parts.documents,
    identity: parts.plugins.identity?.value,
    // the login operation's request body names the fields the password sign-in posts (withheld from the tools, kept here)
    catalog: parts.catalog,
    events: parts.events,
  });
}

function mcpEndpoint(
  config: ServeConfig,
  calls: CallPipeline,
  plugins: PluginHost,
  access: { upstream: string; sharedHeaders: Readonly<Record<string, string>> },
  log: Logger,
  authorization: Authorization | undefined,
  secret: Uint8Array | undefined,
  sandbox: Sandbox | undefined,
): McpEndpoint {
  const requests = new ToolRequests(calls, {
    listed: config.toolsListed,
    denial: config.scopeDenial,
    mode: config.toolMode,
    threshold: config.toolModeThreshold,
    code: sandbox && { sandbox, maxCalls: config.codeMaxCalls },
  });
  const features = plugins.empty ? undefined : { host: plugins, context: (principal: Parameters<typeof requestContext>[1], signal: AbortSignal, extra?: Parameters<typeof requestContext>[3]) => requestContext(access, principal, signal, extra), log };
  const insufficientScope = authorization && ((needed: Scope) => authorization.insufficientScope(needed));
  const capabilities = capabilitiesOf(features, calls.answers !== undefined);
  const listeners = new Listeners({ plugins: features, perOwner: config.maxSessionsPerToken });
  // the state of a 2026-07-28 request between rounds is sealed with the server secret, so every instance opens it;
  // without one (no sign-in, no PORTICO_SECRET_FILE): a key of this process's own (one instance takes every round)
  const states = new RequestStates(new Keys(secret ?? randomBytes(32)));
  const modern = new ModernEndpoint({ requests, plugins: features, capabilities, states, listeners, listTtlMs: config.specTtl * 1000, insufficientScope, log });
  const legacy = new LegacyProtocol({ requests, plugins: features, capabilities, serverInfo: serverInfo(), log, insufficientScope });
  return new McpEndpoint({
    mode: config.mcpMode,
    requests,
    legacy,
    modern,
    listeners,
    onResourceUpdated: features && ((listener) => plugins.onResourceUpdated(listener)),
    maxBodyBytes: config.maxRequestBytes,
    sessionIdleMs: config.sessionIdleSeconds * 1000,
    maxSessionsPerOwner: config.maxSessionsPerToken,
    maxSessions: config.maxSessions,
    log,
    insufficientScope,
  });
}

/**
 * What fits answers to the agent's context and keeps the whole ones: in the store with sign-in (so every instance
 * reads what another kept), in this process without. A budget for a tool that is not there stops the start.
 */
function answerFitter(config: ServeConfig, store: Store | undefined, tools: Toolbox): AnswerFitter {
  for (const name of Object.keys(config.answerBudgets)) {
    if (!tools.findTool(name)) throw new ConfigError(`PORTICO_ANSWER_BUDGETS names "${name}", which is not a tool of this API${didYouMean(name, tools.all.map((entry) => entry.tool.name))}; \`portico tools\` lists them`);
  }
  return new AnswerFitter({
    store: store ?? new MemoryAnswers(),
    budgets: { tokens: config.answerBudget, perTool: new Map(Object.entries(config.answerBudgets)) },
    ttlMs: config.answerTtlMinutes * 60_000,
  });
}

/** Code mode's sandbox, with the limits configured for one program. */
function codeSandbox(config: ServeConfig): Sandbox {
  return new Sandbox({
    workers: config.codeWorkers,
    limits: { memoryBytes: config.codeMemoryMb * 1024 * 1024, stackBytes: 512 * 1024, cpuMs: config.codeCpuMs, wallMs: config.codeTimeout * 1000, outputChars: 20_000 },
  });
}

/** What a failed start must close again, in reverse order of opening. */
class Opened {
  private readonly closers: (() => unknown)[] = [];

  add<T extends { close(): unknown }>(part: T): T;
  add<T>(part: T, close: (part: T) => unknown): T;
  add<T>(part: T, close?: (part: T) => unknown): T {
    this.closers.push(close ? () => close(part) : () => (part as { close(): unknown }).close());
    return part;
  }

  async closeAll(): Promise<void> {
    for (const close of this.closers.reverse()) {
      try {
        await close();
      } catch {
        // closing what a failed start opened: the start's own error is what the caller needs
      }
    }
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

const DAY_MS = 24 * 60 * 60 * 1000;

/** Expired rows and old audit entries deleted every PORTICO_SWEEP_MINUTES, audit entries kept PORTICO_AUDIT_RETENTION_DAYS. */
function sweeping(store: Store, config: Pick<ServeConfig, 'sweepMinutes' | 'auditRetentionDays'>, log: Logger, metrics: GatewayMetrics): Housekeeping {
  return new Housekeeping(store, {
    intervalMs: config.sweepMinutes * 60_000,
    auditRetentionMs: config.auditRetentionDays > 0 ? config.auditRetentionDays * DAY_MS : undefined,
    log,
    events: metrics,
  });
}

/** The store noting when each grant is used (for /account), outside the token cache so that answers from memory count too. */
function recordingUses(store: Store, log: Logger): Store {
  return withGrantUses(store, {
    onError: (error, waiting) => log.warn('store.last_use_write_failed', { waiting, reason: error instanceof Error ? error.message : String(error) }),
  });
}

/** The store with access tokens kept in memory where it can watch revocations (both backends); as it is otherwise. */
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
