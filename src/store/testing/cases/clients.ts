/** Registered clients: insert-only, read back exactly, and deleting one takes its grants and codes with it. */
import { describe, expect, test } from 'bun:test';
import { StoreConflictError } from '../../errors';
import type { SuiteContext } from '../conformance';
import { aClient, aCode, aGrant, issue, T0 } from '../fixtures';

export function clientCases(ctx: SuiteContext): void {
  describe('clients', () => {
    test('a client reads back exactly as it was put', async () => {
      const confidential = aClient();
      const pub = aClient({ secretHash: null, expiresAt: null });
      await ctx.store().putClient(confidential);
      await ctx.store().putClient(pub);
      expect(await ctx.store().getClient(confidential.id)).toEqual(confidential);
      expect(await ctx.store().getClient(pub.id)).toEqual(pub);
    });

    test('an unknown client is null', async () => {
      expect(await ctx.store().getClient('no-such-client')).toBeNull();
    });

    test('a duplicate id is a StoreConflictError and the first client stays', async () => {
      const client = aClient();
      await ctx.store().putClient(client);
      const error = await ctx.store().putClient({ ...client, metadata: '{"client_name":"impostor"}' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreConflictError);
      expect(await ctx.store().getClient(client.id)).toEqual(client);
    });

    test('deleting a client removes it, its codes and its grants, and nobody else’s', async () => {
      const store = ctx.store();
      const client = aClient();
      await store.putClient(client);
      const code = aCode({ clientId: client.id });
      await store.putCode(code);
      const mine = await issue(store, { grant: aGrant({ clientId: client.id }) });
      const other = await issue(store);
      expect(await store.deleteClient(client.id)).toBe(true);
      expect(await store.getClient(client.id)).toBeNull();
      expect(await store.getCode(code.hash)).toBeNull();
      expect(await store.findAccessToken(mine.access.hash, T0)).toBeNull();
      expect(await store.getRefreshToken(mine.refresh.hash)).toBeNull();
      expect(await store.findAccessToken(other.access.hash, T0)).not.toBeNull();
      expect(await store.deleteClient(client.id)).toBe(false);
    });
  });
}
