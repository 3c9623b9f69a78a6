/**
 * @module http/limits
 * Rate limits on `/mcp` and the OAuth endpoints, and the 429 answers: per token (its grant, so a refresh
 * does not reset it) on `/mcp`; per client address on `/mcp` and the OAuth POSTs. On `/mcp` both count JSON-RPC
 * requests (a batch counts each of its requests), elsewhere HTTP requests. With a store several instances share
 * (PostgreSQL), the instances count together (`ops/shared-rate-limit`: no statement per request, and an overshoot of
 * at most a tenth of the limit per instance); otherwise in memory, per instance (`ops/rate-limit`).
 *
 * The address is the client's as `http/front` decided it: the socket's, or what a listed proxy forwarded
 * (`PORTICO_TRUSTED_PROXIES`). Loopback addresses are not limited unless asked for: a reverse proxy on the
 * same host that is not listed makes every user look like 127.0.0.1, and one bucket for all of them would
 * throttle everybody.
 *
 * A refusal is a `Refusal`, thrown and rendered in the route's dialect by `http/front`: the per-address one there,
 * the charges made once a /mcp body is read by the MCP endpoint (`Admission`).
 */
import type { Logger } from '../log';
import type { Admission } from '../mcp/endpoint';
import type { RateLimitKind } from '../ops/gateway-metrics';
import { addressKey, isLoopback, RateLimiter } from '../ops/rate-limit';
import { SharedLimits, type Limiter, type SharedBuckets } from '../ops/shared-rate-limit';
import { Refusal } from '../wire/refusal';
import { UNKNOWN_ADDRESS } from './client-address';

export interface LimitSettings {
  /** JSON-RPC requests a minute per grant on /mcp (each message of a batch counts); 0: no limit. */
  readonly perToken: number;
  /** Requests a minute per client address on /mcp (JSON-RPC requests, each message of a batch counts) and the OAuth POSTs; 0: no limit. */
  readonly perAddress: number;
  /** Count loopback addresses too (clients connect from this host directly, not through a proxy). */
  readonly loopback: boolean;
  /**
   * The address the gateway listens on. On a loopback one every client is local, so without `loopback`
   * the per-address limit cannot apply and a request's address is not even looked up (a system call).
   */
  readonly listenHost?: string;
  /** The store, when several instances share it: the limits are then counted with the other instances. */
  readonly shared?: { readonly buckets: SharedBuckets; readonly log: Logger };
  /** Told about every refusal (metrics). */
  readonly onLimited?: (kind: RateLimitKind) => void;
  readonly now?: () => number;
}

export class RequestLimits {
  private readonly byToken: Limiter;
  private readonly byAddress: Limiter;
  private readonly shared?: SharedLimits;

  constructor(private readonly settings: LimitSettings) {
    const remoteClients = settings.loopback || settings.listenHost === undefined || !isLoopbackHost(settings.listenHost);
    const perAddress = remoteClients ? settings.perAddress : 0;
    const { shared } = settings;
    if (shared && (settings.perToken > 0 || perAddress > 0)) this.shared = new SharedLimits({ ...shared, now: settings.now });
    const limiter = (name: RateLimitKind, perMinute: number) => (this.shared && perMinute > 0 ? this.shared.limiter(name, perMinute) : new RateLimiter({ perMinute, now: settings.now }));
    this.byToken = limiter('token', settings.perToken);
    this.byAddress = limiter('address', perAddress);
  }

  /** Whether requests are limited per address at all (else `address` need not be called). */
  get limitsAddresses(): boolean {
    return this.byAddress.enabled;
  }

  /** 0 when `address` may send one more request, else the seconds to wait. */
  address(address: string | undefined): number {
    const key = this.addressBucket(address);
    if (key === undefined) return 0;
    const wait = this.byAddress.take(key);
    if (wait > 0) this.settings.onLimited?.('address');
    return wait;
  }

  /**
   * How one /mcp request is charged once its cost is known (`McpEndpoint` asks when it has read the body): the
   * cost is the work asked for, not the HTTP request — a POST costs one per JSON-RPC request it carries (a batch
   * of 20 calls costs 20), at least one; GET and DELETE cost one. The grant is charged all of it; the address
   * all but the one request `http/front` charged before the body was read. Each limit takes all or nothing; the
   * address is asked first. Undefined when neither limit applies. `address` is asked only when addresses are
   * limited (looking it up is a system call).
   */
  mcpAdmission(grantId: string | undefined, address: () => string | undefined): Admission | undefined {
    const key = this.byAddress.enabled ? this.addressBucket(address()) : undefined;
    const byGrant = grantId !== undefined && this.byToken.enabled;
    if (key === undefined && !byGrant) return undefined;
    return (cost) => (key === undefined ? undefined : this.chargeAddress(key, cost)) ?? (byGrant ? this.chargeGrant(grantId, cost) : undefined);
  }

  stop(): void {
    this.byToken.stop();
    this.byAddress.stop();
    this.shared?.stop();
  }

  /** `cost` requests from the grant's bucket: undefined when they fit, else the 429. */
  private chargeGrant(grantId: string, cost: number): Refusal | undefined {
    const wait = this.byToken.take(grantId, cost);
    if (wait === 0) return undefined;
    this.settings.onLimited?.('token');
    return wait === Infinity ? overLimit(cost, this.settings.perToken, 'token') : limited(wait, 'token');
  }

  /** The rest of a POST's `cost` from the address's bucket (`http/front` took one): undefined when it fits, else the 429. */
  private chargeAddress(key: string, cost: number): Refusal | undefined {
    if (cost <= 1) return undefined;
    // the whole POST must fit in a minute's worth, the request front took included
    const wait = cost > this.settings.perAddress ? Infinity : this.byAddress.take(key, cost - 1);
    if (wait === 0) return undefined;
    this.settings.onLimited?.('address');
    return wait === Infinity ? overLimit(cost, this.settings.perAddress, 'address') : limited(wait, 'address');
  }

  /** The bucket of `address`; undefined when it is not limited (the limit is off, the address unknown, or a loopback one not counted). */
  private addressBucket(address: string | undefined): string | undefined {
    if (!this.byAddress.enabled || address === undefined || address === UNKNOWN_ADDRESS || (!this.settings.loopback && isLoopback(address))) return undefined;
    return addressKey(address);
  }
}

function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || isLoopback(name);
}

const WHO: Readonly<Record<RateLimitKind, string>> = { token: 'this connection (its access token)', address: 'this address' };

/** A 429, the same words in either dialect (a JSON-RPC error on /mcp, an OAuth error elsewhere), and Retry-After. */
export function limited(seconds: number, kind: RateLimitKind): Refusal {
  return tooMany(`Too many requests from ${WHO[kind]}; retry after ${seconds} s`, seconds);
}

/** A 429 for one POST that asks for more than may be sent in a whole minute: no wait makes it fit, smaller batches do. */
function overLimit(cost: number, perMinute: number, kind: RateLimitKind): Refusal {
  return tooMany(`This request holds ${cost} JSON-RPC requests, more than ${WHO[kind]} may send in a minute (${perMinute}); send them in smaller batches`, 60);
}

function tooMany(message: string, retryAfter: number): Refusal {
  return new Refusal(429, message, { oauth: 'temporarily_unavailable' }, { 'retry-after': String(retryAfter), 'cache-control': 'no-store' });
}
