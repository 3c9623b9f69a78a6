/**
 * The PostgreSQL backend: the conformance suite on a private throwaway server (test/fixtures/postgres.ts), plus what
 * only a networked store has to get right: outages, reconnection, and messages that never show the password.
 */
import { SQL } from 'bun';
import { afterAll, describe, expect, test } from 'bun:test';
import { createServer } from 'node:net';
import { openStore, StoreUnavailableError } from '../../src/store';
import type { Store } from '../../src/store';
import { migrate } from '../../src/store/postgres/migrations';
import { storeConformance } from '../../src/store/testing/conformance';
import { aClient, anAccessToken, aRefreshToken, issue, T0 } from '../../src/store/testing/fixtures';
import { startPostgres } from '../fixtures/postgres';

const pg = await startPostgres();
afterAll(async () => {
  await pg?.close();
});

/** What a caller sees when a call fails: the error and how long it took. */
async function failure(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await call().then(
    () => null,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

/** Every text of an error a log line could show: message, stack, and its causes'. */
function allText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message, e.stack ?? '');
  return parts.join('\n');
}

/** A port with nothing listening on it. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

if (!pg) {
  describe.skip('postgres store (no PostgreSQL: see the note above)', () => {
    test('conformance', () => {});
  });
} else {
  const fixture = pg;
  storeConformance('postgres store', () => openStore(fixture.url, { poolSize: 4 }), {
    freshDatabase: async () => {
      const url = await fixture.createDatabase();
      return {
        open: () => openStore(url, { poolSize: 2 }),
        exec: async (statement) => {
          const sql = new SQL(url, { max: 1 });
          try {
            await sql.unsafe(statement);
          } finally {
            await sql.close();
          }
        },
        migrateTo: async (version) => {
          const sql = new SQL(url, { max: 1 });
          try {
            await migrate(sql, url, version);
          } finally {
            await sql.close();
          }
        },
        dispose: async () => {},
      };
    },
  });

  describe('postgres backend', () => {
    test('BIGINT times come back as numbers', async () => {
      const store = await openStore(fixture.url);
      try {
        const client = aClient({ createdAt: 1_800_000_000_123, expiresAt: 1_900_000_000_456 });
        await store.putClient(client);
        const read = await store.getClient(client.id);
        expect(typeof read?.createdAt).toBe('number');
        expect(read).toEqual(client);
      } finally {
        await store.close();
      }
    });

    test('the database named in the URL wins over PGDATABASE in the environment', async () => {
      const saved = process.env.PGDATABASE;
      process.env.PGDATABASE = 'postgres';
      const client = aClient();
      try {
        const store = await openStore(fixture.url);
        await store.putClient(client);
        await store.close();
      } finally {
        if (saved === undefined) delete process.env.PGDATABASE;
        else process.env.PGDATABASE = saved;
      }
      const store = await openStore(fixture.url);
      expect(await store.getClient(client.id)).toEqual(client);
      await store.close();
    });

    test.skipIf(!fixture.canRestart)(
      'server stopped: calls fail fast with StoreUnavailableError; started again: the same store works',
      async () => {
        const store: Store = await openStore(fixture.url, { connectTimeoutSeconds: 3 });
        try {
          const client = aClient();
          await store.putClient(client);
          await fixture.stop();
          try {
            for (const call of [() => store.ping(), () => store.getClient(client.id), () => store.ping()]) {
              const { error, ms } = await failure(call);
              expect(error).toBeInstanceOf(StoreUnavailableError);
              expect(ms).toBeLessThan(4000);
              const message = (error as Error).message;
              expect(message).toMatch(/^PostgreSQL at 127\.0\.0\.1:\d+ is unreachable \(/);
              expect(message).toContain('PORTICO_DATABASE_URL=postgres://portico_test:***@127.0.0.1:');
              expect(allText(error)).not.toContain(fixture.password);
            }
          } finally {
            await fixture.start();
          }
          await store.ping();
          expect(await store.getClient(client.id)).toEqual(client);
          const other = aClient();
          await store.putClient(other);
          expect(await store.getClient(other.id)).toEqual(other);
        } finally {
          await store.close();
        }
      },
    );

    test.skipIf(!fixture.canRestart)(
      'restarted while the instance was busy: reads and upserts go through at once, on fresh connections',
      async () => {
        const store = await openStore(fixture.url, { poolSize: 5 });
        try {
          const { access } = await issue(store);
          // Fill the pool, so that every pooled connection is one the restart kills.
          await Promise.all(Array.from({ length: 10 }, () => store.findAccessToken(access.hash, T0)));
          fixture.restartWhileBusy();
          expect(await store.findAccessToken(access.hash, T0)).not.toBeNull();
          await store.putSnapshot('after-restart', 'value', T0);
          const client = aClient();
          await store.putClient(client);
          expect(await store.getClient(client.id)).toEqual(client);
        } finally {
          await store.close();
        }
      },
    );

    test('one sweep pass at a time across instances: while one holds the lock the others skip it, then the next one wins', async () => {
      const url = await fixture.createDatabase();
      const [a, b] = await Promise.all([openStore(url, { poolSize: 2 }), openStore(url, { poolSize: 2 })]);
      try {
        const { grant } = await issue(a, { access: anAccessToken({ expiresAt: T0 - 1 }), refresh: aRefreshToken({ expiresAt: T0 - 1 }) });
        let entered!: () => void;
        let release!: () => void;
        const inside = new Promise<void>((resolve) => (entered = resolve));
        const held = new Promise<void>((resolve) => (release = resolve));
        const first = a.sweepExclusively(async (sweep) => {
          entered();
          await held;
          return sweep(T0, { batch: 10 });
        });
        await inside;
        expect(await b.sweepExclusively(async () => 'b swept')).toBeNull();
        expect(await a.sweepExclusively(async () => 'a swept twice')).toBeNull();
        // requests go on meanwhile: the pass holds one connection of the pool, not the database
        expect(await b.listGrantsForUser(grant.userId)).toHaveLength(1);
        release();
        expect(await first).toMatchObject({ accessTokens: 1, refreshTokens: 1, grants: 1 });
        expect(await b.sweepExclusively(async () => 'b swept')).toBe('b swept');
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('a pass on a pool of one connection runs its batches on the connection holding the lock, and frees it after', async () => {
      const store = await openStore(await fixture.createDatabase(), { poolSize: 1 });
      try {
        const { grant } = await issue(store, { access: anAccessToken({ expiresAt: T0 - 1 }), refresh: aRefreshToken({ expiresAt: T0 - 1 }) });
        expect(await store.sweepExclusively((sweep) => sweep(T0, { batch: 10 }))).toMatchObject({ accessTokens: 1, refreshTokens: 1, grants: 1 });
        expect(await store.listGrantsForUser(grant.userId)).toEqual([]);
        expect(await store.sweepExclusively(async () => 'again')).toBe('again');
      } finally {
        await store.close();
      }
    });

    test('the lock goes with its connection: a pass whose connection is killed fails, and another instance sweeps next', async () => {
      const url = await fixture.createDatabase();
      const [a, b] = await Promise.all([openStore(url, { poolSize: 2 }), openStore(url, { poolSize: 2 })]);
      const admin = new SQL(url, { max: 1 });
      try {
        const failed = await a
          .sweepExclusively(async (sweep) => {
            // the sweep lock is advisory lock (0x73, 0x77656570): the two halves of "sweep" in ASCII
            await admin`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = ${0x73} AND objid = ${0x77656570} AND objsubid = 1`;
            return sweep(T0, { batch: 10 });
          })
          .catch((e: unknown) => e);
        expect(failed).toBeInstanceOf(StoreUnavailableError);
        expect(await b.sweepExclusively(async () => 'b swept')).toBe('b swept');
        // and the instance whose connection died sweeps again on a fresh one
        expect(await a.sweepExclusively(async () => 'a swept')).toBe('a swept');
      } finally {
        await admin.close();
        await a.close();
        await b.close();
      }
    });

    test('nothing listening: opening fails fast with "connection refused" and no password', async () => {
      const port = await closedPort();
      const { error, ms } = await failure(() => openStore(`postgres://someone:s3cr3t-pw@127.0.0.1:${port}/portico`));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeLessThan(4000);
      expect((error as Error).message).toBe(
        `PostgreSQL at 127.0.0.1:${port} is unreachable (connection refused or host not found): is it running, and ` +
          `are the host and port right? PORTICO_DATABASE_URL=postgres://someone:***@127.0.0.1:${port}/portico`,
      );
      expect(allText(error)).not.toContain('s3cr3t-pw');
    });

    test('a wrong password: the login is refused, and the message does not repeat it', async () => {
      const url = new URL(fixture.url);
      url.password = 'definitely-wrong-pw';
      const { error } = await failure(() => openStore(url.toString()));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toContain('refused the login (password authentication failed');
      expect(allText(error)).not.toContain('definitely-wrong-pw');
    });

    test('a missing database: the message says so and how to create it', async () => {
      const url = new URL(fixture.url);
      url.pathname = '/no_such_database';
      const { error } = await failure(() => openStore(url.toString()));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toContain('has no such database');
      expect((error as Error).message).toContain('createdb no_such_database');
      expect(allText(error)).not.toContain(fixture.password);
    });
  });
}
