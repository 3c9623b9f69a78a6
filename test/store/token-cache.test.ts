/**
 * The access-token cache (src/store/token-cache.ts) on SQLite: two connections to one file (two processes, as
 * far as SQLite can tell), each with its own cache. A revocation through one is refused by it at once; the
 * other forgets what it kept once SQLite's `data_version` says another connection committed, within
 * FOREIGN_COMMIT_POLL_MS, long before the cache's age limit — whether the revocation came through a store or
 * a plain SQL statement.
 *
 * Then on real PostgreSQL: two instances, each with its own cache,
 * on one database. A revocation through either — of a grant, a token, a client, a user's grant, or a reused
 * refresh token — is refused by that one at once and by the other as soon as PostgreSQL's announcement
 * arrives; an announcement missed while the watch
 * reconnects is made up for by forgetting everything; a token deleted behind the store's back is trusted no
 * longer than the cache's age limit.
 */
import { SQL } from 'bun';
import { Database } from 'bun:sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'bun:test';
import { openStore, type AccessTokenRecord, type Revocation, type Store, type TokenWithGrant } from '../../src/store';
import { aClient, aGrant, issue, type Issued, nextTokens, T0, uid } from '../../src/store/testing/fixtures';
import { overriding } from '../../src/store/overriding';
import { FOREIGN_COMMIT_POLL_MS } from '../../src/store/sqlite';
import { withTokenCache } from '../../src/store/token-cache';
import { startPostgres } from '../fixtures/postgres';

const pg = await startPostgres();
afterAll(async () => {
  await pg?.close();
});

/** Waits until `check` holds (polling every 5 ms), at most `ms`; how long it took, or -1. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (await check()) return performance.now() - started;
    await Bun.sleep(5);
  }
  return -1;
}

/** Every way a store revokes an access token, each made through `by`. */
const revocations: [string, (issued: Issued, by: Store) => Promise<unknown>][] = [
  ['revokeGrant', ({ grant }, by) => by.revokeGrant(grant.id)],
  ['deleteAccessToken', ({ access }, by) => by.deleteAccessToken(access.hash)],
  ['revokeGrantOfUser', ({ grant }, by) => by.revokeGrantOfUser(grant.userId, grant.id)],
  ['deleteClient', ({ grant }, by) => by.deleteClient(grant.clientId)],
  [
    'a reused refresh token',
    async ({ refresh }, by) => {
      await by.rotateRefreshToken({ hash: refresh.hash, now: T0, graceMs: 0, next: nextTokens(T0), successor: 'sealed-successor' });
      const reused = await by.rotateRefreshToken({ hash: refresh.hash, now: T0 + 1, graceMs: 0, next: nextTokens(T0 + 1), successor: 'sealed-other' });
      expect(reused.kind).toBe('reused');
    },
  ],
];

/**
 * A token both caches hold, revoked through `b` by `revoke`: `b` refuses it at once (its own revocation), `a` within
 * `boundMs` (told by the database).
 */
async function revokedOnBoth(a: Store, b: Store, revoke: (issued: Issued, by: Store) => Promise<unknown>, boundMs: number): Promise<void> {
  const client = aClient();
  await a.putClient(client);
  const issued = await issue(a, { grant: aGrant({ clientId: client.id }) });
  expect(await a.findAccessToken(issued.access.hash, T0)).not.toBeNull();
  expect(await b.findAccessToken(issued.access.hash, T0)).not.toBeNull();
  await revoke(issued, b);
  expect(await b.findAccessToken(issued.access.hash, T0)).toBeNull();
  expect(await within(boundMs, async () => (await a.findAccessToken(issued.access.hash, T0)) === null)).toBeGreaterThanOrEqual(0);
}

