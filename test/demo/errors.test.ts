/**
 * Error answers: 422 naming each field (bodies and query strings), 400 for bodies that are not JSON objects and
 * for impossible metric ranges, 404 for unknown ids (told apart from unknown routes), 409 for names in use.
 * Every one is an httperr.Error.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { SEED_IDS, type RunningDemoApi } from '../../src/demo';
import { call, errorOf, login, startDemo } from './helpers';

const { orgs, projects, databases, backups } = SEED_IDS;
const BILLING = `/v1/projects/${projects.billing}`;
const BILLING_PROD = `${BILLING}/databases/${databases.billingProd}`;

let demo: RunningDemoApi;
let token: string;
beforeAll(async () => {
  demo = await startDemo();
  token = await login(demo, 'alice');
});
afterAll(() => demo.stop());

const send = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(demo, method, path, { token, body, headers });

/** The `details` of a 422, as `field: message` lines in the order sent. */
async function invalid(method: string, path: string, body?: unknown): Promise<string[]> {
  const result = await send(method, path, body);
  expect(result.status).toBe(422);
  expect(errorOf(result).code).toBe('validation_failed');
  return errorOf(result).details!.map((detail) => `${detail.field}: ${detail.message}`);
}

describe('422 names the field', () => {
  test('in a body: types, enums, patterns, ranges and required fields', async () => {
    const details = await invalid('POST', `${BILLING}/databases`, { name: '9lives', plan: 'gold', postgres_version: 13, size_gb: '20' });
    expect(details.sort()).toEqual([
      'name: must be 1 to 63 lowercase letters, digits and underscores, starting with a letter',
      'plan: must be one of: free, starter, pro, enterprise',
      'postgres_version: must be one of: 14, 15, 16, 17',
      'size_gb: must be an integer',
    ]);
    expect(await invalid('POST', `${BILLING}/databases`, { name: 'ok', plan: 'pro', size_gb: 4096 })).toEqual(['size_gb: must be between 1 and 1024']);
    expect(await invalid('POST', '/v1/projects', { name: '' })).toEqual(['org_id: is required', 'name: must be at least 1 characters long']);
    expect(await invalid('POST', `${BILLING_PROD}/backups`, { retention_days: 90, label: 'x'.repeat(101) })).toEqual([
      'label: must be at most 100 characters long',
      'retention_days: must be between 1 and 35',
    ]);
  });

  test('in arrays, by index', async () => {
    expect(await invalid('POST', `${BILLING_PROD}/roles`, { name: 'r1', member_of: ['readonly', 'Bad-Name'], login: 'yes' })).toEqual([
      'login: must be true or false',
      'member_of[1]: must be 1 to 63 lowercase letters, digits and underscores, not starting with a digit',
    ]);
    expect(await invalid('POST', `${BILLING_PROD}/roles`, { name: 'r2', member_of: ['readonly', 'nobody'] })).toEqual([
      'member_of[1]: role "nobody" does not exist in database billing_prod',
    ]);
  });

  test('for a missing body', async () => {
    expect(await invalid('POST', `${BILLING_PROD}/roles`)).toEqual(['body: is required: send a JSON object']);
  });

  test('for rules beyond the schema: region without a project default, shrinking, downgrading', async () => {
    expect(await invalid('POST', `/v1/projects/${projects.internalTools}/databases`, { name: 'tools', plan: 'free' })).toEqual([
      'region: is required: project internal-tools has no default_region',
    ]);
    expect(await invalid('PATCH', BILLING_PROD, { size_gb: 50, postgres_version: 15 })).toEqual([
      'size_gb: cannot shrink storage from 100 to 50 GiB',
      'postgres_version: cannot downgrade from PostgreSQL 16 to 15',
    ]);
  });

  test('in a query string', async () => {
    expect(await invalid('GET', '/v1/projects?page=0&per_page=500')).toEqual(['page: must be at least 1', 'per_page: must be between 1 and 100']);
    expect(await invalid('GET', '/v1/projects?page=1.5')).toEqual(['page: must be an integer']);
    expect(await invalid('GET', `/v1/orgs/${orgs.acme}/members?role=admin`)).toEqual(['role: must be one of: viewer, developer, owner']);
    expect(await invalid('GET', `${BILLING}/databases?status=sleeping`)).toEqual([
      'status: must be one of: provisioning, ready, updating, restoring, deleting, failed',
    ]);
    expect(await invalid('GET', `${BILLING_PROD}/backups?kind=weekly`)).toEqual(['kind: must be one of: automatic, manual']);
    expect(await invalid('GET', `${BILLING_PROD}/query-stats?limit=0&order_by=fastest`)).toEqual([
      'order_by: must be one of: total_time, mean_time, calls, rows',
      'limit: must be between 1 and 100',
    ]);
    expect(await invalid('GET', `${BILLING_PROD}/metrics?from=yesterday`)).toEqual([
      'metric: is required',
      'from: must be an RFC 3339 date-time such as 2024-03-06T10:00:00Z',
    ]);
  });

  test('but an empty query value is no filter', async () => {
    const result = await send('GET', '/v1/projects?org_id=&page=');
    expect(result.status).toBe(200);
    expect((result.body as { total: number }).total).toBe(5);
  });

  test('and the message repeats the details for clients that show only the message', async () => {
    const result = await send('GET', '/v1/projects?per_page=0');
    expect(errorOf(result).message).toBe('invalid request: per_page must be between 1 and 100');
  });
});

