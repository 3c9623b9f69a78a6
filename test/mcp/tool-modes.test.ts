/**
 * Invariant: what `portico tools --mode M --json` prints is what a gateway in mode M answers to tools/list, in both
 * eras — the command is how an operator sees what agents will get. For every mode, and for a toolsets selection.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { postMcp } from '../fixtures/oauth-http';
import { startTestGateway } from '../fixtures/gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';
import { portico, ROOT } from '../cli/run';

afterAll(removeTempDirs);

const SPEC = resolve(ROOT, 'src/demo/swagger.json');

async function listed(url: string, modern: boolean): Promise<unknown> {
  const { body } = await postMcp<{ result: { tools: unknown[] } }>(url, 'tools/list', {}, { modern });
  return { tools: body.result.tools };
}

describe.each([
  ['all', ''],
  ['discover', ''],
  ['code', ''],
  ['toolsets', 'databases,backups'],
  ['discover', 'metrics'],
])('mode %s, toolsets "%s"', (mode, toolsets) => {
  test('tools/list is what portico tools prints', async () => {
    const gw = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_MCP_MODE: 'stateless', PORTICO_TOOL_MODE: mode, PORTICO_PLUGINS: tempDir() });
    try {
      const printed = await portico(['tools', '--spec', SPEC, '--mode', mode, '--json', ...(toolsets ? ['--toolsets', toolsets] : [])]);
      expect(printed.code).toBe(0);
      const expected = JSON.parse(printed.stdout) as { tools: unknown[] };
      expect(expected.tools.length).toBeGreaterThan(0);
      const url = toolsets ? `${gw.mcpUrl}?toolsets=${toolsets}` : gw.mcpUrl;
      for (const modern of [false, true]) expect(await listed(url, modern)).toEqual(expected);
    } finally {
      await gw.stop();
    }
  });
});
