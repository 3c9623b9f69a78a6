import { testWithSharedSpecs } from '../fixtures/shared-specs';
import { afterAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { portico, removeTempDirs, ROOT, SHARED_SPECS, tempDir } from './run';

afterAll(removeTempDirs);

const PETSTORE = resolve(SHARED_SPECS, 'OAI__OpenAPI-Specification@207aa21/examples/v3.0/petstore.yaml');

describe('portico tools', () => {
  testWithSharedSpecs('prints a table of tools and a summary on stderr', async () => {
    const { code, stdout, stderr } = await portico(['tools', '--spec', PETSTORE]);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^list_pets\s+read\s+GET \/pets\s+List all pets$/);
    expect(stderr).toContain('Swagger Petstore 1.0.0 (OpenAPI 3.0.0): 3 operations, 3 tools (read 2, write 1, admin 0), 0 skipped');
  });

  testWithSharedSpecs('--json prints exactly what tools/list returns', async () => {
    const { code, stdout } = await portico(['tools', '--spec', PETSTORE, '--json']);
    expect(code).toBe(0);
    const listed = JSON.parse(stdout) as { tools: { name: string; inputSchema: { type: string } }[] };
    expect(Object.keys(listed)).toEqual(['tools']);
    expect(listed.tools.map((tool) => tool.name)).toEqual(['list_pets', 'create_pets', 'show_pet_by_id']);
    expect(listed.tools.every((tool) => tool.inputSchema.type === 'object')).toBe(true);
  });

  testWithSharedSpecs('reads the document from PORTICO_SPEC when --spec is absent', async () => {
    const { code, stdout } = await portico(['tools', '--json'], { env: { PORTICO_SPEC: PETSTORE } });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).tools).toHaveLength(3);
  });

  testWithSharedSpecs('--max-name-length shortens names', async () => {
    const { stdout } = await portico(['tools', '--spec', PETSTORE, '--json', '--max-name-length', '16']);
    const names = (JSON.parse(stdout).tools as { name: string }[]).map((tool) => tool.name);
    expect(names.every((name) => name.length <= 16)).toBe(true);
    expect(new Set(names).size).toBe(3);
  });

  test('a broken document exits 1 naming the problem and where', async () => {
    const dir = tempDir();
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'openapi: 3.0.0\ninfo: {title: x, version: "1"}\npaths:\n  /a: [\n');
    const { code, stdout, stderr } = await portico(['tools', '--spec', file]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`cannot build tools from "${file}"`);
    expect(stderr).toMatch(/neither JSON nor YAML: line \d+, column \d+/);
  });

  test('a missing file exits 1 with a clear message', async () => {
    const { code, stderr } = await portico(['tools', '--spec', '/nonexistent/openapi.json']);
    expect(code).toBe(1);
    expect(stderr).toContain('cannot read "/nonexistent/openapi.json": no such file');
  });

  test('--strict exits 1 when an operation is skipped, and the summary says why', async () => {
    const dir = tempDir();
    const file = join(dir, 'one-bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'T', version: '1' },
        paths: {
          '/ok': { get: { operationId: 'ok', responses: { 200: { description: 'ok' } } } },
          '/bad': { post: { operationId: 'bad', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Nope' } } } }, responses: {} } },
        },
      }),
    );
    const lenient = await portico(['tools', '--spec', file]);
    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toContain('skipped POST /bad (bad): $ref "#/components/schemas/Nope"');
    const strict = await portico(['tools', '--spec', file, '--strict']);
    expect(strict.code).toBe(1);
  });

  testWithSharedSpecs('--mode prints what tools/list offers in that tool mode: discover, three tools in front of the catalog; auto, by its size', async () => {
    const discover = await portico(['tools', '--spec', PETSTORE, '--mode', 'discover', '--json']);
    expect(discover.code).toBe(0);
    expect((JSON.parse(discover.stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name)).toEqual(['search_operations', 'describe_operation', 'call_operation']);
    expect(discover.stderr).toContain('Discover mode: the');
    const small = await portico(['tools', '--spec', PETSTORE, '--mode', 'auto', '--json']);
    const all = await portico(['tools', '--spec', PETSTORE, '--json']);
    expect(small.stdout).toBe(all.stdout);
    const lowered = await portico(['tools', '--spec', PETSTORE, '--mode', 'auto', '--json'], { env: { PORTICO_TOOL_MODE_THRESHOLD: '1' } });
    expect(lowered.stdout).toBe(discover.stdout);
    const code = await portico(['tools', '--spec', PETSTORE, '--mode', 'code', '--json']);
    expect((JSON.parse(code.stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name)).toEqual(['search_operations', 'describe_operation', 'call_operation', 'execute']);
    expect(code.stderr).toContain('Code mode: the');
    const bad = await portico(['tools', '--spec', PETSTORE, '--mode', 'codes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--mode must be all, toolsets, discover, code or auto, got "codes"');
  });

  test('--toolsets prints those toolsets’ tools, in any mode; toolsets mode without them, or an unknown one, is a usage error naming them all', async () => {
    const demo = resolve(ROOT, 'src/demo/swagger.json');
    const backups = await portico(['tools', '--spec', demo, '--toolsets', 'backups', '--json']);
    expect((JSON.parse(backups.stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name)).toEqual(['list_backups', 'create_backup', 'get_backup', 'restore_backup']);
    expect((await portico(['tools', '--spec', demo, '--mode', 'discover', '--toolsets', 'Backups', '--json'])).stdout).toBe(backups.stdout);
    const none = await portico(['tools', '--spec', demo, '--mode', 'toolsets']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("name the toolsets to list with --toolsets a,b; this API's toolsets are: auth (1), backups (4), databases (5), health (1), metrics (2), organizations (3), projects (5), roles (3)");
    const unknown = await portico(['tools', '--spec', demo, '--toolsets', 'backups,backup']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown toolset "backup"');
  });

  test('an operation without tags is in the toolset its path is about (past a version or "api"), else in other', async () => {
    const file = join(tempDir(), 'untagged.json');
    const get = (operationId: string) => ({ get: { operationId, responses: { 200: { description: 'ok' } } } });
    writeFileSync(file, JSON.stringify({ openapi: '3.0.3', info: { title: 'T', version: '1' }, paths: { '/v1/customers': get('list_customers'), '/v1/customers/{id}': get('get_customer'), '/api/orders': get('list_orders'), '/2024-01-01/payment_links': get('list_links'), '/': get('root') } }));
    const none = await portico(['tools', '--spec', file, '--mode', 'toolsets']);
    expect(none.stderr).toContain("this API's toolsets are: customers (2), orders (1), other (1), payment-links (1)");
  });

  test('usage errors exit 2 and show the help', async () => {
    const unknown = await portico(['tools', '--spec', PETSTORE, '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    expect(unknown.stderr).toContain('Usage: portico tools');
    const noSpec = await portico(['tools'], { env: { PORTICO_SPEC: '' } });
    expect(noSpec.code).toBe(2);
    expect(noSpec.stderr).toContain('no OpenAPI document given');
    const badLength = await portico(['tools', '--spec', PETSTORE, '--max-name-length', '8']);
    expect(badLength.code).toBe(2);
    expect(badLength.stderr).toContain('--max-name-length must be an integer from 16 to 64, got "8"');
    const badFlag = await portico(['tools', '--spec', PETSTORE], { env: { PORTICO_ALLOW_REMOTE_REFS: 'maybe' } });
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('PORTICO_ALLOW_REMOTE_REFS must be true or false, got "maybe"');
  });

  test('an unknown command exits 2', async () => {
    const { code, stderr } = await portico(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
  });
});
