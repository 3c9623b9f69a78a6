/**
 * The MCP Inspector's CLI (`@modelcontextprotocol/inspector-cli`) against `portico demo`: it lists the
 * tools and calls one over Streamable HTTP, as a person checking a deployment would.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { SOURCES, startPortico, type Running } from '../e2e/process';
import { connectAs } from '../fixtures/oauth-client';

const ROOT = resolve(import.meta.dir, '../..');
const BIN = resolve(ROOT, 'node_modules/.bin/mcp-inspector-cli');
/**
 * Where the CLI runs. Its `build/index.js` picks the package.json to import with
 * `fs.existsSync("../package.json")`, resolved against the working directory while the import is resolved
 * against the module: run from anywhere whose parent has no package.json (like this repository's root) it
 * fails with ERR_MODULE_NOT_FOUND `…/node_modules/@modelcontextprotocol/package.json` (upstream
 * modelcontextprotocol/inspector#1503, still in 1.0.3). From its own `build/` directory both agree.
 */
const CLI_CWD = resolve(ROOT, 'node_modules/@modelcontextprotocol/inspector-cli/build');

let gateway: Running;
let signedIn: Running;

beforeAll(async () => {
  [gateway, signedIn] = await Promise.all([
    startPortico([...SOURCES, 'demo', '--port', '0', '--api-port', '0', '--as', 'alice@example.com']),
    startPortico([...SOURCES, 'demo', '--port', '0', '--api-port', '0']),
  ]);
}, 30_000);

afterAll(async () => {
  if (gateway) expect(await gateway.stop()).toBe(0);
  if (signedIn) expect(await signedIn.stop()).toBe(0);
});

/** Runs the inspector CLI against a gateway (the open one unless `target` says otherwise) and parses the JSON it prints. */
async function inspector(...args: string[]): Promise<unknown> {
  return inspectorAt(gateway, ...args);
}

async function inspectorAt(target: Running, ...args: string[]): Promise<unknown> {
  const child = Bun.spawn(['node', BIN, '--cli', target.mcpUrl, '--transport', 'http', ...args], { cwd: CLI_CWD, stdout: 'pipe', stderr: 'pipe' });
  const timer = setTimeout(() => child.kill(), 20_000);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  expect({ exitCode, stderr: exitCode === 0 ? '' : stderr }).toEqual({ exitCode: 0, stderr: '' });
  return JSON.parse(stdout);
}

describe('the MCP Inspector CLI against portico demo', () => {
  test('tools/list shows the demo API as 24 tools (its login is withheld)', async () => {
    const { tools } = (await inspector('--method', 'tools/list')) as { tools: { name: string; inputSchema: { type: string } }[] };
    expect(tools).toHaveLength(24);
    const names = tools.map((tool) => tool.name);
    expect(names).toContain('list_projects');
    expect(names).toContain('delete_database');
    expect(tools.every((tool) => tool.inputSchema.type === 'object')).toBe(true);
  });

  test('tools/call list_projects returns a page of projects', async () => {
    const result = (await inspector('--method', 'tools/call', '--tool-name', 'list_projects', '--tool-arg', 'per_page=2')) as {
      isError?: boolean;
      content: { type: string; text: string }[];
      structuredContent: { items: { id: string }[]; per_page: number };
    };
    expect(result.isError).toBeFalsy();
    const ids = result.structuredContent.items.map((item) => item.id);
    expect(result.structuredContent.per_page).toBe(2);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^prj_[a-z0-9]+$/);
    expect(result.content[0]!.type).toBe('text');
    expect(JSON.parse(result.content[0]!.text).items.map((item: { id: string }) => item.id)).toEqual(ids);
  });
});

describe('the MCP Inspector CLI against portico demo with sign-in', () => {
  test('with a token from the sign-in flow it lists and calls tools as that user', async () => {
    const { provider, client } = await connectAs(signedIn.mcpUrl, { email: 'carol@example.com', password: 'carol-demo-password' });
    await client.close();
    const header = `Authorization: Bearer ${provider.saved!.access_token}`;
    const { tools } = (await inspectorAt(signedIn, '--header', header, '--method', 'tools/list')) as { tools: { name: string }[] };
    // carol is a viewer: her connection reads only
    expect(tools.map((tool) => tool.name)).toContain('list_projects');
    expect(tools.map((tool) => tool.name)).not.toContain('create_project');
    const me = (await inspectorAt(signedIn, '--header', header, '--method', 'tools/call', '--tool-name', 'get_current_user')) as { structuredContent: { email: string } };
    expect(me.structuredContent.email).toBe('carol@example.com');
  });
});
