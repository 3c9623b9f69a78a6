/**
 * The tools a gateway serves are the plugins' layer's output (`applyPlugins`), not the catalog's: renamed, pinned,
 * re-described, or left alone. Their `tools/list` bytes are made once per tool object, ahead of any request. So a
 * tool the rules left alone must be published as the catalog's own object (one set of bytes, not a copy's), and the
 * bytes made ahead must be the published tools' (a changed one's included); before, every page of a gateway with
 * plugins serialised its tools again on the client's request.
 */
import { afterAll, expect, test } from 'bun:test';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { hasToolBytes, toolBytes } from '../../src/catalog/listing';
import { applyPlugins } from '../../src/plugins/catalog';
import { PluginHost } from '../../src/plugins/host';
import type { ToolDraft } from '../../plugins/portico';
import { build, oas30 } from '../catalog/helpers';
import { startTestGateway, type TestGateway } from '../fixtures/gateway';
import { removeTempDirs, tempDirWith } from '../fixtures/temp';

afterAll(removeTempDirs);

const paths = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`/items/${i}`, { get: { operationId: `get_item_${i}`, parameters: [{ name: 'q', in: 'query', schema: { type: 'string' } }], responses: { 200: { description: 'ok' } } } }]));

test('a tool the rules left alone is published as the catalog\'s own object; one they changed is a new one, as changed', async () => {
  const catalog = await build(oas30(paths(5)));
  const host = new PluginHost();
  host.rules.push({
    plugin: 'rules',
    value: (tools: ToolDraft[]) => {
      tools[1]!.name = 'renamed';
      tools[2]!.description = 'another description';
      tools[3]!.pin('q', 'fixed');
    },
  });
  const published = applyPlugins(host, catalog.entries);
  expect(published.map((entry) => entry.tool === catalog.entries[published.indexOf(entry)]!.tool)).toEqual([true, false, false, false, true]);
  expect(published[1]!.tool).toEqual({ ...catalog.entries[1]!.tool, name: 'renamed' });
  expect(published[2]!.tool.description).toBe('another description');
  expect(published[3]!.tool.inputSchema.properties).toEqual({});
  // the catalog's tools are untouched by the rules
  expect(catalog.entries.map((entry) => entry.tool.name)).toEqual(['get_item_0', 'get_item_1', 'get_item_2', 'get_item_3', 'get_item_4']);
  expect(catalog.entries[3]!.tool.inputSchema.properties).toHaveProperty('q');
});

/** The tools `gw` serves once each has its bytes (made in the background: a few turns of the event loop). */
async function servedWithBytes(gw: TestGateway): Promise<Tool[]> {
  const served = gw.gateway.tools.all.map((entry) => entry.tool);
  for (let turn = 0; turn < 100 && !served.every(hasToolBytes); turn++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(served.filter((tool) => !hasToolBytes(tool)).map((tool) => tool.name)).toEqual([]);
  return served;
}

test('a gateway makes the bytes of the tools it serves ahead of any tools/list, those a plugin renamed included, and again after a refresh', async () => {
  const folder = tempDirWith({
    'rename.ts': "export default (api) => api.catalog((tools) => { tools.find((tool) => tool.name === 'get_project').name = 'project_details'; });\n",
    'swagger.json': readFileSync(join(import.meta.dir, '../../src/demo/swagger.json'), 'utf8'),
  });
  const spec = join(folder, 'swagger.json');
  const gw = await startTestGateway({ PORTICO_PLUGINS: folder, PORTICO_SPEC: spec, PORTICO_AUTH: 'none' });
  try {
    const served = await servedWithBytes(gw);
    const renamed = served.find((tool) => tool.name === 'project_details')!;
    expect(new TextDecoder().decode(toolBytes(renamed))).toBe(JSON.stringify(renamed));
    // a new document: the tools rebuilt and published again have their bytes made too
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('"summary": "Health check"', '"summary": "Health check, edited"'));
    utimesSync(spec, new Date(), new Date(Date.now() + 5_000));
    await gw.gateway.tools.refresh();
    const after = await servedWithBytes(gw);
    expect(after.map((tool) => tool.title)).toContain('Health check, edited');
    expect(after.find((tool) => tool.name === 'project_details')).not.toBe(renamed);
  } finally {
    await gw.stop();
  }
});
