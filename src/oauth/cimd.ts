/**
 * @module oauth/cimd
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; MCP 2025-11-25 "Client ID Metadata
 * Documents"): a `client_id` that is an https URL names a JSON document describing the client. We fetch it when the
 * client shows up, check it like a registration, and cache it.
 *
 * The URL comes from whoever sends an authorization request, so this is an SSRF surface (research AS-08, ATK-13):
 * - the URL must be https, with a path, no user info, fragment or dot segments, written in its normal form;
 * - its host is resolved first and refused if ANY address is not a public unicast address;
 * - the connection then goes to an address that was checked — the URL's host is swapped for the address, and the
 *   name travels in the `Host` header and as the TLS server name (SNI and certificate check). So a DNS answer that
 *   changes between check and connect (DNS rebinding) cannot steer the request: we never ask DNS twice;
 * - redirects are not followed, the whole exchange has a deadline, and the body is read up to a byte cap only.
 * Any failure is remembered for 30 s so a hostile client cannot make us fetch in a loop.
 *
 * What remains: Bun's fetch shows no socket, so the connected peer's address is not re-checked (the pinning above
 * makes that unnecessary without a proxy). With HTTPS_PROXY set, the proxy is asked for the checked address, so it
 * cannot re-resolve either — but what the proxy itself can reach is the proxy's business.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { discard, readCapped } from '../read-capped';
import { ClientMetadataError, parseClientMetadata, type ClientMetadata } from './client-metadata';

/** The fetch the documents are requested with: the global `fetch` satisfies it. */
export type DocumentFetch = (url: string, init: BunFetchRequestInit) => Promise<Response>;

export interface CimdOptions {
  /** Deadline for one document, from DNS lookup to last byte. Default 5 000 ms. */
  timeoutMs?: number;
  /** Largest document accepted, in bytes. Default 16 KiB. */
  maxBytes?: number;
  /** The clock the cache expires by (tests move it). Default `Date.now`. */
  now?: () => number;
  /** Host name → its addresses (tests). Default: the system resolver, every address it has. */
  resolve?: (host: string) => Promise<string[]>;
  /** Skips the public-address check so tests can serve documents from 127.0.0.1. Never set in production. */
  allowPrivateAddressesForTests?: boolean;
  /** The fetch to use (tests: one that trusts a throwaway CA). It must pass on the `tls.serverName` it is given. */
  fetch?: DocumentFetch;
}

export const CIMD_LIMITS = {
  timeoutMs: 5_000,
  maxBytes: 16 * 1024,
  clientIdLength: 2000,
  minTtlMs: 60_000,
  maxTtlMs: 24 * 60 * 60_000,
  defaultTtlMs: 5 * 60_000,
  failureTtlMs: 30_000,
  maxEntries: 1000,
} as const;

/** Whether `clientId` is meant as a metadata document URL (rather than an id this server issued). */
export function isClientIdUrl(clientId: string): boolean {
  return clientId.startsWith('https://');
}

/**
 * `clientId` as a URL, if it is a well-formed document URL.
 * @throws ClientMetadataError `invalid_client` saying what is wrong with it.
 */
