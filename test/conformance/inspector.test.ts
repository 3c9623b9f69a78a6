/**
 * The MCP Inspector's CLI (`@modelcontextprotocol/inspector-cli`) against `portico demo`: it lists the
 * tools and calls one over Streamable HTTP, as a person checking a deployment would — through the package's
 * `inspector` script, from the project's root, as README.md tells; and README.md's own commands, read from it and
 * run as written (only the port differs), so the README cannot drift from what works.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SOURCES, startPortico, type Running } from '../e2e/process';
import { connectAs } from '../fixtures/oauth-client';

const ROOT = resolve(import.meta.dir, '../..');
/**
 * The CLI's `build/index.js` picks the package.json to import with `fs.existsSync("../package.json")`, resolved
 * against the working directory while the import is resolved against the module: run from anywhere whose parent
 * has no package.json (like this repository's root) it fails with ERR_MODULE_NOT_FOUND
 * `…/node_modules/@modelcontextprotocol/package.json` (upstream modelcontextprotocol/inspector#1334 and #1503,
 * still in 1.0.3). The `inspector` script in package.json runs it from its own `build/` directory, where both agree.
 */
const BIN = resolve(ROOT, 'node_modules/.bin/mcp-inspector-cli');
/** The URL README.md's commands name; the tests' gateways listen on ports of their own. */
const README_URL = 'http://localhost:8787/mcp';

/** The demo user README.md's Inspector CLI block opens /mcp as. */
function readmeUser(): string {
  const user = /^npm start -- --as (\S+)/.exec(readmeCommands().demo)?.[1];
  if (!user) throw new Error(`README.md's Inspector CLI block does not start with "npm start -- --as <email>": ${readmeCommands().demo}`);
  return user;
}

/** README.md's Inspector CLI block: the demo's command, and the inspector commands, as written. */
function readmeCommands(): { demo: string; inspector: string[] } {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  const block = /\*\*MCP Inspector CLI\*\*[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no ```sh block after **MCP Inspector CLI**');
  const lines = block.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const [demo, ...inspector] = lines;
  return { demo: demo!, inspector };
}

let gateway: Running;
let signedIn: Running;

beforeAll(async () => {
  [gateway, signedIn] = await Promise.all([
    // as README.md starts it (`npm start -- --as …`), on ports of its own
    startPortico([...SOURCES, 'demo', '--port', '0', '--api-port', '0', '--as', readmeUser()]),
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

/** Through the `inspector` script, from the project's root, as README.md has it. */
async function inspectorAt(target: Running, ...args: string[]): Promise<unknown> {
  return run(['npm', 'run', '-s', 'inspector', '--', target.mcpUrl, '--transport', 'http', ...args]);
}

/** Runs `command` from the project's root; the JSON it prints, once it exits 0. */
async function run(command: string[]): Promise<unknown> {
  const { exitCode, stdout, stderr } = await spawn(command);
  expect({ exitCode, stderr: exitCode === 0 ? '' : stderr }).toEqual({ exitCode: 0, stderr: '' });
  return JSON.parse(stdout);
}

async function spawn(command: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const child = Bun.spawn(command, { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  const timer = setTimeout(() => child.kill(), 30_000);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  return { exitCode, stdout, stderr };
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

describe("README.md's Inspector CLI commands, as written, from the project's root", () => {
  const { demo, inspector: commands } = readmeCommands();

  test('the demo is started as the README says: `npm start -- --as <a demo user>`, /mcp open as that user', () => {
    // the gateway these tests run against is `portico demo --as <that user>` (on ports of its own)
    expect(demo).toMatch(/^npm start -- --as \S+@example\.com(\s+#.*)?$/);
    expect(JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')).scripts.start).toBe('bun src/main.ts demo');
  });

  test('each inspector command runs and prints what it says: tools/list, then a call of list_projects', async () => {
    expect(commands.length).toBe(2);
    const outputs: unknown[] = [];
    for (const command of commands) {
      expect(command).toStartWith('npm run -s inspector -- ');
      expect(command).toContain(README_URL);
      // exactly as written, through a shell, but for the port
      outputs.push(await run(['sh', '-c', command.replaceAll(README_URL, gateway.mcpUrl)]));
    }
    const [listed, called] = outputs as [{ tools: { name: string }[] }, { isError?: boolean; structuredContent: { items: unknown[]; per_page: number } }];
    expect(listed.tools).toHaveLength(24);
    expect(called.isError).toBeFalsy();
    expect(called.structuredContent.per_page).toBe(2);
    expect(called.structuredContent.items).toHaveLength(2);
  });

  test('why the script: the CLI run directly from the project root still fails upstream (drop the workaround once this fails)', async () => {
    // only where the root's parent has no package.json, as in a fresh clone: the case the README describes
    if (existsSync(resolve(dirname(ROOT), 'package.json'))) return;
    const direct = await spawn(['node', BIN, '--cli', gateway.mcpUrl, '--transport', 'http', '--method', 'tools/list']);
    expect(direct.exitCode).not.toBe(0);
    expect(direct.stderr).toContain('node_modules/@modelcontextprotocol/package.json');
  });
});
