/**
 * Roles per organization: viewers read, developers also create and change, owners also delete and restore.
 * Refusals are 403 httperr.Error bodies that say which role the action needs.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { SEED_IDS, type RunningDemoApi } from '../../src/demo';
import { call, errorOf, login, startDemo, type Who } from './helpers';

const { orgs, projects, databases, backups } = SEED_IDS;
const BILLING_PROD = `/v1/projects/${projects.billing}/databases/${databases.billingProd}`;

let demo: RunningDemoApi;
const tokens = {} as Record<Who, string>;
beforeAll(async () => {
  demo = await startDemo();
  for (const who of ['alice', 'bob', 'carol'] as const) tokens[who] = await login(demo, who);
});
afterAll(() => demo.stop());

const as = (who: Who, method: string, path: string, body?: unknown) => call(demo, method, path, { token: tokens[who], body });

function expectForbidden(result: Awaited<ReturnType<typeof as>>, ...phrases: string[]): void {
  expect(result.status).toBe(403);
  expect(errorOf(result).code).toBe('forbidden');
  for (const phrase of phrases) expect(errorOf(result).message).toContain(phrase);
}

describe('a viewer (carol in Acme Inc.)', () => {
  test('reads projects, databases, roles, backups and metrics', async () => {
    for (const path of [
      `/v1/projects/${projects.billing}`,
      `/v1/projects/${projects.billing}/databases`,
      BILLING_PROD,
      `${BILLING_PROD}/roles`,
      `${BILLING_PROD}/backups`,
      `${BILLING_PROD}/metrics?metric=iops&from=2024-03-06T10:00:00Z&to=2024-03-06T11:00:00Z`,
      `${BILLING_PROD}/query-stats`,
    ]) {
      expect(`${path} ${(await as('carol', 'GET', path)).status}`).toBe(`${path} 200`);
    }
  });

  test('cannot create a project, a database, a role or a backup', async () => {
    expectForbidden(await as('carol', 'POST', '/v1/projects', { org_id: orgs.acme, name: 'carols' }), 'creating a project needs the developer or owner role', 'carol@example.com is a viewer');
    expectForbidden(await as('carol', 'POST', `/v1/projects/${projects.billing}/databases`, { name: 'carols', plan: 'free' }), 'creating a database');
    expectForbidden(await as('carol', 'POST', `${BILLING_PROD}/roles`, { name: 'carols' }), 'creating a role');
    expectForbidden(await as('carol', 'POST', `${BILLING_PROD}/backups`), 'creating a backup');
    expectForbidden(await as('carol', 'PATCH', BILLING_PROD, { size_gb: 200 }), 'changing a database');
    expectForbidden(await as('carol', 'PATCH', `/v1/projects/${projects.billing}`, { description: 'x' }), 'changing a project');
  });

  test('is not a member of Acme Labs: sees neither it nor its projects', async () => {
    const list = await as('carol', 'GET', '/v1/orgs');
    expect((list.body as Array<{ id: string }>).map((org) => org.id)).toEqual([orgs.acme]);
    expectForbidden(await as('carol', 'GET', `/v1/orgs/${orgs.acmeLabs}`), 'is not a member of organization "Acme Labs"');
    expectForbidden(await as('carol', 'GET', `/v1/orgs/${orgs.acmeLabs}/members`), 'not a member');
    expectForbidden(await as('carol', 'GET', `/v1/projects/${projects.mlExperiments}`), 'not a member');
    expectForbidden(await as('carol', 'GET', `/v1/projects?org_id=${orgs.acmeLabs}`), 'not a member');
    const projectsSeen = (await as('carol', 'GET', '/v1/projects')).body as { items: Array<{ org_id: string }> };
    expect(projectsSeen.items.every((project) => project.org_id === orgs.acme)).toBe(true);
  });
});

describe('a developer (bob in Acme Inc.)', () => {
  test('creates and changes databases, roles and backups', async () => {
    const created = await as('bob', 'POST', `/v1/projects/${projects.billing}/databases`, { name: 'bobs_db', plan: 'starter' });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    const path = `/v1/projects/${projects.billing}/databases/${id}`;
    expect((await as('bob', 'PATCH', path, { size_gb: 50 })).status).toBe(200);
    expect((await as('bob', 'POST', `${path}/roles`, { name: 'bobs_role', login: false })).status).toBe(201);
    expect((await as('bob', 'POST', `${path}/backups`, {})).status).toBe(202);
    expect((await as('bob', 'PATCH', `/v1/projects/${projects.billing}`, { description: 'edited by bob' })).status).toBe(200);
  });

  test('cannot delete a database, a role or a project, nor restore a backup', async () => {
    expectForbidden(await as('bob', 'DELETE', BILLING_PROD), 'deleting a database needs the owner role', 'bob@example.com is a developer');
    expectForbidden(await as('bob', 'DELETE', `${BILLING_PROD}/roles/app_reader`), 'deleting a role needs the owner role');
    expectForbidden(await as('bob', 'DELETE', `/v1/projects/${projects.internalTools}`), 'deleting a project needs the owner role');
    expectForbidden(await as('bob', 'POST', `${BILLING_PROD}/backups/${backups.beforeMigration}/restore`, {}), 'restoring a backup needs the owner role');
    expect((await as('alice', 'GET', `${BILLING_PROD}/roles`)).text).toContain('app_reader');
  });

  test('is only a viewer in Acme Labs', async () => {
    expectForbidden(await as('bob', 'POST', `/v1/projects/${projects.mlExperiments}/databases`, { name: 'x', plan: 'free' }), 'in organization "Acme Labs"', 'bob@example.com is a viewer');
    expect((await as('bob', 'GET', `/v1/projects/${projects.mlExperiments}/databases`)).status).toBe(200);
  });
});

describe('an owner (alice)', () => {
  test('deletes roles, databases and empty projects, and restores backups', async () => {
    expect((await as('alice', 'DELETE', `${BILLING_PROD}/roles/app_reader`)).status).toBe(204);
    expect((await as('alice', 'POST', `${BILLING_PROD}/backups/${backups.beforeMigration}/restore`)).status).toBe(202);
    expect((await as('alice', 'DELETE', `/v1/projects/${projects.storefront}/databases/${databases.storefrontProd}`)).status).toBe(202);
    expect((await as('alice', 'DELETE', `/v1/projects/${projects.internalTools}`)).status).toBe(204);
    expect((await as('alice', 'GET', `/v1/projects/${projects.internalTools}`)).status).toBe(404);
  });

  test('cannot drop a role the platform manages', async () => {
    expectForbidden(await as('alice', 'DELETE', `/v1/projects/${projects.analytics}/databases/${databases.warehouse}/roles/app_owner`), 'managed by the platform');
  });

  test('cannot delete a project that still has databases', async () => {
    const result = await as('alice', 'DELETE', `/v1/projects/${projects.analytics}`);
    expect(result.status).toBe(409);
    expect(errorOf(result)).toEqual({ code: 'project_not_empty', message: 'project analytics still has 1 database: delete them first' });
  });
});
