/**
 * @module store/grant-uses
 * When each grant was last used, for the account page's "Last used", without a database write per call. It wraps a
 * store: every access token `findAccessToken` finds counts as a use of its grant (that is every request to /mcp,
 * oauth/bearer; and a client presenting one to /oauth/revoke, which is the client using it too). Uses are kept in
 * memory and written with `recordGrantUses`:
 *
 * - the first use of a grant this instance has not written within `intervalMs` is written at once (with the others
 *   of that moment, in one transaction), so an app shows as used as soon as it has made a call;
 * - later uses within the interval only move the time kept in memory; every `intervalMs` all of those are written,
 *   in one transaction.
 *
 * So a busy grant costs one UPDATE per interval per instance, however many calls it makes, and the hot path only
 * touches a Map. A crash loses what has not been written yet: at most the last `intervalMs` of uses, so the stored
 * time is then at most that much behind the true last use (never lost altogether, never moved back). `close` writes
 * what is waiting before it closes the store, so a graceful stop loses nothing. While the database cannot be
 * written, uses wait in memory (one entry per grant) and are tried again every interval.
 */
import { overriding } from './overriding';
import type { GrantUse, Store } from './contract';

/** How often one grant's use is written at most (after the first), per instance. */
export const GRANT_USE_INTERVAL_MS = 60_000;

export interface GrantUseOptions {
  /** @default GRANT_USE_INTERVAL_MS */
  readonly intervalMs?: number;
  /** Told when a write failed; the uses are kept and tried again at the next interval. */
  readonly onError?: (error: unknown, waiting: number) => void;
}

/** `store`, recording the use of every grant whose access token it finds; `close` writes what is left, then closes it. */
export function withGrantUses(store: Store, options: GrantUseOptions = {}): Store {
  const uses = new GrantUses(store, options);
  const findAccessToken: Store['findAccessToken'] = async (hash, now) => {
    const found = await store.findAccessToken(hash, now);
    if (found) uses.record(found.grant.id, now);
    return found;
  };
  const close: Store['close'] = async () => {
    await uses.close();
    await store.close();
  };
  return overriding(store, { findAccessToken, close });
}

/** Keeps the later of the time already kept for `grantId` and `at`. */
function keepLatest(uses: Map<string, number>, grantId: string, at: number): void {
  const kept = uses.get(grantId);
  if (kept === undefined || at > kept) uses.set(grantId, at);
}

class GrantUses {
  readonly #store: Store;
  readonly #intervalMs: number;
  readonly #onError: GrantUseOptions['onError'];
  /** To write now: grant → its latest use. */
  readonly #due = new Map<string, number>();
  /** Uses of grants written within the interval, for the next tick. */
  readonly #waiting = new Map<string, number>();
  /** When (this machine's monotonic clock) each grant's use was last handed to the store; pruned every tick. */
  readonly #written = new Map<string, number>();
  readonly #timer: ReturnType<typeof setInterval>;
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(store: Store, { intervalMs = GRANT_USE_INTERVAL_MS, onError }: GrantUseOptions) {
    if (!(intervalMs > 0)) throw new RangeError(`store/grant-uses: intervalMs must be above 0, got ${intervalMs}`);
    this.#store = store;
    this.#intervalMs = intervalMs;
    this.#onError = onError;
    this.#timer = setInterval(() => this.#tick(), intervalMs);
    this.#timer.unref?.();
  }

  /** The hot path: no I/O unless this grant has not been written within the interval. */
  record(grantId: string, at: number): void {
    if (this.#closed) return;
    const clock = performance.now();
    const written = this.#written.get(grantId);
    if (written !== undefined && clock - written < this.#intervalMs) return keepLatest(this.#waiting, grantId, at);
    this.#written.set(grantId, clock);
    keepLatest(this.#due, grantId, at);
    const waiting = this.#waiting.get(grantId);
    if (waiting !== undefined) {
      keepLatest(this.#due, grantId, waiting);
      this.#waiting.delete(grantId);
    }
    void this.#flush();
  }

  /** Writes everything kept (what a write that just failed had too), once; later uses are not recorded. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#flushing;
    this.#moveWaiting(performance.now());
    await this.#flush();
  }

  #tick(): void {
    const clock = performance.now();
    for (const [grantId, written] of this.#written) if (clock - written >= this.#intervalMs) this.#written.delete(grantId);
    this.#moveWaiting(clock);
    void this.#flush();
  }

  #moveWaiting(clock: number): void {
    for (const [grantId, at] of this.#waiting) {
      keepLatest(this.#due, grantId, at);
      this.#written.set(grantId, clock);
    }
    this.#waiting.clear();
  }

  /** Writes what is due; concurrent calls share one write, and uses that came due meanwhile are written after it. */
  #flush(): Promise<void> {
    this.#flushing ??= this.#write().finally(() => {
      this.#flushing = undefined;
      // due while the last batch was being written, after the loop had looked
      if (this.#due.size > 0) void this.#flush();
    });
    return this.#flushing;
  }

  async #write(): Promise<void> {
    while (this.#due.size > 0) {
      const batch: GrantUse[] = [...this.#due].map(([grantId, at]) => ({ grantId, at }));
      this.#due.clear();
      try {
        await this.#store.recordGrantUses(batch);
      } catch (error) {
        // kept for the next tick: a database that is down is not asked again on every request
        for (const { grantId, at } of batch) keepLatest(this.#waiting, grantId, at);
        this.#onError?.(error, this.#waiting.size);
        return;
      }
    }
  }
}
