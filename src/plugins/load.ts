/**
 * @module plugins/load
 * Finds the plugin files and runs each one's setup with its API object, in a defined order: the files of
 * the plugin folder sorted by name, or the list the configuration gives. The same code runs from the
 * sources and inside the compiled binary, which transpiles a `.ts` plugin at run time.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin, PluginApi } from '../../plugins/portico';
import type { ServeConfig } from '../config/serve';
import type { Logger } from '../log';
import { PluginError, whereIn } from './errors';
import { PluginHost } from './host';
import { SettingsError } from './settings';

const PLUGIN_FILE = /\.(ts|js|mjs)$/;

export interface LoadPluginsOptions {
  /** The plugin folder (relative paths against the working directory). */
  readonly folder: string;
  /** Whether the folder was configured (a configured folder must exist; the default may be absent). */
  readonly folderConfigured: boolean;
  /** File names to load, in order; empty: every plugin file in the folder, sorted by name. */
  readonly order: readonly string[];
  /** Settings per plugin, by file name without extension. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly gateway: PluginApi['gateway'];
  readonly log: Logger;
}

export async function loadPlugins(options: LoadPluginsOptions): Promise<PluginHost> {
  const host = new PluginHost();
  const folder = resolve(options.folder);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    if (options.folderConfigured) throw new PluginError(folder, `the plugin folder ${folder} does not exist (PORTICO_PLUGINS)`);
    return host;
  }
  for (const file of pluginFiles(folder, options.order)) {
    const path = join(folder, file);
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(path).href)) as { default?: unknown };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const hint = /Cannot find (package|module)/.test(reason) && !/^\.\.?\//.test(reason) ? ' (a plugin cannot import npm packages: use what the API object hands it)' : '';
      throw new PluginError(file, `${whereIn(path, error)}: the plugin cannot be loaded: ${reason}${hint}`, { cause: error });
    }
    const setup = module.default;
    if (typeof setup !== 'function') throw new PluginError(file, `${path}: a plugin must export a default function (api) => { … }; this one exports ${setup === undefined ? 'no default' : `a ${typeof setup}`}`);
    const name = basename(file, extname(file));
    const settings = options.settings[name];
    const api = host.apiFor(file, isRecord(settings) ? settings : {}, options.gateway, options.log);
    try {
      await (setup as Plugin)(api);
    } catch (error) {
      // settings that do not fit the plugin's schema: the message names the plugin and the setting; where in
      // the plugin it was checked would only distract from the configuration, which is what needs fixing
      if (error instanceof SettingsError) throw new PluginError(file, error.message, { cause: error });
      throw new PluginError(file, `${whereIn(path, error)}: the plugin's setup failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    host.loaded.push(file);
    options.log.info('plugin.loaded', { plugin: file });
  }
  return host;
}

/** The plugins the configuration names, as `serve` (and `check`) load them. */
export function loadConfiguredPlugins(config: Pick<ServeConfig, 'plugins' | 'pluginOrder' | 'pluginSettings' | 'upstream' | 'publicUrl' | 'port'>, log: Logger): Promise<PluginHost> {
  return loadPlugins({
    folder: config.plugins,
    folderConfigured: config.plugins !== DEFAULT_PLUGIN_FOLDER,
    order: config.pluginOrder,
    settings: config.pluginSettings,
    gateway: { upstream: config.upstream, publicUrl: config.publicUrl ?? `http://localhost:${config.port}` },
    log,
  });
}

const DEFAULT_PLUGIN_FOLDER = './plugins';

function pluginFiles(folder: string, order: readonly string[]): string[] {
  if (order.length > 0) {
    for (const file of order) {
      if (!existsSync(join(folder, file))) throw new PluginError(file, `PORTICO_PLUGIN_ORDER names "${file}", which is not in the plugin folder ${folder}`);
    }
    return [...order];
  }
  return readdirSync(folder)
    .filter((file) => PLUGIN_FILE.test(file) && !file.endsWith('.d.ts') && !file.startsWith('.') && !file.startsWith('_') && !/\.test\.[jt]s$/.test(file))
    .sort();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
