/**
 * @module ops/events
 * What the parts of a gateway tell the operator's counters, as typed calls: a token issued, a catalog refreshed,
 * rows swept.
 * The metrics implement it (`ops/gateway-metrics`); the parts are handed it and call it where the thing happens,
 * beside the log line that says it in words — the counters never depend on a log event's name.
 */

export type CatalogRefresh = 'unchanged' | 'rebuilt' | 'changed' | 'failed';
export type Revocation = 'access' | 'refresh' | 'grant';

export interface CatalogEvents {
  /** A catalog was loaded from its source (at start, not from a stored copy). */
  catalogLoaded(): void;
  /** A refresh of a catalog ended so. */
  catalogRefreshed(outcome: CatalogRefresh): void;
}

export interface TokenEvents {
  /** An access and refresh token pair issued for an authorization code. */
  tokenIssued(): void;
  /** A refresh token rotated (a retry within the grace period too). */
  tokenRefreshed(): void;
  /** A token or a whole grant revoked. */
  tokenRevoked(kind: Revocation): void;
}

/** The kinds of rows the store's housekeeping deletes, as the metrics label them (the tables' names). */
export const SWEPT_KINDS = ['codes', 'access_tokens', 'refresh_tokens', 'grants', 'throttles', 'browser_sessions', 'answers', 'audit_entries'] as const;
export type SweptKind = (typeof SWEPT_KINDS)[number];

export interface StoreEvents {
  /** The housekeeping deleted `rows` rows of `kind` (expired, or audit entries past their retention). */
  rowsSwept(kind: SweptKind, rows: number): void;
}

export type GatewayEvents = CatalogEvents & TokenEvents & StoreEvents;

/** Events nobody counts (tests, `portico tools`). */
export const NO_EVENTS: GatewayEvents = {
  catalogLoaded() {},
  catalogRefreshed() {},
  tokenIssued() {},
  tokenRefreshed() {},
  tokenRevoked() {},
  rowsSwept() {},
};
