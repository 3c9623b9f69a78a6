/**
 * Refresh-token rotation and the reuse policy (ATK-04): rotate always; the token just rotated may be presented again
 * within the grace window while its successor is unused, and is then answered with that same successor (kept sealed
 * at the rotation), so retries never fork the grant into several chains; any other reuse deletes the whole grant.
 */
import { describe, expect, test } from 'bun:test';
import type { Store } from '../../contract';
import type { SuiteContext } from '../conformance';
import { aGrant, aRefreshToken, countKinds, DAY, issue, MINUTE, newHash, nextTokens, T0, uid } from '../fixtures';

const GRACE = MINUTE;

/**
 * Presents `hash` at `now` with a fresh successor pair and its sealed text (what a caller would seal: here a label
 * naming the pair, so a case can tell whose successor came back); returns the result, the pair and that text.
 */
async function rotate(store: Store, hash: string, now: number) {
  const next = nextTokens(now);
  const successor = `sealed-successor-of-${next.refresh.hash}`;
  const result = await store.rotateRefreshToken({ hash, now, graceMs: GRACE, next, successor });
  return { result, next, successor };
}

type Run = Awaited<ReturnType<typeof rotate>>;

/** Whether a run's pair was stored: its access token is found, its refresh token read. */
async function stored(store: Store, run: Run, now: number): Promise<{ access: boolean; refresh: boolean }> {
  return {
    access: (await store.findAccessToken(run.next.access.hash, now)) !== null,
    refresh: (await store.getRefreshToken(run.next.refresh.hash)) !== null,
  };
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

    test('presented again within the grace window, before its successor is used: grace, the same successor, nothing stored', async () => {
      const store = ctx.store();
      const { grant, refresh } = await issue(store);
      const first = await rotate(store, refresh.hash, T0 + MINUTE);
      const retry = await rotate(store, refresh.hash, T0 + MINUTE + GRACE);
      expect(retry.result).toEqual({ kind: 'grace', grant, successor: first.successor });
      // the retry's own pair was never stored: there is one chain, and its next link is the first successor
      expect(await stored(store, retry, T0 + MINUTE)).toEqual({ access: false, refresh: false });
      expect(await stored(store, first, T0 + MINUTE)).toEqual({ access: true, refresh: true });
      expect((await store.getRefreshToken(refresh.hash))?.token.usedAt).toBe(T0 + MINUTE);
      expect((await rotate(store, first.next.refresh.hash, T0 + 2 * MINUTE)).result.kind).toBe('rotated');
    });

    test('retried five times within the grace window: every retry gets the first successor, and there is one chain', async () => {
      const store = ctx.store();
      const { grant, refresh } = await issue(store);
      const first = await rotate(store, refresh.hash, T0 + MINUTE);
      const retries: Run[] = [];
      for (let i = 1; i <= 5; i++) retries.push(await rotate(store, refresh.hash, T0 + MINUTE + i * 1000));
      for (const retry of retries) {
        expect(retry.result).toEqual({ kind: 'grace', grant, successor: first.successor });
        expect(await stored(store, retry, T0 + MINUTE)).toEqual({ access: false, refresh: false });
      }
      // the chain goes on from the first successor; then the original is a reuse, and the grant ends
      expect((await rotate(store, first.next.refresh.hash, T0 + 2 * MINUTE)).result.kind).toBe('rotated');
      expect((await rotate(store, refresh.hash, T0 + 2 * MINUTE)).result).toEqual({ kind: 'reused', grantId: grant.id });
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

    /** Concurrent presentations: exactly one rotated; every other got its successor, and only its pair was stored. */
    async function expectOneChain(store: Store, runs: Run[]): Promise<void> {
      expect(countKinds(runs.map((r) => r.result))).toEqual({ rotated: 1, grace: runs.length - 1 });
      const winner = runs.find((run) => run.result.kind === 'rotated');
      for (const run of runs) {
        if (run === winner) expect(await stored(store, run, T0 + MINUTE)).toEqual({ access: true, refresh: true });
        else {
          expect(run.result.kind === 'grace' && run.result.successor).toBe(winner?.successor ?? 'no winner');
          expect(await stored(store, run, T0 + MINUTE)).toEqual({ access: false, refresh: false });
        }
      }
    }

    for (const n of [2, 10]) {
      test(`${n} concurrent rotations of one token: one rotated, the rest grace with its successor, never reused`, async () => {
        const store = ctx.store();
        const { refresh } = await issue(store);
        const runs = await Promise.all(Array.from({ length: n }, () => rotate(store, refresh.hash, T0 + MINUTE)));
        await expectOneChain(store, runs);
      });
    }

    test('concurrent rotations from two instances: one rotated, the rest grace with its successor', async () => {
      const second = await ctx.second();
      const { refresh } = await issue(ctx.store());
      const runs = await Promise.all(
        Array.from({ length: 10 }, (_, i) => rotate(i % 2 ? second : ctx.store(), refresh.hash, T0 + MINUTE)),
      );
      await expectOneChain(second, runs);
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
        // The retry committed first, and got the successor the client then used; now that it has been used, the next
        // replay is reuse.
        expect(parent.result.successor).toBe(one.successor);
        expect(again.result).toEqual({ kind: 'reused', grantId: grant.id });
      } else {
        expect(parent.result).toEqual({ kind: 'reused', grantId: grant.id });
        expect(again.result).toEqual({ kind: 'unknown' });
      }
    });
  });
}