if (!pg) {
  describe.skip('token cache (no PostgreSQL)', () => test('all', () => {}));
} else {
  const fixture = pg;
  const opened: Store[] = [];
  const cachedStore = async (maxAgeMs = 10_000) => {
    const store = await withTokenCache(await openStore(fixture.url, { poolSize: 2 }), { maxAgeMs });
    opened.push(store);
    return store;
  };
  const raw = new SQL(fixture.url, { max: 1 });
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    await raw.close();
  });

  describe('two instances with a token cache on one PostgreSQL', async () => {
    const a = await cachedStore();
    const b = await cachedStore();

    test('answers from memory: a token deleted behind the store is still trusted, but no longer than the age limit', async () => {
      const short = await cachedStore(300);
      const { access } = await issue(short);
      expect(await short.findAccessToken(access.hash, T0)).not.toBeNull();
      await raw`DELETE FROM access_tokens WHERE hash = ${access.hash}`;
      expect(await short.findAccessToken(access.hash, T0)).not.toBeNull();
      expect(await within(2000, async () => (await short.findAccessToken(access.hash, T0)) === null)).toBeGreaterThanOrEqual(0);
    });

    test('an expired token is refused from memory too', async () => {
      const { access } = await issue(a);
      expect(await a.findAccessToken(access.hash, T0)).not.toBeNull();
      expect(await a.findAccessToken(access.hash, access.expiresAt)).toBeNull();
    });

    // the revocation returned once PostgreSQL had sent the announcement to every watcher, itself included: the other
    // instance reads it from its own connection within the same moment (typically well under a millisecond; the
    // bound here only keeps a loaded test machine from failing the run)
    test.each(revocations)('%s through one instance: the first refuses the token at once, the other as soon as the announcement arrives', (_name, revoke) =>
      revokedOnBoth(a, b, revoke, 250),
    );

    test('a lost watch connection: everything is forgotten once it is back, so nothing revoked meanwhile is trusted', async () => {
      const { access } = await issue(a);
      expect(await a.findAccessToken(access.hash, T0)).not.toBeNull();
      // the watch connections go away (a network drop, a failover) and a revocation happens while they are gone
      await raw`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`;
      await raw`DELETE FROM access_tokens WHERE hash = ${access.hash}`;
      const tookMs = await within(5000, async () => (await a.findAccessToken(access.hash, T0)) === null);
      expect(tookMs).toBeGreaterThanOrEqual(0);
      // and the watch works again
      const other = await issue(a);
      expect(await a.findAccessToken(other.access.hash, T0)).not.toBeNull();
      await b.revokeGrant(other.grant.id);
      expect(await within(1000, async () => (await a.findAccessToken(other.access.hash, T0)) === null)).toBeGreaterThanOrEqual(0);
    });
  });

  test('a lookup that read the database before a revocation arrived is not kept', async () => {
    // the interleaving (a read in flight while the announcement arrives) cannot be forced on a real server:
    // a store that answers when told to, and announces when told to, plays it out
    let announce: (revocation: Revocation) => void = () => {};
    let answer: (found: TokenWithGrant<AccessTokenRecord>) => void = () => {};
    let reads = 0;
    const found = { token: { hash: 'h', grantId: 'g', scopes: ['read'], expiresAt: T0 + 60_000, createdAt: T0 }, grant: { ...aGrant(), id: 'g' } } as TokenWithGrant<AccessTokenRecord>;
    const slow = {
      findAccessToken: () => {
        reads++;
        return new Promise<TokenWithGrant<AccessTokenRecord>>((resolve) => (answer = resolve));
      },
      watchRevocations: async (listener: (revocation: Revocation) => void) => {
        announce = listener;
        return async () => {};
      },
    } as unknown as Store;
    const cached = await withTokenCache(slow, { maxAgeMs: 60_000 });
    const first = cached.findAccessToken('h', T0);
    announce({ kind: 'grant', id: uid('other') });
    answer(found);
    expect(await first).toBe(found);
    const second = cached.findAccessToken('h', T0);
    expect(reads).toBe(2);
    answer(found);
    await second;
    expect(await cached.findAccessToken('h', T0)).toBe(found);
    expect(reads).toBe(2);
  });
}

describe('two connections with a token cache on one SQLite file', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'portico-token-cache-'));
  const file = join(folder, 'portico.db');
  // an age limit far beyond every bound checked here: what is seen comes from the revocation, not the age
  const a = await withTokenCache(await openStore(file), { maxAgeMs: 60_000 });
  const b = await withTokenCache(await openStore(file), { maxAgeMs: 60_000 });
  const shell = new Database(file);
  afterAll(async () => {
    shell.close();
    await Promise.all([a.close(), b.close()]);
    rmSync(folder, { recursive: true, force: true });
  });

  // FOREIGN_COMMIT_POLL_MS is 50: the margin is for a loaded machine, and still far below the 60 s age limit
  test.each(revocations)('%s through one: it refuses the token at once, the other within the poll', (_name, revoke) => revokedOnBoth(a, b, revoke, 1000));

  test('a token deleted with plain SQL by another process is refused within the poll, not the age limit', async () => {
    const { access } = await issue(a);
    expect(await a.findAccessToken(access.hash, T0)).not.toBeNull();
    shell.run('DELETE FROM access_tokens WHERE hash = ?', [access.hash]);
    expect(await within(1000, async () => (await a.findAccessToken(access.hash, T0)) === null)).toBeGreaterThanOrEqual(0);
  });

  test('answers from memory while nothing else commits on the file: the database is read once', async () => {
    const inner = await openStore(file);
    let reads = 0;
    const counted = await withTokenCache(
      overriding(inner, {
        findAccessToken: (hash, now) => {
          reads++;
          return inner.findAccessToken(hash, now);
        },
      }),
      { maxAgeMs: 60_000 },
    );
    try {
      const { access } = await issue(a);
      // let the poll see that commit (by another connection) first: then nothing else commits on the file
      await Bun.sleep(FOREIGN_COMMIT_POLL_MS * 3);
      for (let i = 0; i < 5; i++) expect(await counted.findAccessToken(access.hash, T0)).not.toBeNull();
      expect(reads).toBe(1);
      // another connection commits (anything at all): everything is forgotten, and the next lookup reads again
      await issue(b);
      const readAgain = async () => {
        await counted.findAccessToken(access.hash, T0);
        return reads > 1;
      };
      expect(await within(1000, readAgain)).toBeGreaterThanOrEqual(0);
    } finally {
      await counted.close();
    }
  });
});
