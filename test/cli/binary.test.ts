/**
 * The single binary behaves like the sources: it is what operators run.
 */
import { testWithSharedSpecs } from '../fixtures/shared-specs';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { version } from '../../package.json';
import { workingTreeCommit } from '../../src/cli/version';
import { startPortico } from '../e2e/process';
import { connectAs } from '../fixtures/oauth-client';
import { portico, removeTempDirs, ROOT, run, SHARED_SPECS, tempDir } from './run';

afterAll(removeTempDirs);

const BINARY = resolve(ROOT, 'dist/portico');
const SPEC = resolve(SHARED_SPECS, 'APIDevTools__swagger-parser@80ebe6f/test/specs/circular/circular.yaml');

/** The commit of the working tree around the build (it may move while the suite runs: others commit). */
const builtFrom = new Set<string>();

beforeAll(async () => {
  builtFrom.add(workingTreeCommit(ROOT));
  const build = await run([process.execPath, 'run', 'build'], { unsetEnv: ['PORTICO_COMMIT'] });
  builtFrom.add(workingTreeCommit(ROOT));
  if (build.code !== 0) throw new Error(`bun run build failed:\n${build.stdout}\n${build.stderr}`);
});

/** A port nothing listens on right now. */
function freePort(): number {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}

describe('dist/portico', () => {
  test('prints its version and the commit it was built from, wherever it runs (no git needed)', async () => {
    const lines = [...builtFrom].map((commit) => `portico ${version} (commit ${commit})\n`);
    for (const args of [['--version'], ['version']]) {
      const { code, stdout } = await run([BINARY, ...args], { cwd: tmpdir(), env: { PATH: '/nonexistent' } });
      expect(code).toBe(0);
      expect(lines).toContain(stdout);
    }
  });

  test('healthcheck: 0 while the demo runs (PORTICO_HOST/PORTICO_PORT as in the container, or --url), 1 once it is gone', async () => {
    const port = freePort();
    const demo = await startPortico([BINARY, 'demo', '--port', String(port), '--api-port', '0', '--as', 'alice@example.com']);
    const env = { PORTICO_HOST: '0.0.0.0', PORTICO_PORT: String(port), HTTP_PROXY: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9' };
    try {
      const healthy = await run([BINARY, 'healthcheck'], { env });
      expect(healthy).toMatchObject({ code: 0, stdout: `ok: http://127.0.0.1:${port}/healthz answered 200\n` });
      const quiet = await run([BINARY, 'healthcheck', '--quiet', '--url', `http://localhost:${port}/healthz`]);
      expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
      const notFound = await run([BINARY, 'healthcheck', '--url', `http://127.0.0.1:${port}/nothing-here`]);
      expect(notFound.code).toBe(1);
      expect(notFound.stderr).toBe(`unhealthy: http://127.0.0.1:${port}/nothing-here answered 404\n`);
    } finally {
      expect(await demo.stop()).toBe(0);
    }
    const down = await run([BINARY, 'healthcheck', '--timeout', '2'], { env });
    expect(down.code).toBe(1);
    expect(down.stderr).toStartWith(`unhealthy: http://127.0.0.1:${port}/healthz unreachable (`);
    const usage = await run([BINARY, 'healthcheck', '--url', 'ftp://example.com']);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain('--url must be an http(s) URL');
  });

  testWithSharedSpecs('builds the same catalog as the sources, multi-file refs included', async () => {
    const fromBinary = await run([BINARY, 'tools', '--spec', SPEC, '--json'], { cwd: tmpdir() });
    const fromSources = await portico(['tools', '--spec', SPEC, '--json']);
    expect(fromBinary.code).toBe(0);
    expect(fromBinary.stdout).toBe(fromSources.stdout);
    expect(JSON.parse(fromBinary.stdout).tools.length).toBeGreaterThan(0);
  });

  testWithSharedSpecs('ignores a bunfig.toml in the working directory (it could run code inside the binary)', async () => {
    const dir = tempDir();
    const marker = join(dir, 'pwned');
    writeFileSync(join(dir, 'evil.ts'), `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x');`);
    writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["./evil.ts"]\n');
    const { code } = await run([BINARY, 'tools', '--spec', SPEC], { cwd: dir });
    expect(code).toBe(0);
    expect(await Bun.file(marker).exists()).toBe(false);
  });

  test('ignores a .env in the working directory (configuration comes from the operator, not the folder)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), `PORTICO_SPEC=${SPEC}\n`);
    const { code, stderr } = await run([BINARY, 'tools'], { cwd: dir, unsetEnv: ['PORTICO_SPEC'] });
    expect(code).toBe(2);
    expect(stderr).toContain('no OpenAPI document given');
  });

  test('runs the demo: the bundled API and the gateway, reachable by an MCP client', async () => {
    const demo = await startPortico([BINARY, 'demo', '--port', '0', '--api-port', '0', '--as', 'alice@example.com']);
    const client = new Client({ name: 'binary-test', version: '1' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(demo.mcpUrl)));
      expect((await client.listTools()).tools).toHaveLength(24);
      const result = await client.callTool({ name: 'get_current_user', arguments: {} });
      expect((result.structuredContent as { email: string }).email).toBe('alice@example.com');
    } finally {
      await client.close();
      expect(await demo.stop()).toBe(0);
    }
  });

  test('code mode: a program runs in the sandbox worker the binary carries, and an endless loop ends at its limit', async () => {
    const demo = await startPortico([BINARY, 'demo', '--port', '0', '--api-port', '0', '--as', 'alice@example.com'], { PORTICO_TOOL_MODE: 'code', PORTICO_CODE_CPU_MS: '200' });
    const client = new Client({ name: 'binary-test', version: '1' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(demo.mcpUrl)));
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['search_operations', 'describe_operation', 'call_operation', 'execute']);
      const result = await client.callTool({ name: 'execute', arguments: { code: 'const me = await api.get_current_user({}); return me.email;' } });
      expect(result.structuredContent).toMatchObject({ result: 'alice@example.com', calls: 1 });
      const looped = await client.callTool({ name: 'execute', arguments: { code: 'while (true) {}' } });
      expect(looped.isError).toBe(true);
      expect((looped.content as { text: string }[])[0]!.text).toContain('more than 200 ms of computing time');
    } finally {
      await client.close();
      expect(await demo.stop()).toBe(0);
    }
  });

  test('loads a .ts plugin from a folder at run time (transpiled by the binary), with the policy and the tool it adds', async () => {
    const folder = tempDir();
    writeFileSync(
      join(folder, 'policy.ts'),
      `import type { PluginApi } from './portico';
export default function (api: PluginApi): void {
  const greeting: string = 'hello from a plugin';
  api.catalog((tools) => { for (const tool of tools) if (tool.name === 'list_regions' || tool.name.startsWith('delete_')) tool.hide(); });
  api.beforeCall((call) => (call.tool.name === 'create_project' ? { deny: 'no new projects today' } : undefined));
  api.addTool({ name: 'greet', description: 'says hello', inputSchema: { type: 'object' }, handler: () => ({ content: [{ type: 'text', text: greeting }] }) });
}
`,
    );
    const demo = await startPortico([BINARY, 'demo', '--port', '0', '--api-port', '0', '--as', 'alice@example.com', '--plugins', folder], { PORTICO_MCP_MODE: 'stateless' });
    const client = new Client({ name: 'binary-plugin-test', version: '1' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(demo.mcpUrl)));
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain('greet');
      expect(names.some((name) => name.startsWith('delete_'))).toBe(false);
      const greeting = (await client.callTool({ name: 'greet', arguments: {} })) as { content: { text: string }[] };
      expect(greeting.content[0]!.text).toBe('hello from a plugin');
      const denied = (await client.callTool({ name: 'create_project', arguments: { org_id: 'org_2n4x7c1v', name: 'x' } })) as { isError?: boolean; content: { text: string }[] };
      expect(denied.content[0]!.text).toContain('no new projects today');
    } finally {
      await client.close();
      expect(await demo.stop()).toBe(0);
    }
  });

  test("with the conformance fixture plugin loaded, passes the whole conformance server suite (the plugin API's every part: tools, resources, prompts, completions, logging, progress, sampling, elicitation)", async () => {
    const demo = await startPortico([BINARY, 'demo', '--port', '0', '--api-port', '0', '--as', 'alice@example.com', '--plugins', resolve(ROOT, 'test/conformance/everything')]);
    try {
      const suite = await run([process.execPath, resolve(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js'), 'server', '--suite', 'all', '--url', demo.mcpUrl], { cwd: ROOT });
      const failed = suite.stdout.split('\n').filter((line) => line.startsWith('✗'));
      expect({ failed, code: suite.code }).toEqual({ failed: [], code: 0 });
      expect(suite.stdout).toMatch(/Total: \d+ passed, 0 failed/);
    } finally {
      expect(await demo.stop()).toBe(0);
    }
  }, 60_000);

  test('with sign-in: an identity source plugin, one more API (addApi) with the user\'s credential, and a result transformed after the call', async () => {
    const folder = tempDir();
    writeFileSync(
      join(folder, 'identity-and-apis.ts'),
      `import type { PluginApi } from './portico';
export default function (api: PluginApi): void {
  api.identitySource({
    description: 'one robot, signed in at the demo API as bob',
    async verifyPassword(username, password) {
      if (username !== 'robot' || password !== 'beep-boop-1234') return null;
      const answer = await fetch(api.gateway.upstream + '/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bob@example.com', password: 'bob-demo-password' }) });
      const { token } = (await answer.json()) as { token: string };
      return { userId: 'robot-1', name: 'Robot', maxScope: 'read', upstream: { headers: { authorization: 'Bearer ' + token } } };
    },
  });
  api.addApi({ name: 'mirror', spec: api.gateway.upstream.replace(/\\/v1$/, '') + '/swagger.json', upstream: api.gateway.upstream, prefix: 'mirror_', credential: 'user' });
  api.afterCall((call, result) => (call.tool.operation?.api === 'mirror' ? { ...result, content: [{ type: 'text', text: 'seen through the mirror' }, ...result.content] } : undefined));
}
`,
    );
    const demo = await startPortico([BINARY, 'demo', '--port', '0', '--api-port', '0', '--plugins', folder]);
    try {
      const { client } = await connectAs(demo.mcpUrl, { email: 'robot', password: 'beep-boop-1234' });
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain('mirror_get_current_user');
      const mirrored = (await client.callTool({ name: 'mirror_get_current_user', arguments: {} })) as unknown as { content: { text: string }[]; structuredContent: { email: string } };
      expect(mirrored.content[0]!.text).toBe('seen through the mirror');
      expect(mirrored.structuredContent.email).toBe('bob@example.com');
      await client.close();
    } finally {
      expect(await demo.stop()).toBe(0);
    }
  }, 60_000);

  test('fails cleanly on a broken document', async () => {
    const { code, stderr } = await run([BINARY, 'tools', '--spec', '/nonexistent/spec.yaml']);
    expect(code).toBe(1);
    expect(stderr).toContain('no such file');
  });
});
