/**
 * Browser sign-in sessions: what signing out relies on. A deleted session is gone for every instance at once, so a
 * sign-in cookie copied off a machine stops working the moment its owner signs out.
 */
import { describe, expect, test } from 'bun:test';
import { StoreConflictError } from '../../errors';
import type { SuiteContext } from '../conformance';
import { aBrowserSession, DAY, newHash, secret, T0, uid } from '../fixtures';

export function browserSessionCases(ctx: SuiteContext): void {
  describe('browser sessions', () => {
    test('a stored session reads back as it was put', async () => {
      const session = aBrowserSession();
      await ctx.store().putBrowserSession(session);
      expect(await ctx.store().getBrowserSession(session.hash, T0)).toEqual(session);
    });

    test('only the hash is looked up: the session id itself finds nothing', async () => {
      const id = secret();
      await ctx.store().putBrowserSession(aBrowserSession({ hash: id.hash }));
      expect(await ctx.store().getBrowserSession(id.raw, T0)).toBeNull();
      expect(await ctx.store().getBrowserSession(id.hash, T0)).not.toBeNull();
    });

    test('an unknown session is null', async () => {
      expect(await ctx.store().getBrowserSession(newHash(), T0)).toBeNull();
    });

    test('a session is valid until the millisecond before it expires', async () => {
      const session = aBrowserSession({ expiresAt: T0 + DAY });
      await ctx.store().putBrowserSession(session);
      expect(await ctx.store().getBrowserSession(session.hash, T0 + DAY - 1)).toEqual(session);
      expect(await ctx.store().getBrowserSession(session.hash, T0 + DAY)).toBeNull();
    });

    test('a hash already present is a StoreConflictError, and the first session is kept', async () => {
      const session = aBrowserSession();
      await ctx.store().putBrowserSession(session);
      const error = await ctx.store().putBrowserSession(aBrowserSession({ hash: session.hash })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreConflictError);
      expect(await ctx.store().getBrowserSession(session.hash, T0)).toEqual(session);
    });

    test('deleting a session: true once, then it is gone and a second delete finds nothing', async () => {
      const session = aBrowserSession();
      await ctx.store().putBrowserSession(session);
      expect(await ctx.store().deleteBrowserSession(session.hash)).toBe(true);
      expect(await ctx.store().getBrowserSession(session.hash, T0)).toBeNull();
      expect(await ctx.store().deleteBrowserSession(session.hash)).toBe(false);
    });

    test("signing out everywhere deletes every session of the user, and only theirs", async () => {
      const store = ctx.store();
      const userId = uid('user');
      const mine = [aBrowserSession({ userId }), aBrowserSession({ userId }), aBrowserSession({ userId, expiresAt: T0 + 1 })];
      const theirs = aBrowserSession();
      for (const session of [...mine, theirs]) await store.putBrowserSession(session);
      expect(await store.deleteBrowserSessionsOfUser(userId)).toBe(3);
      for (const session of mine) expect(await store.getBrowserSession(session.hash, T0)).toBeNull();
      expect(await store.getBrowserSession(theirs.hash, T0)).toEqual(theirs);
      expect(await store.deleteBrowserSessionsOfUser(userId)).toBe(0);
    });

    test('a session signed out through one instance is gone for another at once', async () => {
      const second = await ctx.second();
      const session = aBrowserSession();
      await ctx.store().putBrowserSession(session);
      expect(await second.getBrowserSession(session.hash, T0)).toEqual(session);
      expect(await ctx.store().deleteBrowserSession(session.hash)).toBe(true);
      expect(await second.getBrowserSession(session.hash, T0)).toBeNull();
    });

    test('signing out everywhere through one instance ends the sessions for another at once', async () => {
      const second = await ctx.second();
      const userId = uid('user');
      const sessions = [aBrowserSession({ userId }), aBrowserSession({ userId })];
      for (const session of sessions) await second.putBrowserSession(session);
      for (const session of sessions) expect(await ctx.store().getBrowserSession(session.hash, T0)).toEqual(session);
      expect(await second.deleteBrowserSessionsOfUser(userId)).toBe(2);
      for (const session of sessions) expect(await ctx.store().getBrowserSession(session.hash, T0)).toBeNull();
    });
  });
}
