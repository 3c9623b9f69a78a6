/**
 * Tool names: `^[a-zA-Z0-9_-]{1,64}$`, unique, snake_case from operationId or method + path, shortened with
 * a hash under a configurable maximum, suffixed on collision, and independent of the document's order.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import type { Catalog } from '../../src/catalog/index';
import { build, expectWellFormed, NAME_PATTERN, noContent, oas30, removeTempDirs } from './helpers';

afterAll(removeTempDirs);

type Op = { method: string; path: string; operationId?: string };

/** A document holding `ops`, in the given order (paths and methods alike). */
function docOf(ops: Op[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, path, operationId } of ops) {
    paths[path] ??= {};
    paths[path]![method.toLowerCase()] = { ...(operationId !== undefined ? { operationId } : {}), responses: noContent };
  }
  return oas30(paths);
}

/** `METHOD path` → tool name. */
function nameMap(catalog: Catalog): Record<string, string> {
  return Object.fromEntries(catalog.entries.map((e) => [`${e.target.method} ${e.target.path}`, e.tool.name]));
}

describe('where names come from', () => {
  test('operationId in snake_case', async () => {
    const catalog = await build(
      docOf([
        { method: 'GET', path: '/a', operationId: 'listPetsByID' },
        { method: 'GET', path: '/b', operationId: 'HTTPServerList' },
        { method: 'GET', path: '/c', operationId: 'repos/get-content' },
        { method: 'GET', path: '/d', operationId: 'get.users.list' },
        { method: 'GET', path: '/e', operationId: 'already_snake' },
      ]),
    );
    expect(nameMap(catalog)).toEqual({
      'GET /a': 'list_pets_by_id',
      'GET /b': 'http_server_list',
      'GET /c': 'repos_get_content',
      'GET /d': 'get_users_list',
      'GET /e': 'already_snake',
    });
  });

  test('method + path without an operationId (or with one that has no usable characters)', async () => {
    const catalog = await build(
      docOf([
        { method: 'GET', path: '/users/{userId}/repos' },
        { method: 'POST', path: '/v1/items' },
        { method: 'DELETE', path: '/orgs/{org-name}' },
        { method: 'PUT', path: '/settings', operationId: '日本語' },
        { method: 'PATCH', path: '/settings', operationId: '   ' },
      ]),
    );
    expect(nameMap(catalog)).toEqual({
      'GET /users/{userId}/repos': 'get_users_by_user_id_repos',
      'POST /v1/items': 'post_v1_items',
      'DELETE /orgs/{org-name}': 'delete_orgs_by_org_name',
      'PUT /settings': 'put_settings',
      'PATCH /settings': 'patch_settings',
    });
    expectWellFormed(catalog);
  });

  test('names from odd operationIds and paths all match the pattern', async () => {
    const catalog = await build(
      docOf([
        { method: 'GET', path: '/a', operationId: 'Ünïcødé-Öp' },
        { method: 'GET', path: '/b', operationId: 'with spaces & symbols!' },
        { method: 'GET', path: '/', operationId: undefined },
        { method: 'GET', path: '/{x}/{y}:batchGet' },
        { method: 'GET', path: '/c', operationId: '__leading__' },
      ]),
    );
    expect(catalog.entries).toHaveLength(5);
    for (const { tool } of catalog.entries) expect(tool.name).toMatch(NAME_PATTERN);
    expectWellFormed(catalog);
  });
});

describe('long names', () => {
  const long = 'createOrganizationRepositoryEnvironmentDeploymentBranchPolicyForProtectedBranchesAndTags';

  test('are shortened to 64 by default, keeping the head and the tail and adding a hash', async () => {
    const catalog = await build(docOf([{ method: 'POST', path: '/x', operationId: long }]));
    const name = catalog.entries[0]!.tool.name;
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name.length).toBeGreaterThan(40);
    expect(name).toMatch(/^create_organization_/);
    expect(name).toMatch(/_tags_[a-z0-9]{4,}$/);
  });

  test('respect maxNameLength (30)', async () => {
    const catalog = await build(docOf([{ method: 'POST', path: '/x', operationId: long }]), { maxNameLength: 30 });
    const name = catalog.entries[0]!.tool.name;
    expect(name.length).toBeLessThanOrEqual(30);
    expect(name).toMatch(/^create_/);
    expect(name).toMatch(NAME_PATTERN);
  });

  test('two long names sharing head and tail never collide', async () => {
    const middles = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa'];
    const ops = middles.map((middle, i) => ({
      method: 'GET',
      path: `/p${i}`,
      operationId: `get_organization_repository_environment_${middle}_deployment_branch_policy_details`,
    }));
    for (const maxNameLength of [30, 64]) {
      const catalog = await build(docOf(ops), { maxNameLength });
      const names = catalog.entries.map((e) => e.tool.name);
      expect(names).toHaveLength(10);
      expect(new Set(names).size).toBe(10);
      for (const name of names) expect(name.length).toBeLessThanOrEqual(maxNameLength);
    }
  });

  test('short names are left alone under the limit', async () => {
    const catalog = await build(docOf([{ method: 'GET', path: '/x', operationId: 'listThings' }]), { maxNameLength: 30 });
    expect(catalog.entries[0]!.tool.name).toBe('list_things');
  });
});

