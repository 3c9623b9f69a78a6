/**
 * `portico serve` in front of a separately running API, as an operator runs it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startDemoApi, type RunningDemoApi } from '../../src/demo';
import { readdirSync } from 'node:fs';
import { removeTempDirs, run, tempDir } from '../cli/run';
import { SOURCES, startPortico } from './process';

afterAll(removeTempDirs);

let api: RunningDemoApi;
let token: string;

beforeAll(async () => {
  api = await startDemoApi({ slowMs: 0, settleMs: 0 });
  const login = await fetch(`${api.baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'carol@example.com', password: 'carol-demo-password' }),
  });
  token = ((await login.json()) as { token: string }).token;
});
afterAll(() => api?.stop());

describe('portico serve', () => {
  test('stateless mode: finds the document at the API, lists and calls tools with the configured credential', async () => {
    const gateway = await startPortico([...SOURCES, 'serve', '--port', '0', '--mcp-mode', 'stateless'], {
      PORTICO_UPSTREAM: api.baseUrl,
      PORTICO_UPSTREAM_HEADERS: `Authorization: Bearer ${token}`,
      PORTICO_AUTH: 'none',
      PORTICO_LOG_LEVEL: 'warn',
    });
    const client = new Client({ name: 'e2e', version: '1' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(gateway.mcpUrl)));
      expect((await client.listTools()).tools).toHaveLength(24);
      const me = (await client.callTool({ name: 'get_current_user', arguments: {} })) as CallToolResult;
      expect((me.structuredContent as { email: string }).email).toBe('carol@example.com');
      // carol is a viewer: the API refuses, and says why
      const denied = (await client.callTool({ name: 'create_project', arguments: { org_id: 'org_2n4x7c1v', name: 'nope' } })) as CallToolResult;
      expect(denied.isError).toBe(true);
      expect((denied.content[0] as { text: string }).text).toContain('403');
    } finally {
      await client.close();
      expect(await gateway.stop()).toBe(0);
    }
  });

  test('without an upstream it refuses to start and says which setting is missing', async () => {
    const { code, stderr } = await run([...SOURCES, 'serve'], { unsetEnv: ['PORTICO_UPSTREAM', 'PORTICO_SPEC'] });
    expect(code).toBe(2);
    expect(stderr).toContain('PORTICO_UPSTREAM (or --upstream) is required');
  });

  test('an API that cannot be reached stops the start in one line, saying what to check; nothing is left on disk', async () => {
    const cwd = tempDir();
    const { code, stderr } = await run([...SOURCES, 'serve', '--port', '0', '--upstream', 'http://127.0.0.1:9/v1'], { cwd, unsetEnv: ['PORTICO_SPEC', 'PORTICO_DATABASE_URL', 'PORTICO_SECRET_FILE'] });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n').filter((line) => !line.startsWith('{'))).toEqual([
      `portico serve: cannot load the API's OpenAPI document: cannot reach http://127.0.0.1:9 (connection refused): is the API running there? Check PORTICO_UPSTREAM ("http://127.0.0.1:9/v1"), or set PORTICO_SPEC to its OpenAPI document's file or URL`,
    ]);
    // the SQLite file (./data/portico.db) it opened to start is gone with its folder
    expect(readdirSync(cwd)).toEqual([]);
  });

  test('an API that answers but serves no document stops the start with everything it tried', async () => {
    const api = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('no such page', { status: 404 }) });
    try {
      const upstream = `http://127.0.0.1:${api.port}/v1`;
      const { code, stderr } = await run([...SOURCES, 'serve', '--port', '0', '--upstream', upstream], { cwd: tempDir(), unsetEnv: ['PORTICO_SPEC', 'PORTICO_DATABASE_URL', 'PORTICO_SECRET_FILE'] });
      expect(code).toBe(1);
      expect(stderr).toContain(`cannot load the API's OpenAPI document: no OpenAPI document found for "${upstream}"; set PORTICO_SPEC`);
      expect(stderr).toContain(`${upstream}/swagger.json`);
    } finally {
      api.stop(true);
    }
  });

  test('a port already in use: one line naming the port and the setting to change, exit 1, no stack trace', async () => {
    const taken = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('taken') });
    try {
      const { code, stderr } = await run([...SOURCES, 'serve', '--port', String(taken.port), '--host', '127.0.0.1', '--upstream', 'http://127.0.0.1:9/v1', '--spec', 'src/demo/swagger.json', '--auth', 'none']);
      expect(code).toBe(1);
      expect(stderr.trim().split('\n').filter((line) => !line.startsWith('{'))).toEqual([
        `portico serve: port ${taken.port} is already in use on 127.0.0.1 (another Portico, or another program, listens there): choose another with --port or PORTICO_PORT`,
      ]);
      expect(stderr).not.toContain('    at ');
    } finally {
      taken.stop(true);
    }
  });
});
