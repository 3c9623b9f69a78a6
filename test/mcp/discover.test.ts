/**
 * Discover mode over real HTTP, signed in, in front of the demo API: tools/list offers three tools, in both eras;
 * search finds operations from plain words, only those the caller may call; describe gives their schemas;
 * call_operation is the operation's own call — its scope (the same 403 step-up when the user could allow more, the
 * same tool error saying why when their role never could), its confirmation (the shipped
 * confirm-destructive plugin), its audit record under the operation's name. `auto` chooses by the catalog's size.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect, MCP_HEADERS, postMcp } from '../fixtures/oauth-http';
import { startTestGateway } from '../fixtures/gateway';
import { ALICE, CAROL } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);


function plugins(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'confirm-destructive.ts'), `export { default } from ${JSON.stringify(resolve(import.meta.dir, '../../plugins/confirm-destructive.ts'))};`);
  return dir;
}

interface Answer {
  status: number;
  challenge: string | null;
  body: { result?: { tools?: { name: string }[]; isError?: boolean; resultType?: string; content?: { text: string }[]; structuredContent?: Record<string, unknown>; inputRequests?: Record<string, unknown>; requestState?: string }; error?: { message: string } };
}

describe('discover mode, signed in', async () => {
  const gw = await startTestGateway({ PORTICO_TOOL_MODE: 'discover', PORTICO_MCP_MODE: 'stateless', PORTICO_PLUGINS: plugins(), PORTICO_PLUGIN_SETTINGS: JSON.stringify({ 'confirm-destructive': { enabled: true } }) });
  afterAll(() => gw.stop());
  const issuer = new URL(gw.gateway.mcpUrl).origin;
  const alice = (await connect(issuer, issuer, ALICE)).tokens.access_token;
  const carol = (await connect(issuer, issuer, CAROL)).tokens.access_token;
  // alice allowing read only: her role could allow more
  const aliceReading = (await connect(issuer, issuer, ALICE, undefined, ['read'])).tokens.access_token;

  /** A 2025 request (no envelope), or a 2026-07-28 one (`modern`) from a client that can be asked. */
  const rpc = (token: string, method: string, params: Record<string, unknown>, modern = false): Promise<Answer> => postMcp<Answer['body']>(gw.mcpUrl, method, params, { token, modern, capabilities: { elicitation: {} } });
  const call = (token: string, name: string, args: Record<string, unknown>, modern = false) => rpc(token, 'tools/call', { name, arguments: args }, modern);

  test('tools/list is the three tools, in both eras, well under the size of the whole list', async () => {
    for (const modern of [false, true]) {
      const listed = await rpc(alice, 'tools/list', {}, modern);
      expect(listed.body.result!.tools!.map((tool) => tool.name)).toEqual(['search_operations', 'describe_operation', 'call_operation']);
    }
    const bytes = JSON.stringify((await rpc(alice, 'tools/list', {})).body.result).length;
    expect(bytes).toBeLessThan(4_000);
  });

  test('search finds operations from plain words, best first; a viewer does not find what she may not call', async () => {
    const found = await call(alice, 'search_operations', { query: 'tear down a project', limit: 3 });
    const results = found.body.result!.structuredContent!.results as { name: string; scope: string; description?: string }[];
    expect(results[0]).toMatchObject({ name: 'delete_project', scope: 'admin' });
    expect(results.length).toBeLessThanOrEqual(3);
    const forCarol = (await call(carol, 'search_operations', { query: 'tear down a project' })).body.result!.structuredContent!.results as { name: string; scope: string }[];
    expect(forCarol.every((result) => result.scope === 'read')).toBe(true);
    const nothing = await call(alice, 'search_operations', { query: 'the of and' });
    expect(nothing.body.result!.content![0]!.text).toContain('No operation matches');
    const bad = await call(alice, 'search_operations', { query: 'projects', limit: 500 });
    expect(bad.body.result).toMatchObject({ isError: true, content: [{ text: expect.stringContaining('"limit" must be a whole number from 1 to 50') }] });
  });

  test('describe gives the schemas; an unknown name is a tool error that says where names come from', async () => {
    const described = await call(alice, 'describe_operation', { names: ['get_project', 'nope'] });
    const { operations, unknown } = described.body.result!.structuredContent! as { operations: { name: string; inputSchema: { properties: Record<string, unknown> } }[]; unknown: string[] };
    expect(operations[0]!.name).toBe('get_project');
    expect(Object.keys(operations[0]!.inputSchema.properties)).toContain('projectId');
    expect(unknown).toEqual(['nope']);
    expect((await call(alice, 'describe_operation', { name: 'nope' })).body.result).toMatchObject({ isError: true, content: [{ text: expect.stringContaining('search_operations finds them') }] });
    // what a viewer may not call is not described to her either, as tools/list would not show it
    expect((await call(carol, 'describe_operation', { name: 'create_project' })).body.result).toMatchObject({ isError: true });
    expect((await call(carol, 'describe_operation', { name: 'get_project' })).body.result!.isError ?? false).toBe(false);
  });

  test('call_operation is the operation’s own call: the user’s credential, the audit under its name, the same refusals for scope', async () => {
    const before = gw.calls.length;
    const me = await call(alice, 'call_operation', { name: 'get_current_user', arguments: {} });
    expect((me.body.result!.structuredContent as { email: string }).email).toBe(ALICE.email);
    expect(gw.calls.slice(before).map((record) => record.tool)).toEqual(['get_current_user']);
    // the operations' own names still work
    expect((await call(alice, 'get_current_user', {})).body.result!.isError ?? false).toBe(false);
    const calls = gw.upstream.length;
    for (const modern of [false, true]) {
      // the user could allow write: the 403 step-up, as create_project's own call gets
      const direct = await call(aliceReading, 'create_project', { name: 'nope' }, modern);
      const refused = await call(aliceReading, 'call_operation', { name: 'create_project', arguments: { name: 'nope' } }, modern);
      expect({ status: refused.status, message: refused.body.error?.message }).toEqual({ status: 403, message: expect.stringContaining('The tool "create_project" needs the "write" permission, which this connection was not given') });
      expect(refused.body.error?.message).toBe(direct.body.error!.message);
      expect(refused.challenge).toContain('error="insufficient_scope"');
      // a viewer's role never allows write: the tool result create_project's own call gets, saying why
      const directResult = await call(carol, 'create_project', { name: 'nope' }, modern);
      const viewer = await call(carol, 'call_operation', { name: 'create_project', arguments: { name: 'nope' } }, modern);
      expect({ status: viewer.status, challenge: viewer.challenge, error: viewer.body.error }).toEqual({ status: 200, challenge: null, error: undefined });
      expect(viewer.body.result).toMatchObject({ isError: true, content: [{ text: expect.stringContaining('which your account (carol@example.com) cannot grant') }] });
      expect(viewer.body.result!.content).toEqual(directResult.body.result!.content);
    }
    expect(gw.upstream.length).toBe(calls);
    // each refusal is audited under the operation's name, as denied
    expect(gw.calls.slice(-8).map((record) => `${record.tool} ${record.outcome}`)).toEqual(Array(8).fill('create_project denied'));
    const bad = await call(alice, 'call_operation', { name: 'search_operations', arguments: {} });
    expect(bad.body.result).toMatchObject({ isError: true });
  });

  test('a destructive call through call_operation asks for confirmation (2026-07-28: one round) and runs once confirmed', async () => {
    const before = gw.upstream.length;
    const args = { name: 'delete_project', arguments: { projectId: 'prj_nothing' } };
    const asked = await call(alice, 'call_operation', args, true);
    expect(asked.body.result!.resultType).toBe('input_required');
    const state = asked.body.result!.requestState!;
    const [key] = Object.keys(asked.body.result!.inputRequests!);
    expect(gw.upstream.length).toBe(before);
    const done = await rpc(alice, 'tools/call', { name: 'call_operation', arguments: args.arguments && args, inputResponses: { [key!]: { action: 'accept', content: { confirm: true } } }, requestState: state }, true);
    expect(done.body.result!.resultType).toBe('complete');
    expect(gw.upstream.slice(before)).toEqual(['DELETE /projects/{projectId}']);
  });
});

describe('auto: by the size of the catalog', () => {
  test('the demo’s 24 tools are listed one by one under the default threshold (80), and searched above a threshold of 10', async () => {
    for (const [threshold, expected] of [
      ['80', 24],
      ['10', 3],
    ] as const) {
      const gw = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_MCP_MODE: 'stateless', PORTICO_TOOL_MODE: 'auto', PORTICO_TOOL_MODE_THRESHOLD: threshold });
      try {
        const response = await fetch(gw.mcpUrl, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
        const { result } = (await response.json()) as { result: { tools: unknown[] } };
        expect(result.tools.length).toBe(expected);
        expect(gw.events('gateway.listening')[0]).toMatchObject({ toolMode: expected === 3 ? 'discover' : 'all' });
      } finally {
        await gw.stop();
      }
    }
  });
});
