/**
 * Background work and time: databases provision, update, restore and delete over `settleMs`, backups go from
 * pending to completed, a busy database refuses more work, and the slow endpoint takes `slowMs`. The clock is
 * injected, so nothing here waits except the slow-endpoint test.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createDemoApi, DEFAULT_SLOW_MS, SEED_IDS, type RunningDemoApi } from '../../src/demo';
import { call, errorOf, login, startDemo } from './helpers';

const { projects, databases, backups } = SEED_IDS;
const BILLING = `/v1/projects/${projects.billing}`;
const BILLING_PROD = `${BILLING}/databases/${databases.billingProd}`;
const START = Date.parse('2025-06-01T12:00:00Z');

interface Db {
  id: string;
  status: string;
  size_gb: number;
  updated_at: string;
  postgres_version: number;
  region: string;
}
interface Backup {
  id: string;
  status: string;
  size_bytes: number;
  completed_at: string | null;
  expires_at: string;
}

describe('background work (settleMs 1000, clock moved by hand)', () => {
  let demo: RunningDemoApi;
  let token: string;
  let now = START;
  beforeAll(async () => {
    demo = await startDemo({ settleMs: 1_000, now: () => now });
    token = await login(demo, 'alice');
  });
  afterAll(() => demo.stop());
  const send = (method: string, path: string, body?: unknown) => call(demo, method, path, { token, body });

  test('a new database provisions, refuses changes meanwhile, then is ready', async () => {
    const created = await send('POST', `${BILLING}/databases`, { name: 'ledger', plan: 'pro', size_gb: 30 });
    expect(created.status).toBe(201);
    const db = created.body as Db;
    expect(db).toMatchObject({ status: 'provisioning', region: 'aws-eu-central-1', postgres_version: 17, size_gb: 30 });
    const path = `${BILLING}/databases/${db.id}`;

    const busy = await send('PATCH', path, { size_gb: 40 });
    expect(busy.status).toBe(409);
    expect(errorOf(busy)).toEqual({ code: 'database_busy', message: 'database ledger is provisioning; try again when it is ready' });
    expect((await send('GET', `${path}/query-stats`)).status).toBe(409);

    now += 999;
    expect(((await send('GET', path)).body as Db).status).toBe('provisioning');
    now += 1;
    const ready = (await send('GET', path)).body as Db;
    expect(ready.status).toBe('ready');
    expect(ready.updated_at).toBe('2025-06-01T12:00:01Z');
    expect((await send('GET', `${path}/roles`)).text).toContain('"app_owner"');
  });

  test('an update shows "updating" until it settles; a no-op changes nothing', async () => {
    const updated = await send('PATCH', BILLING_PROD, { size_gb: 200, postgres_version: 17 });
    expect(updated.body as Db).toMatchObject({ status: 'updating', size_gb: 200, postgres_version: 17 });
    expect((await send('GET', `${BILLING}/databases?status=updating`)).text).toContain(databases.billingProd);
    now += 1_000;
    expect(((await send('GET', BILLING_PROD)).body as Db).status).toBe('ready');
    expect(((await send('PATCH', BILLING_PROD, { size_gb: 200 })).body as Db).status).toBe('ready');
  });

  test('a backup is pending, then running, then completed; one at a time', async () => {
    const started = await send('POST', `${BILLING_PROD}/backups`, { label: 'before-upgrade', retention_days: 2 });
    expect(started.status).toBe(202);
    const backup = started.body as Backup;
    expect(backup).toMatchObject({ status: 'pending', size_bytes: 0, completed_at: null });
    expect(Date.parse(backup.expires_at) - now).toBe(2 * 86_400_000);

    const second = await send('POST', `${BILLING_PROD}/backups`);
    expect(second.status).toBe(409);
    expect(errorOf(second).code).toBe('backup_in_progress');
    const early = await send('POST', `${BILLING_PROD}/backups/${backup.id}/restore`);
    expect(early.status).toBe(409);
    expect(errorOf(early).code).toBe('backup_not_completed');

    now += 500;
    expect(((await send('GET', `${BILLING_PROD}/backups/${backup.id}`)).body as Backup).status).toBe('running');
    now += 500;
    const done = (await send('GET', `${BILLING_PROD}/backups/${backup.id}`)).body as Backup;
    expect(done.status).toBe('completed');
    expect(done.size_bytes).toBeGreaterThan(0);
    expect(done.completed_at).not.toBeNull();
    const listed = (await send('GET', `${BILLING_PROD}/backups?kind=manual`)).body as Backup[];
    expect(listed[0]!.id).toBe(backup.id);
  });

  test('a restore in place makes the database "restoring"; into a new name makes a new database', async () => {
    const inPlace = await send('POST', `${BILLING_PROD}/backups/${backups.beforeMigration}/restore`, {});
    expect(inPlace.status).toBe(202);
    expect(inPlace.body).toMatchObject({ kind: 'restore_backup', status: 'running', database_id: databases.billingProd });
    expect(((await send('GET', BILLING_PROD)).body as Db).status).toBe('restoring');
    expect(errorOf(await send('POST', `${BILLING_PROD}/backups/${backups.beforeMigration}/restore`)).code).toBe('database_busy');
    now += 1_000;

    const copy = await send('POST', `${BILLING_PROD}/backups/${backups.beforeMigration}/restore`, { target_database_name: 'billing_copy' });
    expect(copy.status).toBe(202);
    const newId = (copy.body as { database_id: string }).database_id;
    expect(newId).not.toBe(databases.billingProd);
    const restored = (await send('GET', `${BILLING}/databases/${newId}`)).body as Db & { name: string };
    expect(restored).toMatchObject({ name: 'billing_copy', status: 'restoring', size_gb: 200 });
    expect((await send('GET', `${BILLING}/databases/${newId}/roles`)).text).toContain('app_reader');
    now += 1_000;
  });

  test('a deleted database is "deleting", then gone, with its roles and backups', async () => {
    const storefront = `/v1/projects/${projects.storefront}`;
    const path = `${storefront}/databases/${databases.storefrontProd}`;
    const deleted = await send('DELETE', path);
    expect(deleted.status).toBe(202);
    expect(deleted.body).toMatchObject({ kind: 'delete_database', database_id: databases.storefrontProd });
    expect(((await send('GET', path)).body as Db).status).toBe('deleting');
    expect(((await send('GET', storefront)).body as { database_count: number }).database_count).toBe(1);
    now += 1_000;
    expect((await send('GET', path)).status).toBe(404);
    expect((await send('GET', `${path}/backups`)).status).toBe(404);
    expect(((await send('GET', storefront)).body as { database_count: number }).database_count).toBe(0);
    expect((await send('DELETE', storefront)).status).toBe(204);
  });

  test('the token, an hour long, is still good after the seconds the clock moved', async () => {
    expect((await call(demo, 'GET', '/v1/me', { token })).status).toBe(200);
  });
});

describe('metrics and query statistics', () => {
  let demo: RunningDemoApi;
  let token: string;
  beforeAll(async () => {
    demo = await startDemo();
    token = await login(demo, 'carol');
  });
  afterAll(() => demo.stop());

  test('one point per step, aligned, the same every time', async () => {
    const path = `${BILLING_PROD}/metrics?metric=cpu_percent&from=2024-03-06T10:02:00Z&to=2024-03-06T11:00:00Z`;
    const first = (await call(demo, 'GET', path, { token })).body as Array<{ metric: string; timestamp: string; value: number }>;
    expect(first).toHaveLength(11);
    expect(first[0]!.timestamp).toBe('2024-03-06T10:05:00Z');
    expect(first.at(-1)!.timestamp).toBe('2024-03-06T10:55:00Z');
    expect(first.every((point) => point.metric === 'cpu_percent' && point.value >= 0 && point.value <= 100)).toBe(true);
    expect((await call(demo, 'GET', path, { token })).body).toEqual(first);
    const hourly = (await call(demo, 'GET', `${BILLING_PROD}/metrics?metric=connections&from=2024-03-06T00:00:00Z&to=2024-03-07T00:00:00Z&step=1h`, { token })).body as unknown[];
    expect(hourly).toHaveLength(24);
  });

  test('no points from before the database existed', async () => {
    // billing_prod was created at 2024-03-01T12:05:00Z: the first full hour after that is 13:00.
    const path = `${BILLING_PROD}/metrics?metric=iops&from=2024-02-29T12:00:00Z&to=2024-03-01T15:00:00Z&step=1h`;
    const points = (await call(demo, 'GET', path, { token })).body as Array<{ timestamp: string }>;
    expect(points.map((point) => point.timestamp)).toEqual(['2024-03-01T13:00:00Z', '2024-03-01T14:00:00Z']);
  });

  test('query statistics are sorted by order_by, descending, and cut to limit', async () => {
    const stats = (await call(demo, 'GET', `${BILLING_PROD}/query-stats?order_by=calls&limit=5`, { token })).body as Array<{ calls: number }>;
    expect(stats).toHaveLength(5);
    expect(stats.map((stat) => stat.calls)).toEqual(stats.map((stat) => stat.calls).sort((a, b) => b - a));
    const all = (await call(demo, 'GET', `${BILLING_PROD}/query-stats`, { token })).body as Array<{ total_time_ms: number }>;
    expect(all.length).toBeGreaterThan(5);
    expect(all.map((stat) => stat.total_time_ms)).toEqual(all.map((stat) => stat.total_time_ms).sort((a, b) => b - a));
  });
});

describe('the slow endpoint', () => {
  test('takes slowMs; other calls do not', async () => {
    const demo = await startDemo({ slowMs: 300 });
    try {
      const token = await login(demo, 'alice');
      let started = performance.now();
      expect((await call(demo, 'GET', `${BILLING_PROD}/query-stats`, { token })).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      started = performance.now();
      expect((await call(demo, 'GET', BILLING_PROD, { token })).status).toBe(200);
      expect(performance.now() - started).toBeLessThan(250);
    } finally {
      await demo.stop();
    }
  });

  test('takes two seconds by default; bad durations are refused at creation', () => {
    expect(DEFAULT_SLOW_MS).toBe(2_000);
    expect(createDemoApi().options.slowMs).toBe(2_000);
    expect(() => createDemoApi({ slowMs: -1 })).toThrow('demo API option "slowMs" must be a number of ms >= 0, got -1');
    expect(() => createDemoApi({ settleMs: Number.NaN })).toThrow(TypeError);
  });
});