export function parseClientIdUrl(clientId: string): URL {
  const shown = JSON.stringify(clientId.length > 200 ? `${clientId.slice(0, 200)}…` : clientId);
  const refuse = (why: string) => new ClientMetadataError('invalid_client', `client_id ${shown} ${why}`);
  if (clientId.length > CIMD_LIMITS.clientIdLength) throw refuse(`is longer than ${CIMD_LIMITS.clientIdLength} characters`);
  if (!isClientIdUrl(clientId)) throw refuse('is not an https:// URL; a client ID metadata document must be served over https');
  const url = URL.parse(clientId);
  if (!url) throw refuse('is not a valid URL');
  if (clientId.includes('#')) throw refuse('has a fragment ("#…"), which a client ID URL must not have');
  if (/^https:\/\/[^/?#]*@/.test(clientId)) throw refuse('contains user information ("…@"), which a client ID URL must not have');
  if (hasDotSegment(clientId)) throw refuse('has "." or ".." path segments, which a client ID URL must not have');
  if (url.pathname === '/') throw refuse('has no path; the document must live at a path such as https://example.com/client.json');
  // The document's client_id is compared byte for byte, and the consent page shows this URL: a form that parsers
  // could read differently (case, default port, IPv4 shorthand, backslashes) is refused rather than rewritten.
  if (url.href !== clientId) throw refuse(`is not written in its normal form; write it as ${JSON.stringify(url.href)}`);
  return url;
}

/** Why `address` is not a public unicast address (e.g. "a private address"), or null when it is one. */
export function nonPublicAddressReason(address: string): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const v4 = parseIPv4(bare);
  if (v4 !== null) return ipv4Reason(v4);
  const v6 = parseIPv6(bare);
  if (v6 !== null) return ipv6Reason(v6);
  return 'not an IP address';
}

interface CacheEntry {
  readonly expires: number;
  readonly metadata?: ClientMetadata;
  readonly error?: ClientMetadataError;
}

/** Fetches, checks and caches client ID metadata documents. One instance per server. */
export class ClientMetadataDocuments {
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #resolve: (host: string) => Promise<string[]>;
  readonly #allowPrivate: boolean;
  readonly #fetch: DocumentFetch;
  /** Insertion-ordered, so the first key is the oldest entry. */
  readonly #cache = new Map<string, CacheEntry>();
  readonly #pending = new Map<string, Promise<ClientMetadata>>();

  constructor(options: CimdOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? CIMD_LIMITS.timeoutMs;
    this.#maxBytes = options.maxBytes ?? CIMD_LIMITS.maxBytes;
    this.#now = options.now ?? Date.now;
    this.#resolve = options.resolve ?? systemResolve;
    this.#allowPrivate = options.allowPrivateAddressesForTests === true;
    this.#fetch = options.fetch ?? fetch;
  }

  /**
   * The checked metadata of the client `clientId` names (a copy: callers may change it).
   * @throws ClientMetadataError `invalid_client` when the URL is unusable or the document could not be fetched;
   *   `invalid_client_metadata` / `invalid_redirect_uri` when the document says something unacceptable.
   */
  async get(clientId: string): Promise<ClientMetadata> {
    const url = parseClientIdUrl(clientId);
    const cached = this.#cache.get(clientId);
    if (cached && cached.expires > this.#now()) {
      if (cached.error) throw cached.error;
      return structuredClone(cached.metadata!);
    }
    let pending = this.#pending.get(clientId);
    if (!pending) {
      pending = this.#load(clientId, url).finally(() => this.#pending.delete(clientId));
      this.#pending.set(clientId, pending);
    }
    return structuredClone(await pending);
  }

  async #load(clientId: string, url: URL): Promise<ClientMetadata> {
    try {
      const { metadata, ttlMs } = await this.#fetchDocument(clientId, url);
      this.#remember(clientId, { expires: this.#now() + ttlMs, metadata }, ttlMs);
      return metadata;
    } catch (caught) {
      const error = caught instanceof ClientMetadataError ? caught : unreachable(clientId, caught);
      this.#remember(clientId, { expires: this.#now() + CIMD_LIMITS.failureTtlMs, error }, CIMD_LIMITS.failureTtlMs);
      throw error;
    }
  }

  #remember(clientId: string, entry: CacheEntry, ttlMs: number): void {
    this.#cache.delete(clientId);
    if (ttlMs <= 0) return;
    this.#cache.set(clientId, entry);
    for (const oldest of this.#cache.keys()) {
      if (this.#cache.size <= CIMD_LIMITS.maxEntries) break;
      this.#cache.delete(oldest);
    }
  }

  async #fetchDocument(clientId: string, url: URL): Promise<{ metadata: ClientMetadata; ttlMs: number }> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await this.#connect(clientId, url, await this.#addresses(clientId, url, signal), signal);
      const document = await this.#readDocument(clientId, response, signal);
      return { metadata: checkDocument(clientId, document), ttlMs: cacheTtl(response.headers.get('cache-control')) };
    } catch (caught) {
      if (signal.aborted && !(caught instanceof ClientMetadataError)) {
        throw new ClientMetadataError('invalid_client', `the client ID metadata document at ${clientId} did not arrive within ${this.#timeoutMs / 1000} s`);
      }
      throw caught;
    }
  }

  /** The addresses to connect to, every one of them public (unless tests allow otherwise). */
  async #addresses(clientId: string, url: URL, signal: AbortSignal): Promise<string[]> {
    const host = url.hostname;
    if (isIP(bare(host))) {
      const reason = this.#allowPrivate ? null : nonPublicAddressReason(host);
      if (reason) throw new ClientMetadataError('invalid_client', `client_id ${clientId} points at ${reason}; documents are only fetched from public internet addresses`);
      return [bare(host)];
    }
    // One description whatever went wrong, so the error cannot be used to map internal DNS names
    const refusal = (detail: string) => new ClientMetadataError('invalid_client', `the host "${host}" of client_id ${clientId} does not resolve to a public internet address`, detail);
    let addresses: string[];
    try {
      addresses = await untilAborted(this.#resolve(host), signal);
    } catch (caught) {
      if (signal.aborted) throw caught;
      throw refusal(`lookup failed: ${messageOf(caught)}`);
    }
    if (addresses.length === 0) throw refusal('lookup returned no addresses');
    if (!this.#allowPrivate) {
      for (const address of addresses) {
        const reason = nonPublicAddressReason(address);
        if (reason) throw refusal(`${host} resolves to ${address}, ${reason}`);
      }
    }
    return addresses;
  }

  /** The response of the first checked address that answers; the name goes in Host and as the TLS server name. */
  async #connect(clientId: string, url: URL, addresses: readonly string[], signal: AbortSignal): Promise<Response> {
    const byName = isIP(bare(url.hostname)) === 0;
    let lastError: unknown;
    for (const address of addresses) {
      const target = new URL(url.href);
      target.hostname = isIP(address) === 6 ? `[${address}]` : address;
      const init: BunFetchRequestInit = {
        method: 'GET',
        redirect: 'manual',
        signal,
        headers: { accept: 'application/json', host: url.host },
      };
      if (byName) init.tls = { serverName: url.hostname };
      try {
        return await this.#fetch(target.href, init);
      } catch (caught) {
        if (signal.aborted) throw caught;
        lastError = caught;
      }
    }
    throw unreachable(clientId, lastError);
  }

  async #readDocument(clientId: string, response: Response, signal: AbortSignal): Promise<unknown> {
    const refuse = (code: 'invalid_client' | 'invalid_client_metadata', why: string) =>
      new ClientMetadataError(code, `the client ID metadata document at ${clientId} ${why}`);
    if (response.status >= 300 && response.status < 400) {
      await discard(response);
      throw refuse('invalid_client', `answered with a redirect (HTTP ${response.status}); redirects are not followed, so the document must be served at the client_id URL itself`);
    }
    if (response.status !== 200) {
      await discard(response);
      throw refuse('invalid_client', `answered HTTP ${response.status}; expected 200`);
    }
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' && !/^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type)) {
      await discard(response);
      throw refuse('invalid_client_metadata', `has the content type "${type || '(none)'}"; it must be served as application/json`);
    }
    const tooLarge = () => refuse('invalid_client_metadata', `is larger than ${this.#maxBytes} bytes`);
    // A declared size over the cap is refused unread; an undeclared one (chunked) is cut off at the cap
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (!response.headers.has('content-encoding') && declared > this.#maxBytes) {
      await discard(response);
      throw tooLarge();
    }
    const body = await readCapped(response, this.#maxBytes, signal);
    if (body.truncated) throw tooLarge();
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body.bytes);
    } catch {
      throw refuse('invalid_client_metadata', 'is not valid UTF-8');
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw refuse('invalid_client_metadata', 'is not valid JSON');
    }
  }
}

