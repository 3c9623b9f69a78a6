/**
 * Sweeping: what has expired goes, what may still be presented (a recently expired code, for replays) stays; a call
 * deletes one batch, and calling again until `sweepFinished` deletes everything due; one pass at a time.
 */
import { describe, expect, test } from 'bun:test';
import type { AuditEntry, Store, Sweep, SweepOptions, SweepResult } from '../../contract';
import { sweepFinished } from '../../contract';
import type { SuiteContext } from '../conformance';
import { aBrowserSession, aCode, anAccessToken, anAnswer, aRefreshToken, DAY, issue, MINUTE, T0, uid } from '../fixtures';

/** Later than anything the other cases store, so a first sweep leaves only what this case adds. */
const S = T0 + 1000 * DAY;
/** Large enough that one call deletes everything a case adds. */
const ONE_CALL = { batch: 1000 };

const NOTHING: SweepResult = { codes: 0, accessTokens: 0, refreshTokens: 0, grants: 0, throttles: 0, browserSessions: 0, answers: 0, auditEntries: 0 };

/** Every call of a sweep at `now`, until one leaves nothing due. */
export async function sweepAll(sweep: Sweep, now: number, options: SweepOptions): Promise<SweepResult[]> {
  const calls: SweepResult[] = [];
  for (;;) {
    const result = await sweep(now, options);
    calls.push(result);
    if (sweepFinished(result, options.batch)) return calls;
  }
}

function sum(results: readonly SweepResult[]): SweepResult {
  const total = { ...NOTHING };
  for (const result of results) for (const kind of Object.keys(total) as (keyof SweepResult)[]) total[kind] += result[kind];
  return total;
}

/** Deletes everything due at S, the audit log before S included, so that a case counts only its own rows. */
async function sweptClean(store: Store): Promise<void> {
  await sweepAll((now, options) => store.sweep(now, options), S, { batch: 1000, auditBefore: S });
}

function anAuditEntry(userId: string, at: number): AuditEntry {
  return { at, userId, clientId: 'client-audit', tool: 'list_projects', outcome: 'ok', upstreamStatus: 200, latencyMs: 12, detail: null };
}

