/**
 * @module gateway/housekeeping
 * Keeps the store from growing forever: every `intervalMs` (PORTICO_SWEEP_MINUTES) a pass deletes what has had its
 * time — expired tokens, codes, throttle windows, browser sessions and kept answers, and audit entries older than the
 * retention (PORTICO_AUDIT_RETENTION_DAYS) — batch by batch (`Store.sweep`), pausing between batches so that requests
 * waiting for the database (SQLite's one connection, a PostgreSQL pool) go first. One instance sweeps at a time
 * (`Store.sweepExclusively`); the others skip that pass, which then costs them one query.
 *
 * The first pass comes soon after the start, at a random moment within the interval (at most a minute), and each
 * next one an interval later, give or take a tenth: instances started together drift apart instead of all asking
 * for the lock at once. Each pass logs one line, `store.swept`, with what it deleted; a failure logs
 * `store.sweep_failed` and the next pass tries again. The timer never keeps the process alive; `close` stops
 * between two batches and waits for the one running.
 */
import type { Logger } from '../log';
import type { StoreEvents, SweptKind } from '../ops/events';
import { sweepFinished, type Store, type SweepOptions, type SweepResult } from '../store';

/** Rows of each kind one batch deletes at most: a few milliseconds of work for the database. */
export const SWEEP_BATCH = 200;
/** The pause between two batches: what was waiting for the database meanwhile goes first. */
export const BATCH_PAUSE_MS = 5;
/** The first pass comes within this (or within the interval, when it is shorter). */
const FIRST_PASS_WITHIN_MS = 60_000;
/** The longest delay a timer can wait (Node and Bun fire a longer one at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The metric label of each kind a sweep reports. */
const KINDS: Readonly<Record<keyof SweepResult, SweptKind>> = {
  codes: 'codes',
  accessTokens: 'access_tokens',
  refreshTokens: 'refresh_tokens',
  grants: 'grants',
  throttles: 'throttles',
  browserSessions: 'browser_sessions',
  answers: 'answers',
  auditEntries: 'audit_entries',
};

export interface HousekeepingOptions {
  /** Between two passes of this instance (give or take a tenth). */
  readonly intervalMs: number;
  /** How long audit entries are kept; undefined: for ever. */
  readonly auditRetentionMs?: number;
  readonly log: Logger;
  /** Told how many rows of each kind every batch deleted (the metrics). */
  readonly events: StoreEvents;
  /** @default SWEEP_BATCH */
  readonly batch?: number;
  /** @default BATCH_PAUSE_MS */
  readonly pauseMs?: number;
}

/** What one pass deleted, and in how many batches. */
interface PassReport extends SweepResult {
  batches: number;
}

export class Housekeeping {
  readonly #store: Store;
  readonly #intervalMs: number;
  readonly #auditRetentionMs: number | undefined;
  readonly #log: Logger;
  readonly #events: StoreEvents;
  readonly #batch: number;
  readonly #pauseMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  /** Schedules the first pass; throws a RangeError for an interval, batch or pause that cannot be meant. */
  constructor(store: Store, options: HousekeepingOptions) {
    const { intervalMs, auditRetentionMs, batch = SWEEP_BATCH, pauseMs = BATCH_PAUSE_MS } = options;
    if (!(intervalMs > 0 && intervalMs <= MAX_TIMER_MS)) throw new RangeError(`gateway/housekeeping: intervalMs must be above 0 and at most ${MAX_TIMER_MS}, got ${intervalMs}`);
    if (auditRetentionMs !== undefined && !(auditRetentionMs > 0)) throw new RangeError(`gateway/housekeeping: auditRetentionMs must be above 0 (or left out to keep the audit log), got ${auditRetentionMs}`);
    if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError(`gateway/housekeeping: batch must be a positive integer, got ${batch}`);
    if (!(pauseMs >= 0)) throw new RangeError(`gateway/housekeeping: pauseMs must be 0 or more, got ${pauseMs}`);
    this.#store = store;
    this.#intervalMs = intervalMs;
    this.#auditRetentionMs = auditRetentionMs;
    this.#log = options.log;
    this.#events = options.events;
    this.#batch = batch;
    this.#pauseMs = pauseMs;
    this.#schedule(Math.random() * Math.min(intervalMs, FIRST_PASS_WITHIN_MS));
  }

  /** No further pass; resolves once the batch running (if any) is done, so the store can be closed after it. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#running = this.#pass().finally(() => {
        this.#running = undefined;
        if (!this.#closed) this.#schedule(this.#intervalMs * (0.9 + 0.2 * Math.random()));
      });
    }, Math.min(delayMs, MAX_TIMER_MS));
    this.#timer.unref?.();
  }

  /** One pass: batches until one leaves nothing due, or `close` is called. Never rejects. */
  async #pass(): Promise<void> {
    const started = performance.now();
    // one `now` for the whole pass: it deletes what was due when it began, and ends even while rows keep expiring
    const now = Date.now();
    const options: SweepOptions = { batch: this.#batch, auditBefore: this.#auditRetentionMs === undefined ? undefined : now - this.#auditRetentionMs };
    const report: PassReport = { codes: 0, accessTokens: 0, refreshTokens: 0, grants: 0, throttles: 0, browserSessions: 0, answers: 0, auditEntries: 0, batches: 0 };
    try {
      // true once a batch left nothing due; false when `close` stopped the pass first; null when another ran one
      const finished = await this.#store.sweepExclusively(async (sweep) => {
        while (!this.#closed) {
          const result = await sweep(now, options);
          this.#count(report, result);
          if (sweepFinished(result, this.#batch)) return true;
          await new Promise((resolve) => setTimeout(resolve, this.#pauseMs));
        }
        return false;
      });
      const ms = Math.round(performance.now() - started);
      if (finished === null) {
        this.#log.debug('store.sweep_skipped', { reason: 'another instance is sweeping', ms });
        return;
      }
      this.#log.info('store.swept', { ...report, finished, ms });
    } catch (error) {
      // what the batches before the failure deleted is counted and said; the next pass takes up the rest
      this.#log.warn('store.sweep_failed', { reason: error instanceof Error ? error.message : String(error), ...report, ms: Math.round(performance.now() - started) });
    }
  }

  #count(report: PassReport, result: SweepResult): void {
    report.batches++;
    for (const kind of Object.keys(KINDS) as (keyof SweepResult)[]) {
      report[kind] += result[kind];
      if (result[kind] > 0) this.#events.rowsSwept(KINDS[kind], result[kind]);
    }
  }
}
