/** Consents, throttle counters, snapshots and the audit log. */
import { describe, expect, test } from 'bun:test';
import type { AuditEntry, BucketState } from '../../contract';
import type { SuiteContext } from '../conformance';
import { MINUTE, T0, uid } from '../fixtures';
import { sweepAll } from './sweep';

export function consentCases(ctx: SuiteContext): void {
  describe('consents', () => {
    test('a consent reads back, and a second put replaces it', async () => {
      const store = ctx.store();
      const userId = uid('user');
      const clientId = uid('client');
      expect(await store.getConsent(userId, clientId)).toBeNull();
      await store.putConsent({ userId, clientId, scopes: ['read'], updatedAt: T0 });
      expect(await store.getConsent(userId, clientId)).toEqual({ userId, clientId, scopes: ['read'], updatedAt: T0 });
      await store.putConsent({ userId, clientId, scopes: ['read', 'write'], updatedAt: T0 + 1 });
      expect(await store.getConsent(userId, clientId)).toEqual({
        userId,
        clientId,
        scopes: ['read', 'write'],
        updatedAt: T0 + 1,
      });
    });

    test('consents are per user and client', async () => {
      const store = ctx.store();
      const userId = uid('user');
      const clientId = uid('client');
      await store.putConsent({ userId, clientId, scopes: ['admin'], updatedAt: T0 });
      expect(await store.getConsent(userId, uid('client'))).toBeNull();
      expect(await store.getConsent(uid('user'), clientId)).toBeNull();
    });
  });
}

