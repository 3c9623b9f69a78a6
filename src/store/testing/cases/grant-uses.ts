/**
 * What `/account` and `portico audit` read beside the grants: when each was last used (written in batches, only ever
 * forward), the name its user had, and clients looked up many at a time.
 */
import { describe, expect, test } from 'bun:test';
import type { SuiteContext } from '../conformance';
import { aClient, aGrant, HOUR, issue, MINUTE, T0, uid } from '../fixtures';

export function grantUseCases(ctx: SuiteContext): void {
  describe('grant uses', () => {
    test('a new grant has not been used; a recorded use is read back everywhere the grant is, by another instance too', async () => {
      const store = ctx.store();
      const second = await ctx.second();
      const { grant, access, refresh } = await issue(store, { grant: aGrant({ lastUsedAt: T0 - HOUR }) });
      // a use is the store's to set: what the caller passed with a new grant is not taken
      expect((await store.listGrantsForUser(grant.userId))[0]?.lastUsedAt).toBeNull();
      await store.recordGrantUses([{ grantId: grant.id, at: T0 + MINUTE }]);
      const used = { ...grant, lastUsedAt: T0 + MINUTE };
      expect(await second.listGrantsForUser(grant.userId)).toEqual([used]);
      expect((await second.findAccessToken(access.hash, T0))?.grant).toEqual(used);
      expect((await second.getRefreshToken(refresh.hash))?.grant).toEqual(used);
    });

    test('a use only moves forward: an older one, from an instance that wrote late, changes nothing', async () => {
      const store = ctx.store();
      const { grant } = await issue(store);
      await store.recordGrantUses([{ grantId: grant.id, at: T0 + 2 * MINUTE }]);
      await (await ctx.second()).recordGrantUses([{ grantId: grant.id, at: T0 + MINUTE }]);
      expect((await store.listGrantsForUser(grant.userId))[0]?.lastUsedAt).toBe(T0 + 2 * MINUTE);
    });

    test('one batch: a grant named twice gets the later time, a revoked or unknown grant is skipped, the rest are written', async () => {
      const store = ctx.store();
      const kept = await issue(store);
      const other = await issue(store);
      const revoked = await issue(store);
      await store.revokeGrant(revoked.grant.id);
      await store.recordGrantUses([
        { grantId: kept.grant.id, at: T0 + 3 * MINUTE },
        { grantId: revoked.grant.id, at: T0 + MINUTE },
        { grantId: uid('grant-unknown'), at: T0 + MINUTE },
        { grantId: other.grant.id, at: T0 + MINUTE },
        { grantId: kept.grant.id, at: T0 + MINUTE },
      ]);
      expect((await store.listGrantsForUser(kept.grant.userId))[0]?.lastUsedAt).toBe(T0 + 3 * MINUTE);
      expect((await store.listGrantsForUser(other.grant.userId))[0]?.lastUsedAt).toBe(T0 + MINUTE);
      expect(await store.listGrantsForUser(revoked.grant.userId)).toEqual([]);
      await store.recordGrantUses([]);
    });

    test('instances writing batches over the same grants at once, in opposite orders, all succeed', async () => {
      const store = ctx.store();
      const second = await ctx.second();
      const userId = uid('user');
      const grants = await Promise.all(Array.from({ length: 40 }, () => issue(store, { grant: aGrant({ userId }) })));
      const ids = grants.map(({ grant }) => grant.id);
      const batch = (order: string[], at: number) => order.map((grantId) => ({ grantId, at }));
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : second).recordGrantUses(batch(i % 2 === 0 ? ids : [...ids].reverse(), T0 + i))),
      );
      const listed = await store.listGrantsForUser(userId);
      expect(listed.map((grant) => grant.lastUsedAt)).toEqual(ids.map(() => T0 + 7));
    });

    test("a user's name is the one of their newest grant that has one; users without one are left out", async () => {
      const store = ctx.store();
      const alice = uid('user');
      const bob = uid('user');
      const carol = uid('user');
      await issue(store, { grant: aGrant({ userId: alice, userName: 'alice@old.example', createdAt: T0 }) });
      await issue(store, { grant: aGrant({ userId: alice, userName: 'alice@example.com', createdAt: T0 + 1000 }) });
      // a grant from before names were kept does not hide the name an older one has
      await issue(store, { grant: aGrant({ userId: alice, userName: null, createdAt: T0 + 2000 }) });
      await issue(store, { grant: aGrant({ userId: bob, userName: 'bob@example.com' }) });
      await issue(store, { grant: aGrant({ userId: carol, userName: null }) });
      const names = await (await ctx.second()).listUserNames([alice, bob, carol, uid('nobody'), alice]);
      expect(names.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { userId: alice, name: 'alice@example.com' },
        { userId: bob, name: 'bob@example.com' },
      ]);
      expect(await store.listUserNames([])).toEqual([]);
    });

    test('names of many users and clients come back from one call each', async () => {
      const store = ctx.store();
      const userId = uid('user');
      const client = aClient();
      await store.putClient(client);
      await issue(store, { grant: aGrant({ userId, userName: 'many@example.com', clientId: client.id }) });
      // far more ids than SQLite or PostgreSQL would take as separate parameters
      const unknown = Array.from({ length: 40_000 }, (_, i) => `unknown-${i}`);
      expect(await store.listUserNames([...unknown, userId])).toEqual([{ userId, name: 'many@example.com' }]);
      expect(await store.getClients([...unknown, client.id])).toEqual([client]);
    });

    test('clients are read many at a time, expired ones too; unknown ids are left out', async () => {
      const store = ctx.store();
      const one = aClient();
      const expired = aClient({ expiresAt: T0 - 1 });
      await store.putClient(one);
      await store.putClient(expired);
      const found = await store.getClients([one.id, uid('client-unknown'), expired.id, one.id]);
      expect(found.sort((a, b) => a.id.localeCompare(b.id))).toEqual([one, expired].sort((a, b) => a.id.localeCompare(b.id)));
      expect(await store.getClients([])).toEqual([]);
    });
  });
}
