/**
 * Recording when grants are used (src/store/grant-uses.ts) on a real SQLite file: the first use of a grant is
 * written at once, later ones at most once an interval and together, a graceful close writes what is waiting, and a
 * failed write is tried again rather than lost. What reaches the database is read back through a second store on
 * the same file, as another instance (or the account page on one) would.
 */
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { openStore, type GrantUse, type Store } from '../../src/store';
import { withGrantUses } from '../../src/store/grant-uses';
import { issue, newHash, T0 } from '../../src/store/testing/fixtures';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

/** A store on a fresh file, and every batch handed to its `recordGrantUses` (failing the first `failures` of them). */
async function counted(file: string, failures = 0): Promise<{ store: Store; batches: GrantUse[][] }> {
  const inner = await openStore(file);
  const batches: GrantUse[][] = [];
  let left = failures;
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'recordGrantUses') {
        return async (uses: readonly GrantUse[]) => {
          batches.push([...uses]);
          if (left-- > 0) throw new Error('the database is away');
          await target.recordGrantUses(uses);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, batches };
}

/** The grant's last use as the database holds it, read by another connection. */
async function storedUse(file: string, userId: string): Promise<number | null | undefined> {
  const reader = await openStore(file);
  try {
    return (await reader.listGrantsForUser(userId))[0]?.lastUsedAt;
  } finally {
    await reader.close();
  }
}

test('the first use is written at once; uses within the interval are not, until the interval has passed', async () => {
  const file = join(tempDir(), 'uses.db');
  const { store: inner, batches } = await counted(file);
  const store = withGrantUses(inner, { intervalMs: 1000 });
  try {
    const { grant, access } = await issue(store);
    expect(await storedUse(file, grant.userId)).toBeNull();
    expect(await store.findAccessToken(access.hash, T0)).not.toBeNull();
    await Bun.sleep(20);
    expect(await storedUse(file, grant.userId)).toBe(T0);
    // a thousand calls in the interval: nothing more is written yet
    for (let i = 1; i <= 1000; i++) await store.findAccessToken(access.hash, T0 + i);
    expect(batches).toEqual([[{ grantId: grant.id, at: T0 }]]);
    expect(await storedUse(file, grant.userId)).toBe(T0);
    // the interval passes: the latest of them is written, once
    await Bun.sleep(1100);
    expect(await storedUse(file, grant.userId)).toBe(T0 + 1000);
    expect(batches).toEqual([[{ grantId: grant.id, at: T0 }], [{ grantId: grant.id, at: T0 + 1000 }]]);
  } finally {
    await store.close();
  }
});

test('grants used within one interval are written together, in one batch; a token not found is no use', async () => {
  const file = join(tempDir(), 'batch.db');
  const { store: inner, batches } = await counted(file);
  const store = withGrantUses(inner, { intervalMs: 1000 });
  try {
    const one = await issue(store);
    const two = await issue(store);
    await store.findAccessToken(one.access.hash, T0);
    await store.findAccessToken(two.access.hash, T0);
    expect(await store.findAccessToken(newHash(), T0)).toBeNull();
    await Bun.sleep(20);
    const firstWrites = batches.length;
    await store.findAccessToken(one.access.hash, T0 + 5);
    await store.findAccessToken(two.access.hash, T0 + 6);
    await Bun.sleep(1100);
    const later = batches.slice(firstWrites);
    expect(later).toHaveLength(1);
    expect(later[0]!.sort((a, b) => a.at - b.at)).toEqual([
      { grantId: one.grant.id, at: T0 + 5 },
      { grantId: two.grant.id, at: T0 + 6 },
    ]);
  } finally {
    await store.close();
  }
});

test('closing writes the uses still waiting, so a graceful stop loses none', async () => {
  const file = join(tempDir(), 'close.db');
  const store = withGrantUses(await openStore(file), { intervalMs: 60_000 });
  const { grant, access } = await issue(store);
  await store.findAccessToken(access.hash, T0);
  await store.findAccessToken(access.hash, T0 + 42_000);
  await Bun.sleep(20);
  expect(await storedUse(file, grant.userId)).toBe(T0);
  await store.close();
  expect(await storedUse(file, grant.userId)).toBe(T0 + 42_000);
});

test('a write that fails is reported and tried again at the next interval, not on every call', async () => {
  const file = join(tempDir(), 'retry.db');
  const { store: inner, batches } = await counted(file, 1);
  const errors: [string, number][] = [];
  const store = withGrantUses(inner, { intervalMs: 1000, onError: (error, waiting) => errors.push([(error as Error).message, waiting]) });
  try {
    const { grant, access } = await issue(store);
    await store.findAccessToken(access.hash, T0);
    await Bun.sleep(20);
    expect(errors).toEqual([['the database is away', 1]]);
    for (let i = 1; i <= 100; i++) await store.findAccessToken(access.hash, T0 + i);
    expect(batches).toHaveLength(1);
    await Bun.sleep(1100);
    expect(await storedUse(file, grant.userId)).toBe(T0 + 100);
    expect(batches).toHaveLength(2);
  } finally {
    await store.close();
  }
});

test('an interval that is not above 0 is refused', async () => {
  const store = await openStore(':memory:');
  try {
    expect(() => withGrantUses(store, { intervalMs: 0 })).toThrow('intervalMs must be above 0');
  } finally {
    await store.close();
  }
});
