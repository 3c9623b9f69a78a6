/** Opening, pinging and closing. */
import { describe, expect, test } from 'bun:test';
import { StoreUnavailableError } from '../../errors';
import type { SuiteContext } from '../conformance';
import { aClient, newHash, T0 } from '../fixtures';

export function lifecycleCases(ctx: SuiteContext): void {
  describe('lifecycle', () => {
    test('ping resolves on an open store', async () => {
      await ctx.store().ping();
    });

    test('the description names the backend and hides any password', () => {
      expect(ctx.store().description).toMatch(/^(SQLite|PostgreSQL) /);
      expect(ctx.store().description).not.toMatch(/:[^:@/*]+@/);
    });

    test('a closed store rejects every call with StoreUnavailableError, and closing twice is fine', async () => {
      const store = await ctx.open();
      await store.close();
      await store.close();
      for (const call of [
        () => store.ping(),
        () => store.getClient('x'),
        () => store.putClient(aClient()),
        () => store.findAccessToken(newHash(), T0),
        () => store.getBrowserSession(newHash(), T0),
        () => store.sweep(T0, { batch: 100 }),
        () => store.sweepExclusively(async () => true),
      ]) {
        expect(await call().catch((e: unknown) => e)).toBeInstanceOf(StoreUnavailableError);
      }
    });

    test('a store opened later sees what an earlier one wrote', async () => {
      const client = aClient();
      await ctx.store().putClient(client);
      const later = await ctx.open();
      try {
        expect(await later.getClient(client.id)).toEqual(client);
      } finally {
        await later.close();
      }
    });
  });
}