function checkDocument(clientId: string, document: unknown): ClientMetadata {
  const fields = typeof document === 'object' && document !== null && !Array.isArray(document) ? (document as Record<string, unknown>) : undefined;
  const id = fields?.client_id;
  if (fields && id !== clientId) {
    const said = typeof id === 'string' ? `names the client_id ${JSON.stringify(id.slice(0, 200))}` : 'has no client_id';
    throw new ClientMetadataError('invalid_client_metadata', `the client ID metadata document at ${clientId} ${said}; it must be exactly the URL it is served at`);
  }
  try {
    return parseClientMetadata(document, 'document');
  } catch (caught) {
    if (!(caught instanceof ClientMetadataError)) throw caught;
    throw new ClientMetadataError(caught.error, `the client ID metadata document at ${clientId} is not acceptable: ${caught.error_description}`);
  }
}

/**
 * How long a document may be reused: its `max-age`, clamped to [1 min, 24 h]; 5 min without one; 0 for `no-store`.
 * `no-cache` asks for revalidation, which we do not do; it is read as `max-age=0`, i.e. the 1 min floor, which is
 * what stops a client from making us fetch on every request.
 */
function cacheTtl(header: string | null): number {
  if (!header) return CIMD_LIMITS.defaultTtlMs;
  const directives = header.toLowerCase().split(',').map((directive) => directive.trim());
  if (directives.includes('no-store')) return 0;
  if (directives.includes('no-cache')) return CIMD_LIMITS.minTtlMs;
  const maxAge = directives.map((directive) => /^max-age\s*=\s*"?(\d+)"?$/.exec(directive)?.[1]).find((value) => value !== undefined);
  if (maxAge === undefined) return CIMD_LIMITS.defaultTtlMs;
  return Math.min(CIMD_LIMITS.maxTtlMs, Math.max(CIMD_LIMITS.minTtlMs, Number(maxAge) * 1000));
}

