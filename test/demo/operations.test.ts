/**
 * Every operation of the document the demo API serves is routed and answers as documented: for each one, an
 * authorised request with valid ids gets a documented 2xx whose body fits the documented schema (models are
 * closed, so an undocumented field fails too) and carries the documented headers. Paths are built from the
 * served document's templates, not written by hand.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { SEED_IDS, type RunningDemoApi } from '../../src/demo';
import { call, demoUser, login, responseChecker, startDemo, type SwaggerDoc } from './helpers';

const { orgs, projects, databases, backups } = SEED_IDS;

/** What one operation is called with; functions read ids created by earlier steps. */
interface Step {
  operationId: string;
  params?: Record<string, string | (() => string)>;
  query?: string;
  body?: unknown;
  /** Keep something from the answer for later steps. */
  keep?: (body: unknown) => void;
}

const made: Record<string, string> = {};
const from = (key: string) => () => {
  const value = made[key];
  if (value === undefined) throw new Error(`an earlier step should have made ${key}`);
  return value;
};
const idOf = (key: string) => (body: unknown) => {
  made[key] = (body as { id: string }).id;
};
const billingProd = { projectId: projects.billing, databaseId: databases.billingProd };
const mine = { projectId: from('project'), databaseId: from('database') };

/** In order: later steps delete what earlier ones created. */
const STEPS: Step[] = [
  { operationId: 'healthCheck' },
  { operationId: 'login', body: { email: 'alice@example.com', password: demoUser('alice').password } },
  { operationId: 'getCurrentUser' },
  { operationId: 'listOrganizations' },
  { operationId: 'getOrganization', params: { orgId: orgs.acmeLabs } },
  { operationId: 'listMembers', params: { orgId: orgs.acme }, query: 'role=developer' },
  { operationId: 'listProjects', query: 'per_page=2' },
  { operationId: 'createProject', body: { org_id: orgs.acme, name: 'ops-check', default_region: 'aws-eu-central-1' }, keep: idOf('project') },
  { operationId: 'getProject', params: { projectId: from('project') } },
  { operationId: 'updateProject', params: { projectId: from('project') }, body: { description: 'every operation, once' } },
  { operationId: 'listDatabases', params: { projectId: projects.billing }, query: 'status=ready' },
  { operationId: 'createDatabase', params: { projectId: from('project') }, body: { name: 'ops_db', plan: 'free' }, keep: idOf('database') },
  { operationId: 'getDatabase', params: mine },
  { operationId: 'updateDatabase', params: mine, body: { size_gb: 20, plan: 'starter' } },
  { operationId: 'listBackups', params: billingProd, query: 'kind=manual' },
  { operationId: 'createBackup', params: billingProd, body: { label: 'ops-check', retention_days: 3 }, keep: idOf('backup') },
  { operationId: 'getBackup', params: { ...billingProd, backupId: from('backup') } },
  { operationId: 'restoreBackup', params: { ...billingProd, backupId: backups.beforeMigration }, body: { target_database_name: 'billing_restored' } },
  { operationId: 'getDatabaseMetrics', params: billingProd, query: 'metric=connections&from=2024-03-06T10:00:00Z&to=2024-03-06T12:00:00Z&step=1h' },
  { operationId: 'getQueryStats', params: billingProd, query: 'order_by=calls&limit=3' },
  { operationId: 'listRoles', params: billingProd },
  { operationId: 'createRole', params: mine, body: { name: 'ops_role', member_of: ['app_owner'] } },
  { operationId: 'deleteRole', params: { ...mine, roleName: 'ops_role' } },
  { operationId: 'deleteDatabase', params: mine },
  { operationId: 'deleteProject', params: { projectId: from('project') } },
];

let demo: RunningDemoApi;
let doc: SwaggerDoc;
let token: string;
const operations = new Map<string, { path: string; method: string }>();

beforeAll(async () => {
  demo = await startDemo();
  doc = (await (await fetch(demo.specUrl)).json()) as SwaggerDoc;
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) operations.set(operation.operationId, { path, method });
  }
  token = await login(demo, 'alice');
});
afterAll(() => demo.stop());

describe('every documented operation', () => {
  test('has exactly one step here, and every step is a documented operation', () => {
    expect(operations.size).toBe(25);
    expect(STEPS.map((step) => step.operationId).sort()).toEqual([...operations.keys()].sort());
  });

  test('answers a documented 2xx with a body that fits its schema', async () => {
    const check = responseChecker(doc);
    const failures: string[] = [];
    for (const step of STEPS) {
      const { path, method } = operations.get(step.operationId)!;
      const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
        const value = step.params?.[name];
        if (value === undefined) throw new Error(`${step.operationId}: no value for {${name}}`);
        return encodeURIComponent(typeof value === 'function' ? value() : value);
      });
      const url = `${doc.basePath}${filled}${step.query ? `?${step.query}` : ''}`;
      const result = await call(demo, method.toUpperCase(), url, { token, body: step.body });
      const documented = doc.paths[path]![method]!.responses;
      const success = Object.keys(documented).filter((code) => code.startsWith('2'));
      if (!success.includes(String(result.status))) {
        failures.push(`${step.operationId}: ${method.toUpperCase()} ${url} → ${result.status} ${result.text.slice(0, 200)} (documented ${success.join(', ')})`);
        continue;
      }
      for (const problem of check(path, method, result.status, result.body)) failures.push(`${step.operationId}: ${problem}`);
      for (const header of Object.keys(documented[String(result.status)]!.headers ?? {})) {
        if (!result.headers.has(header)) failures.push(`${step.operationId}: documented header ${header} missing`);
      }
      step.keep?.(result.body);
    }
    expect(failures).toEqual([]);
  });
});

describe('the schema check used above', () => {
  test('refuses an undocumented field, a wrong type and a null where the document allows none', async () => {
    const check = responseChecker(doc);
    const user = (await call(demo, 'GET', '/v1/me', { token })).body as Record<string, unknown>;
    expect(check('/me', 'get', 200, user)).toEqual([]);
    expect(check('/me', 'get', 200, { ...user, password_hash: 'x' }).join()).toContain('additional properties');
    expect(check('/me', 'get', 200, { ...user, id: 7 }).join()).toContain('must be string');
    expect(check('/me', 'get', 200, { ...user, created_at: 'yesterday' }).join()).toContain('date-time');
    expect(check('/orgs/{orgId}', 'get', 200, { id: 'org_1', name: 'x', slug: 'x', created_at: '2024-01-01T00:00:00Z', parent: null })).toEqual([]);
    expect(check('/me', 'get', 200, null)).not.toEqual([]);
    expect(check('/me', 'get', 418, user)).toEqual(['GET /me does not document status 418']);
  });
});
