/**
 * @module store/token-cache
 * Access tokens already found valid, kept in memory so that a request to /mcp does not wait for the database.
 * On PostgreSQL that wait (a round trip to another process, often another machine) was most of what the store
 * cost a request. It wraps a store that can watch revocations (`Store.watchRevocations`): every revocation, by
 * this instance or another, drops what it names at once here, and a revocation returns only after the database
 * sent it to every watching instance — so another instance refuses a revoked token within the milliseconds
 * the announcement takes to arrive. Should one be lost (the watch reconnecting forgets everything, but a
 * network can drop a connection silently), an answer is still never older than `maxAgeMs`.
 */
import { overriding } from './overriding';
import type { AccessTokenRecord, Revocation, Store, TokenWithGrant } from './contract';

type Found = TokenWithGrant<AccessTokenRecord>;

export interface TokenCacheOptions {
  /** How long an answer may be given from memory. */
  readonly maxAgeMs: number;
  /** Answers kept at most (then all are dropped: the busy ones come back with the next requests). @default 10000 */
  readonly maxEntries?: number;
}

/**
 * `store`, with access-token lookups answered from memory where they can be. Resolves once the store watches
 * revocations (closing the store ends the watch); a store that cannot watch them is returned as it is.
 */
export async function withTokenCache(store: Store, options: TokenCacheOptions): Promise<Store> {
  if (!store.watchRevocations || options.maxAgeMs <= 0) return store;
  const cache = new TokenCache(options);
  await store.watchRevocations((revocation) => cache.drop(revocation));
  const findAccessToken: Store['findAccessToken'] = async (hash, now) => {
    const known = cache.get(hash, now);
    if (known) return known;
    const epoch = cache.epoch;
    const found = await store.findAccessToken(hash, now);
    if (found) cache.put(hash, found, epoch);
    return found;
  };
  return overriding(store, { findAccessToken });
}

class TokenCache {
  readonly #entries = new Map<string, { found: Found; until: number }>();
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  /** Moves on with every revocation: a lookup that started before one may have read what it revoked. */
  epoch = 0;

  constructor({ maxAgeMs, maxEntries = 10_000 }: TokenCacheOptions) {
    this.#maxAgeMs = maxAgeMs;
    this.#maxEntries = maxEntries;
  }

  get(hash: string, now: number): Found | undefined {
    const entry = this.#entries.get(hash);
    if (!entry) return undefined;
    // the age on this machine's monotonic clock: `now` is the caller's, which tests may fix
    if (entry.until > performance.now() && entry.found.token.expiresAt > now) return entry.found;
    this.#entries.delete(hash);
    return undefined;
  }

  put(hash: string, found: Found, epoch: number): void {
    if (epoch !== this.epoch) return;
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
    this.#entries.set(hash, { found, until: performance.now() + this.#maxAgeMs });
  }

  drop(revocation: Revocation): void {
    this.epoch++;
    if (revocation.kind === 'all') return this.#entries.clear();
    if (revocation.kind === 'token') return void this.#entries.delete(revocation.hash);
    for (const [hash, { found }] of this.#entries) {
      if (revocation.kind === 'grant' ? found.grant.id === revocation.id : found.grant.clientId === revocation.id) this.#entries.delete(hash);
    }
  }
}
