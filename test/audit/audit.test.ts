/**
 * The audit log: every tool call through a signed-in gateway is recorded (who, client, tool, outcome, the
 * API's status, latency; arguments with sensitive values blanked) and `portico audit` reads it back.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { parseSince } from '../../src/cli/audit';
import { connectAs } from '../fixtures/oauth-client';
import { ALICE, CAROL, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, tempDir } from '../fixtures/temp';
import { SOURCES } from '../e2e/process';

let gw: SignedInGateway;
beforeAll(async () => {
  gw = await startSignedInGateway();
});
afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

async function audit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([...SOURCES, 'audit', '--database-url', gw.databasePath, ...args], { cwd: `${import.meta.dir}/../..`, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

test('calls are recorded with their outcome and the API status, sensitive arguments blanked; portico audit reads them', async () => {
  const { client } = await connectAs(gw.mcpUrl, ALICE);
  const ok = (await client.callTool({ name: 'get_project', arguments: { projectId: 'prj_7d3f8a1b' } })) as CallToolResult;
  expect(ok.isError).toBeFalsy();
  await client.callTool({ name: 'get_project', arguments: { projectId: 'prj_nope' } });
  await client.callTool({ name: 'get_project', arguments: {} });
  await client.callTool({ name: 'create_role', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q', name: 'auditor', password: 'hunter2-very-secret' } });
  await client.close();
  const carol = await connectAs(gw.mcpUrl, CAROL);
  await carol.client.callTool({ name: 'create_project', arguments: { org_id: 'org_2n4x7c1v', name: 'x' } }).catch(() => {});
  await carol.client.close();
  await Bun.sleep(400); // one flush of the writer

  const { code, stdout } = await audit('--json');
  expect(code).toBe(0);
  const records = stdout.trim().split('\n').map((line) => JSON.parse(line) as { userId: string; tool: string; outcome: string; upstreamStatus: number | null; latencyMs: number; detail: { arguments: Record<string, unknown> } | null });
  const alice = records.filter((r) => r.userId === 'usr_a1ice7k2').reverse();
  expect(alice.map((r) => [r.tool, r.outcome, r.upstreamStatus])).toEqual([
    ['get_project', 'ok', 200],
    ['get_project', 'upstream_error', 404],
    ['get_project', 'invalid_arguments', null],
    ['create_role', 'ok', 201],
  ]);
  expect(alice[0]!.latencyMs).toBeGreaterThan(0);
  expect(alice[3]!.detail).toEqual({ arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q', name: 'auditor', password: '[redacted]' } });
  expect(stdout).not.toContain('hunter2');
  // carol's call beyond her scopes is recorded as denied (the SDK tried it twice: once more after refreshing)
  expect(records.filter((r) => r.userId === 'usr_c4r0l8q1').map((r) => r.outcome)).toContain('denied');

  const onlyRoles = await audit('--tool', 'create_role');
  expect(onlyRoles.stdout.split('\n')[0]).toMatch(/^time \(UTC\)\s+user\s+client\s+tool\s+outcome\s+status\s+latency$/);
  expect(onlyRoles.stdout.trim().split('\n')).toHaveLength(2);
  expect(onlyRoles.stderr).toContain('1 call');
  const carolOnly = await audit('--user', 'usr_c4r0l8q1', '--json');
  expect(carolOnly.stdout.trim().split('\n').every((line) => line.includes('usr_c4r0l8q1'))).toBe(true);
  expect((await audit('--since', '1h', '--json')).stdout.trim().split('\n').length).toBe(records.length);
});

test('portico audit finds the database where serve would: the config file, or PORTICO_DATABASE_URL_FILE', async () => {
  const dir = tempDir();
  const run = async (args: string[], env: Record<string, string>) => {
    const child = Bun.spawn([...SOURCES, 'audit', '--json', ...args], { cwd: dir, env: { ...process.env, PORTICO_DATABASE_URL: '', PORTICO_CONFIG: '', ...env }, stdout: 'pipe', stderr: 'pipe' });
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    return { code, stdout, stderr };
  };
  writeFileSync(join(dir, 'portico.yaml'), `upstream: http://127.0.0.1:9/v1\ndatabaseUrl: ${gw.databasePath}\n`);
  const fromFile = await run([], {});
  expect(fromFile.code).toBe(0);
  expect(fromFile.stdout).toContain('"tool":"get_project"');
  writeFileSync(join(dir, 'database-url'), `${gw.databasePath}\n`);
  const fromVariableFile = await run(['--config', join(dir, 'missing.yaml')], { PORTICO_DATABASE_URL_FILE: join(dir, 'database-url') });
  expect(fromVariableFile.code).toBe(0);
  expect(fromVariableFile.stdout).toContain('"tool":"get_project"');
  // a config file that cannot be read is said, not silently replaced by the default database
  const missing = await run(['--config', join(dir, 'missing.yaml')], {});
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('missing.yaml');
});

test('portico audit refuses bad options with a message saying what to give', async () => {
  const since = await audit('--since', 'yesterday-ish');
  expect(since.code).toBe(2);
  expect(since.stderr).toContain('--since must be a duration like 30m, 1h, 7d');
  expect((await audit('--limit', '0')).stderr).toContain('--limit must be a whole number');
  expect((await audit('--bogus')).stderr).toContain('unknown option "--bogus"');
  expect(parseSince('30m', 1_000_000_000)).toBe(1_000_000_000 - 1_800_000);
  expect(parseSince('2026-11-25T10:00:00Z', 0)).toBe(Date.parse('2026-11-25T10:00:00Z'));
});
