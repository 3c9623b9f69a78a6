/**
 * @module plugins/apis
 * The APIs plugins add with `addApi`: each one's OpenAPI document read and kept fresh like the gateway's own
 * (with its last good copy in the store), its tools named with its prefix, its calls sent to its own upstream
 * and nowhere else, with the credential the plugin chose for it.
 */
import { CatalogCache, SpecError, type SpecSnapshots } from '../catalog';
import type { ServeConfig } from '../config/serve';
import type { Logger } from '../log';
import type { ToolSource } from '../mcp/catalog-tools';
import { callTool } from '../proxy';
import { PluginError } from './errors';
import type { PluginHost } from './host';

/** Starts the catalog of every API the plugins added; a document that cannot be read stops the start, naming the plugin. */
export async function startPluginApis(host: PluginHost, config: ServeConfig, log: Logger, snapshots?: (key: string) => SpecSnapshots): Promise<ToolSource[]> {
  const sources: ToolSource[] = [];
  try {
    for (const { plugin, value: api } of host.apis) {
      const cache = new CatalogCache({
        source: api.spec,
        ttlSeconds: config.specTtl,
        maxNameLength: nameLengthFor(api.prefix, config),
        allowRemoteRefs: config.allowRemoteRefs,
        log,
        snapshots: snapshots?.(`spec:api:${api.name}:${api.spec}`),
      });
      try {
        await cache.start();
      } catch (error) {
        if (error instanceof SpecError) throw new PluginError(plugin, `${plugin}: the API "${api.name}": cannot load its OpenAPI document: ${error.message}`, { cause: error });
        throw error;
      }
      sources.push({ cache, prefix: api.prefix, api: api.name, call: caller(api.upstream, api.credential, config) });
      log.info('plugin.api_loaded', { plugin, api: api.name, upstream: api.upstream, tools: cache.current.entries.length });
    }
  } catch (error) {
    for (const { cache } of sources) cache.stop();
    throw error;
  }
  return sources;
}

/** How long the names built from an added API's operations may be: the prefix is part of every name, which must stay within the limit. */
export function nameLengthFor(prefix: string, config: Pick<ServeConfig, 'maxToolNameLength'>): number {
  return Math.max(8, config.maxToolNameLength - prefix.length);
}

function caller(upstream: string, credential: 'user' | { headers: Record<string, string> }, config: ServeConfig): ToolSource['call'] {
  const proxy = { upstream, headers: credential === 'user' ? {} : credential.headers, timeoutMs: config.upstreamTimeoutMs, maxResponseBytes: config.maxResponseBytes };
  // without sign-in there is no user, so no user credential: the API sees the request without one
  return (entry, args, signal, principal) => callTool(entry, args, proxy, signal, credential === 'user' ? principal?.upstreamHeaders : undefined);
}
