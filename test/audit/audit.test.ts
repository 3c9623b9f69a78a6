/**
 * The audit log: every tool call through a signed-in gateway is recorded (who, client, tool, outcome, the
 * API's status, latency; arguments with sensitive values blanked) and `portico audit` reads it back.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { parseSince } from '../../src/cli/audit';
import { labelled } from '../../src/cli/audit-names';
import { connectAs } from '../fixtures/oauth-client';
import { ALICE, BOB, CAROL, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
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
  // carol's call beyond her scopes is recorded as denied, once: her role never allows write, so it is a tool
  // error saying so (no 403 for the SDK to refresh and retry on)
  expect(records.filter((r) => r.userId === 'usr_c4r0l8q1' && r.tool === 'create_project').map((r) => r.outcome)).toEqual(['denied']);

  const onlyRoles = await audit('--tool', 'create_role');
  expect(onlyRoles.stdout.split('\n')[0]).toMatch(/^time \(UTC\)\s+user\s+client\s+tool\s+outcome\s+status\s+latency$/);
  expect(onlyRoles.stdout.trim().split('\n')).toHaveLength(2);
  expect(onlyRoles.stderr).toContain('1 call');
  const carolOnly = await audit('--user', 'usr_c4r0l8q1', '--json');
  expect(carolOnly.stdout.trim().split('\n').every((line) => line.includes('usr_c4r0l8q1'))).toBe(true);
  expect((await audit('--since', '1h', '--json')).stdout.trim().split('\n').length).toBe(records.length);
});

test('portico audit shows users and clients by name beside their ids; by id alone once the name is gone', async () => {
  const { client } = await connectAs(gw.mcpUrl, BOB);
  await client.callTool({ name: 'get_current_user', arguments: {} });
  await client.close();
  const { client: other } = await connectAs(gw.mcpUrl, ALICE);
  await other.callTool({ name: 'get_current_user', arguments: {} });
  await other.close();
  await Bun.sleep(400); // one flush of the writer

  type Line = { userId: string; clientId: string; userName: string | null; clientName: string | null; tool: string; at: string };
  const lines = async (...args: string[]) => (await audit('--tool', 'get_current_user', '--json', ...args)).stdout.trim().split('\n').map((line) => JSON.parse(line) as Line);
  const [bob] = await lines('--user', 'usr_b0b4m9x3');
  // the earlier fields as they were, the names added
  expect(bob).toMatchObject({ userId: 'usr_b0b4m9x3', userName: BOB.email, clientName: 'Headless test client', tool: 'get_current_user' });
  expect(Object.keys(bob!).slice(0, 10)).toEqual(['id', 'at', 'userId', 'clientId', 'tool', 'outcome', 'upstreamStatus', 'latencyMs', 'detail', 'userName']);
  const shown = await audit('--tool', 'get_current_user');
  expect(shown.stdout).toContain(`${BOB.email} (usr_b0b4m9x3)`);
  expect(shown.stdout).toContain(`Headless test client (${bob!.clientId})`);
  expect(shown.stdout).toContain(`${ALICE.email} (usr_a1ice7k2)`);

  // bob's client deleted, with his grant: nothing is left to name either by, so both are shown by id
  const store = await gw.openStore();
  try {
    expect(await store.deleteClient(bob!.clientId)).toBe(true);
  } finally {
    await store.close();
  }
  const [gone] = await lines('--user', 'usr_b0b4m9x3');
  expect(gone).toMatchObject({ userId: 'usr_b0b4m9x3', userName: null, clientId: bob!.clientId, clientName: null });
  const table = (await audit('--user', 'usr_b0b4m9x3', '--tool', 'get_current_user')).stdout.split('\n')[1]!;
  expect(table).toMatch(new RegExp(`^\\S+ \\S+\\s+usr_b0b4m9x3\\s+${bob!.clientId}\\s+get_current_user`));
  // alice's names are still there
  expect((await lines('--user', 'usr_a1ice7k2'))[0]).toMatchObject({ userName: ALICE.email, clientName: 'Headless test client' });
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

test('a name in the table cannot drive the terminal (control and invisible characters are replaced) and is cut when long', () => {
  expect(labelled('alice@example.com', 'usr_a1ice7k2')).toBe('alice@example.com (usr_a1ice7k2)');
  expect(labelled(null, 'usr_a1ice7k2')).toBe('usr_a1ice7k2');
  expect(labelled('evil\u001b[2J\u202eapp', 'pcl_x')).toBe('evil\ufffd[2J\ufffdapp (pcl_x)');
  const long = labelled('n'.repeat(100), 'pcl_x');
  expect(long).toBe(`${'n'.repeat(59)}… (pcl_x)`);
});
