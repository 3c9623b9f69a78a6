/**
 * @module cli/serve
 * `portico serve`: the gateway in front of the configured API, until SIGINT/SIGTERM (then a graceful stop:
 * in-flight calls get PORTICO_SHUTDOWN_SECONDS to finish; see `ops/signals`).
 */
import { SpecError } from '../catalog';
import { ConfigError, loadServeConfig, type ServeConfig } from '../config/serve';
import { createGateway, type Gateway } from '../gateway';
import { servedMode, type ServedMode } from '../mcp/tool-requests';
import { SecretError } from '../oauth';
import { PluginError } from '../plugins/errors';
import { StoreError } from '../store';
import { createLogger } from '../log';
import { stopOnSignal } from '../ops/signals';
import { splitFlags } from './flags';
import { SERVE_USAGE } from './usage';

/** What the start banner says of each tool mode. */
const MODE_NOTES: Readonly<Record<ServedMode, string>> = {
  all: '',
  toolsets: ' (by toolset: each connection names the ones it lists, /mcp?toolsets=a,b)',
  discover: ' (discover mode: agents search, describe and call them through 3 tools)',
  code: ' (code mode: agents search them and call them from programs, through 4 tools)',
};

export async function runServe(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  let config: ServeConfig;
  try {
    const loaded = loadServeConfig(splitFlags(argv), env);
    config = loaded.config;
    if (loaded.file) process.stderr.write(`Settings from ${loaded.file} (flags and PORTICO_* variables take precedence)\n`);
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error instanceof Error && error.message.startsWith('unexpected argument'))) throw error;
    process.stderr.write(`portico serve: ${error.message}\n\nRun "portico serve --help" for the settings.\n`);
    return 2;
  }
  const gateway = await serve(config);
  if (!gateway) return 1;
  await stopOnSignal((graceMs, signal) => gateway.stop({ graceMs, reason: signal }), config.shutdownSeconds * 1000);
  return 0;
}

/** What a person needs to connect: what is served, the MCP address, and the one-line `claude mcp add`. */
export function bannerOf(config: ServeConfig, gateway: Gateway): string {
  // in toolsets mode a connection must name its toolsets: the one-liner names two, and the rest are listed
  const mode = servedMode(config.toolMode, gateway.tools.size, config.toolModeThreshold);
  // counted only where shown: Microsoft Graph's 11,422 tools took 20 ms to count, with the first client waiting
  const toolsets = mode === 'toolsets' ? gateway.tools.toolsets : undefined;
  const url = toolsets ? `${gateway.mcpUrl}?toolsets=${[...toolsets.keys()].slice(0, 2).join(',')}` : gateway.mcpUrl;
  return (
    `Portico is serving ${gateway.tools.size} tools for ${config.upstream}${MODE_NOTES[mode]}\n` +
    `  MCP endpoint: ${gateway.mcpUrl}\n` +
    (toolsets ? `  Toolsets:     ${[...toolsets].map(([name, count]) => `${name} (${count})`).join(', ')}\n` : '') +
    `  Claude Code:  claude mcp add --transport http portico ${url}\n`
  );
}

/**
 * Starts the gateway for `config`, or reports why it cannot start and returns null. Prints what a person needs to
 * connect (`bannerOf`) unless `banner` is false (`portico demo` prints it last, with its own lines).
 */
export async function serve(config: ServeConfig, { banner = true }: { banner?: boolean } = {}): Promise<Gateway | null> {
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  try {
    const gateway = await createGateway(config, { log });
    if (banner) process.stderr.write(bannerOf(config, gateway));
    return gateway;
  } catch (error) {
    if (error instanceof SpecError) {
      process.stderr.write(`portico serve: cannot load the API's OpenAPI document: ${error.message}\n`);
      return null;
    }
    if (error instanceof StoreError || error instanceof SecretError || error instanceof ConfigError || error instanceof PluginError) {
      process.stderr.write(`portico serve: ${error.message}\n`);
      return null;
    }
    throw error;
  }
}