describe('400', () => {
  test('for malformed JSON and for a body that is not a JSON object', async () => {
    const malformed = await send('POST', '/v1/projects', '{"name":');
    expect(malformed.status).toBe(400);
    expect(errorOf(malformed)).toEqual({ code: 'bad_request', message: 'the request body is not valid JSON' });
    for (const [body, type] of [['[1,2]', 'application/json'], ['name=x', 'application/x-www-form-urlencoded'], ['hello', 'text/plain']] as const) {
      const result = await send('POST', '/v1/projects', body, { 'content-type': type });
      expect(`${type} ${result.status}`).toBe(`${type} 400`);
      expect(errorOf(result).code).toBe('bad_request');
    }
  });

  test('for a metrics range that is reversed or longer than 31 days', async () => {
    const reversed = await send('GET', `${BILLING_PROD}/metrics?metric=iops&from=2024-03-06T10:00:00Z&to=2024-03-05T10:00:00Z`);
    expect(reversed.status).toBe(400);
    expect(errorOf(reversed)).toMatchObject({ code: 'invalid_range', details: [{ field: 'from', message: 'must not be after to' }] });
    const long = await send('GET', `${BILLING_PROD}/metrics?metric=iops&from=2024-01-01T00:00:00Z&to=2024-02-02T00:00:00Z`);
    expect(long.status).toBe(400);
    expect(errorOf(long).message).toBe('from and to are more than 31 days apart');
  });
});

describe('404', () => {
  test('for every kind of unknown id, naming it', async () => {
    const cases: Array<[string, string]> = [
      [`/v1/orgs/org_nothere1`, 'organization org_nothere1 not found'],
      [`/v1/orgs/org_nothere1/members`, 'organization org_nothere1 not found'],
      [`/v1/projects?org_id=org_nothere1`, 'organization org_nothere1 not found'],
      [`/v1/projects/prj_nothere1`, 'project prj_nothere1 not found'],
      [`/v1/projects/prj_nothere1/databases`, 'project prj_nothere1 not found'],
      [`${BILLING}/databases/db_nothere1`, 'database db_nothere1 not found'],
      [`${BILLING}/databases/db_nothere1/roles`, 'database db_nothere1 not found'],
      [`${BILLING_PROD}/backups/bkp_nothere1`, 'backup bkp_nothere1 not found'],
      // A real database, but of another project: not found there.
      [`/v1/projects/${projects.storefront}/databases/${databases.billingProd}`, `database ${databases.billingProd} not found`],
      [`/v1/projects/${projects.storefront}/databases/${databases.storefrontProd}/backups/${backups.beforeMigration}`, `backup ${backups.beforeMigration} not found`],
    ];
    for (const [path, message] of cases) {
      const result = await send('GET', path);
      expect(`${path} ${result.status}`).toBe(`${path} 404`);
      expect(errorOf(result)).toEqual({ code: 'not_found', message });
    }
    const role = await send('DELETE', `${BILLING_PROD}/roles/nobody`);
    expect(role.status).toBe(404);
    expect(errorOf(role)).toEqual({ code: 'not_found', message: 'role nobody not found' });
    const org = await send('POST', '/v1/projects', { org_id: 'org_nothere1', name: 'x' });
    expect(errorOf(org)).toEqual({ code: 'not_found', message: 'organization org_nothere1 not found' });
  });

  test('for an unknown route, with its own code', async () => {
    for (const [method, path] of [['GET', '/v1/clusters'], ['PUT', `${BILLING}`], ['GET', '/v2/me'], ['POST', '/_demo/extend']]) {
      const result = await send(method!, path!);
      expect(`${method} ${path} ${result.status}`).toBe(`${method} ${path} 404`);
      expect(errorOf(result)).toEqual({ code: 'route_not_found', message: `no route for ${method} ${path}` });
    }
  });
});

describe('409', () => {
  test('for a name already used', async () => {
    const project = await send('POST', '/v1/projects', { org_id: orgs.acme, name: 'storefront' });
    expect(project.status).toBe(409);
    expect(errorOf(project)).toEqual({ code: 'name_taken', message: `a project named "storefront" already exists in organization ${orgs.acme}` });
    expect((await send('PATCH', BILLING, { name: 'analytics' })).status).toBe(409);
    expect((await send('POST', `${BILLING}/databases`, { name: 'billing_staging', plan: 'free' })).status).toBe(409);
    expect((await send('POST', `${BILLING_PROD}/roles`, { name: 'readonly' })).status).toBe(409);
    const restore = await send('POST', `${BILLING_PROD}/backups/${backups.beforeMigration}/restore`, { target_database_name: 'billing_staging' });
    expect(restore.status).toBe(409);
    expect(errorOf(restore).code).toBe('name_taken');
  });

  test('but the same project name in another organization is fine', async () => {
    expect((await send('POST', '/v1/projects', { org_id: orgs.acmeLabs, name: 'storefront' })).status).toBe(201);
  });
});
