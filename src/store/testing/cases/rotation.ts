/**
 * Refresh-token rotation and the reuse policy (ATK-04): rotate always; the token just rotated may be presented again
 * within the grace window while its successor is unused; any other reuse deletes the whole grant.
 */
import { describe, expect, test } from 'bun:test';
import type { Store } from '../../contract';
import type { SuiteContext } from '../conformance';
import { aGrant, aRefreshToken, countKinds, DAY, issue, MINUTE, newHash, nextTokens, T0, uid } from '../fixtures';

const GRACE = MINUTE;

/** Presents `hash` at `now` with a fresh successor pair; returns the result and the pair. */
async function rotate(store: Store, hash: string, now: number) {
  const next = nextTokens(now);
  const result = await store.rotateRefreshToken({ hash, now, graceMs: GRACE, next });
  return { result, next };
}

export function rotationCases(ctx: SuiteContext): void {
  describe('refresh token rotation', () => {
    test('a fresh token rotates: it is marked used and its successors are stored', async () => {
      const store = ctx.store();
      const { grant, refresh } = await issue(store);
      const now = T0 + MINUTE;
      const { result, next } = await rotate(store, refresh.hash, now);
      expect(result).toEqual({ kind: 'rotated', grant });
      expect((await store.getRefreshToken(refresh.hash))?.token.usedAt).toBe(now);
      expect(await store.getRefreshToken(next.refresh.hash)).toEqual({
        token: { ...next.refresh, grantId: grant.id, parentHash: refresh.hash, usedAt: null },
        grant,
      });
      expect(await store.findAccessToken(next.access.hash, now)).toEqual({
        token: { ...next.access, grantId: grant.id },
        grant,
      });
    });

    test('an unknown token says unknown and stores nothing', async () => {
      const { result, next } = await rotate(ctx.store(), newHash(), T0);
      expect(result).toEqual({ kind: 'unknown' });
      expect(await ctx.store().findAccessToken(next.access.hash, T0)).toBeNull();
    });

    test('an expired token says expired and changes nothing', async () => {
      const store = ctx.store();
      const { access, refresh } = await issue(store, { refresh: aRefreshToken({ expiresAt: T0 + DAY }) });
      const { result, next } = await rotate(store, refresh.hash, T0 + DAY);
      expect(result).toEqual({ kind: 'expired' });
      expect(await store.findAccessToken(next.access.hash, T0)).toBeNull();
      expect(await store.findAccessToken(access.hash, T0)).not.toBeNull();
      expect((await store.getRefreshToken(refresh.hash))?.token.usedAt).toBeNull();
    });

    test('presented again within the grace window, before its successor is used: grace, another successor', async () => {
      const store = ctx.store();
      const { grant, refresh } = await issue(store);
      const first = await rotate(store, refresh.hash, T0 + MINUTE);
      const retry = await rotate(store, refresh.hash, T0 + MINUTE + GRACE);
      expect(retry.result).toEqual({ kind: 'grace', grant });
      expect((await store.getRefreshToken(retry.next.refresh.hash))?.token.parentHash).toBe(refresh.hash);
      // Both successors work: the client kept one of them.
      expect(await store.findAccessToken(first.next.access.hash, T0 + MINUTE)).not.toBeNull();
      expect(await store.findAccessToken(retry.next.access.hash, T0 + MINUTE)).not.toBeNull();
      expect((await rotate(store, retry.next.refresh.hash, T0 + 2 * MINUTE)).result.kind).toBe('rotated');
    });

    test('presented again after the grace window: reused, and the whole grant is gone', async () => {
      const store = ctx.store();
      const { grant, access, refresh } = await issue(store);
      const first = await rotate(store, refresh.hash, T0 + MINUTE);
      const late = await rotate(store, refresh.hash, T0 + MINUTE + GRACE + 1);
      expect(late.result).toEqual({ kind: 'reused', grantId: grant.id });
      for (const hash of [access.hash, first.next.access.hash, late.next.access.hash]) {
        expect(await store.findAccessToken(hash, T0 + MINUTE)).toBeNull();
      }
      expect(await store.getRefreshToken(first.next.refresh.hash)).toBeNull();
      expect(await store.listGrantsForUser(grant.userId)).toEqual([]);
    });

    test('presented again after its successor was used: reused, and every access token of the grant is gone', async () => {
      const store = ctx.store();
      const userId = uid('user');
      const { grant, access, refresh } = await issue(store, { grant: aGrant({ userId }) });
      const unrelated = await issue(store, { grant: aGrant({ userId }) });
      const one = await rotate(store, refresh.hash, T0 + 1000);
      const two = await rotate(store, one.next.refresh.hash, T0 + 2000);
      expect(two.result.kind).toBe('rotated');
      const replay = await rotate(store, refresh.hash, T0 + 3000);
      expect(replay.result).toEqual({ kind: 'reused', grantId: grant.id });
      for (const hash of [access.hash, one.next.access.hash, two.next.access.hash, replay.next.access.hash]) {
        expect(await store.findAccessToken(hash, T0 + 3000)).toBeNull();
      }
      expect(await store.getRefreshToken(two.next.refresh.hash)).toBeNull();
      // The thief's replay costs this grant only: the user's other grant survives.
      expect(await store.findAccessToken(unrelated.access.hash, T0 + 3000)).not.toBeNull();
      expect(await store.listGrantsForUser(userId)).toEqual([unrelated.grant]);
    });

    test('an older generation presented again: reused', async () => {
      const store = ctx.store();
      const { grant, refresh } = await issue(store);
      const one = await rotate(store, refresh.hash, T0 + 1000);
      const two = await rotate(store, one.next.refresh.hash, T0 + 2000);
      await rotate(store, two.next.refresh.hash, T0 + 3000);
      expect((await rotate(store, refresh.hash, T0 + 3500)).result).toEqual({ kind: 'reused', grantId: grant.id });
    });

    test('after a reuse the successor itself is unknown', async () => {
      const store = ctx.store();
      const { refresh } = await issue(store);
      const one = await rotate(store, refresh.hash, T0 + 1000);
      await rotate(store, one.next.refresh.hash, T0 + 2000);
      await rotate(store, refresh.hash, T0 + 3000);
      expect((await rotate(store, one.next.refresh.hash, T0 + 4000)).result).toEqual({ kind: 'unknown' });
    });

    for (const n of [2, 10]) {
      test(`${n} concurrent rotations of one token: one rotated, the rest grace, never reused`, async () => {
        const store = ctx.store();
        const { refresh } = await issue(store);
        const runs = await Promise.all(Array.from({ length: n }, () => rotate(store, refresh.hash, T0 + MINUTE)));
        expect(countKinds(runs.map((r) => r.result))).toEqual({ rotated: 1, grace: n - 1 });
        for (const run of runs) expect(await store.findAccessToken(run.next.access.hash, T0 + MINUTE)).not.toBeNull();
      });
    }

    test('concurrent rotations from two instances: one rotated, the rest grace', async () => {
      const second = await ctx.second();
      const { refresh } = await issue(ctx.store());
      const runs = await Promise.all(
        Array.from({ length: 10 }, (_, i) => rotate(i % 2 ? second : ctx.store(), refresh.hash, T0 + MINUTE)),
      );
      expect(countKinds(runs.map((r) => r.result))).toEqual({ rotated: 1, grace: 9 });
    });

    test('a retry racing the use of its successor: grace before it, reuse after it, never both alive', async () => {
      const store = ctx.store();
      const { grant, refresh } = await issue(store);
      const one = await rotate(store, refresh.hash, T0 + 1000);
      const [child, parent] = await Promise.all([
        rotate(store, one.next.refresh.hash, T0 + 2000),
        rotate(store, refresh.hash, T0 + 2000),
      ]);
      expect(child.result.kind).toBe('rotated');
      const again = await rotate(store, refresh.hash, T0 + 2500);
      if (parent.result.kind === 'grace') {
        // The retry committed first; now the successor has been used, so the next replay is reuse.
        expect(again.result).toEqual({ kind: 'reused', grantId: grant.id });
      } else {
        expect(parent.result).toEqual({ kind: 'reused', grantId: grant.id });
        expect(again.result).toEqual({ kind: 'unknown' });
      }
    });
  });
}
