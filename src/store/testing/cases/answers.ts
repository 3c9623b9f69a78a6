/**
 * Kept answers: a tool's whole answer, stored byte for byte for a short time and read in pages by the grant that
 * called, from whichever instance the next request reaches. Readable while `now < expiresAt`; swept after; never
 * longer than its owner grant, whatever deletes the grant.
 */
import { describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import type { Store, StoredAnswer } from '../../contract';
import { StoreConflictError } from '../../errors';
import type { SuiteContext } from '../conformance';
import { aClient, aGrant, anAccessToken, anAnswer, anAnswerId, aRefreshToken, DAY, HOUR, issue, type Issued, MINUTE, nextTokens, T0, uid } from '../fixtures';
import { sweepAll } from './sweep';

/** As the sweep cases: later than anything the other cases store. */
const S = T0 + 1000 * DAY;

/** Every byte value, in order and reversed. */
const EVERY_BYTE = Uint8Array.from({ length: 512 }, (_, i) => (i < 256 ? i : 511 - i));

/** Whether two byte arrays hold the same bytes (a failure says where they differ, not 5 MB of numbers). */
function sameBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(actual!.byteLength).toBe(expected.byteLength);
  expect(Buffer.compare(Buffer.from(actual!.buffer, actual!.byteOffset, actual!.byteLength), Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(0);
}

/** Whether the answer's row is gone, not merely unreadable: its id can be taken again (by a throwaway answer). */
async function idIsFree(store: Store, id: string): Promise<boolean> {
  try {
    await store.putAnswer(anAnswer({ id, expiresAt: T0 }));
    return true;
  } catch (error) {
    if (error instanceof StoreConflictError) return false;
    throw error;
  }
}

export function answerCases(ctx: SuiteContext): void {
  describe('answers', () => {
    test('an answer reads back exactly as it was put: every field, every byte value', async () => {
      const store = ctx.store();
      const { grant } = await issue(store);
      const answer = anAnswer({ owner: grant.id, mediaType: 'application/octet-stream; name="all bytes"', body: EVERY_BYTE, tool: 'download_backup' });
      await store.putAnswer(answer);
      const read = await store.getAnswer(answer.id, T0);
      expect(read).toEqual(answer);
      sameBytes(read?.body, EVERY_BYTE);
      // a plain Uint8Array, whatever the driver hands back (a Buffer compares unequal to one)
      expect(Object.getPrototypeOf(read?.body)).toBe(Uint8Array.prototype);
    });

    test("without sign-in the owner is '', and reads back as ''", async () => {
      const answer = anAnswer({ owner: '', mediaType: 'text/plain; charset=utf-8', body: new TextEncoder().encode('naïve café ☕\n') });
      await ctx.store().putAnswer(answer);
      expect(await ctx.store().getAnswer(answer.id, T0)).toEqual(answer);
    });

    test('an empty body, and a body that is a view into a larger buffer (only its own bytes are kept)', async () => {
      const store = ctx.store();
      const empty = anAnswer({ body: new Uint8Array(0) });
      const backing = randomBytes(4096);
      const view = anAnswer({ body: new Uint8Array(backing.buffer, backing.byteOffset + 1000, 100) });
      await store.putAnswer(empty);
      await store.putAnswer(view);
      sameBytes((await store.getAnswer(empty.id, T0))?.body, new Uint8Array(0));
      sameBytes((await store.getAnswer(view.id, T0))?.body, backing.subarray(1000, 1100));
    });

    test('a body of 5 MB of random bytes comes back intact, on another instance too', async () => {
      const body = new Uint8Array(randomBytes(5 * 1024 * 1024));
      const answer = anAnswer({ mediaType: 'application/zip', body, tool: 'export_database' });
      await ctx.store().putAnswer(answer);
      const read = await (await ctx.second()).getAnswer(answer.id, T0);
      sameBytes(read?.body, body);
      expect({ ...read, body: null }).toEqual({ ...answer, body: null });
    });

    test('an unknown id is null', async () => {
      expect(await ctx.store().getAnswer(anAnswerId(), T0)).toBeNull();
    });

    test('an answer is readable until the millisecond before it expires, then null as if unknown', async () => {
      const answer = anAnswer({ createdAt: T0, expiresAt: T0 + 10 * MINUTE });
      await ctx.store().putAnswer(answer);
      expect(await ctx.store().getAnswer(answer.id, T0 + 10 * MINUTE - 1)).toEqual(answer);
      expect(await ctx.store().getAnswer(answer.id, T0 + 10 * MINUTE)).toBeNull();
      expect(await ctx.store().getAnswer(answer.id, T0 + DAY)).toBeNull();
    });

    test('an id already taken is a StoreConflictError, and the first answer is kept', async () => {
      const first = anAnswer();
      await ctx.store().putAnswer(first);
      const error = await (await ctx.second()).putAnswer(anAnswer({ id: first.id, body: new Uint8Array([1, 2, 3]) })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreConflictError);
      expect((error as Error).message).toContain('an answer with this id already exists');
      expect(await ctx.store().getAnswer(first.id, T0)).toEqual(first);
    });

    test('an answer put through one instance is read through another at once', async () => {
      const { grant } = await issue(ctx.store());
      const answer = anAnswer({ owner: grant.id });
      await (await ctx.second()).putAnswer(answer);
      expect(await ctx.store().getAnswer(answer.id, T0)).toEqual(answer);
    });

    test('what is not an answer is refused with a TypeError or RangeError that says why, and nothing is written', async () => {
      const store = ctx.store();
      const good = anAnswer();
      const bad: ReadonlyArray<[Record<string, unknown>, ErrorConstructor, string]> = [
        [{ expiresAt: Number.NaN }, RangeError, "answer's expiresAt must be a time"],
        [{ expiresAt: Number.POSITIVE_INFINITY }, RangeError, "answer's expiresAt must be a time"],
        [{ expiresAt: T0 + 0.5 }, RangeError, "answer's expiresAt must be a time"],
        [{ createdAt: undefined }, RangeError, "answer's createdAt must be a time"],
        [{ body: '{"a":1}' }, TypeError, "answer's body must be a Uint8Array, got string"],
        [{ body: new ArrayBuffer(8) }, TypeError, "answer's body must be a Uint8Array, got ArrayBuffer"],
        [{ body: [1, 2, 3] }, TypeError, "answer's body must be a Uint8Array, got Array"],
        [{ body: null }, TypeError, "answer's body must be a Uint8Array, got null"],
        [{ owner: null }, TypeError, "answer's owner must be a string"],
        [{ mediaType: undefined }, TypeError, "answer's mediaType must be a string"],
        [{ tool: 42 }, TypeError, "answer's tool must be a string"],
        // ids that could be guessed, or are no base64url
        [{ id: 'answer-1' }, RangeError, 'answer id must be 22 to 256 base64url characters'],
        [{ id: `${anAnswerId()}/..` }, RangeError, 'answer id must be'],
        [{ id: 'A'.repeat(257) }, RangeError, 'answer id must be'],
      ];
      for (const [fields, kind, message] of bad) {
        const answer = { ...good, ...fields } as unknown as StoredAnswer;
        const error = await store.putAnswer(answer).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(kind);
        expect((error as Error).message).toContain(message);
        if (typeof answer.id === 'string') expect(await store.getAnswer(answer.id, T0)).toBeNull();
      }
      // nothing of it was kept: the good one's id is still free
      await store.putAnswer(good);
      expect(await store.getAnswer(good.id, T0)).toEqual(good);
    });

    test('sweep: expired answers go, in batches, counted; a live one stays', async () => {
      const store = ctx.store();
      await sweepAll((now, options) => store.sweep(now, options), S, { batch: 1000 });
      // due: expired before S, and one expiring at S itself (no longer readable at S)
      const due = Array.from({ length: 6 }, (_, i) => anAnswer({ createdAt: S - DAY, expiresAt: S - i }));
      const live = anAnswer({ createdAt: S - DAY, expiresAt: S + 1 });
      for (const answer of [...due, live]) await store.putAnswer(answer);

      const batch = 4;
      const calls = await sweepAll((now, options) => store.sweep(now, options), S, { batch });
      expect(calls.map((call) => call.answers)).toEqual([4, 2]);
      for (const answer of due) {
        expect(await store.getAnswer(answer.id, S - DAY)).toBeNull();
        expect(await idIsFree(store, answer.id)).toBe(true);
      }
      expect(await store.getAnswer(live.id, S)).toEqual(live);
      // the throwaway answers idIsFree left, and the live one
      await sweepAll((now, options) => store.sweep(now, options), S + 1, { batch: 1000 });
      expect(await store.getAnswer(live.id, S)).toBeNull();
    });

    // Every way a grant is deleted takes its answers with it (and nobody else's).
    const deletions: ReadonlyArray<[how: string, remove: (store: Store, issued: Issued) => Promise<unknown>]> = [
      ['revokeGrant', (store, { grant }) => store.revokeGrant(grant.id)],
      ['revokeGrantOfUser', (store, { grant }) => store.revokeGrantOfUser(grant.userId, grant.id)],
      ['deleteClient', (store, { grant }) => store.deleteClient(grant.clientId)],
      [
        'a refresh token presented again (reuse ends the grant)',
        async (store, { refresh }) => {
          const rotate = (now: number) => store.rotateRefreshToken({ hash: refresh.hash, now, graceMs: 0, next: nextTokens(now), successor: 'sealed' });
          expect((await rotate(T0 + MINUTE)).kind).toBe('rotated');
          expect((await rotate(T0 + 2 * MINUTE)).kind).toBe('reused');
        },
      ],
    ];
    for (const [how, remove] of deletions) {
      test(`${how}: the grant's answers are deleted with it, for every instance; other answers stay`, async () => {
        const store = ctx.store();
        const second = await ctx.second();
        const client = aClient();
        await store.putClient(client);
        const issued = await issue(store, { grant: aGrant({ clientId: client.id }) });
        const other = await issue(store);
        const mine = [anAnswer({ owner: issued.grant.id }), anAnswer({ owner: issued.grant.id, body: EVERY_BYTE })];
        const others = [anAnswer({ owner: other.grant.id }), anAnswer({ owner: '' })];
        for (const answer of [...mine, ...others]) await store.putAnswer(answer);
        expect(await second.getAnswer(mine[0]!.id, T0)).toEqual(mine[0]!);

        await remove(store, issued);
        for (const answer of mine) {
          expect(await second.getAnswer(answer.id, T0)).toBeNull();
          expect(await idIsFree(store, answer.id)).toBe(true);
        }
        for (const answer of others) expect(await second.getAnswer(answer.id, T0)).toEqual(answer);
        await store.revokeGrant(other.grant.id);
      });
    }

    test('the sweep of a grant left without tokens deletes its answers too (not counted as expired answers)', async () => {
      const store = ctx.store();
      await sweepAll((now, options) => store.sweep(now, options), S, { batch: 1000 });
      const { grant } = await issue(store, { access: anAccessToken({ expiresAt: S - 1 }), refresh: aRefreshToken({ expiresAt: S - 1 }) });
      const answer = anAnswer({ owner: grant.id, createdAt: S - HOUR, expiresAt: S + DAY });
      await store.putAnswer(answer);
      expect(await store.getAnswer(answer.id, S)).toEqual(answer);
      const calls = await sweepAll((now, options) => store.sweep(now, options), S, { batch: 1000 });
      expect(calls[0]).toMatchObject({ grants: 1, answers: 0 });
      expect(await store.getAnswer(answer.id, S)).toBeNull();
      expect(await idIsFree(store, answer.id)).toBe(true);
    });

    test('an answer for a grant that is gone (revoked while the tool ran) is not kept', async () => {
      const store = ctx.store();
      const { grant } = await issue(store);
      await store.revokeGrant(grant.id);
      for (const owner of [grant.id, uid('grant-unknown')]) {
        const answer = anAnswer({ owner });
        await store.putAnswer(answer);
        expect(await store.getAnswer(answer.id, T0)).toBeNull();
        expect(await idIsFree(store, answer.id)).toBe(true);
      }
    });

    test('answers put while their grant is being revoked, from two instances: none outlives it', async () => {
      const store = ctx.store();
      const second = await ctx.second();
      const { grant } = await issue(store);
      const answers = Array.from({ length: 20 }, () => anAnswer({ owner: grant.id, body: EVERY_BYTE }));
      const put = (answer: StoredAnswer, i: number) => (i % 2 === 0 ? store : second).putAnswer(answer);
      // half asked for before the revocation, half after; all of them under way together
      const before = answers.slice(0, 10).map(put);
      const revoked = second.revokeGrant(grant.id);
      const after = answers.slice(10).map(put);
      await Promise.all([...before, revoked, ...after]);
      expect(await revoked).toBe(true);
      for (const answer of answers) {
        expect(await store.getAnswer(answer.id, T0)).toBeNull();
        expect(await idIsFree(store, answer.id)).toBe(true);
      }
    });
  });
}
