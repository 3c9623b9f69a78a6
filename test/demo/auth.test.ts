/**
 * Logging in and bearer tokens: POST /v1/auth/login, the same 401 for an unknown user and a wrong password,
 * 401 on every protected operation without a valid token, and tokens that expire.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { SEED_IDS, type RunningDemoApi } from '../../src/demo';
import { call, demoUser, errorOf, login, startDemo, type SwaggerDoc } from './helpers';

let demo: RunningDemoApi;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(() => demo.stop());

describe('POST /v1/auth/login', () => {
  test('returns a random bearer token, its expiry and the user', async () => {
    const alice = demoUser('alice');
    const before = Date.now();
    const first = await call(demo, 'POST', '/v1/auth/login', { body: { email: alice.email, password: alice.password } });
    const second = await call(demo, 'POST', '/v1/auth/login', { body: { email: alice.email, password: alice.password } });
    expect(first.status).toBe(200);
    const body = first.body as { token: string; expires_at: string; user: { id: string; email: string } };
    expect(body.token).toMatch(/^pgh_[\w-]{32}$/);
    expect(body.token).not.toBe((second.body as { token: string }).token);
    expect(body.user).toMatchObject({ id: alice.id, email: alice.email, name: alice.name });
    const expires = Date.parse(body.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 3_600_000 - 1_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3_600_000);
    const me = await call(demo, 'GET', '/v1/me', { token: body.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(body.user);
  });

  test("says the user's highest role in any organization (what an agent may at most be allowed)", async () => {
    const roles = await Promise.all(
      (['alice', 'bob', 'carol'] as const).map(async (name) => {
        const user = demoUser(name);
        const result = await call(demo, 'POST', '/v1/auth/login', { body: { email: user.email, password: user.password } });
        return (result.body as { role?: string }).role;
      }),
    );
    // bob is a developer in acme and a viewer in acme-labs
    expect(roles).toEqual(['owner', 'developer', 'viewer']);
  });

  test('matches the email without regard to case', async () => {
    const result = await call(demo, 'POST', '/v1/auth/login', { body: { email: 'Bob@Example.COM', password: demoUser('bob').password } });
    expect(result.status).toBe(200);
    expect((result.body as { user: { email: string } }).user.email).toBe('bob@example.com');
  });

  test('gives the same 401 for a wrong password and an unknown user', async () => {
    const wrongPassword = await call(demo, 'POST', '/v1/auth/login', { body: { email: 'alice@example.com', password: 'bob-demo-password' } });
    const unknownUser = await call(demo, 'POST', '/v1/auth/login', { body: { email: 'mallory@example.com', password: 'alice-demo-password' } });
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.status).toBe(401);
    expect(unknownUser.text).toBe(wrongPassword.text);
    expect(errorOf(wrongPassword)).toEqual({ code: 'invalid_credentials', message: 'wrong email or password' });
  });

  test('answers 422 naming each bad field', async () => {
    const result = await call(demo, 'POST', '/v1/auth/login', { body: { email: 'not-an-email' } });
    expect(result.status).toBe(422);
    expect(errorOf(result).code).toBe('validation_failed');
    const details = errorOf(result).details!;
    expect(details).toHaveLength(2);
    expect(details).toContainEqual({ field: 'email', message: 'must be an email address' });
    expect(details).toContainEqual({ field: 'password', message: 'is required' });
  });

  test('answers 400 for a body that is not JSON', async () => {
    const result = await call(demo, 'POST', '/v1/auth/login', { body: '{"email":' });
    expect(result.status).toBe(400);
    expect(errorOf(result).code).toBe('bad_request');
  });
});

describe('bearer tokens', () => {
  test('every protected operation answers 401 with httperr.Error and a challenge when no token is sent', async () => {
    const doc = (await (await fetch(demo.specUrl)).json()) as SwaggerDoc & {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const ids: Record<string, string> = {
      orgId: SEED_IDS.orgs.acme,
      projectId: SEED_IDS.projects.billing,
      databaseId: SEED_IDS.databases.billingProd,
      backupId: SEED_IDS.backups.beforeMigration,
      roleName: 'readonly',
    };
    let protectedCount = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (!operation.security) continue;
        protectedCount++;
        const url = doc.basePath + path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name]!);
        const result = await call(demo, method.toUpperCase(), url, { body: method === 'get' || method === 'delete' ? undefined : {} });
        expect(`${method} ${path} ${result.status}`).toBe(`${method} ${path} 401`);
        expect(errorOf(result).code).toBe('unauthorized');
        expect(result.headers.get('www-authenticate')).toStartWith('Bearer realm="pghost"');
        expect(doc.paths[path]![method]!).toHaveProperty(['responses', '401']);
      }
    }
    expect(protectedCount).toBe(23);
  });

  test('a malformed header, an unknown token and a token from another demo API are refused', async () => {
    const other = await startDemo();
    try {
      const foreign = await login(other, 'alice');
      for (const authorization of ['Basic YWxpY2U6eA==', 'Bearer', 'Bearer pgh_unknown', `Bearer ${foreign}`]) {
        const result = await call(demo, 'GET', '/v1/me', { headers: { authorization } });
        expect(result.status).toBe(401);
        expect(errorOf(result).code).toBe('unauthorized');
      }
    } finally {
      await other.stop();
    }
  });

  test('the health check and the document need no token', async () => {
    for (const path of ['/healthz', '/v1/healthz', '/swagger.json']) {
      expect((await call(demo, 'GET', path)).status).toBe(200);
    }
    expect((await call(demo, 'GET', '/v1/healthz')).body).toEqual({ status: 'ok', version: '1.0' });
  });

  test('expire after tokenTtlMs', async () => {
    let now = Date.parse('2025-06-01T12:00:00Z');
    const timed = await startDemo({ tokenTtlMs: 60_000, now: () => now });
    try {
      const result = await call(timed, 'POST', '/v1/auth/login', { body: { email: 'carol@example.com', password: demoUser('carol').password } });
      const { token, expires_at } = result.body as { token: string; expires_at: string };
      expect(expires_at).toBe('2025-06-01T12:01:00Z');
      now += 59_999;
      expect((await call(timed, 'GET', '/v1/me', { token })).status).toBe(200);
      now += 1;
      const expired = await call(timed, 'GET', '/v1/me', { token });
      expect(expired.status).toBe(401);
      expect(errorOf(expired).message).toContain('expired');
      expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');
    } finally {
      await timed.stop();
    }
  });
});
