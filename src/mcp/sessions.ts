/**
 * @module mcp/sessions
 * The open MCP sessions, kept in the order they were last used and counted per owner (the grant that opened
 * them; without sign-in every client is one owner) and in all. Opening one beyond a cap pushes out the least
 * recently used session of that owner, or of all: a client that opens sessions in a loop pushes out its own old
 * ones, never another grant's (unless the whole instance is full), and memory stays bounded whatever clients do.
 *
 * Ids pushed out are remembered for a while (a bounded number of them), so the next request of one can be told
 * why its session is gone rather than just that it is.
 */

import type { Principal } from '../oauth/bearer';

/**
 * Whose something of `/mcp` is — a 2025 session, a 2026 listen stream, a 2026 request's state: the grant that
 * opened it (a refreshed token keeps it); without sign-in, everyone's.
 */
export function ownerOf(principal: Principal | undefined): string {
  return principal ? `grant:${principal.grantId}` : 'open';
}

/** Why a session was pushed out. */
export type EvictionReason = 'owner_limit' | 'total_limit';

export interface SessionCaps {
  /** Most sessions one owner may have open. */
  readonly perOwner: number;
  /** Most sessions open in all. */
  readonly total: number;
}

/** What the table needs of a session. */
export interface Owned {
  readonly owner: string;
  lastSeen: number;
}

export interface Evicted<S> {
  readonly id: string;
  readonly session: S;
  readonly reason: EvictionReason;
}

/** How many pushed-out ids are remembered (the oldest are forgotten first). */
const EVICTED_KEPT = 4096;

export class SessionTable<S extends Owned> {
  /** Every open session, least recently used first (a use moves it to the end). */
  private readonly open = new Map<string, S>();
  /** Each owner's session ids, least recently used first. */
  private readonly owners = new Map<string, Set<string>>();
  private readonly evicted = new Map<string, { owner: string; reason: EvictionReason }>();

  constructor(private readonly caps: SessionCaps) {}

  get size(): number {
    return this.open.size;
  }

  get(id: string): S | undefined {
    return this.open.get(id);
  }

  /** The sessions, least recently used first. */
  values(): IterableIterator<S> {
    return this.open.values();
  }

  /** The sessions by id, least recently used first. */
  entries(): IterableIterator<[string, S]> {
    return this.open.entries();
  }

  /** Forgets every session (shutdown); evicted ids are kept. */
  clear(): void {
    this.open.clear();
    this.owners.clear();
  }

  /** Marks `id` used at `now`: it becomes the most recently used, of its owner's and of all. */
  touch(id: string, session: S, now: number): void {
    session.lastSeen = now;
    this.open.delete(id);
    this.open.set(id, session);
    const mine = this.owners.get(session.owner);
    mine?.delete(id);
    mine?.add(id);
  }

  /**
   * Adds a session just opened; the sessions pushed out to make room (already removed, for the caller to close).
   * The owner's cap is applied first, so a grant at its cap replaces its own session and leaves the others alone.
   */
  add(id: string, session: S): Evicted<S>[] {
    const out: Evicted<S>[] = [];
    let mine = this.owners.get(session.owner);
    while (mine && mine.size >= this.caps.perOwner) out.push(this.evict(first(mine), 'owner_limit'));
    while (this.open.size >= this.caps.total) out.push(this.evict(first(this.open.keys()), 'total_limit'));
    mine = this.owners.get(session.owner);
    if (!mine) this.owners.set(session.owner, (mine = new Set()));
    mine.add(id);
    this.open.set(id, session);
    return out;
  }

  /** Removes `id` (closed, expired, deleted); whether it was open. */
  delete(id: string): boolean {
    const session = this.open.get(id);
    if (!session) return false;
    this.open.delete(id);
    const mine = this.owners.get(session.owner);
    mine?.delete(id);
    if (mine?.size === 0) this.owners.delete(session.owner);
    return true;
  }

  /** Why `id` was pushed out, when it was and `owner` opened it (anyone else is told only that it does not exist). */
  evictedReason(id: string, owner: string): EvictionReason | undefined {
    const known = this.evicted.get(id);
    return known?.owner === owner ? known.reason : undefined;
  }

  private evict(id: string, reason: EvictionReason): Evicted<S> {
    const session = this.open.get(id)!;
    this.delete(id);
    if (this.evicted.size >= EVICTED_KEPT) this.evicted.delete(first(this.evicted.keys()));
    this.evicted.set(id, { owner: session.owner, reason });
    return { id, session, reason };
  }
}

function first(ids: Iterable<string>): string {
  for (const id of ids) return id;
  throw new Error('unreachable: first() of an empty collection');
}
