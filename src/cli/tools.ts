/**
 * @module cli/tools
 * `portico tools`: print the catalog a token with every scope would see. The operations `serve` withholds (the
 * login at PORTICO_LOGIN_PATH, PORTICO_CREDENTIAL_OPERATIONS, `x-portico-credentials`) are withheld here too, and
 * listed with why.
 */
import { parseArgs } from 'node:util';
import { loadCatalog, SpecError, type Catalog, type Scope } from '../catalog';
import { ServeConfigSchema } from '../config/serve';
import { DISCOVER_TOOLS } from '../mcp/discover';
import { DEFAULT_THRESHOLD } from '../mcp/tool-requests';
import { loginOperationRule } from '../oauth/login-fields';
import { TOOLS_USAGE } from './usage';

export async function runTools(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        spec: { type: 'string' },
        json: { type: 'boolean', default: false },
        'max-name-length': { type: 'string' },
        'allow-remote-refs': { type: 'boolean' },
        strict: { type: 'boolean', default: false },
        mode: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(TOOLS_USAGE);
    return 0;
  }
  const spec = values.spec ?? process.env.PORTICO_SPEC;
  if (!spec) return usageError('no OpenAPI document given: pass --spec <file|url> or set PORTICO_SPEC');
  const lengthText = values['max-name-length'] ?? process.env.PORTICO_MAX_TOOL_NAME_LENGTH;
  const maxNameLength = lengthText === undefined ? undefined : Number(lengthText);
  if (maxNameLength !== undefined && !(Number.isInteger(maxNameLength) && maxNameLength >= 16 && maxNameLength <= 64)) {
    return usageError(`--max-name-length must be an integer from 16 to 64, got "${lengthText}"`);
  }
  const mode = values.mode ?? 'all';
  if (mode !== 'all' && mode !== 'discover' && mode !== 'auto') return usageError(`--mode must be all, discover or auto, got "${mode}"`);
  const thresholdText = process.env.PORTICO_TOOL_MODE_THRESHOLD;
  const threshold = thresholdText === undefined ? DEFAULT_THRESHOLD : Number(thresholdText);
  if (!Number.isInteger(threshold) || threshold < 1) return usageError(`PORTICO_TOOL_MODE_THRESHOLD must be a whole number of at least 1, got "${thresholdText}"`);
  const allowRemoteRefs = values['allow-remote-refs'] ?? envFlag('PORTICO_ALLOW_REMOTE_REFS');
  if (allowRemoteRefs instanceof Error) return usageError(allowRemoteRefs.message);

  let catalog: Catalog;
  try {
    ({ catalog } = await loadCatalog(spec, { maxNameLength, allowRemoteRefs, ...withheld() }));
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    process.stderr.write(`portico: cannot build tools from "${spec}": ${error.message}\n`);
    return 1;
  }
  // what tools/list offers in that mode (discover: three tools in front of the whole catalog)
  const discovering = mode === 'discover' || (mode === 'auto' && catalog.entries.length > threshold);
  const tools = discovering ? DISCOVER_TOOLS : catalog.entries.map((entry) => entry.tool);
  if (values.json) process.stdout.write(`${JSON.stringify({ tools })}\n`);
  else process.stdout.write(discovering ? DISCOVER_TOOLS.map((tool) => `${tool.name.padEnd(20)} ${tool.title}\n`).join('') : table(catalog));
  process.stderr.write(summary(catalog));
  if (discovering) process.stderr.write(`Discover mode: the ${catalog.entries.length} tools are searched, described and called through these ${DISCOVER_TOOLS.length}.\n`);
  return values.strict && catalog.skipped.length > 0 ? 1 : 0;
}

function table(catalog: Catalog): string {
  const rows = catalog.entries.map((entry) => [entry.tool.name, entry.scope, `${entry.target.method} ${entry.target.path}`, entry.tool.title ?? '']);
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length), 4));
  return rows.map((row) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  ').trimEnd()).join('\n') + (rows.length ? '\n' : '');
}

function summary(catalog: Catalog): string {
  const byScope: Record<Scope, number> = { read: 0, write: 0, admin: 0 };
  for (const entry of catalog.entries) byScope[entry.scope]++;
  const lines = [
    `${catalog.title} ${catalog.version ? `${catalog.version} ` : ''}(${catalog.specVersion.startsWith('2') ? 'Swagger' : 'OpenAPI'} ${catalog.specVersion}): ` +
      `${catalog.operationCount} operations, ${catalog.entries.length} tools (read ${byScope.read}, write ${byScope.write}, admin ${byScope.admin}), ` +
      `${catalog.skipped.length} skipped${catalog.withheld.length > 0 ? `, ${catalog.withheld.length} withheld` : ''}`,
  ];
  for (const skipped of catalog.skipped) lines.push(`  skipped ${skipped.operation}: ${skipped.reason}`);
  for (const withheld of catalog.withheld) lines.push(`  withheld ${withheld.operation}: ${withheld.reason}`);
  for (const warning of catalog.warnings) lines.push(`  note: ${warning}`);
  return `${lines.join('\n')}\n`;
}

/** The operations `serve` would withhold, from the same variables (no upstream given: an absolute login URL is taken as the API's). */
function withheld(): { signInOperations: string[]; credentialOperations: string[] } {
  const loginPath = process.env.PORTICO_LOGIN_PATH || ServeConfigSchema.properties.loginPath.default;
  const upstream = process.env.PORTICO_UPSTREAM || URL.parse(loginPath)?.origin || 'http://localhost';
  const login = URL.canParse(upstream) ? loginOperationRule({ upstream, loginPath }) : undefined;
  const credentialOperations = (process.env.PORTICO_CREDENTIAL_OPERATIONS ?? '').split(',').map((rule) => rule.trim()).filter(Boolean);
  return { signInOperations: login ? [login] : [], credentialOperations };
}

function envFlag(name: string): boolean | undefined | Error {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  return new Error(`${name} must be true or false, got "${value}"`);
}

function usageError(message: string): number {
  process.stderr.write(`portico tools: ${message}\n\n${TOOLS_USAGE}`);
  return 2;
}
