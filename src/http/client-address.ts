/**
 * @module http/client-address
 * Who sent a request: the one address every per-address decision uses — the rate limits, the sign-in and
 * registration throttles, the loopback rule of `/metrics`, the logs. It is worked out once, in `http/front`,
 * where the request arrives with its socket, and handed down from there.
 *
 * Threat: `X-Forwarded-For` and `Forwarded` are written by whoever sends the request. Believed, they let one
 * client pose as any number of addresses (escaping every per-address limit, or exhausting another user's) or
 * as 127.0.0.1 (reading `/metrics`). So they are read only when the socket's peer is a proxy the operator
 * listed (`PORTICO_TRUSTED_PROXIES`), and then from the right: each listed proxy appends the address it saw,
 * so the first address from the right that is not a listed proxy is the client; anything left of it is the
 * client's own claim and is ignored.
 */
import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../config/errors';

/** What the address is when the socket's peer cannot be known (a request handed in without a server). */
export const UNKNOWN_ADDRESS = 'unknown';

export class ClientAddresses {
  private readonly trusted = new BlockList();
  private readonly any: boolean;

  /**
   * @param proxies addresses and CIDR blocks (`10.0.0.0/8`, `::1`, `fd00::/8`) of the proxies in front of
   *   Portico whose forwarding headers are believed. Throws `ConfigError` naming a malformed entry.
   */
  constructor(proxies: readonly string[]) {
    for (const entry of proxies) addEntry(this.trusted, entry.trim());
    this.any = proxies.length > 0;
  }

  /** Whether any proxy is trusted (else the forwarding headers are never read). */
  get behindProxies(): boolean {
    return this.any;
  }

  /** The client's address: the socket's peer, or — when that is a listed proxy — the address the proxies forwarded. */
  of(peer: string | undefined, headers: Headers): string {
    if (peer === undefined) return UNKNOWN_ADDRESS;
    if (!this.any || !this.isTrusted(peer)) return peer;
    const chain = forwardedChain(headers);
    // from the right: past every listed proxy to the first hop that is not one
    let client = peer;
    for (let index = chain.length - 1; index >= 0; index--) {
      const hop = chain[index]!;
      // a listed proxy appends what it saw, always an address: anything else was written by the client
      if (isIP(hop) === 0) return client;
      client = hop;
      if (!this.isTrusted(hop)) return hop;
    }
    return client;
  }

  private isTrusted(address: string): boolean {
    const version = isIP(address);
    return version !== 0 && this.trusted.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}

function addEntry(list: BlockList, entry: string): void {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const version = isIP(address);
  const problem = `PORTICO_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR block (e.g. 10.0.0.0/8, 127.0.0.1, fd00::/8)`;
  if (version === 0) throw new ConfigError(problem);
  const type = version === 4 ? 'ipv4' : 'ipv6';
  if (slash < 0) {
    list.addAddress(address, type);
    return;
  }
  const prefix = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (version === 4 ? 32 : 128)) throw new ConfigError(problem);
  list.addSubnet(address, Number(prefix), type);
}

/**
 * The addresses the proxies recorded, client first: RFC 7239 `Forwarded: for=…` when present (it is the
 * standard), else `X-Forwarded-For`. Ports, brackets and quotes are taken off; obfuscated identifiers and
 * `unknown` stay as they are (they are not addresses, which stops the walk).
 */
export function forwardedChain(headers: Headers): string[] {
  const forwarded = headers.get('forwarded');
  if (forwarded !== null) {
    const hops: string[] = [];
    for (const element of forwarded.split(',')) {
      for (const pair of element.split(';')) {
        const eq = pair.indexOf('=');
        if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
        hops.push(nodeAddress(pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1')));
      }
    }
    return hops;
  }
  const list = headers.get('x-forwarded-for');
  return list === null ? [] : list.split(',').map((hop) => nodeAddress(hop.trim()));
}

/** `[2001:db8::1]:4711` → `2001:db8::1`; `192.0.2.1:80` → `192.0.2.1`; anything else as it is. */
function nodeAddress(value: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(value);
  return v4 ? v4[1]! : value;
}
