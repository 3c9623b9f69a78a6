/**
 * The store's housekeeping: a gateway with a short PORTICO_SWEEP_MINUTES deletes, over real HTTP sign-ins, the tokens
 * and grant that expired and the audit entries past their retention, leaves what is live working, and counts it in
 * /metrics; the scheduler sweeps in batches with pauses that let other work in, survives a failing store, stops
 * between two batches when closed, and never keeps the process alive.
 */
import { Database } from 'bun:sqlite';
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { Housekeeping } from '../../src/gateway/housekeeping';
import { createLogger } from '../../src/log';
import { GatewayMetrics } from '../../src/ops/gateway-metrics';
import { openStore, type Store, type Sweep } from '../../src/store';
import { anAccessToken, aRefreshToken, issue } from '../../src/store/testing/fixtures';
import { sample } from '../http/gateway';
import { connect, emailOf, whoAmI } from '../fixtures/oauth-http';
import { ALICE, BOB, startSignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

const DAY = 24 * 60 * 60 * 1000;

/** Polls `check` every 20 ms for up to `ms`; its last answer. */
async function until<T>(check: () => T | Promise<T>, ms = 5000): Promise<T> {
  let value = await check();
  for (const deadline = Date.now() + ms; !value && Date.now() < deadline; value = await check()) await Bun.sleep(20);
  return value;
}

/** The log lines of `event`, parsed. */
function events(lines: readonly string[], event: string): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === event);
}

test('a gateway sweeps what expired of real sign-ins and audit entries past 90 days, keeps what is live, and counts it in /metrics', async () => {
  // 0.005 minutes: a pass every 300 ms or so
  const gw = await startSignedInGateway({ PORTICO_SWEEP_MINUTES: '0.005', PORTICO_MCP_MODE: 'stateless' });
  const checks = await gw.openStore();
  try {
    const publicUrl = new URL(gw.mcpUrl).origin;
    const alice = await connect(gw.origin, publicUrl, ALICE);
    const bob = await connect(gw.origin, publicUrl, BOB);
    expect(emailOf(await whoAmI(gw.mcpUrl, alice.tokens.access_token))).toBe(ALICE.email);

    // Alice's tokens expire (the shortest lifetime a setting allows is a minute: the rows are aged instead)
    const db = new Database(gw.databasePath);
    try {
      for (const table of ['access_tokens', 'refresh_tokens']) {
        db.run(`UPDATE ${table} SET expires_at = 1 WHERE grant_id IN (SELECT id FROM grants WHERE user_name = ?)`, [ALICE.email]);
      }
    } finally {
      db.close();
    }
    const entry = { userId: 'user-audited', clientId: 'client-audited', tool: 'list_projects', outcome: 'ok', upstreamStatus: 200, latencyMs: 3, detail: null };
    await checks.appendAudits([
      { ...entry, at: Date.now() - 91 * DAY },
      { ...entry, at: Date.now() - 89 * DAY },
    ]);

    const metrics = async () => (await fetch(`${gw.origin}/metrics`)).text();
    const swept = (text: string, kind: string) => sample(text, 'portico_store_swept_rows_total', `kind="${kind}"`);
    const text = await until(async () => {
      const scraped = await metrics();
      return swept(scraped, 'grants') === 1 && swept(scraped, 'audit_entries') === 1 ? scraped : undefined;
    });
    expect(text).toBeDefined();
    expect(Object.fromEntries(['access_tokens', 'refresh_tokens', 'grants', 'audit_entries', 'codes'].map((kind) => [kind, swept(text!, kind)]))).toEqual({
      access_tokens: 1,
      refresh_tokens: 1,
      grants: 1,
      audit_entries: 1,
      // used codes are kept a day past their expiry, so that a replay is still recognised
      codes: 0,
    });
    const pass = events(gw.logs, 'store.swept').find((line) => line.grants === 1);
    expect(pass).toMatchObject({ level: 'info', accessTokens: 1, refreshTokens: 1, grants: 1, auditEntries: 1, batches: 1, finished: true });
    expect(events(gw.logs, 'store.sweep_failed')).toEqual([]);

    // Alice's grant is gone; Bob's, live, goes on working, and so do the audit entries within the retention. Her token
    // was checked before its rows were aged from another connection: the gateway's token cache learns of that commit
    // within FOREIGN_COMMIT_POLL_MS (test/store/token-cache.test.ts holds it to that), and a pass can end sooner
    expect(await until(async () => (await whoAmI(gw.mcpUrl, alice.tokens.access_token)).status === 401, 2000)).toBe(true);
    expect(emailOf(await whoAmI(gw.mcpUrl, bob.tokens.access_token))).toBe(BOB.email);
    expect((await checks.queryAudit({ userId: 'user-audited', limit: 10 })).map((kept) => kept.at)).toEqual([expect.any(Number)]);
    expect((await checks.queryAudit({ userId: 'user-audited', limit: 10 }))[0]!.at).toBeGreaterThan(Date.now() - 90 * DAY);
  } finally {
    await checks.close();
    await gw.stop();
  }
});

test('PORTICO_SWEEP_MINUTES=0: no pass, and the counter is still exported (at 0)', async () => {
  const gw = await startSignedInGateway({ PORTICO_SWEEP_MINUTES: '0' });
  try {
    const text = await (await fetch(`${gw.origin}/metrics`)).text();
    expect(sample(text, 'portico_store_swept_rows_total', 'kind="access_tokens"')).toBe(0);
    expect(events(gw.logs, 'store.swept')).toEqual([]);
  } finally {
    await gw.stop();
  }
});

