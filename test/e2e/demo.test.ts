/**
 * `portico demo` as a person runs it, driven by the MCP SDK's client over real HTTP: the demo API and
 * the gateway are real processes, the client signs in through Portico's OAuth flow as alice, and every
 * call reaches the API through the proxy with alice's own credential.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectAs } from '../fixtures/oauth-client';
import { SOURCES, startPortico, type Running } from './process';

let demo: Running;
let client: Client;
const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;

beforeAll(async () => {
  demo = await startPortico([...SOURCES, 'demo', '--port', '0', '--api-port', '0', '--control', '--spec-ttl', '1']);
  ({ client } = await connectAs(demo.mcpUrl, { email: 'alice@example.com', password: 'alice-demo-password' }));
});

afterAll(async () => {
  await client?.close();
  expect(await demo?.stop()).toBe(0);
});

test('what a person needs comes last and plain: readable log lines, then the address, the command and who to sign in as', () => {
  const lines = demo.stderr().split('\n');
  const banner = lines.findIndex((line) => line.startsWith('Demo API: '));
  expect(banner).toBeGreaterThan(0);
  // before it, the start's log lines, as a person reads them (JSON logs are for `serve`)
  for (const line of lines.slice(0, banner).filter((line) => line.trim() !== '')) expect(line).toMatch(/^\d\d:\d\d:\d\d (debug|info |warn |error) [a-z_.]+/);
  const rest = lines.slice(banner).join('\n');
  expect(rest).toMatch(/\n {2}MCP endpoint: http:\/\/localhost:\d+\/mcp\n {2}Claude Code: {2}claude mcp add --transport http portico http:\/\/localhost:\d+\/mcp\n {2}Sign in as: {3}alice@example\.com \/ alice-demo-password, bob@example\.com/);
});

describe('portico demo through the SDK client', () => {
  test('lists the demo API as tools', async () => {
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(24);
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get('list_projects')?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get('delete_database')?.annotations?.destructiveHint).toBe(true);
  });

  test('a read tool returns the API data as structured content and text', async () => {
    const result = (await client.callTool({ name: 'list_projects', arguments: { per_page: 2 } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const page = result.structuredContent as { items: { id: string }[]; per_page: number; next_page: number | null };
    expect(page.per_page).toBe(2);
    expect(page.items).toHaveLength(2);
    expect(JSON.parse(text(result)).items.map((item: { id: string }) => item.id)).toEqual(page.items.map((item) => item.id));
  });

  test('a write tool changes the API, and the change can be read back', async () => {
    const created = (await client.callTool({ name: 'create_project', arguments: { org_id: 'org_2n4x7c1v', name: 'e2e-project', description: 'made through MCP' } })) as CallToolResult;
    expect(created.isError).toBeFalsy();
    const id = (created.structuredContent as { id: string }).id;
    const read = (await client.callTool({ name: 'get_project', arguments: { projectId: id } })) as CallToolResult;
    expect((read.structuredContent as { name: string }).name).toBe('e2e-project');
  });

  test("the API's errors come back as tool errors with its message", async () => {
    const missing = (await client.callTool({ name: 'get_project', arguments: { projectId: 'prj_nope' } })) as CallToolResult;
    expect(missing.isError).toBe(true);
    expect(text(missing)).toContain('404');
    expect(text(missing)).toContain('project prj_nope not found');
    const traversal = (await client.callTool({ name: 'get_project', arguments: { projectId: '../orgs' } })) as CallToolResult;
    expect(traversal.isError).toBe(true);
    expect(text(traversal)).toContain('projectId');
  });

  test('an operation added to the API at run time reaches the client as list_changed', async () => {
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    const api = /Demo API: (\S+)\/v1/.exec(demo.stderr())![1]!;
    const extend = await fetch(`${api}/_demo/extend`, { method: 'POST' });
    expect(extend.status).toBe(200);
    await changed;
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('list_regions');
    const regions = (await client.callTool({ name: 'list_regions', arguments: {} })) as CallToolResult;
    expect(regions.isError).toBeFalsy();
  });
});
