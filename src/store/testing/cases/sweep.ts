/** Sweeping: what has expired goes, what may still be presented (a recently expired code, for replays) stays. */
import { describe, expect, test } from 'bun:test';
import type { SuiteContext } from '../conformance';
import { aBrowserSession, aCode, anAccessToken, aRefreshToken, DAY, issue, MINUTE, T0, uid } from '../fixtures';

/** Later than anything the other cases store, so a first sweep leaves only what this case adds. */
const S = T0 + 1000 * DAY;

export function sweepCases(ctx: SuiteContext): void {
  describe('sweep', () => {
    test('deletes expired codes a day late, expired tokens, emptied grants, passed windows and expired browser sessions', async () => {
      const store = ctx.store();
      await store.sweep(S);

      const codeOld = aCode({ expiresAt: S - DAY });
      const codeUsedOld = aCode({ expiresAt: S - 2 * DAY, usedAt: S - 3 * DAY });
      const codeRecent = aCode({ expiresAt: S - 1 });
      for (const code of [codeOld, codeUsedOld, codeRecent]) await store.putCode(code);

      const expired = { access: anAccessToken({ expiresAt: S - 1 }), refresh: aRefreshToken({ expiresAt: S }) };
      const gone = await issue(store, expired);
      const keptByRefresh = await issue(store, { access: anAccessToken({ expiresAt: S }), refresh: aRefreshToken({ expiresAt: S + 1 }) });
      const keptByAccess = await issue(store, { access: anAccessToken({ expiresAt: S + 1 }), refresh: aRefreshToken({ expiresAt: S - DAY }) });

      const passed = uid('window');
      const current = uid('window');
      await store.hit(passed, S - 2 * MINUTE, MINUTE);
      await store.hit(current, S, MINUTE);

      const sessionExpired = aBrowserSession({ expiresAt: S });
      const sessionLive = aBrowserSession({ expiresAt: S + 1 });
      for (const session of [sessionExpired, sessionLive]) await store.putBrowserSession(session);

      expect(await store.sweep(S)).toEqual({ codes: 2, accessTokens: 2, refreshTokens: 2, grants: 1, throttles: 1, browserSessions: 1 });

      expect(await store.getCode(codeOld.hash)).toBeNull();
      expect(await store.getCode(codeUsedOld.hash)).toBeNull();
      expect(await store.getCode(codeRecent.hash)).toEqual(codeRecent);
      expect(await store.listGrantsForUser(gone.grant.userId)).toEqual([]);
      expect(await store.findAccessToken(keptByRefresh.access.hash, S - 1)).toBeNull();
      expect((await store.getRefreshToken(keptByRefresh.refresh.hash))?.grant).toEqual(keptByRefresh.grant);
      expect((await store.findAccessToken(keptByAccess.access.hash, S))?.grant).toEqual(keptByAccess.grant);
      expect(await store.getRefreshToken(keptByAccess.refresh.hash)).toBeNull();
      expect((await store.hit(passed, S, MINUTE)).count).toBe(1);
      expect((await store.hit(current, S, MINUTE)).count).toBe(2);
      expect(await store.getBrowserSession(sessionLive.hash, S)).toEqual(sessionLive);
      // swept, not merely expired: the row is gone, so a deletion finds nothing
      expect(await store.deleteBrowserSession(sessionExpired.hash)).toBe(false);

      await store.clearHits(passed);
      await store.clearHits(current);
      await store.deleteBrowserSession(sessionLive.hash);
      expect(await store.sweep(S)).toEqual({ codes: 0, accessTokens: 0, refreshTokens: 0, grants: 0, throttles: 0, browserSessions: 0 });
    });
  });
}
