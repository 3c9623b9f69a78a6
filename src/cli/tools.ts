/**
 * @module cli/tools
 * `portico tools`: print the catalog a token with every scope would see. The operations `serve` withholds (the
 * login at PORTICO_LOGIN_PATH, PORTICO_CREDENTIAL_OPERATIONS, `x-portico-credentials`) are withheld here too, and
 * listed with why.
 */
import { parseArgs } from 'node:util';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { loadCatalog, SpecError, type Catalog, type Scope } from '../catalog';
import { readSetting, ServeConfigSchema, type ServeConfig } from '../config/serve';
import { servedCatalog, withheldFromCatalog } from '../gateway/catalog-options';
import type { ToolMode } from '../mcp/tool-requests';
import { TOOLS_USAGE } from './usage';

const MODES: readonly ToolMode[] = ['all', 'toolsets', 'discover', 'code', 'auto'];

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
        toolsets: { type: 'string' },
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
  const mode = (values.mode ?? (values.toolsets !== undefined ? 'toolsets' : 'all')) as ToolMode;
  if (!MODES.includes(mode)) return usageError(`--mode must be ${MODES.slice(0, -1).join(', ')} or ${MODES.at(-1)}, got "${mode}"`);
  const thresholdText = process.env.PORTICO_TOOL_MODE_THRESHOLD;
  const threshold = thresholdText === undefined ? undefined : Number(thresholdText);
  if (threshold !== undefined && (!Number.isInteger(threshold) || threshold < 1)) return usageError(`PORTICO_TOOL_MODE_THRESHOLD must be a whole number of at least 1, got "${thresholdText}"`);
  const allowRemoteRefs = values['allow-remote-refs'] ?? envFlag('PORTICO_ALLOW_REMOTE_REFS');
  if (allowRemoteRefs instanceof Error) return usageError(allowRemoteRefs.message);

  let rules;
  let budgets;
  try {
    rules = withheld();
    budgets = servedCatalog({ answerBudget: readSetting('answerBudget', {}, process.env) ?? ServeConfigSchema.properties.answerBudget.default, answerBudgets: readSetting('answerBudgets', {}, process.env) ?? {} });
  } catch (error) {
    // a PORTICO_UPSTREAM_HEADERS or PORTICO_UPSTREAM_CREDENTIAL that serve would refuse too
    return usageError(error instanceof Error ? error.message : String(error));
  }
  let catalog: Catalog;
  try {
    ({ catalog } = await loadCatalog(spec, { maxNameLength, allowRemoteRefs, ...rules, ...budgets }));
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    process.stderr.write(`portico: cannot build tools from "${spec}": ${error.message}\n`);
    return 1;
  }
  // what tools/list offers in that mode: the toolsets named (in any mode, as /mcp?toolsets= does), else the mode's
  // own tools in front of the whole catalog (discover, code), else every tool. The MCP modules only for a mode
  // that needs them: listing every tool (the default) needs none of them.
  const requests = mode === 'all' && values.toolsets === undefined ? undefined : await import('../mcp/tool-requests');
  const served = requests ? requests.servedMode(mode, catalog.entries.length, threshold) : 'all';
  let entries = catalog.entries;
  if (values.toolsets !== undefined || served === 'toolsets') {
    const { toolsetName, toolsetsOf } = await import('../calls/toolbox');
    const counts = new Map<string, number>();
    for (const entry of catalog.entries) for (const name of toolsetsOf(entry)) counts.set(name, (counts.get(name) ?? 0) + 1);
    // in the order the server names them (`Toolbox.toolsets`)
    const known = new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
    const wanted = (values.toolsets ?? '').split(',').map(toolsetName).filter((name) => name !== '');
    const unknown = wanted.filter((name) => !known.has(name));
    if (wanted.length === 0 || unknown.length > 0) {
      const what = wanted.length === 0 ? 'name the toolsets to list with --toolsets a,b' : `unknown toolset${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `"${name}"`).join(', ')}`;
      return usageError(`${what}; this API's toolsets are: ${[...known].map(([name, count]) => `${name} (${count})`).join(', ')}`);
    }
    entries = catalog.entries.filter((entry) => toolsetsOf(entry).some((name) => wanted.includes(name)));
  }
  const meta = values.toolsets === undefined ? requests?.metaToolsOf(served) : undefined;
  const tools = meta ?? entries.map((entry) => entry.tool);
  if (values.json) await writeJson(tools);
  else process.stdout.write(meta ? meta.map((tool) => `${tool.name.padEnd(20)} ${tool.title}\n`).join('') : table(entries));
  process.stderr.write(summary(catalog));
  if (meta) process.stderr.write(`${served === 'code' ? 'Code' : 'Discover'} mode: the ${catalog.entries.length} tools are ${served === 'code' ? 'searched and called from programs' : 'searched, described and called'} through these ${meta.length}.\n`);
  return values.strict && catalog.skipped.length > 0 ? 1 : 0;
}

/** Bytes written to stdout at a time. */
const CHUNK = 1 << 20;

/**
 * `{"tools":[…]}` and a newline on stdout, the text `JSON.stringify({ tools })` makes, written a piece at a time:
 * Microsoft Graph's is 57 MB, which as one string (and its bytes) held hundreds of MB at once.
 */
async function writeJson(tools: readonly Tool[]): Promise<void> {
  let chunk = '{"tools":[';
  for (let i = 0; i < tools.length; i++) {
    chunk += (i === 0 ? '' : ',') + JSON.stringify(tools[i]);
    if (chunk.length >= CHUNK) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(`${chunk}]}\n`);
}

/** Writes `text` to stdout, waiting for it to drain when it holds back. */
function write(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

function table(entries: Catalog['entries']): string {
  const rows = entries.map((entry) => [entry.tool.name, entry.scope, `${entry.target.method} ${entry.target.path}`, entry.tool.title ?? '']);
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
/** What serve leaves out of the catalog (`gateway/sources`), from the same PORTICO_* settings: `portico tools` needs no upstream. */
function withheld(): ReturnType<typeof withheldFromCatalog> {
  const { properties: schema } = ServeConfigSchema;
  const setting = <K extends keyof ServeConfig>(key: K, fallback: ServeConfig[K]): ServeConfig[K] => readSetting(key, {}, process.env) ?? fallback;
  const loginPath = setting('loginPath', schema.loginPath.default);
  const upstream = process.env.PORTICO_UPSTREAM || URL.parse(loginPath)?.origin || 'http://localhost';
  const rules = withheldFromCatalog({
    auth: setting('auth', schema.auth.default),
    upstream: URL.canParse(upstream) ? upstream : 'http://localhost',
    upstreamHeaders: setting('upstreamHeaders', {}),
    upstreamCredential: setting('upstreamCredential', schema.upstreamCredential.default),
    loginPath,
    credentialOperations: setting('credentialOperations', []),
    oidcIssuer: readSetting('oidcIssuer', {}, process.env),
    oidcExchangePath: setting('oidcExchangePath', schema.oidcExchangePath.default),
    appLoginUrl: readSetting('appLoginUrl', {}, process.env),
    appRedeemPath: setting('appRedeemPath', schema.appRedeemPath.default),
  });
  // an upstream that is no URL names no login operation to leave out
  return URL.canParse(upstream) ? rules : { ...rules, signInOperations: [] };
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
