/**
 * Toolsets: a connection lists only the groups of tools it chose, with the same one-line `claude mcp add` (the URL
 * `/mcp?toolsets=a,b`), in both eras; groups are the operations' tags. An unknown name is refused with the list of
 * those there are. Over real HTTP, against the demo API and against GitHub's document (1,223 operations).
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { loadCatalog } from '../../src/catalog';
import { toolsetName } from '../../src/calls/toolbox';
import { postMcp } from '../fixtures/oauth-http';
import { startTestGateway } from '../fixtures/gateway';
import { npmSpec } from '../fixtures/npm-specs';
import { removeTempDirs } from '../fixtures/temp';

afterAll(removeTempDirs);

async function listed(url: string, modern: boolean): Promise<{ status: number; names: string[]; error?: string }> {
  const { status, body } = await postMcp<{ result?: { tools: { name: string }[] }; error?: { message: string } }>(url, 'tools/list', {}, { modern });
  return { status, names: body.result?.tools.map((tool) => tool.name) ?? [], error: body.error?.message };
}

describe('toolsets on the demo API', async () => {
  const gw = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_MCP_MODE: 'stateless' });
  afterAll(() => gw.stop());

  test('?toolsets=projects,backups lists exactly their tools, in both eras; without it, every tool', async () => {
    for (const modern of [false, true]) {
      const chosen = await listed(`${gw.mcpUrl}?toolsets=projects,backups`, modern);
      expect(chosen.names.sort()).toEqual(['create_backup', 'create_project', 'delete_project', 'get_backup', 'get_project', 'list_backups', 'list_projects', 'restore_backup', 'update_project']);
      expect((await listed(gw.mcpUrl, modern)).names).toHaveLength(24);
    }
    // names are taken as URLs write them: case and spaces do not matter
    expect((await listed(`${gw.mcpUrl}?toolsets=Projects`, false)).names).toHaveLength(5);
  });

  test('an unknown toolset is refused, naming every toolset there is and how many tools it has; nothing is listed', async () => {
    for (const modern of [false, true]) {
      const refused = await listed(`${gw.mcpUrl}?toolsets=projects,nope`, modern);
      expect(refused.status).toBe(400);
      expect(refused.error).toBe('unknown toolset "nope" in /mcp?toolsets=; this API\'s toolsets are: auth (1), backups (4), databases (5), health (1), metrics (2), organizations (3), projects (5), roles (3)');
    }
  });
});

describe('toolsets mode: a connection must name its toolsets', async () => {
  const gw = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_MCP_MODE: 'stateless', PORTICO_TOOL_MODE: 'toolsets' });
  afterAll(() => gw.stop());

  test('/mcp without ?toolsets= is refused, saying how to name them and which there are; with them, exactly theirs', async () => {
    for (const modern of [false, true]) {
      const refused = await listed(gw.mcpUrl, modern);
      expect(refused.status).toBe(400);
      expect(refused.error).toBe("this gateway lists its tools by toolset, and the MCP URL names none: add the ones you need, e.g. /mcp?toolsets=auth,backups; this API's toolsets are: auth (1), backups (4), databases (5), health (1), metrics (2), organizations (3), projects (5), roles (3)");
      expect((await listed(`${gw.mcpUrl}?toolsets=metrics`, modern)).names.sort()).toEqual(['get_database_metrics', 'get_query_stats']);
    }
  });
});

describe('toolsets on GitHub’s document', async () => {
  const spec = await npmSpec('github');
  const gw = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_MCP_MODE: 'stateless', PORTICO_UPSTREAM: 'http://127.0.0.1:9', PORTICO_SPEC: spec });
  afterAll(() => gw.stop());

  test('?toolsets=issues,pulls gives exactly the operations tagged issues or pulls; the whole catalog is searched instead (auto: 1,223 > 80)', async () => {
    const { catalog } = await loadCatalog(spec);
    const expected = catalog.entries.filter((entry) => entry.target.tags.some((tag) => ['issues', 'pulls'].includes(toolsetName(tag)))).map((entry) => entry.tool.name);
    expect(expected.length).toBeGreaterThan(80);
    const chosen = await listed(`${gw.mcpUrl}?toolsets=issues,pulls`, true);
    expect(chosen.names.sort()).toEqual(expected.sort());
    expect((await listed(gw.mcpUrl, true)).names).toEqual(['search_operations', 'describe_operation', 'call_operation']);
  });
});