export function throttleCases(ctx: SuiteContext): void {
  describe('throttle counters', () => {
    test('hits count up within a fixed window', async () => {
      const key = uid('login:user');
      const store = ctx.store();
      expect(await store.hit(key, T0, MINUTE)).toEqual({ count: 1, resetAt: T0 + MINUTE });
      expect(await store.hit(key, T0 + 10, MINUTE)).toEqual({ count: 2, resetAt: T0 + MINUTE });
      expect(await store.hit(key, T0 + MINUTE - 1, MINUTE)).toEqual({ count: 3, resetAt: T0 + MINUTE });
    });

    test('peeking reads the current window without counting', async () => {
      const key = uid('peek');
      const store = ctx.store();
      expect(await store.peekHits(key, T0)).toBe(0);
      await store.hit(key, T0, MINUTE);
      await store.hit(key, T0 + 1, MINUTE);
      expect(await store.peekHits(key, T0 + 2)).toBe(2);
      expect(await store.peekHits(key, T0 + 3)).toBe(2);
      expect(await store.peekHits(key, T0 + MINUTE)).toBe(0);
    });

    test('a new window starts when the old one has passed', async () => {
      const key = uid('login:ip');
      const store = ctx.store();
      await store.hit(key, T0, MINUTE);
      await store.hit(key, T0 + 1, MINUTE);
      expect(await store.hit(key, T0 + MINUTE, MINUTE)).toEqual({ count: 1, resetAt: T0 + 2 * MINUTE });
    });

    test('clearing a key starts it afresh; other keys are untouched', async () => {
      const store = ctx.store();
      const key = uid('k');
      const other = uid('k');
      await store.hit(key, T0, MINUTE);
      await store.hit(key, T0, MINUTE);
      await store.hit(other, T0, MINUTE);
      await store.clearHits(key);
      expect((await store.hit(key, T0 + 1, MINUTE)).count).toBe(1);
      expect((await store.hit(other, T0 + 1, MINUTE)).count).toBe(2);
      await store.clearHits(uid('never-hit'));
    });

    test('releasing takes back one hit of the current window, never below 0, never a passed window', async () => {
      const store = ctx.store();
      const key = uid('reserve');
      await store.hit(key, T0, MINUTE);
      await store.hit(key, T0, MINUTE);
      await store.releaseHit(key, T0 + 1);
      expect(await store.peekHits(key, T0 + 2)).toBe(1);
      await store.releaseHit(key, T0 + 2);
      await store.releaseHit(key, T0 + 2);
      expect(await store.peekHits(key, T0 + 3)).toBe(0);
      expect((await store.hit(key, T0 + 4, MINUTE)).count).toBe(1);
      // the window has passed: nothing to take back, and the next hit starts a new one
      await store.releaseHit(key, T0 + MINUTE);
      expect(await store.hit(key, T0 + MINUTE, MINUTE)).toEqual({ count: 1, resetAt: T0 + 2 * MINUTE });
      await store.releaseHit(uid('never-hit'), T0);
    });

    test('reservations made at once from two instances and taken back at once leave the count where it was', async () => {
      const store = ctx.store();
      const second = await ctx.second();
      const key = uid('reserve-burst');
      await store.hit(key, T0, MINUTE);
      const counts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : second).hit(key, T0 + 1, MINUTE)));
      expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? second : store).releaseHit(key, T0 + 2)));
      expect(await store.peekHits(key, T0 + 3)).toBe(1);
    });

    test('a bucket spend moves its reset to the later of itself and now, plus the refill; counts add up until it lapses', async () => {
      const store = ctx.store();
      const [key, other] = [uid('bucket'), uid('bucket')];
      const byKey = (states: BucketState[]) => [...states].sort((a, b) => (a.key < b.key ? -1 : 1));
      expect(byKey(await store.spendBuckets([{ key, count: 2, refillMs: 200 }, { key: other, count: 1, refillMs: 50 }], T0))).toEqual(
        byKey([{ key, count: 2, resetAt: T0 + 200 }, { key: other, count: 1, resetAt: T0 + 50 }]),
      );
      // not refilled yet: the reset moves on from where it was
      expect(await store.spendBuckets([{ key, count: 3, refillMs: 300 }], T0 + 100)).toEqual([{ key, count: 5, resetAt: T0 + 500 }]);
      // full again (reset passed): from now, and the count starts over
      expect(await store.spendBuckets([{ key: other, count: 4, refillMs: 200 }], T0 + 1000)).toEqual([{ key: other, count: 4, resetAt: T0 + 1200 }]);
      // a key named twice is spent twice; nothing to spend, nothing asked
      expect(await store.spendBuckets([{ key, count: 1, refillMs: 100 }, { key, count: 1, refillMs: 100 }], T0 + 100)).toEqual([{ key, count: 7, resetAt: T0 + 700 }]);
      expect(await store.spendBuckets([], T0)).toEqual([]);
      await expect(store.spendBuckets([{ key, count: 0, refillMs: 100 }], T0)).rejects.toBeInstanceOf(RangeError);
      await expect(store.spendBuckets([{ key, count: 1, refillMs: 0.5 }], T0)).rejects.toBeInstanceOf(RangeError);
    });

    test('bucket spends from two instances at once, over shared keys in any order, are each counted once', async () => {
      const second = await ctx.second();
      const keys = [uid('bucket-a'), uid('bucket-b'), uid('bucket-c')];
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          const order = i % 2 ? keys : [...keys].reverse();
          return (i % 2 ? second : ctx.store()).spendBuckets(order.map((key) => ({ key, count: 1, refillMs: 10 })), T0);
        }),
      );
      const states = await ctx.store().spendBuckets(keys.map((key) => ({ key, count: 1, refillMs: 10 })), T0);
      expect(states.map((state) => [state.count, state.resetAt])).toEqual(keys.map(() => [21, T0 + 210]));
    });

    test('a lapsed bucket is swept as a passed window', async () => {
      const store = ctx.store();
      const key = uid('bucket-swept');
      await store.spendBuckets([{ key, count: 1, refillMs: 10 }], T0);
      const swept = await sweepAll((now, options) => store.sweep(now, options), T0 + 10, { batch: 1000 });
      expect(swept.reduce((rows, call) => rows + call.throttles, 0)).toBeGreaterThan(0);
      // spent again as of before: had the row been kept, its count would go on from 1
      expect(await store.spendBuckets([{ key, count: 1, refillMs: 10 }], T0)).toEqual([{ key, count: 1, resetAt: T0 + 10 }]);
    });

    test('concurrent hits from two instances are each counted once', async () => {
      const key = uid('burst');
      const second = await ctx.second();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? second : ctx.store()).hit(key, T0, MINUTE)),
      );
      expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });
  });
}

