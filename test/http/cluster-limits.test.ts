/**
 * Rate limits that hold across instances: two gateways on one PostgreSQL count one client together (per address on
 * the OAuth POSTs and /mcp, per token on /mcp), so between them they let through the limit (plus at most the stated
 * overshoot: a tenth of the limit per instance, at least one request), not twice it; without a statement per request;
 * and when the database is out of reach each falls back to limiting on its own, and says so once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startDemoApi, type RunningDemoApi } from '../../src/demo';
import { openStore, type Store } from '../../src/store';
import { overriding } from '../../src/store/overriding';
import { startTestGateway, type TestGateway } from '../fixtures/gateway';
import { fetchFrom } from '../fixtures/from-address';
import { connect, mcpRequest } from '../fixtures/oauth-http';
import { unusedPort, writeSecretFile } from '../fixtures/portico-instance';
import { startPostgres } from '../fixtures/postgres';
import { ALICE, BOB } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

const pg = await startPostgres();
let demo: RunningDemoApi | undefined;
const started: TestGateway[] = [];

afterAll(async () => {
  for (const gateway of started) await gateway.stop();
  await demo?.stop();
  await pg?.close();
  removeTempDirs();
});

const tokenForm = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code' } as const; // no client: 401 invalid_client

/** The overshoot the limits allow (ops/shared-rate-limit): per instance a tenth of the limit, at least one. */
const overshoot = (instances: number, limit: number) => instances * Math.max(1, Math.floor(limit / 10));

/** The statuses of POSTs to /oauth/token of `gateways` (in turn) from `from`, `count` of them sent at once. */
async function burst(gateways: TestGateway[], from: string, count: number): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => fetchFrom(from, `${gateways[i % gateways.length]!.origin}/oauth/token`, tokenForm).then((response) => response.status)));
}

const passed = (statuses: number[]) => statuses.filter((status) => status !== 429).length;

/**
 * The statuses of a flood: `send(40)` at once, then `send(10)` at once every 50 ms until 20 have passed and a whole
 * wave is refused (3 s at most). Beyond its share an instance refuses until its count has come back from the database
 * (a round trip), so a first wave that arrives all in one moment gets only the shares through; the waves after it take
 * the rest of the budget.
 */
async function flood(send: (count: number) => Promise<number[]>): Promise<number[]> {
  const statuses = await send(40);
  for (const until = Date.now() + 3000; Date.now() < until && !(passed(statuses) >= 20 && passed(statuses.slice(-10)) === 0); await Bun.sleep(50)) {
    statuses.push(...(await send(10)));
  }
  return statuses;
}

