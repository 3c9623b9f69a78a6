/** The generated server secret at rest: owner-only, in an owner-only folder, like the database beside it. */
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServerSecret } from '../../src/oauth/server-secret';
import { openStore } from '../../src/store';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** Runs `fn` under the usual umask (022), which leaves new files readable by everyone unless asked otherwise. */
async function withUsualUmask<T>(fn: () => T | Promise<T>): Promise<T> {
  const saved = process.umask(0o022);
  try {
    return await fn();
  } finally {
    process.umask(saved);
  }
}

describe('the generated server secret', () => {
  test('a fresh install: secret.key is 0600 in a folder created 0700', async () => {
    const folder = join(tempDir(), 'data');
    const loaded = await withUsualUmask(() => loadServerSecret(undefined, { kind: 'sqlite', path: join(folder, 'portico.db') }));
    expect(loaded.source).toBe(join(folder, 'secret.key'));
    expect({ folder: modeOf(folder), secret: modeOf(join(folder, 'secret.key')) }).toEqual({ folder: '700', secret: '600' });
  });

  test('whichever comes first, the store or the secret, the folder they share is 0700', async () => {
    const folder = join(tempDir(), 'data');
    const path = join(folder, 'portico.db');
    await withUsualUmask(async () => {
      await (await openStore(path)).close();
      loadServerSecret(undefined, { kind: 'sqlite', path });
    });
    expect({ folder: modeOf(folder), db: modeOf(path), secret: modeOf(join(folder, 'secret.key')) }).toEqual({ folder: '700', db: '600', secret: '600' });
  });

  test('an existing secret.key readable by others is tightened, and still read', async () => {
    const folder = tempDir();
    const file = join(folder, 'secret.key');
    writeFileSync(file, `${'s'.repeat(64)}\n`);
    chmodSync(file, 0o644);
    const loaded = loadServerSecret(undefined, { kind: 'sqlite', path: join(folder, 'portico.db') });
    expect(Buffer.from(loaded.secret).toString()).toBe('s'.repeat(64));
    expect(modeOf(file)).toBe('600');
  });
});
