/**
 * @module cli/serve
 * `portico serve`: the gateway in front of the configured API, until SIGINT/SIGTERM.
 */
import { SpecError } from '../catalog';
import { ConfigError, readServeConfig, type ServeConfig } from '../config/serve';
import { startGateway, type Gateway } from '../gateway';
import { SecretError } from '../oauth';
import { StoreError } from '../store';
import { createLogger } from '../log';
import { callTool } from '../proxy';
import { splitFlags } from './flags';
import { SERVE_USAGE } from './usage';

export async function runServe(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  let config: ServeConfig;
  try {
    config = readServeConfig(splitFlags(argv), env);
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error instanceof Error && error.message.startsWith('unexpected argument'))) throw error;
    process.stderr.write(`portico serve: ${error.message}\n\nRun "portico serve --help" for the settings.\n`);
    return 2;
  }
  const gateway = await serve(config);
  if (!gateway) return 1;
  await untilSignal();
  await gateway.stop();
  return 0;
}

/** Starts the gateway for `config`, or reports why it cannot start and returns null. */
export async function serve(config: ServeConfig): Promise<Gateway | null> {
  const log = createLogger(config.logLevel);
  const proxy = { upstream: config.upstream, headers: config.upstreamHeaders, timeoutMs: config.upstreamTimeoutMs, maxResponseBytes: config.maxResponseBytes };
  try {
    const gateway = await startGateway(config, (entry, args, signal, principal) => callTool(entry, args, proxy, signal, principal?.upstreamHeaders), log);
    process.stderr.write(
      `Portico is serving ${gateway.cache.current.entries.length} tools for ${config.upstream}\n` +
        `  MCP endpoint: ${gateway.mcpUrl}\n` +
        `  Claude Code:  claude mcp add --transport http portico ${gateway.mcpUrl}\n`,
    );
    return gateway;
  } catch (error) {
    if (error instanceof SpecError) {
      process.stderr.write(`portico serve: cannot load the API's OpenAPI document: ${error.message}\n`);
      return null;
    }
    if (error instanceof StoreError || error instanceof SecretError || error instanceof ConfigError) {
      process.stderr.write(`portico serve: ${error.message}\n`);
      return null;
    }
    throw error;
  }
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
