/**
 * Per-user catalogs (`api.visibleTo`) over real HTTP: a signed-in gateway in front of the demo API, alice and
 * bob with the SDK's OAuth client and with raw JSON-RPC. A tool hidden from a caller is not listed for them and,
 * called, answers exactly like a tool that does not exist — never reaching the API, never refused for scope (which
 * would say it exists). A rule that throws hides the tool and is logged once.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { startTestGateway } from '../fixtures/gateway';
import { connectAs } from '../fixtures/oauth-client';
import { mcpRequest, openSession } from '../fixtures/oauth-http';
import { ALICE, BOB, CAROL } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDirWith } from '../fixtures/temp';

afterAll(removeTempDirs);

/** The JSON-RPC message of an answer, whether plain JSON or one SSE event. */
function messageOf(text: string): { error?: { code: number; message: string } } | undefined {
  const data = text.startsWith('{') ? text : /^data: (.*)$/m.exec(text)?.[1];
  return data === undefined ? undefined : JSON.parse(data);
}

describe('visibleTo: tools per caller', async () => {
  const folder = tempDirWith({
    'who-sees-what.ts': `
      export default function (api) {
        let handled = 0;
        api.addTool({
          name: 'team_report',
          description: 'For the owners only',
          inputSchema: { type: 'object', properties: {} },
          handler() { handled += 1; return { content: [{ type: 'text', text: 'report #' + handled }] }; },
        });
        api.visibleTo((tool, caller) => {
          const owner = caller?.userName === 'alice@example.com';
          if (tool.operation?.tags.includes('backups') || tool.name === 'team_report') return owner;
          if (tool.name === 'list_roles' && !owner) throw new Error('the roles directory is unreachable');
          return true;
        });
      }`,
  });
  const gw = await startTestGateway({ PORTICO_PLUGINS: folder });
  afterAll(() => gw.stop());
  const mcpUrl = gw.gateway.mcpUrl;
  const alice = await connectAs(mcpUrl, ALICE);
  const bob = await connectAs(mcpUrl, BOB);
  const names = async (client: typeof alice.client) => (await client.listTools()).tools.map((tool) => tool.name);
  const BACKUP_TOOLS = ['list_backups', 'create_backup', 'get_backup', 'restore_backup'];

  test('alice and bob see different tools/list', async () => {
    const hers = await names(alice.client);
    const his = await names(bob.client);
    for (const tool of [...BACKUP_TOOLS, 'team_report', 'list_roles']) {
      expect(hers).toContain(tool);
      expect(his).not.toContain(tool);
    }
    expect(his).toContain('list_projects');
    // all the rule hides from him (his account also stops short of admin, whose tools he is not shown either)
    const admin = (tool: string) => gw.gateway.tools.findTool(tool)?.scope === 'admin';
    expect(hers.filter((tool) => !his.includes(tool) && !admin(tool)).sort()).toEqual([...BACKUP_TOOLS, 'list_roles', 'team_report'].sort());
    // asked again, the same (kept per caller)
    expect(await names(bob.client)).toEqual(his);
  });

  test("bob's call of a tool hidden from him is an unknown tool, like one that does not exist, and reaches nothing", async () => {
    const reached = gw.upstream.length;
    const recorded = gw.calls.length;
    const unknown = (name: string) => `MCP error ${ErrorCode.InvalidParams}: unknown tool "${name}"; call tools/list to see the tools`;
    for (const [name, args] of [
      ['list_backups', { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' }],
      ['team_report', {}],
      ['list_roles', { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' }],
      ['no_such_tool', {}],
    ] as const) {
      await expect(bob.client.callTool({ name, arguments: args })).rejects.toThrow(unknown(name));
    }
    expect(gw.upstream.length).toBe(reached);
    expect(gw.calls.length).toBe(recorded);
    // alice calls them
    const report = await alice.client.callTool({ name: 'team_report', arguments: {} });
    expect(report.content).toEqual([{ type: 'text', text: 'report #1' }]);
  });

  test('a read-only token calling a hidden write tool is not refused for scope (that would say it exists): it is unknown', async () => {
    const readOnly = await connectAs(mcpUrl, BOB, { scopes: ['read'] });
    const token = readOnly.provider.saved!.access_token;
    const session = await openSession(mcpUrl, token);
    const call = async (name: string) => {
      const reply = await mcpRequest(mcpUrl, token, 'tools/call', { name, arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q', backupId: 'bkp_x' } }, session);
      return { status: reply.status, type: reply.headers.get('content-type'), error: messageOf(reply.text)?.error };
    };
    // a visible write tool is refused for scope with the step-up challenge: the test would see a leak
    expect((await call('create_project')).status).toBe(403);
    const hidden = await call('restore_backup');
    const absent = await call('no_such_tool');
    expect(hidden.error).toEqual({ code: ErrorCode.InvalidParams, message: 'unknown tool "restore_backup"; call tools/list to see the tools' });
    expect({ ...hidden, error: undefined }).toEqual({ ...absent, error: undefined });
    expect(absent.error?.message).toBe('unknown tool "no_such_tool"; call tools/list to see the tools');
    await readOnly.client.close();
  });

  test('in a session, a hidden tool of a plugin answers like an absent tool too', async () => {
    const token = bob.provider.saved!.access_token;
    const session = await openSession(mcpUrl, token);
    const hidden = await mcpRequest(mcpUrl, token, 'tools/call', { name: 'team_report', arguments: {} }, session);
    const absent = await mcpRequest(mcpUrl, token, 'tools/call', { name: 'no_such_tool', arguments: {} }, session);
    const shape = (reply: typeof hidden) => ({ status: reply.status, type: reply.headers.get('content-type'), error: reply.json?.error?.code, text: reply.text.replace(/"id":\d+/, '"id":N').replace(/team_report|no_such_tool/, 'TOOL') });
    expect(shape(hidden)).toEqual(shape(absent));
  });

  test('a rule that throws hides the tool and is logged once for the plugin, however many callers and listings', async () => {
    const carol = await connectAs(mcpUrl, CAROL);
    expect(await names(carol.client)).not.toContain('list_roles');
    await names(bob.client);
    const failures = gw.events('plugin.visibility_rule_failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ plugin: 'who-sees-what.ts', tool: 'list_roles', error: 'the roles directory is unreachable' });
    await carol.client.close();
  });
});