export function snapshotCases(ctx: SuiteContext): void {
  describe('snapshots', () => {
    test('a snapshot reads back, and a second put replaces it', async () => {
      const store = ctx.store();
      const key = uid('spec');
      expect(await store.getSnapshot(key)).toBeNull();
      await store.putSnapshot(key, '{"openapi":"3.1.0"}', T0);
      expect(await store.getSnapshot(key)).toEqual({ value: '{"openapi":"3.1.0"}', updatedAt: T0 });
      await store.putSnapshot(key, '{"openapi":"3.0.3"}', T0 + 5);
      expect(await store.getSnapshot(key)).toEqual({ value: '{"openapi":"3.0.3"}', updatedAt: T0 + 5 });
    });

    test('a value of several MB, with any Unicode, survives intact', async () => {
      const store = ctx.store();
      const key = uid('catalog');
      const chunk = 'Ünïcödé ✓ 日本語 🚀 "quotes" \\ back\nslash\t';
      const value = chunk.repeat(Math.ceil((6 * 1024 * 1024) / chunk.length));
      await store.putSnapshot(key, value, T0);
      const read = await store.getSnapshot(key);
      expect(read?.value.length).toBe(value.length);
      expect(read?.value === value).toBe(true);
    });
  });
}

export function auditCases(ctx: SuiteContext): void {
  describe('audit log', () => {
    const entry = (overrides: Partial<AuditEntry>): AuditEntry => ({
      at: T0,
      userId: 'user',
      clientId: 'client',
      tool: 'list_databases',
      outcome: 'ok',
      upstreamStatus: 200,
      latencyMs: 12.5,
      detail: null,
      ...overrides,
    });

    test('entries read back newest first, with every field', async () => {
      const store = ctx.store();
      const userId = uid('user');
      const first = entry({ userId, at: T0, detail: '{"args":{"id":"db-1"}}' });
      const second = entry({ userId, at: T0 + 10, outcome: 'upstream_error', upstreamStatus: null, latencyMs: 3 });
      await store.appendAudit(first);
      await store.appendAudit(second);
      const read = await store.queryAudit({ userId, limit: 10 });
      expect(read.map(({ id: _, ...rest }) => rest)).toEqual([second, first]);
      expect(read[0]!.id).toBeGreaterThan(read[1]!.id);
    });

    test('a batch is appended in order, every field kept; an empty batch is nothing', async () => {
      const store = ctx.store();
      const userId = uid('user');
      const batch = Array.from({ length: 250 }, (_, i) => entry({ userId, at: T0 + i, tool: `t${i}`, latencyMs: i / 4, detail: i % 2 ? null : `{"i":${i}}` }));
      await store.appendAudits(batch);
      await store.appendAudits([]);
      const read = await store.queryAudit({ userId, limit: 1000 });
      expect(read.map(({ id: _, ...rest }) => rest)).toEqual([...batch].reverse());
    });

    test('entries of the same millisecond come newest first too', async () => {
      const store = ctx.store();
      const userId = uid('user');
      for (const tool of ['a', 'b', 'c']) await store.appendAudit(entry({ userId, tool }));
      expect((await store.queryAudit({ userId, limit: 10 })).map((e) => e.tool)).toEqual(['c', 'b', 'a']);
    });

    test('filters by user, tool and time combine, and the limit applies last', async () => {
      const store = ctx.store();
      const userId = uid('user');
      const tool = uid('tool');
      await store.appendAudit(entry({ userId, tool, at: T0 }));
      await store.appendAudit(entry({ userId, tool, at: T0 + 100, outcome: 'denied' }));
      await store.appendAudit(entry({ userId, tool, at: T0 + 200, outcome: 'tool_error' }));
      await store.appendAudit(entry({ userId, at: T0 + 300 }));
      await store.appendAudit(entry({ tool, at: T0 + 400 }));
      expect((await store.queryAudit({ userId, tool, limit: 10 })).map((e) => e.at)).toEqual([T0 + 200, T0 + 100, T0]);
      expect((await store.queryAudit({ userId, tool, since: T0 + 100, limit: 10 })).map((e) => e.outcome)).toEqual([
        'tool_error',
        'denied',
      ]);
      expect((await store.queryAudit({ userId, limit: 2 })).map((e) => e.at)).toEqual([T0 + 300, T0 + 200]);
      expect((await store.queryAudit({ tool, limit: 10 })).length).toBe(4);
      expect(await store.queryAudit({ userId: uid('nobody'), limit: 10 })).toEqual([]);
    });

    test('without filters the newest entries of everyone come back', async () => {
      const store = ctx.store();
      const at = T0 + 365 * 24 * 60 * MINUTE;
      await store.appendAudit(entry({ at, tool: 'newest' }));
      const [newest] = await store.queryAudit({ limit: 1 });
      expect(newest?.tool).toBe('newest');
    });
  });
}
