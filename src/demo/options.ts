/**
 * @module demo/options
 * What can differ between two demo APIs: how slow the slow endpoint is, how long background work takes, token
 * lifetime, the test-only control routes and the clock.
 */

export const DEFAULT_SLOW_MS = 2_000;
export const DEFAULT_SETTLE_MS = 3_000;
export const DEFAULT_TOKEN_TTL_MS = 60 * 60 * 1_000;

/** Options of `createDemoApi` and `startDemoApi`. */
export interface DemoApiOptions {
  /**
   * How long `GET …/query-stats` (the slow endpoint) takes, in ms. Tests use 0.
   * @default 2000
   */
  slowMs?: number;
  /**
   * How long background work takes before it settles, in ms: a new database is `provisioning`, an updated one
   * `updating`, a restored one `restoring`, a deleted one `deleting`, a new backup `pending`/`running`. Reads
   * after that see `ready`/`completed` (a deleted database is gone). Tests use 0.
   * @default 3000
   */
  settleMs?: number;
  /**
   * Lifetime of a bearer token from `POST /v1/auth/login`, in ms.
   * @default 3600000 (one hour)
   */
  tokenTtlMs?: number;
  /**
   * Mount the test-only control routes (`POST /_demo/extend`). Off, they answer 404 like any unknown path.
   * @default false
   */
  control?: boolean;
  /**
   * The clock, in ms since the epoch; tests move it to expire tokens.
   * @default Date.now
   */
  now?: () => number;
  /**
   * The OpenID provider whose ID tokens `POST /v1/auth/oidc` accepts (the demo's, standing in for Google): its
   * issuer, the audience its tokens must name (the client id it gave Portico) and its keys. Without it that
   * endpoint answers 404 like any unknown path.
   */
  oidc?: { readonly issuer: string; readonly audience: string; readonly jwksUrl: string };
}

export type ResolvedDemoOptions = Readonly<Required<Omit<DemoApiOptions, 'oidc'>>> & Pick<DemoApiOptions, 'oidc'>;

/** Fills in the defaults (without touching `options`); a negative or non-finite duration is a TypeError. */
export function resolveDemoOptions(options: DemoApiOptions = {}): ResolvedDemoOptions {
  const {
    slowMs = DEFAULT_SLOW_MS,
    settleMs = DEFAULT_SETTLE_MS,
    tokenTtlMs = DEFAULT_TOKEN_TTL_MS,
    control = false,
    now = Date.now,
    oidc,
  } = options;
  for (const [name, value] of Object.entries({ slowMs, settleMs, tokenTtlMs })) {
    if (!Number.isFinite(value) || value < 0) {
      throw Object.assign(new TypeError(`demo API option "${name}" must be a number of ms >= 0, got ${value}`), {
        code: 'ERR_INVALID_ARG_VALUE',
      });
    }
  }
  return { slowMs, settleMs, tokenTtlMs, control, now, ...(oidc && { oidc }) };
}
