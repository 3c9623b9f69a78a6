/**
 * @module ops/shared-rate-limit
 * The token buckets of `ops/rate-limit`, counted together by every instance on one database (PostgreSQL), so that
 * N instances behind a load balancer enforce one limit, not N. Same buckets: `perMinute` requests a minute, bursts
 * of up to `perMinute`, a batch all or nothing.
 *
 * A check never waits for the database: each instance decides from what the database last said about the key's
 * bucket (when it is full again: `ThrottleStore.spendBuckets`) plus the requests it let through since, and sends
 * those in one statement for every key at once — every `intervalMs` (200 ms) while there are any, at once when a
 * key has used half its share. So a request costs a map lookup, and an instance at most one statement per interval
 * in a steady flow.
 *
 * The bound on overshoot: an instance lets through, before the others can have counted them, at most a tenth of
 * what it last knew was left of the key's bucket (at least one request, or one whole batch) — its share; a request
 * beyond it is refused (Retry-After 1 s) until its batch has come back, a round trip later. So N instances together
 * let through at most N tenths of the limit more than the limit (two instances: 20 %, and only when both take a
 * burst in the same moment; a steady flow is counted within the interval, and overshoots far less).
 *
 * When the database cannot be reached, each instance falls back to its own buckets (the per-instance limits,
 * always kept beside the shared ones, so nothing starts from empty), logs `ratelimit.shared_unavailable` once,
 * tries again every second, and logs `ratelimit.shared_restored` when it is back. Lapsed buckets are the store's
 * to sweep (throttle rows); the ones kept here are forgotten every minute once full again.
 */
import type { Logger } from '../log';
import { RateLimiter } from './rate-limit';

/** What the shared limits need of the store (`ThrottleStore.spendBuckets`; ops sits beside the store and names only this). */
export interface SharedBuckets {
  spendBuckets(spends: readonly { key: string; count: number; refillMs: number }[], now: number): Promise<readonly { key: string; resetAt: number }[]>;
}

/** A limit per key: `RateLimiter`, or one counted with the other instances. */
export type Limiter = Pick<RateLimiter, 'enabled' | 'take' | 'stop'>;

export interface SharedLimitsOptions {
  readonly buckets: SharedBuckets;
  readonly log: Logger;
  /** How long requests let through wait at most before they are sent. @default 200 */
  readonly intervalMs?: number;
  /** @default 100 000 */
  readonly maxKeys?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The share of what is left that an instance may let through before the others have counted it: a tenth. */
const SHARE = 10;

interface Bucket {
  /** When the shared bucket is full again, as the database last said (0: nothing heard yet). */
  resetAt: number;
  /** Requests let through here that the database has not counted yet, those on their way included. */
  unsynced: number;
  /** Of those, the ones in the batch on its way. */
  sending: number;
  /** Milliseconds one request takes to refill: a minute ÷ the limit. */
  readonly refillMs: number;
}

export class SharedLimits {
  private readonly buckets = new Map<string, Bucket>();
  /** Keys with requests to send. */
  private readonly dirty = new Set<string>();
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly sweeper: ReturnType<typeof setInterval>;
  private timer?: ReturnType<typeof setTimeout>;
  private sending = false;
  private urgent = false;
  /** The database could not be reached: each instance limits on its own until a batch goes through again. */
  private outage = false;
  private stopped = false;

  constructor(private readonly options: SharedLimitsOptions) {
    this.intervalMs = options.intervalMs ?? 200;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref?.();
  }

  /** A limit of `perMinute` requests a minute per key, counted with the other instances; its keys are prefixed with `name`. */
  limiter(name: string, perMinute: number): Limiter {
    const local = new RateLimiter({ perMinute, now: this.options.now });
    return {
      enabled: perMinute > 0,
      take: (key, count = 1) => this.take(local, perMinute, `rate:${name}:${key}`, count),
      stop: () => local.stop(),
    };
  }