/** `store`, telling `onBatch` about every batch a pass runs (after it ran). */
function observed(store: Store, onBatch: (batch: number) => void): Store {
  let batches = 0;
  const sweepExclusively: Store['sweepExclusively'] = (pass) =>
    store.sweepExclusively((sweep) => {
      const counted: Sweep = async (now, options) => {
        const result = await sweep(now, options);
        onBatch(++batches);
        return result;
      };
      return pass(counted);
    });
  return new Proxy(store, {
    get(target, property) {
      if (property === 'sweepExclusively') return sweepExclusively;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A store on a new SQLite file holding `grants` grants whose tokens have expired. */
async function storeWithExpired(grants: number): Promise<Store> {
  const store = await openStore(join(tempDir(), 'portico.db'));
  const past = Date.now() - 1000;
  for (let i = 0; i < grants; i++) await issue(store, { access: anAccessToken({ expiresAt: past }), refresh: aRefreshToken({ expiresAt: past }) });
  return store;
}

test('a pass sweeps batch after batch until none is left, other work runs between batches, and one line says what went', async () => {
  const store = await storeWithExpired(25);
  const lines: string[] = [];
  const order: string[] = [];
  const metrics = new GatewayMetrics();
  const housekeeping = new Housekeeping(
    observed(store, (batch) => {
      order.push(`batch ${batch}`);
      // due at once: it runs in the pause after this batch, before the next one
      if (batch === 1) setTimeout(() => order.push('other work'), 0);
    }),
    { intervalMs: 50, batch: 10, log: createLogger('debug', (line) => void lines.push(line)), events: metrics },
  );
  try {
    const [pass] = (await until(() => (events(lines, 'store.swept').length > 0 ? events(lines, 'store.swept') : undefined))) ?? [];
    // 25 of each token kind at 10 a batch: 10, 10, 5
    expect(pass).toMatchObject({ accessTokens: 25, refreshTokens: 25, grants: 25, batches: 3, finished: true });
    expect(order.slice(0, 4)).toEqual(['batch 1', 'other work', 'batch 2', 'batch 3']);
    expect(sample(metrics.render(), 'portico_store_swept_rows_total', 'kind="refresh_tokens"')).toBe(25);
    expect(sample(metrics.render(), 'portico_store_swept_rows_total', 'kind="audit_entries"')).toBe(0);
  } finally {
    await housekeeping.close();
    await store.close();
  }
});

test('closing stops a pass between two batches and waits for the one running; no pass comes after', async () => {
  const store = await storeWithExpired(30);
  const lines: string[] = [];
  let closing: Promise<void> | undefined;
  let housekeeping: Housekeeping | undefined;
  const batches: number[] = [];
  housekeeping = new Housekeeping(
    observed(store, (batch) => {
      batches.push(batch);
      if (batch === 1) closing = housekeeping!.close();
    }),
    { intervalMs: 20, batch: 10, log: createLogger('debug', (line) => void lines.push(line)), events: new GatewayMetrics() },
  );
  try {
    await until(() => closing !== undefined);
    await closing;
    expect(batches).toEqual([1]);
    expect(events(lines, 'store.swept')).toEqual([expect.objectContaining({ accessTokens: 10, batches: 1, finished: false })]);
    await Bun.sleep(100);
    expect(batches).toEqual([1]);
  } finally {
    await housekeeping.close();
    await store.close();
  }
});

test('a store that fails: store.sweep_failed is logged, nothing is thrown, and the next pass tries again', async () => {
  const store = await openStore(join(tempDir(), 'portico.db'));
  await store.close();
  const lines: string[] = [];
  const housekeeping = new Housekeeping(store, { intervalMs: 20, log: createLogger('debug', (line) => void lines.push(line)), events: new GatewayMetrics() });
  try {
    const failures = await until(() => (events(lines, 'store.sweep_failed').length >= 2 ? events(lines, 'store.sweep_failed') : undefined));
    expect(failures?.[0]).toMatchObject({ level: 'warn', reason: expect.stringContaining('is closed'), batches: 0 });
  } finally {
    await housekeeping.close();
  }
});

test('settings it cannot mean are refused with what was given', async () => {
  const store = await openStore(':memory:');
  const options = { log: createLogger('error', () => {}), events: new GatewayMetrics() };
  try {
    expect(() => new Housekeeping(store, { ...options, intervalMs: 0 })).toThrow('intervalMs must be above 0 and at most 2147483647, got 0');
    expect(() => new Housekeeping(store, { ...options, intervalMs: 1000, batch: 0.5 })).toThrow('batch must be a positive integer, got 0.5');
    expect(() => new Housekeeping(store, { ...options, intervalMs: 1000, auditRetentionMs: 0 })).toThrow('auditRetentionMs must be above 0');
  } finally {
    await store.close();
  }
});

test('its timer does not keep the process alive', async () => {
  const script = `
    import { Housekeeping } from ${JSON.stringify(join(import.meta.dir, '../../src/gateway/housekeeping'))};
    import { openStore } from ${JSON.stringify(join(import.meta.dir, '../../src/store'))};
    import { NO_EVENTS } from ${JSON.stringify(join(import.meta.dir, '../../src/ops/events'))};
    import { silentLogger } from ${JSON.stringify(join(import.meta.dir, '../../src/log'))};
    new Housekeeping(await openStore(':memory:'), { intervalMs: 60_000, log: silentLogger, events: NO_EVENTS });
  `;
  const file = join(tempDir(), 'never-closed.ts');
  await Bun.write(file, script);
  const child = Bun.spawn([process.execPath, file], { stderr: 'pipe' });
  const exited = await Promise.race([child.exited, Bun.sleep(10_000).then(() => 'still running')]);
  if (exited === 'still running') child.kill();
  expect({ exited, stderr: await new Response(child.stderr).text() }).toEqual({ exited: 0, stderr: '' });
});
