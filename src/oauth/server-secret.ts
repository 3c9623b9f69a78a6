/**
 * @module oauth/server-secret
 * The server secret: the root of the keys that seal upstream credentials and sign CSRF tokens. It never
 * goes into the database (a stolen database alone must not reveal upstream credentials).
 *
 * From `PORTICO_SECRET_FILE` when set. Otherwise, with SQLite, a fresh install generates one beside the
 * database file (`secret.key`, mode 0600) and reads it on every later start. With PostgreSQL several
 * instances must share it, so it has to be configured.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DatabaseTarget } from '../store';

export const MIN_SECRET_LENGTH = 32;

/** A configuration problem with the secret: the message says what to do. */
export class SecretError extends Error {
  override readonly name = 'SecretError';
}

/** The secret's bytes, and where it came from (for the start-up log; never the secret). */
export function loadServerSecret(secretFile: string | undefined, database: DatabaseTarget): { secret: Uint8Array; source: string } {
  if (secretFile) return { secret: readSecret(secretFile, 'PORTICO_SECRET_FILE'), source: secretFile };
  if (database.kind === 'postgres') {
    throw new SecretError(
      'PORTICO_SECRET_FILE is required with PostgreSQL: every instance must seal and open upstream credentials with the same secret. ' +
        `Create one with: head -c 48 /dev/urandom | base64 > /etc/portico/secret.key && chmod 600 /etc/portico/secret.key`,
    );
  }
  if (database.path === ':memory:') return { secret: randomBytes(48), source: 'generated for this process (in-memory database)' };
  const file = join(dirname(database.path), 'secret.key');
  try {
    // owner-only, like the database that shares the folder (store/sqlite)
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // `wx`: of two processes starting at once on a fresh install, one writes and both read the same secret
    writeFileSync(file, `${randomBytes(48).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new SecretError(`cannot create the server secret ${file}: ${(error as Error).message}`);
  }
  return { secret: readSecret(file, 'the generated secret'), source: file };
}

function readSecret(file: string, what: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new SecretError(`${what}: cannot read ${file}: ${(error as Error).message}`);
  }
  if (text.length < MIN_SECRET_LENGTH) throw new SecretError(`${what}: ${file} holds ${text.length} characters; the secret must have at least ${MIN_SECRET_LENGTH}`);
  try {
    // a secret readable by other users of the machine is a leak waiting to happen: tighten it when we own it
    // (the owner's bits are kept: a secret made read-only stays read-only)
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) chmodSync(file, mode & 0o700);
  } catch {
    // not ours to change (a read-only mount): it is still usable
  }
  return Buffer.from(text, 'utf8');
}
