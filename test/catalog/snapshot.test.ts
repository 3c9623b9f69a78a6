/**
 * The last good spec is kept in the store: a gateway whose spec source is unreachable at start still
 * starts, from that copy (and keeps trying the source); a source that answers with a broken document is
 * reported, not masked by the copy.
 */
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { startDemoApi } from '../../src/demo';
import { startTestGateway } from '../fixtures/gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

test('a gateway starts from the stored copy of the spec when the API is down, and only then', async () => {
  const dir = tempDir();
  const database = join(dir, 'portico.db');
  const demo = await startDemoApi({ port: 0 });
  const upstream = demo.baseUrl;
  const start = (spec: string) => startTestGateway({ PORTICO_UPSTREAM: upstream, PORTICO_SPEC: spec, PORTICO_DATABASE_URL: database, PORTICO_PLUGINS: dir });

  const first = await start(demo.specUrl);
  const tools = first.gateway.tools.size;
  await Bun.sleep(50); // the copy is written in the background
  await first.stop();
  await demo.stop();

  const second = await start(demo.specUrl);
  expect(second.gateway.tools.size).toBe(tools);
  expect(second.events('catalog.from_snapshot')).toHaveLength(1);
  await second.stop();

  // a spec that is there but broken is an error to fix, whatever copy is stored
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"swagger": "2.0", "paths": ');
  await expect(start(broken)).rejects.toThrow(/neither JSON nor YAML/);
  // and a source never loaded before has no copy to fall back on
  await expect(start('http://127.0.0.1:9/never.json')).rejects.toThrow(/cannot fetch/);
});