async function systemResolve(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true });
  return found.map((entry) => entry.address);
}

function unreachable(clientId: string, cause: unknown): ClientMetadataError {
  return new ClientMetadataError('invalid_client', `the client ID metadata document at ${clientId} could not be fetched (${messageOf(cause)})`);
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('. For more information')[0]!.slice(0, 200);
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function hasDotSegment(clientId: string): boolean {
  const path = clientId.replace(/^https:\/\/[^/?#]*/, '').split(/[?#]/)[0]!;
  return path.split('/').some((segment) => {
    const plain = segment.replace(/%2e/gi, '.');
    return plain === '.' || plain === '..';
  });
}

function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

// ---- address classification (IANA IPv4/IPv6 special-purpose registries) ----

/** [first address, prefix length, reason]; the first match wins, so narrower blocks come first. */
const IPV4_BLOCKS: readonly (readonly [string, number, string])[] = [
  ['0.0.0.0', 32, 'the unspecified address'],
  ['0.0.0.0', 8, 'a "this network" address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'an IETF protocol assignment address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.88.99.0', 24, 'a 6to4 relay anycast address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['255.255.255.255', 32, 'the broadcast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];

const IPV4_TABLE = IPV4_BLOCKS.map(([first, bits, reason]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (parseIPv4(first)! & mask) >>> 0, mask, reason };
});

function ipv4Reason(address: number): string | null {
  for (const block of IPV4_TABLE) if (((address & block.mask) >>> 0) === block.base) return block.reason;
  return null;
}

function ipv6Reason(h: readonly number[]): string | null {
  const zeros = (from: number, to: number) => h.slice(from, to).every((part) => part === 0);
  const embedded = (high: number, low: number, form: string) => {
    const reason = ipv4Reason(((high << 16) | low) >>> 0);
    return reason && `${form} form of ${reason}`;
  };
  const [h0, h1, h2] = [h[0]!, h[1]!, h[2]!];
  if (zeros(0, 8)) return 'the unspecified address';
  if (zeros(0, 7) && h[7] === 1) return 'a loopback address';
  if (zeros(0, 5) && h[5] === 0xffff) return embedded(h[6]!, h[7]!, 'the IPv4-mapped');
  if (zeros(0, 4) && h[4] === 0xffff && h[5] === 0) return embedded(h[6]!, h[7]!, 'the IPv4-translated');
  if (h0 === 0) return 'a reserved address';
  if (h0 === 0x64 && h1 === 0xff9b && zeros(2, 6)) return embedded(h[6]!, h[7]!, 'the NAT64');
  if (h0 === 0x64 && h1 === 0xff9b && h2 === 1) return 'a local-use translation address';
  if (h0 === 0x100 && zeros(1, 4)) return 'a discard-only address';
  if (h0 === 0x2001 && h1 === 0xdb8) return 'a documentation address';
  if (h0 === 0x2001 && h1 < 0x200) return 'an IETF protocol assignment address (e.g. Teredo)';
  if (h0 === 0x2002) return embedded(h1, h2, 'the 6to4');
  if (h0 === 0x3fff && h1 < 0x1000) return 'a documentation address';
  if ((h0 & 0xfe00) === 0xfc00) return 'a unique-local address';
  if ((h0 & 0xffc0) === 0xfe80) return 'a link-local address';
  if ((h0 & 0xffc0) === 0xfec0) return 'a site-local address';
  if ((h0 & 0xff00) === 0xff00) return 'a multicast address';
  if ((h0 & 0xe000) !== 0x2000) return 'a reserved address';
  return null;
}

/** A dotted-quad IPv4 address as an unsigned number, or null. Only the strict form: DNS and WHATWG URLs give it. */
function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

/** An IPv6 address as eight 16-bit groups (zone id dropped, embedded IPv4 tail allowed), or null. */
function parseIPv6(text: string): number[] | null {
  const address = text.split('%')[0]!;
  if (!address.includes(':')) return null;
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string, last: boolean): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (const [index, part] of parts.entries()) {
      if (last && index === parts.length - 1 && part.includes('.')) {
        const v4 = parseIPv4(part);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) out.push(parseInt(part, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1]!, true) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}
