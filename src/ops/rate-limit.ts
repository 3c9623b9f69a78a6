/**
 * @module ops/rate-limit
 * Token buckets in memory, one per key (a grant, a client address): `perMinute` requests a minute on
 * average, with bursts of up to `perMinute` at once. A caller takes as many as the work it asks for (a batch
 * of N JSON-RPC requests takes N), all at once or not at all. Nothing is shared between instances and nothing
 * touches the store, so a check costs a map lookup and some arithmetic: the limits are per instance.
 *
 * Buckets that have filled up again are forgotten every minute, and the map never holds more than
 * `maxKeys` buckets (the oldest go first), so a flood of new addresses cannot grow it without bound.
 */

interface Bucket {
  tokens: number;
  at: number;
}

export interface RateLimiterOptions {
  /** Requests a minute per key; 0 turns the limit off. */
  readonly perMinute: number;
  /** @default 100 000 */
  readonly maxKeys?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  /** Tokens per millisecond. */
  private readonly rate: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly sweeper?: ReturnType<typeof setInterval>;

  constructor(options: RateLimiterOptions) {
    this.capacity = options.perMinute;
    this.rate = options.perMinute / 60_000;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
    if (this.capacity > 0) {
      this.sweeper = setInterval(() => this.sweep(), 60_000);
      this.sweeper.unref?.();
    }
  }

  get enabled(): boolean {
    return this.capacity > 0;
  }

  /**
   * Takes `count` requests from `key`'s bucket, all or none: 0 when allowed, else the whole seconds until they
   * would be; `Infinity` when `count` is more than the bucket ever holds (no wait makes them fit).
   */
  take(key: string, count = 1): number {
    if (this.capacity <= 0) return 0;
    if (count > this.capacity) return Infinity;
    const now = this.now();
    const bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.shrink();
      this.buckets.set(key, { tokens: this.capacity - count, at: now });
      return 0;
    }
    const tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.rate);
    bucket.at = now;
    if (tokens >= count) {
      bucket.tokens = tokens - count;
      return 0;
    }
    bucket.tokens = tokens;
    return Math.max(1, Math.ceil((count - tokens) / this.rate / 1000));
  }

  /** Forgets the buckets that are full again (their keys have been quiet long enough). */
  sweep(): void {
    const now = this.now();
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.rate >= this.capacity) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  /** At the key limit: forget full buckets, then the oldest tenth. */
  private shrink(): void {
    this.sweep();
    if (this.buckets.size < this.maxKeys) return;
    let drop = Math.max(1, Math.floor(this.maxKeys / 10));
    for (const key of this.buckets.keys()) {
      if (drop-- <= 0) break;
      this.buckets.delete(key);
    }
  }
}

/**
 * The key of a client address: IPv4 as it is (IPv4-mapped IPv6 too), IPv6 by its /64, the block one
 * subscriber usually gets (one machine can take any address in it).
 */
export function addressKey(address: string): string {
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** Loopback: 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.toLowerCase().startsWith('::ffff:127.');
}