  /** As `RateLimiter.take`: 0 when allowed, else the whole seconds to wait (`Infinity`: `count` never fits). */
  private take(local: RateLimiter, perMinute: number, key: string, count: number): number {
    if (perMinute <= 0) return 0;
    if (count > perMinute) return Infinity;
    if (this.outage) return local.take(key, count);
    const now = this.now();
    const bucket = this.buckets.get(key);
    const refillMs = 60_000 / perMinute;
    // in requests: what the database last said is spent (refilling meanwhile), and what it has not counted yet
    const spent = bucket ? Math.max(0, bucket.resetAt - now) / refillMs : 0;
    const unsynced = bucket?.unsynced ?? 0;
    const over = spent + unsynced + count - perMinute;
    if (over > 0) return Math.max(1, Math.ceil((over * refillMs) / 1000));
    const share = Math.max(1, Math.floor((perMinute - spent) / SHARE));
    if (unsynced > 0 && unsynced + count > share) {
      // the others have not seen this instance's share yet: refused until they can have (one round trip)
      this.schedule(true);
      return 1;
    }
    // the instance's own bucket is always kept too, for an outage (it never refuses what the shared one allows)
    const wait = local.take(key, count);
    if (wait > 0) return wait;
    if (bucket) bucket.unsynced += count;
    else this.remember(key, { resetAt: 0, unsynced: count, sending: 0, refillMs });
    this.dirty.add(key);
    this.schedule(2 * (unsynced + count) >= share);
    return 0;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.sweeper);
  }

  /** Sends the waiting requests now (`urgent`) or within the interval; one batch at a time. */
  private schedule(urgent: boolean): void {
    if (this.stopped) return;
    this.urgent ||= urgent;
    if (this.sending) return; // the batch on its way schedules the next
    if (this.urgent && !this.outage) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.send();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        void this.send();
      }, this.outage ? 5 * this.intervalMs : this.intervalMs);
      this.timer.unref?.();
    }
  }

  /** One statement for every key with requests waiting; what comes back is each bucket's state. */
  private async send(): Promise<void> {
    this.urgent = false;
    const batch = new Map<string, Bucket>();
    for (const key of this.dirty) {
      const bucket = this.buckets.get(key);
      if (!bucket || bucket.unsynced <= 0) continue;
      bucket.sending = bucket.unsynced;
      batch.set(key, bucket);
    }
    this.dirty.clear();
    if (batch.size === 0) return;
    this.sending = true;
    try {
      const spends = [...batch].map(([key, bucket]) => ({ key, count: bucket.sending, refillMs: Math.round(bucket.sending * bucket.refillMs) }));
      const states = await this.options.buckets.spendBuckets(spends, this.now());
      for (const { key, resetAt } of states) {
        const bucket = batch.get(key);
        if (bucket) bucket.resetAt = resetAt;
      }
      for (const bucket of batch.values()) {
        bucket.unsynced -= bucket.sending;
        bucket.sending = 0;
      }
      if (this.outage) {
        this.outage = false;
        this.options.log.info('ratelimit.shared_restored', { keys: batch.size });
      }
    } catch (error) {
      // kept, and sent with the next batch: the others count them late rather than never
      for (const [key, bucket] of batch) {
        bucket.sending = 0;
        this.dirty.add(key);
      }
      if (!this.outage && !this.stopped) {
        this.outage = true;
        const reason = error instanceof Error ? error.message : String(error);
        this.options.log.warn('ratelimit.shared_unavailable', { reason, fallback: 'each instance limits on its own until the database answers again' });
      }
    } finally {
      this.sending = false;
      if (this.dirty.size > 0) this.schedule(false);
    }
  }

  private remember(key: string, bucket: Bucket): void {
    if (this.buckets.size >= this.maxKeys) this.shrink();
    this.buckets.set(key, bucket);
  }

  /** Forgets the buckets that are full again with nothing to send. */
  private sweep(): void {
    const now = this.now();
    for (const [key, bucket] of this.buckets) {
      if (bucket.unsynced === 0 && bucket.resetAt <= now) this.buckets.delete(key);
    }
  }

  /** At the key limit: forget full buckets, then the oldest tenth of those with nothing to send. */
  private shrink(): void {
    this.sweep();
    let drop = this.buckets.size - this.maxKeys + Math.max(1, Math.floor(this.maxKeys / 10));
    for (const [key, bucket] of this.buckets) {
      if (drop <= 0) break;
      if (bucket.unsynced > 0) continue;
      this.buckets.delete(key);
      drop--;
    }
  }
}
