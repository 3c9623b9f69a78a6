/**
 * Grants and their tokens: issued in one transaction, found by hash on every MCP call, and revoked for every
 * instance at once.
 */
import { describe, expect, test } from 'bun:test';
import type { Store } from '../../contract';
import { StoreConflictError } from '../../errors';
import type { SuiteContext } from '../conformance';
import { aClient, aCode, anAccessToken, aGrant, aRefreshToken, HOUR, issue, type Issued, newHash, secret, T0, uid } from '../fixtures';

export function grantCases(ctx: SuiteContext): void {
  describe('grants and tokens', () => {
    test('an issued access token is found with its grant', async () => {
      const { grant, access } = await issue(ctx.store(), {
        grant: aGrant({ scopes: ['read', 'write'] }),
        access: anAccessToken({ scopes: ['read'] }),
      });
      expect(await ctx.store().findAccessToken(access.hash, T0)).toEqual({ token: { ...access, grantId: grant.id }, grant });
    });

    test('an issued refresh token reads back unused, without a parent, with its grant', async () => {
      const { grant, refresh } = await issue(ctx.store());
      expect(await ctx.store().getRefreshToken(refresh.hash)).toEqual({
        token: { ...refresh, grantId: grant.id, parentHash: null, usedAt: null },
        grant,
      });
    });

    test('only hashes are looked up: the raw token finds nothing', async () => {
      const token = secret();
      await issue(ctx.store(), { access: anAccessToken({ hash: token.hash }) });
      expect(await ctx.store().findAccessToken(token.raw, T0)).toBeNull();
      expect(await ctx.store().findAccessToken(token.hash, T0)).not.toBeNull();
    });

    test('an unknown access token is null', async () => {
      expect(await ctx.store().findAccessToken(newHash(), T0)).toBeNull();
      expect(await ctx.store().getRefreshToken(newHash())).toBeNull();
    });

    test('an access token is valid until the millisecond before it expires', async () => {
      const { access } = await issue(ctx.store(), { access: anAccessToken({ expiresAt: T0 + HOUR }) });
      expect(await ctx.store().findAccessToken(access.hash, T0 + HOUR - 1)).not.toBeNull();
      expect(await ctx.store().findAccessToken(access.hash, T0 + HOUR)).toBeNull();
    });

    test('issuing is all or nothing: a duplicate token hash leaves no grant behind', async () => {
      const store = ctx.store();
      const first = await issue(store);
      const grant = aGrant();
      const access = anAccessToken();
      const code = aCode();
      await store.putCode(code);
      const error = await store
        .issueGrant({ grant, access, refresh: aRefreshToken({ hash: first.refresh.hash }), codeHash: code.hash })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreConflictError);
      expect(await store.findAccessToken(access.hash, T0)).toBeNull();
      expect(await store.listGrantsForUser(grant.userId)).toEqual([]);
      expect((await store.getCode(code.hash))?.grantId).toBeNull();
      expect(await store.findAccessToken(first.access.hash, T0)).not.toBeNull();
    });

    test('a duplicate grant id is a StoreConflictError', async () => {
      const { grant } = await issue(ctx.store());
      const error = await issue(ctx.store(), { grant }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreConflictError);
    });

    test('revoking a grant deletes all its tokens; a second revoke finds nothing', async () => {
      const store = ctx.store();
      const { grant, access, refresh } = await issue(store);
      expect(await store.revokeGrant(grant.id)).toBe(true);
      expect(await store.findAccessToken(access.hash, T0)).toBeNull();
      expect(await store.getRefreshToken(refresh.hash)).toBeNull();
      expect(await store.revokeGrant(grant.id)).toBe(false);
    });

    test("a grant's data can be replaced: its tokens carry the new data at once, here and on another instance", async () => {
      const store = ctx.store();
      const second = await ctx.second();
      const { grant, access, refresh } = await issue(store);
      // read once on each instance, so a cached grant would show
      expect((await store.findAccessToken(access.hash, T0))?.grant.data).toBe(grant.data);
      expect((await second.findAccessToken(access.hash, T0))?.grant.data).toBe(grant.data);
      expect(await store.updateGrantData(grant.id, 'renewed-sealed-data')).toBe(true);
      expect((await store.findAccessToken(access.hash, T0))?.grant.data).toBe('renewed-sealed-data');
      expect((await store.getRefreshToken(refresh.hash))?.grant.data).toBe('renewed-sealed-data');
      expect((await second.getRefreshToken(refresh.hash))?.grant.data).toBe('renewed-sealed-data');
      expect(await store.updateGrantData(uid('missing'), 'x')).toBe(false);
    });

    test('deleting an access token leaves the grant and its refresh token', async () => {
      const store = ctx.store();
      const { access, refresh } = await issue(store);
      expect(await store.deleteAccessToken(access.hash)).toBe(true);
      expect(await store.findAccessToken(access.hash, T0)).toBeNull();
      expect(await store.getRefreshToken(refresh.hash)).not.toBeNull();
      expect(await store.deleteAccessToken(access.hash)).toBe(false);
    });

    test("a user's grants are listed newest first, and only theirs", async () => {
      const store = ctx.store();
      const userId = uid('user');
      const older = await issue(store, { grant: aGrant({ userId, createdAt: T0 }) });
      const newer = await issue(store, { grant: aGrant({ userId, createdAt: T0 + 1000 }) });
      await issue(store);
      expect(await store.listGrantsForUser(userId)).toEqual([newer.grant, older.grant]);
      expect(await store.listGrantsForUser(uid('nobody'))).toEqual([]);
    });

    test('a user can revoke their own grant, not somebody else’s', async () => {
      const store = ctx.store();
      const { grant, access } = await issue(store);
      expect(await store.revokeGrantOfUser(uid('intruder'), grant.id)).toBe(false);
      expect(await store.findAccessToken(access.hash, T0)).not.toBeNull();
      expect(await store.revokeGrantOfUser(grant.userId, grant.id)).toBe(true);
      expect(await store.findAccessToken(access.hash, T0)).toBeNull();
      expect(await store.listGrantsForUser(grant.userId)).toEqual([]);
    });

    test('a revocation is visible at once to another instance', async () => {
      const second = await ctx.second();
      const { grant, access, refresh } = await issue(ctx.store());
      expect(await second.findAccessToken(access.hash, T0)).not.toBeNull();
      await ctx.store().revokeGrant(grant.id);
      expect(await second.findAccessToken(access.hash, T0)).toBeNull();
      expect(await second.getRefreshToken(refresh.hash)).toBeNull();
    });

    // Each way of taking a token's grant away, seen from another instance that had read the token before: a store
    // that kept grants in memory would go on answering from its copy.
    const revocations: ReadonlyArray<[how: string, revoke: (store: Store, issued: Issued) => Promise<boolean>]> = [
      ['revokeGrant', (store, { grant }) => store.revokeGrant(grant.id)],
      ['revokeGrantOfUser', (store, { grant }) => store.revokeGrantOfUser(grant.userId, grant.id)],
      ['deleteClient', (store, { grant }) => store.deleteClient(grant.clientId)],
      ['deleteAccessToken', (store, { access }) => store.deleteAccessToken(access.hash)],
    ];
    for (const [how, revoke] of revocations) {
      test(`${how} through one instance: another that had found the token finds it no more`, async () => {
        const store = ctx.store();
        const second = await ctx.second();
        const client = aClient();
        await store.putClient(client);
        const issued = await issue(store, { grant: aGrant({ clientId: client.id }) });
        expect((await second.findAccessToken(issued.access.hash, T0))?.grant).toEqual(issued.grant);
        expect(await revoke(store, issued)).toBe(true);
        expect(await second.findAccessToken(issued.access.hash, T0)).toBeNull();
      });
    }

    test("a grant's data replaced through one instance: another that had found the token reads the new data", async () => {
      const store = ctx.store();
      const second = await ctx.second();
      const { grant, access } = await issue(store);
      expect((await second.findAccessToken(access.hash, T0))?.grant.data).toBe(grant.data);
      expect(await store.updateGrantData(grant.id, 'renewed-elsewhere')).toBe(true);
      expect(await second.findAccessToken(access.hash, T0)).toEqual({
        token: { ...access, grantId: grant.id },
        grant: { ...grant, data: 'renewed-elsewhere' },
      });
    });

    test('an access token deleted by one instance is gone for another at once', async () => {
      const second = await ctx.second();
      const { access } = await issue(ctx.store());
      expect(await second.findAccessToken(access.hash, T0)).not.toBeNull();
      await second.deleteAccessToken(access.hash);
      expect(await ctx.store().findAccessToken(access.hash, T0)).toBeNull();
    });
  });
}
