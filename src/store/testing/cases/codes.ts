/**
 * Authorization codes: read without consuming, redeemed (used up and the grant issued, in one transaction) exactly
 * once even under concurrent redemption, and kept after use so that a replay is recognised and can revoke what the
 * first redemption issued (ATK-03).
 */
import { describe, expect, test } from 'bun:test';
import { StoreConflictError } from '../../errors';
import type { SuiteContext } from '../conformance';
import type { CodeRecord, Store } from '../../contract';
import { aCode, anAccessToken, aGrant, aRefreshToken, countKinds, DAY, issue, MINUTE, T0 } from '../fixtures';

/** Redeems `code` at `now` as the token endpoint does: a new grant with its first tokens, for the code's user and client. */
function redeem(store: Store, code: CodeRecord, now: number) {
  const grant = aGrant({ userId: code.userId, clientId: code.clientId });
  const access = anAccessToken();
  return { grant, access, result: store.redeemCode({ grant, access, refresh: aRefreshToken(), codeHash: code.hash, now }) };
}

export function codeCases(ctx: SuiteContext): void {
  describe('authorization codes', () => {
    test('a code reads back exactly as it was put, and reading does not consume it', async () => {
      const code = aCode({ scopes: ['admin', 'read', 'write'] });
      await ctx.store().putCode(code);
      expect(await ctx.store().getCode(code.hash)).toEqual(code);
      expect(await ctx.store().getCode(code.hash)).toEqual(code);
      expect((await redeem(ctx.store(), code, T0).result).kind).toBe('ok');
    });

    test('empty scopes survive the round trip', async () => {
      const code = aCode({ scopes: [] });
      await ctx.store().putCode(code);
      expect((await ctx.store().getCode(code.hash))?.scopes).toEqual([]);
    });

    test('an unknown code is null, and redeeming it says unknown and issues nothing', async () => {
      expect(await ctx.store().getCode('0'.repeat(64))).toBeNull();
      const { grant, access, result } = redeem(ctx.store(), aCode({ hash: '0'.repeat(64) }), T0);
      expect(await result).toEqual({ kind: 'unknown' });
      expect(await ctx.store().findAccessToken(access.hash, T0)).toBeNull();
      expect(await ctx.store().revokeGrant(grant.id)).toBe(false);
    });

    test('a duplicate hash is a StoreConflictError', async () => {
      const code = aCode();
      await ctx.store().putCode(code);
      expect(await ctx.store().putCode(aCode({ hash: code.hash })).catch((e: unknown) => e)).toBeInstanceOf(StoreConflictError);
    });

    test('the first redemption returns the code marked used and issues the grant; a second says used, naming it, and issues nothing', async () => {
      const code = aCode();
      await ctx.store().putCode(code);
      const now = T0 + MINUTE;
      const first = redeem(ctx.store(), code, now);
      expect(await first.result).toEqual({ kind: 'ok', code: { ...code, usedAt: now } });
      expect((await ctx.store().findAccessToken(first.access.hash, T0))?.grant.id).toBe(first.grant.id);
      const second = redeem(ctx.store(), code, now + 1);
      expect(await second.result).toEqual({ kind: 'used', grantId: first.grant.id });
      expect(await ctx.store().findAccessToken(second.access.hash, T0)).toBeNull();
      expect(await ctx.store().getCode(code.hash)).toMatchObject({ usedAt: now, grantId: first.grant.id });
    });

    test('an expired code says expired, stays unused and issues nothing', async () => {
      const code = aCode({ expiresAt: T0 + 10 * MINUTE });
      await ctx.store().putCode(code);
      const late = redeem(ctx.store(), code, T0 + 10 * MINUTE);
      expect(await late.result).toEqual({ kind: 'expired' });
      expect((await ctx.store().getCode(code.hash))?.usedAt).toBeNull();
      expect(await ctx.store().findAccessToken(late.access.hash, T0)).toBeNull();
    });

    test('a code is valid until the millisecond before it expires', async () => {
      const code = aCode({ expiresAt: T0 + 10 * MINUTE });
      await ctx.store().putCode(code);
      expect((await redeem(ctx.store(), code, T0 + 10 * MINUTE - 1).result).kind).toBe('ok');
    });

    test('a redemption whose grant cannot be written leaves the code unused (both or neither)', async () => {
      const code = aCode();
      await ctx.store().putCode(code);
      const { grant } = await issue(ctx.store());
      // a grant id already taken: the insert fails, and with it the whole redemption
      const clash = ctx.store().redeemCode({ grant, access: anAccessToken(), refresh: aRefreshToken(), codeHash: code.hash, now: T0 });
      expect(await clash.catch((e: unknown) => e)).toBeInstanceOf(StoreConflictError);
      expect((await ctx.store().getCode(code.hash))?.usedAt).toBeNull();
      expect((await redeem(ctx.store(), code, T0).result).kind).toBe('ok');
    });

    test('a replay after expiry is still recognised as a replay', async () => {
      const code = aCode();
      await ctx.store().putCode(code);
      const first = redeem(ctx.store(), code, T0);
      await first.result;
      expect(await redeem(ctx.store(), code, code.expiresAt + DAY / 2).result).toEqual({ kind: 'used', grantId: first.grant.id });
    });

    test('a replay names the grant issued for the code, which can then be revoked (ATK-03)', async () => {
      const store = ctx.store();
      const code = aCode();
      await store.putCode(code);
      const { grant, access, result } = redeem(store, code, T0);
      expect((await result).kind).toBe('ok');
      expect((await store.getCode(code.hash))?.grantId).toBe(grant.id);

      const replay = await redeem(store, code, T0 + 1).result;
      expect(replay).toEqual({ kind: 'used', grantId: grant.id });
      expect(await store.revokeGrant(grant.id)).toBe(true);
      expect(await store.findAccessToken(access.hash, T0)).toBeNull();
      // The code keeps the grant id, so a further replay is still traced.
      expect((await store.getCode(code.hash))?.grantId).toBe(grant.id);
    });

    test('20 concurrent redemptions of one code: exactly one ok, and every other sees its grant', async () => {
      const code = aCode();
      await ctx.store().putCode(code);
      const attempts = Array.from({ length: 20 }, (_, i) => redeem(ctx.store(), code, T0 + i));
      const results = await Promise.all(attempts.map((attempt) => attempt.result));
      expect(countKinds(results)).toEqual({ ok: 1, used: 19 });
      const winner = attempts[results.findIndex((result) => result.kind === 'ok')]!;
      expect(results.filter((result) => result.kind === 'used').every((result) => result.kind === 'used' && result.grantId === winner.grant.id)).toBe(true);
    });

    test('concurrent redemptions from two instances: exactly one ok', async () => {
      const code = aCode();
      await ctx.store().putCode(code);
      const second = await ctx.second();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => redeem(i % 2 ? second : ctx.store(), code, T0).result));
      expect(countKinds(results)).toEqual({ ok: 1, used: 19 });
    });
  });
}
