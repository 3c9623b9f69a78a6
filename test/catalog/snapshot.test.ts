/**
 * The last good spec is kept in the store: a gateway whose spec source is unreachable at start still
 * starts, from that copy (and keeps trying the source); a source that answers with a broken document is
 * reported, not masked by the copy.
 */
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { readServeConfig } from '../../src/config/serve';
import { startDemoApi } from '../../src/demo';
import { startGateway } from '../../src/gateway';
import { createLogger } from '../../src/log';
import { callTool } from '../../src/proxy';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

test('a gateway starts from the stored copy of the spec when the API is down, and only then', async () => {
  const dir = tempDir();
  const database = join(dir, 'portico.db');
  const demo = await startDemoApi({ port: 0 });
  const settings = (spec: string) =>
    readServeConfig({}, { PORTICO_UPSTREAM: demo.baseUrl, PORTICO_SPEC: spec, PORTICO_PORT: '0', PORTICO_DATABASE_URL: database, PORTICO_SPEC_TTL: '0' });
  const call = (entry: Parameters<typeof callTool>[0], args: Record<string, unknown>, signal: AbortSignal) => callTool(entry, args, { upstream: demo.baseUrl }, signal);
  const lines: string[] = [];
  const log = createLogger('debug', (line) => void lines.push(line));

  const first = await startGateway(settings(demo.specUrl), call, log);
  const tools = first.cache.current.entries.length;
  await Bun.sleep(50); // the copy is written in the background
  await first.stop();
  await demo.stop();

  const second = await startGateway(settings(demo.specUrl), call, log);
  expect(second.cache.current.entries.length).toBe(tools);
  expect(lines.some((line) => line.includes('"catalog.from_snapshot"'))).toBe(true);
  await second.stop();

  // a spec that is there but broken is an error to fix, whatever copy is stored
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"swagger": "2.0", "paths": ');
  await expect(startGateway(settings(broken), call, log)).rejects.toThrow(/neither JSON nor YAML/);
  // and a source never loaded before has no copy to fall back on
  await expect(startGateway(settings('http://127.0.0.1:9/never.json'), call, log)).rejects.toThrow(/cannot fetch/);
});