describe('collisions', () => {
  test('a duplicated operationId gets a suffix; the plain name goes to the first by path, whatever the document order', async () => {
    const ops = [
      { method: 'GET', path: '/b', operationId: 'getPet' },
      { method: 'GET', path: '/a', operationId: 'getPet' },
      { method: 'GET', path: '/c', operationId: 'getPet' },
    ];
    const catalog = await build(docOf(ops));
    expect(nameMap(catalog)).toEqual({ 'GET /a': 'get_pet', 'GET /b': 'get_pet_2', 'GET /c': 'get_pet_3' });
  });

  test('ids that only differ in case or separators, and a method+path name, stay unique', async () => {
    const catalog = await build(
      docOf([
        { method: 'GET', path: '/pets', operationId: 'getPets' },
        { method: 'POST', path: '/pets', operationId: 'get_pets' },
        { method: 'PUT', path: '/pets', operationId: 'GetPets' },
        { method: 'GET', path: '/get/pets' },
      ]),
    );
    const names = catalog.entries.map((e) => e.tool.name);
    expect(names).toHaveLength(4);
    expect(new Set(names).size).toBe(4);
    expect(names.filter((n) => n === 'get_pets')).toHaveLength(1);
    expectWellFormed(catalog);
  });

  test('a suffixed name never takes the name another operation asks for', async () => {
    const catalog = await build(
      docOf([
        { method: 'GET', path: '/a', operationId: 'get_pet' },
        { method: 'GET', path: '/b', operationId: 'get_pet' },
        { method: 'GET', path: '/z', operationId: 'get_pet_2' },
      ]),
    );
    expect(nameMap(catalog)).toEqual({ 'GET /a': 'get_pet', 'GET /z': 'get_pet_2', 'GET /b': 'get_pet_3' });
  });

  test('suffixes on long duplicated names stay within the limit', async () => {
    const id = 'synchronizeOrganizationRepositoryEnvironmentDeploymentProtectionRules';
    const ops = Array.from({ length: 12 }, (_, i) => ({ method: 'POST', path: `/r${String(i).padStart(2, '0')}`, operationId: id }));
    for (const maxNameLength of [16, 30, 64]) {
      const catalog = await build(docOf(ops), { maxNameLength });
      const names = catalog.entries.map((e) => e.tool.name);
      expect(new Set(names).size).toBe(12);
      for (const name of names) {
        expect(name.length).toBeLessThanOrEqual(maxNameLength);
        expect(name).toMatch(NAME_PATTERN);
      }
    }
  });
});

describe('stability', () => {
  const ops: Op[] = [
    { method: 'GET', path: '/pets', operationId: 'listPets' },
    { method: 'POST', path: '/pets', operationId: 'listPets' },
    { method: 'GET', path: '/pets/{id}' },
    { method: 'DELETE', path: '/pets/{id}', operationId: 'get_pets_by_id' },
    { method: 'PUT', path: '/pets/{id}', operationId: 'replacePetWithAVeryLongOperationIdentifierThatNeedsShortening' },
    { method: 'PATCH', path: '/pets/{id}', operationId: 'replacePetWithAVeryLongOperationIdentifierThatNeedsShortening' },
  ];

  test('the same document gives the same names every time', async () => {
    const first = nameMap(await build(docOf(ops), { maxNameLength: 30 }));
    const second = nameMap(await build(docOf(ops), { maxNameLength: 30 }));
    expect(second).toEqual(first);
  });

  test('reordering the operations (paths and methods) does not change any name', async () => {
    const forward = nameMap(await build(docOf(ops), { maxNameLength: 30 }));
    const reversed = nameMap(await build(docOf([...ops].reverse()), { maxNameLength: 30 }));
    expect(Object.keys(forward)).toHaveLength(6);
    expect(reversed).toEqual(forward);
    expect(new Set(Object.values(forward)).size).toBe(6);
  });
});
