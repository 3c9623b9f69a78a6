/**
 * @module oauth/crypto
 * Random tokens, their hashes, and sealed data.
 *
 * Tokens are opaque: 32 random bytes, base64url, behind a prefix that says what they are (`pat_` access,
 * `prt_` refresh, `pac_` code, `pcs_` client secret) so secret scanners and people can tell them apart.
 * Only their SHA-256 reaches the store. Sealed data (the user's upstream credential inside codes, grants
 * and login cookies) is AES-256-GCM under a key derived from the server secret, with the record it belongs
 * to as associated data, so a sealed value copied into another record does not open. What must open only
 * for the holder of a token (the pair a refresh issued, kept for its retry) is sealed under a key derived
 * from the server secret *and* that token (`sealFor`): associated data is authenticated, not secret, so it
 * could not do that on its own.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export type TokenKind = 'access' | 'refresh' | 'code' | 'secret';
const PREFIX: Readonly<Record<TokenKind, string>> = { access: 'pat_', refresh: 'prt_', code: 'pac_', secret: 'pcs_' };

export function newToken(kind: TokenKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

/** An id that is not a secret (grant ids, client ids). */
export function newId(prefix: string): string {
  return prefix + randomBytes(12).toString('base64url');
}

/** The SHA-256 of a token, hex: what the store keeps. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Compares two strings in time that does not depend on where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** PKCE S256: base64url(SHA-256(verifier)). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

const SEAL_VERSION = 'v1';

/** The keys derived from the server secret, one per purpose. */
export class Keys {
  private readonly sealKey: Buffer;
  private readonly macKey: Buffer;

  constructor(serverSecret: Uint8Array) {
    if (serverSecret.length < 32) throw new Error('the server secret must be at least 32 bytes');
    this.sealKey = Buffer.from(hkdfSync('sha256', serverSecret, 'portico', 'portico seal v1', 32));
    this.macKey = Buffer.from(hkdfSync('sha256', serverSecret, 'portico', 'portico mac v1', 32));
  }

  /** Encrypts `value` (JSON) for the record named by `context` (e.g. `grant:<id>`). */
  seal(value: unknown, context: string): string {
    return sealUnder(this.sealKey, value, context);
  }

  /** The value `seal` encrypted for `context`, or undefined when it was tampered with, or sealed for another record or key. */
  open(sealed: string, context: string): unknown {
    return openUnder(this.sealKey, sealed, context);
  }

  /**
   * Like `seal`, under a key derived from the server secret and `held`, a secret the caller was given (a token in
   * clear, which the store never sees): neither a copy of the database with the server secret, nor the token
   * without the server secret, opens it.
   */
  sealFor(held: string, value: unknown, context: string): string {
    return sealUnder(this.heldKey(held), value, context);
  }

  /** The value `sealFor` encrypted for `held` and `context`, or undefined (another token, record or key; tampered with). */
  openFor(held: string, sealed: string, context: string): unknown {
    return openUnder(this.heldKey(held), sealed, context);
  }

  private heldKey(held: string): Buffer {
    return Buffer.from(hkdfSync('sha256', Buffer.concat([this.sealKey, Buffer.from(held, 'utf8')]), 'portico', 'portico held seal v1', 32));
  }

  /** An HMAC of `value` for `purpose` (CSRF tokens). */
  mac(purpose: string, value: string): string {
    return createHmac('sha256', this.macKey).update(`${purpose}\n${value}`).digest('base64url');
  }
}

function sealUnder(key: Buffer, value: unknown, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${SEAL_VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

function openUnder(key: Buffer, sealed: string, context: string): unknown {
  const [version, iv, body] = sealed.split('.');
  if (version !== SEAL_VERSION || !iv || !body) return undefined;
  try {
    const bytes = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const text = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