export function sweepCases(ctx: SuiteContext): void {
  describe('sweep', () => {
    test('deletes expired codes a day late, expired tokens, emptied grants, passed windows, expired browser sessions and answers', async () => {
      const store = ctx.store();
      await sweptClean(store);

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

      const answerExpired = anAnswer({ expiresAt: S });
      const answerLive = anAnswer({ expiresAt: S + 1 });
      for (const answer of [answerExpired, answerLive]) await store.putAnswer(answer);

      expect(await store.sweep(S, ONE_CALL)).toEqual({ codes: 2, accessTokens: 2, refreshTokens: 2, grants: 1, throttles: 1, browserSessions: 1, answers: 1, auditEntries: 0 });

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

      expect(await store.getAnswer(answerLive.id, S)).toEqual(answerLive);
      expect(await store.getAnswer(answerExpired.id, S - 1)).toBeNull();

      await store.clearHits(passed);
      await store.clearHits(current);
      await store.deleteBrowserSession(sessionLive.hash);
      expect(await store.sweep(S, ONE_CALL)).toEqual(NOTHING);
      expect((await store.sweep(S + 1, ONE_CALL)).answers).toBe(1);
    });

    test('in batches: no call deletes more than the batch of a kind, and calling until finished deletes everything due, nothing live', async () => {
      const store = ctx.store();
      await sweptClean(store);
      const batch = 4;
      const user = uid('user-audited');

      // of every kind more than two batches' worth due, and something live beside it
      const dueGrants = [];
      for (let i = 0; i < 9; i++) dueGrants.push(await issue(store, { access: anAccessToken({ expiresAt: S - i }), refresh: aRefreshToken({ expiresAt: S - i }) }));
      // a grant rotated twice: three tokens of each kind, which may go in different batches; it goes with the last
      const chain = await issue(store, { access: anAccessToken({ expiresAt: S - 1 }), refresh: aRefreshToken({ expiresAt: S - 1 }) });
      let presented = chain.refresh.hash;
      for (let i = 0; i < 2; i++) {
        const next = { access: anAccessToken({ expiresAt: S - 1 }), refresh: aRefreshToken({ expiresAt: S - 1 }) };
        expect((await store.rotateRefreshToken({ hash: presented, now: S - DAY, graceMs: 0, next, successor: 'sealed' })).kind).toBe('rotated');
        presented = next.refresh.hash;
      }
      const live = await issue(store, { access: anAccessToken({ expiresAt: S + 1 }), refresh: aRefreshToken({ expiresAt: S + 1 }) });
      const halfLive = await issue(store, { access: anAccessToken({ expiresAt: S - 1 }), refresh: aRefreshToken({ expiresAt: S + DAY }) });
      const codes = Array.from({ length: 9 }, (_, i) => aCode({ expiresAt: S - DAY - i }));
      const liveCode = aCode({ expiresAt: S - DAY + 1 });
      for (const code of [...codes, liveCode]) await store.putCode(code);
      const windows = Array.from({ length: 9 }, () => uid('window'));
      for (const key of windows) await store.hit(key, S - 2 * MINUTE, MINUTE);
      const liveWindow = uid('window');
      await store.hit(liveWindow, S, MINUTE);
      const sessions = Array.from({ length: 9 }, (_, i) => aBrowserSession({ expiresAt: S - i }));
      const liveSession = aBrowserSession({ expiresAt: S + 1 });
      for (const session of [...sessions, liveSession]) await store.putBrowserSession(session);
      const answers = Array.from({ length: 9 }, (_, i) => anAnswer({ expiresAt: S - i }));
      const liveAnswer = anAnswer({ expiresAt: S + 1 });
      for (const answer of [...answers, liveAnswer]) await store.putAnswer(answer);
      await store.appendAudits(Array.from({ length: 9 }, (_, i) => anAuditEntry(user, S - 1 - i)));
      await store.appendAudits([anAuditEntry(user, S), anAuditEntry(user, S + 1)]);

      const calls = await sweepAll((now, options) => store.sweep(now, options), S, { batch, auditBefore: S });
      for (const call of calls) {
        for (const kind of ['codes', 'accessTokens', 'refreshTokens', 'throttles', 'browserSessions', 'answers', 'auditEntries'] as const) expect(call[kind]).toBeLessThanOrEqual(batch);
        expect(call.grants).toBeLessThanOrEqual(call.accessTokens + call.refreshTokens);
      }
      // thirteen access tokens (nine grants', the chain's three, the half-live grant's) at four a call: four calls
      expect(calls.length).toBe(4);
      expect(sum(calls)).toEqual({ codes: 9, accessTokens: 13, refreshTokens: 12, grants: 10, throttles: 9, browserSessions: 9, answers: 9, auditEntries: 9 });
      expect(await store.sweep(S, { batch, auditBefore: S })).toEqual(NOTHING);

      for (const { grant } of [...dueGrants, chain]) expect(await store.listGrantsForUser(grant.userId)).toEqual([]);
      expect((await store.findAccessToken(live.access.hash, S))?.grant).toEqual(live.grant);
      expect((await store.getRefreshToken(live.refresh.hash))?.grant).toEqual(live.grant);
      expect((await store.getRefreshToken(halfLive.refresh.hash))?.grant).toEqual(halfLive.grant);
      expect(await store.findAccessToken(halfLive.access.hash, S - 2)).toBeNull();
      for (const code of codes) expect(await store.getCode(code.hash)).toBeNull();
      expect(await store.getCode(liveCode.hash)).toEqual(liveCode);
      for (const key of windows) expect(await store.peekHits(key, S - 2 * MINUTE)).toBe(0);
      expect(await store.peekHits(liveWindow, S)).toBe(1);
      for (const session of sessions) expect(await store.deleteBrowserSession(session.hash)).toBe(false);
      expect(await store.getBrowserSession(liveSession.hash, S)).toEqual(liveSession);
      for (const answer of answers) expect(await store.getAnswer(answer.id, S - DAY)).toBeNull();
      expect(await store.getAnswer(liveAnswer.id, S)).toEqual(liveAnswer);
      expect((await store.queryAudit({ userId: user, limit: 100 })).map((entry) => entry.at)).toEqual([S + 1, S]);

      await store.clearHits(liveWindow);
      await store.deleteBrowserSession(liveSession.hash);
      await store.revokeGrant(live.grant.id);
      await store.revokeGrant(halfLive.grant.id);
    });

    test('audit retention: only entries older than auditBefore go, and only when it is given', async () => {
      const store = ctx.store();
      await sweptClean(store);
      const user = uid('user-audited');
      await store.appendAudits([anAuditEntry(user, S - 90 * DAY - 1), anAuditEntry(user, S - 90 * DAY), anAuditEntry(user, S)]);
      const ats = async () => (await store.queryAudit({ userId: user, limit: 10 })).map((entry) => entry.at);

      expect(await store.sweep(S, ONE_CALL)).toEqual(NOTHING);
      expect(await ats()).toEqual([S, S - 90 * DAY, S - 90 * DAY - 1]);
      expect(await store.sweep(S, { ...ONE_CALL, auditBefore: S - 90 * DAY })).toEqual({ ...NOTHING, auditEntries: 1 });
      expect(await ats()).toEqual([S, S - 90 * DAY]);
    });

    test('a batch that is not a positive integer is refused, and nothing is deleted', async () => {
      const store = ctx.store();
      const code = aCode({ expiresAt: S - 2 * DAY });
      await store.putCode(code);
      for (const batch of [0, -1, 1.5, Number.NaN]) {
        const error = await store.sweep(S, { batch }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RangeError);
        expect((error as Error).message).toContain('sweep batch must be a positive integer');
      }
      expect(await store.sweep(S, { batch: 1, auditBefore: Number.NaN }).catch((e: unknown) => e)).toBeInstanceOf(RangeError);
      expect(await store.getCode(code.hash)).toEqual(code);
      await sweptClean(store);
    });

    test('one pass at a time: a pass asked for while one runs is skipped (null); once it is over the next one runs', async () => {
      const store = ctx.store();
      await sweptClean(store);
      const { grant } = await issue(store, { access: anAccessToken({ expiresAt: S - 1 }), refresh: aRefreshToken({ expiresAt: S - 1 }) });
      let during: unknown = 'not asked';
      const swept = await store.sweepExclusively(async (sweep) => {
        during = await store.sweepExclusively(async () => 'ran inside another pass');
        return sweepAll(sweep, S, { batch: 1 });
      });
      expect(during).toBeNull();
      expect(sum(swept ?? [])).toEqual({ ...NOTHING, accessTokens: 1, refreshTokens: 1, grants: 1 });
      expect(await store.listGrantsForUser(grant.userId)).toEqual([]);
      expect(await store.sweepExclusively(async () => 'the next pass')).toBe('the next pass');

      // a pass that fails rejects with its error, and does not keep the next one out
      const failure = await store.sweepExclusively(async () => Promise.reject(new Error('the pass failed'))).catch((e: unknown) => e);
      expect((failure as Error).message).toBe('the pass failed');
      expect(await store.sweepExclusively(async () => 'after a failure')).toBe('after a failure');
    });
  });
}
