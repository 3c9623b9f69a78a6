/**
 * @module gateway/sources
 * The APIs a gateway serves, each as a `ToolSource`: its OpenAPI document read and kept fresh (the last good
 * copy in the store), and the proxy its calls go through — made once here, its options checked at start. The
 * gateway's own API (PORTICO_UPSTREAM) first, then each API a plugin added with `addApi`: its tools named with
 * its prefix, its calls sent to its own upstream and nowhere else, with the credential the plugin chose.
 */
import { CatalogCache, discoverSpec, SpecError, type SpecSnapshot, type SpecSnapshots } from '../catalog';
import type { ToolSource } from '../calls/toolbox';
import type { ServeConfig } from '../config/serve';
import type { Logger } from '../log';
import type { CatalogEvents } from '../ops/events';
import { PluginError } from '../plugins/errors';
import type { PluginHost } from '../plugins/host';
import { createProxy } from '../proxy';
import type { Store } from '../store';
import { nameLengthFor, servedCatalog, withheldFromCatalog } from './catalog-options';

export { nameLengthFor, servedCatalog, withheldFromCatalog };

/** The settings the sources read. */
export type SourceConfig = Pick<
  ServeConfig,
  | 'upstream'
  | 'spec'
  | 'specTtl'
  | 'maxToolNameLength'
  | 'allowRemoteRefs'
  | 'auth'
  | 'upstreamHeaders'
  | 'upstreamCredential'
  | 'upstreamTimeoutMs'
  | 'maxResponseBytes'
  | 'answerBudget'
  | 'answerBudgets'
  | 'loginPath'
  | 'credentialOperations'
  | 'oidcIssuer'
  | 'oidcExchangePath'
  | 'appLoginUrl'
  | 'appRedeemPath'
>;

/** The gateway's own API, its catalog loaded (rejects when the spec cannot be loaded, naming why). `source`: where the spec was read. */
export async function ownSource(config: SourceConfig, log: Logger, store: Store | undefined, events?: CatalogEvents): Promise<{ source: ToolSource; spec: string }> {
  // bad proxy settings stop the start before anything is fetched
  const proxy = createProxy({ upstream: config.upstream, headers: config.upstreamHeaders, timeoutMs: config.upstreamTimeoutMs, maxResponseBytes: config.maxResponseBytes });
  const snapshots = store && snapshotsAt(store, `spec:${config.spec ?? `discovered:${config.upstream}`}`);
  const spec = config.spec ?? (await discover(config.upstream, snapshots, log));
  const cache = new CatalogCache({ source: spec, ttlSeconds: config.specTtl, maxNameLength: config.maxToolNameLength, allowRemoteRefs: config.allowRemoteRefs, log, events, snapshots, ...withheldFromCatalog(config), ...servedCatalog(config) });
  await cache.start();
  return { source: { cache, proxy, userCredential: true, prefix: '' }, spec };
}

/** The catalog of every API the plugins added; a document that cannot be read stops the start, naming the plugin. */
export async function pluginApiSources(host: PluginHost, config: SourceConfig, log: Logger, store: Store | undefined, events?: CatalogEvents): Promise<ToolSource[]> {
  const sources: ToolSource[] = [];
  try {
    for (const { plugin, value: api } of host.apis) {
      const proxy = createProxy({ upstream: api.upstream, headers: api.credential === 'user' ? {} : api.credential.headers, timeoutMs: config.upstreamTimeoutMs, maxResponseBytes: config.maxResponseBytes });
      const cache = new CatalogCache({
        source: api.spec,
        ttlSeconds: config.specTtl,
        maxNameLength: nameLengthFor(api.prefix, config),
        allowRemoteRefs: config.allowRemoteRefs,
        log,
        events,
        snapshots: store && snapshotsAt(store, `spec:api:${api.name}:${api.spec}`),
        ...servedCatalog(config),
      });
      try {
        await cache.start();
      } catch (error) {
        if (error instanceof SpecError) throw new PluginError(plugin, `${plugin}: the API "${api.name}": cannot load its OpenAPI document: ${error.message}`, { cause: error });
        throw error;
      }
      // without sign-in there is no user, so no user credential: the API sees the request without one
      sources.push({ cache, proxy, userCredential: api.credential === 'user', prefix: api.prefix, api: api.name });
      log.info('plugin.api_loaded', { plugin, api: api.name, upstream: api.upstream, tools: cache.current.entries.length });
    }
  } catch (error) {
    for (const { cache } of sources) cache.stop();
    throw error;
  }
  return sources;
}

/** The last good spec of one source, kept in the store under `key`. */
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