if (!pg) {
  describe.skip('limits across instances (no PostgreSQL: see test/fixtures/postgres.ts)', () => test('all', () => {}));
} else {
  const fixture = pg;
  let secretFile: string;

  beforeAll(async () => {
    demo = await startDemoApi({ port: 0, tokenTtlMs: 3_600_000 });
    secretFile = await writeSecretFile(join(tempDir(), 'secret.key'));
  });

  /** Two instances behind one public URL on a database of their own; `store` wraps the store each opens. */
  async function pair(env: Record<string, string>, store?: (opened: Store) => Store): Promise<{ a: TestGateway; b: TestGateway; publicUrl: string; url: string }> {
    const url = await fixture.createDatabase();
    const publicUrl = `http://localhost:${await unusedPort()}`;
    const settings = { PORTICO_DATABASE_URL: url, PORTICO_SECRET_FILE: secretFile, PORTICO_PUBLIC_URL: publicUrl, PORTICO_MCP_MODE: 'stateless', PORTICO_LOG_LEVEL: 'info', ...env };
    const open = async () => (store ? store(await openStore(url)) : undefined);
    const a = await startTestGateway(settings, { demo, store: await open() });
    started.push(a);
    const b = await startTestGateway(settings, { demo, store: await open() });
    started.push(b);
    return { a, b, publicUrl, url };
  }

  describe('per address', () => {
    const PER_ADDRESS = { PORTICO_RATE_LIMIT_IP: '20', PORTICO_RATE_LIMIT_LOOPBACK: 'true' };

    test('20 a minute: a flood from one address, split over two instances at once, gets 20 through (within the overshoot), not 40; another address is not affected', async () => {
      const { a, b } = await pair(PER_ADDRESS);
      const statuses = await flood((count) => burst([a, b], '127.0.0.2', count));
      expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
      expect(passed(statuses)).toBeGreaterThanOrEqual(20);
      expect(passed(statuses)).toBeLessThanOrEqual(20 + overshoot(2, 20));
      // the first wave, all in one moment: each instance its share at most before the other has counted it
      expect(passed(statuses.slice(0, 40))).toBeLessThanOrEqual(20 + overshoot(2, 20));

      // nothing is left on either instance
      await Bun.sleep(300);
      expect(await burst([a, b], '127.0.0.2', 4)).toEqual([429, 429, 429, 429]);
      // another client has its own budget, on both (a request a few ms apart: each instance's count comes back between)
      const other: number[] = [];
      for (let i = 0; i < 10; i++, await Bun.sleep(10)) other.push((await burst([[a, b][i % 2]!], '127.0.0.3', 1))[0]!);
      expect(other).toEqual(Array<number>(10).fill(401));
    });

    test('one after the other, alternating between the instances: 20 pass (within the overshoot), then 429 on both', async () => {
      const { a, b } = await pair(PER_ADDRESS);
      const statuses: number[] = [];
      // until the budget is gone: a request beyond an instance's share waits for its count to come back (429), and takes nothing
      const spent = () => passed(statuses) >= 20 && statuses.slice(-6).every((status) => status === 429);
      for (let i = 0; i < 400 && !spent(); i++) statuses.push((await burst([[a, b][i % 2]!], '127.0.0.2', 1))[0]!);
      expect(passed(statuses)).toBeGreaterThanOrEqual(20);
      expect(passed(statuses)).toBeLessThanOrEqual(20 + overshoot(2, 20));
      await Bun.sleep(300);
      for (const gateway of [a, b]) {
        const limited = await fetchFrom('127.0.0.2', `${gateway.origin}/oauth/token`, tokenForm);
        expect(limited.status).toBe(429);
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(1);
      }
    });

    test('a steady flow costs no statement per request: one per interval (200 ms) per instance, and every request is counted', async () => {
      let statements = 0;
      const counting = (store: Store) =>
        overriding(store, {
          spendBuckets: (spends, now) => {
            statements++;
            return store.spendBuckets(spends, now);
          },
        });
      // high enough that nothing is refused, and that a second's requests take seconds to refill (the row stays)
      const { a, b, url } = await pair({ PORTICO_RATE_LIMIT_IP: '20000', PORTICO_RATE_LIMIT_LOOPBACK: 'true' }, counting);
      const started = performance.now();
      let sent = 0;
      while (performance.now() - started < 1000) {
        // 10 at once, 5 to each, then the next 10
        expect(passed(await burst([a, b], '127.0.0.2', 10))).toBe(10);
        sent += 10;
      }
      const seconds = (performance.now() - started) / 1000;
      await Bun.sleep(400); // the last batch goes out
      expect(sent).toBeGreaterThan(100);
      // two instances, 5 intervals a second each, and a little slack for the timers
      expect(statements).toBeLessThanOrEqual(Math.ceil(2 * 5 * seconds) + 4);
      expect(statements).toBeLessThan(sent / 5);
      const check = await openStore(url);
      try {
        // what the database holds is every request of both instances
        expect(await check.peekHits('rate:address:127.0.0.2', Date.now())).toBe(sent);
      } finally {
        await check.close();
      }
    });
  });

  describe('per token', () => {
    test('20 a minute: a flood with one token, split over two instances at once, gets 20 through (within the overshoot), not 40; another user is not affected', async () => {
      const { a, b, publicUrl } = await pair({ PORTICO_RATE_LIMIT_MCP: '20' });
      const alice = await connect(a.origin, publicUrl, ALICE);
      const bob = await connect(b.origin, publicUrl, BOB);
      const send = async (count: number) => (await Promise.all(Array.from({ length: count }, (_, i) => mcpRequest(`${[a, b][i % 2]!.origin}/mcp`, alice.tokens.access_token, 'tools/list')))).map((answer) => answer.status);
      const statuses = await flood(send);
      expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
      expect(passed(statuses)).toBeGreaterThanOrEqual(20);
      expect(passed(statuses)).toBeLessThanOrEqual(20 + overshoot(2, 20));
      await Bun.sleep(300);
      expect((await mcpRequest(`${a.origin}/mcp`, alice.tokens.access_token, 'tools/list')).status).toBe(429);
      expect((await mcpRequest(`${b.origin}/mcp`, alice.tokens.access_token, 'tools/list')).status).toBe(429);
      for (const gateway of [a, b]) expect((await mcpRequest(`${gateway.origin}/mcp`, bob.tokens.access_token, 'tools/list')).status).toBe(200);
    });
  });

  // last: it stops the server the others use
  describe.if(fixture.canRestart)('the database out of reach', () => {
    test('each instance limits on its own (the limit each), says so once, and counts together again once the database is back', async () => {
      const { a, b } = await pair({ PORTICO_RATE_LIMIT_IP: '20', PORTICO_RATE_LIMIT_LOOPBACK: 'true' });
      await fixture.stop();
      try {
        // the token endpoint cannot answer without its store, but the limits go on
        // the first request's count cannot be sent: once that batch has failed (how long a refused connection takes to
        // tell depends on the machine), A limits on its own
        const limitedOnA: number[] = [...(await burst([a], '127.0.0.2', 1))];
        for (const until = Date.now() + 10_000; a.events('ratelimit.shared_unavailable').length === 0 && Date.now() < until; ) await Bun.sleep(20);
        for (let i = 1; i < 25; i++) limitedOnA.push((await burst([a], '127.0.0.2', 1))[0]!);
        expect(limitedOnA.filter((status) => status === 429).length).toBe(5);
        expect(a.events('ratelimit.shared_unavailable')).toHaveLength(1);
        expect(a.events('ratelimit.shared_unavailable')[0]!.level).toBe('warn');
        // B has its own budget meanwhile
        expect((await burst([b], '127.0.0.2', 1))[0]).not.toBe(429);
      } finally {
        await fixture.start();
      }
      // a batch kept from the outage goes through within a retry (a second): the limits are shared again
      const deadline = Date.now() + 5000;
      const restored = () => [a, b].every((gateway) => gateway.events('ratelimit.shared_restored').length > 0);
      while (!restored() && Date.now() < deadline) await Bun.sleep(50);
      for (const gateway of [a, b]) {
        expect(gateway.events('ratelimit.shared_restored')).toHaveLength(1);
        expect(gateway.events('ratelimit.shared_unavailable')).toHaveLength(1);
      }
      expect(passed(await burst([a, b], '127.0.0.5', 40))).toBeLessThanOrEqual(20 + overshoot(2, 20));
    });
  });
}
