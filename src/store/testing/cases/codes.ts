/**
 * Authorization codes: read without consuming, consumed exactly once even under concurrent redemption, and kept
 * after use so that a replay is recognised and can revoke what the first redemption issued (ATK-03).
 */
import { describe, expect, test } from 'bun:test';
import { StoreConflictError } from '../../errors';
import type { SuiteContext } from '../conformance';
import { aCode, anAccessToken, aGrant, aRefreshToken, countKinds, DAY, MINUTE, T0 } from '../fixtures';

export function codeCases(ctx: SuiteContext): void {
  describe('authorization codes', () => {
    test('a code reads back exactly as it was put, and reading does not consume it', async () => {
      const code = aCode({ scopes: ['admin', 'read', 'write'] });
      await ctx.store().putCode(code);
      expect(await ctx.store().getCode(code.hash)).toEqual(code);
      expect(await ctx.store().getCode(code.hash)).toEqual(code);
      expect((await ctx.store().consumeCode(code.hash, T0)).kind).toBe('ok');
    });

    test('empty scopes survive the round trip', async () => {
      const code = aCode({ scopes: [] });
      await ctx.store().putCode(code);
      expect((await ctx.store().getCode(code.hash))?.scopes).toEqual([]);
    });

    test('an unknown code is null, and consuming it says unknown', async () => {
      expect(await ctx.store().getCode('0'.repeat(64))).toBeNull();
      expect(await ctx.store().consumeCode('0'.repeat(64), T0)).toEqual({ kind: 'unknown' });
    });

    test('a duplicate hash is a StoreConflictError', async () => {
      const code = aCode();
      await ctx.store().putCode(code);
      expect(await ctx.store().putCode(aCode({ hash: code.hash })).catch((e: unknown) => e)).toBeInstanceOf(StoreConflictError);
    });

    test('the first consumption returns the code marked used; a second says used', async () => {
      const code = aCode();
      await ctx.store().putCode(code);
      const now = T0 + MINUTE;
      expect(await ctx.store().consumeCode(code.hash, now)).toEqual({ kind: 'ok', code: { ...code, usedAt: now } });
      expect(await ctx.store().consumeCode(code.hash, now + 1)).toEqual({ kind: 'used', grantId: null });
      expect((await ctx.store().getCode(code.hash))?.usedAt).toBe(now);
    });

    test('an expired code says expired and stays unused', async () => {
      const code = aCode({ expiresAt: T0 + 10 * MINUTE });
      await ctx.store().putCode(code);
      expect(await ctx.store().consumeCode(code.hash, T0 + 10 * MINUTE)).toEqual({ kind: 'expired' });
      expect((await ctx.store().getCode(code.hash))?.usedAt).toBeNull();
    });

    test('a code is valid until the millisecond before it expires', async () => {
      const code = aCode({ expiresAt: T0 + 10 * MINUTE });
      await ctx.store().putCode(code);
      expect((await ctx.store().consumeCode(code.hash, T0 + 10 * MINUTE - 1)).kind).toBe('ok');
    });

    test('a replay after expiry is still recognised as a replay', async () => {
      const code = aCode();
      await ctx.store().putCode(code);
      await ctx.store().consumeCode(code.hash, T0);
      expect(await ctx.store().consumeCode(code.hash, code.expiresAt + DAY / 2)).toEqual({ kind: 'used', grantId: null });
    });

    test('a replay names the grant issued for the code, which can then be revoked (ATK-03)', async () => {
      const store = ctx.store();
      const code = aCode();
      await store.putCode(code);
      expect((await store.consumeCode(code.hash, T0)).kind).toBe('ok');
      const grant = aGrant({ userId: code.userId, clientId: code.clientId });
      const access = anAccessToken();
      await store.issueGrant({ grant, access, refresh: aRefreshToken(), codeHash: code.hash });
      expect((await store.getCode(code.hash))?.grantId).toBe(grant.id);

      const replay = await store.consumeCode(code.hash, T0 + 1);
      expect(replay).toEqual({ kind: 'used', grantId: grant.id });
      expect(await store.revokeGrant(grant.id)).toBe(true);
      expect(await store.findAccessToken(access.hash, T0)).toBeNull();
      // The code keeps the grant id, so a further replay is still traced.
      expect((await store.getCode(code.hash))?.grantId).toBe(grant.id);
    });

    test('20 concurrent consumptions of one code: exactly one ok', async () => {
      const code = aCode();
      await ctx.store().putCode(code);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ctx.store().consumeCode(code.hash, T0 + i)));
      expect(countKinds(results)).toEqual({ ok: 1, used: 19 });
    });

    test('concurrent consumptions from two instances: exactly one ok', async () => {
      const code = aCode();
      await ctx.store().putCode(code);
      const second = await ctx.second();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? second : ctx.store()).consumeCode(code.hash, T0)),
      );
      expect(countKinds(results)).toEqual({ ok: 1, used: 19 });
    });
  });
}
