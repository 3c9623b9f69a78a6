/**
 * @module demo/ids
 * Ids shaped like the document's examples: a type prefix and 8 lowercase letters or digits (`db_8f3k2m9q`).
 */

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A fresh random id, e.g. `newId('prj')` → `prj_k3v9x0qa`. */
export function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let suffix = '';
  for (const byte of bytes) suffix += ALPHABET[byte % ALPHABET.length];
  return `${prefix}_${suffix}`;
}

/** The same id for the same `key` on every start, for seed data that README and tests can name. */
export function stableId(prefix: string, key: string): string {
  let hash = Bun.hash.wyhash(key, 7n);
  let suffix = '';
  for (let i = 0; i < 8; i++) {
    suffix += ALPHABET[Number(hash % 36n)];
    hash /= 36n;
  }
  return `${prefix}_${suffix}`;
}

/** A random secret: a bearer token or a generated role password. */
export function secret(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64url');
}
