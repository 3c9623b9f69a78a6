/** The SQLite backend: the conformance suite on a temp file, plus what only a file-backed store has to get right. */
import { Database } from 'bun:sqlite';
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, StoreUnavailableError } from '../../src/store';
import { LATEST_VERSION, migrate } from '../../src/store/sqlite/migrations';
import { storeConformance } from '../../src/store/testing/conformance';
import { aClient, anAnswer, issue, T0 } from '../../src/store/testing/fixtures';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

/** The permission bits of a file or folder. */
const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Runs `fn` under the usual umask (022), which leaves new files readable by everyone unless asked otherwise. */
async function withUsualUmask<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.umask(0o022);
  try {
    return await fn();
  } finally {
    process.umask(saved);
  }
}

/** Runs one statement on the file through a connection of its own, behind the store's back. */
function execOn(file: string, statement: string): void {
  const db = new Database(file);
  try {
    db.run(statement);
  } finally {
    db.close();
  }
}

const suiteFile = join(tempDir(), 'conformance.db');
storeConformance('sqlite store', () => openStore(`sqlite:${suiteFile}`), {
  freshDatabase: async () => {
    const file = join(tempDir(), 'fresh.db');
    return {
      open: () => openStore(file),
      exec: async (statement) => execOn(file, statement),
      migrateTo: async (version) => {
        const db = new Database(file);
        try {
          migrate(db, file, version);
        } finally {
          db.close();
        }
      },
      dispose: async () => {},
    };
  },
});

describe('sqlite backend', () => {
  test('creates the file and the folders leading to it', async () => {
    const file = join(tempDir(), 'not', 'yet', 'there', 'portico.db');
    const store = await openStore(file);
    await store.ping();
    await store.close();
    expect(existsSync(file)).toBe(true);
  });

  test('secrets at rest: a new folder is 0700, and the database with its -wal and -shm files 0600', async () => {
    const folder = join(tempDir(), 'state');
    const file = join(folder, 'portico.db');
    await withUsualUmask(async () => {
      const store = await openStore(file);
      try {
        await store.putClient(aClient()); // a write, so that the WAL and its index exist
        expect({
          folder: modeOf(folder).toString(8),
          db: modeOf(file).toString(8),
          wal: modeOf(`${file}-wal`).toString(8),
          shm: modeOf(`${file}-shm`).toString(8),
        }).toEqual({ folder: '700', db: '600', wal: '600', shm: '600' });
      } finally {
        await store.close();
      }
    });
  });

  test('secrets at rest: an existing database readable by others (and its -wal and -shm) is tightened to 0600 when opened', async () => {
    const file = join(tempDir(), 'loose.db');
    await withUsualUmask(async () => {
      // a database an older Portico left 0644, with another process holding it open, so its WAL files exist too
      writeFileSync(file, '');
      chmodSync(file, 0o644);
      const other = new Database(file);
      try {
        other.run('PRAGMA journal_mode = WAL');
        other.run('CREATE TABLE t (x INTEGER)');
        other.run('INSERT INTO t VALUES (1)');
        expect([file, `${file}-wal`, `${file}-shm`].map((f) => modeOf(f).toString(8))).toEqual(['644', '644', '644']);
        const store = await openStore(file);
        await store.close();
        expect([file, `${file}-wal`, `${file}-shm`].map((f) => modeOf(f).toString(8))).toEqual(['600', '600', '600']);
      } finally {
        other.close();
      }
    });
  });

  test('without a URL the store is ./data/portico.db under the working directory', async () => {
    const cwd = tempDir();
    const store = await openStore(undefined, { cwd });
    expect(store.description).toBe(`SQLite database ${join(cwd, 'data', 'portico.db')}`);
    await store.close();
    expect(existsSync(join(cwd, 'data', 'portico.db'))).toBe(true);
  });

  test('data survives closing and reopening', async () => {
    const file = join(tempDir(), 'durable.db');
    const client = aClient();
    const first = await openStore(`file:${file}`);
    await first.putClient(client);
    await first.putSnapshot('spec', '{"openapi":"3.1.0"}', 1);
    await first.close();
    const again = await openStore(`sqlite://${file}`);
    expect(await again.getClient(client.id)).toEqual(client);
    expect(await again.getSnapshot('spec')).toEqual({ value: '{"openapi":"3.1.0"}', updatedAt: 1 });
    await again.close();
  });

  test('the file is in WAL mode', async () => {
    const file = join(tempDir(), 'wal.db');
    await (await openStore(file)).close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.query<{ journal_mode: string }, []>('PRAGMA journal_mode').get()?.journal_mode).toBe('wal');
    } finally {
      db.close();
    }
  });

  test(':memory: gives a private database', async () => {
    const one = await openStore('sqlite::memory:');
    const two = await openStore(':memory:');
    const client = aClient();
    await one.putClient(client);
    expect(await one.getClient(client.id)).toEqual(client);
    expect(await two.getClient(client.id)).toBeNull();
    await one.close();
    await two.close();
  });

  test('a folder that cannot be created is a StoreUnavailableError naming it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-file'), '');
    const error = await openStore(join(dir, 'a-file', 'portico.db')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(join(dir, 'a-file'));
  });

  test('a file that is not a database is a StoreUnavailableError', async () => {
    const file = join(tempDir(), 'garbage.db');
    writeFileSync(file, 'this is not an SQLite database, just text that is long enough to have a header'.repeat(20));
    const error = await openStore(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(file);
  });

  test('a grant deleted by another connection without cascading (the sqlite3 shell) is gone for the store at once', async () => {
    const file = join(tempDir(), 'no-cascade.db');
    const store = await openStore(file);
    try {
      const { grant, access } = await issue(store);
      expect((await store.findAccessToken(access.hash, T0))?.grant).toEqual(grant);
      // foreign_keys is off by default on a new SQLite connection: the token row stays behind, orphaned
      execOn(file, `DELETE FROM grants WHERE id = '${grant.id}'`);
      expect(await store.findAccessToken(access.hash, T0)).toBeNull();
    } finally {
      await store.close();
    }
  });

  test("a grant deleted without cascading (the sqlite3 shell) takes its answers with it all the same", async () => {
    const file = join(tempDir(), 'no-cascade-answers.db');
    const store = await openStore(file);
    try {
      const { grant } = await issue(store);
      const answer = anAnswer({ owner: grant.id });
      await store.putAnswer(answer);
      expect(await store.getAnswer(answer.id, T0)).toEqual(answer);
      // the answer row stays behind, orphaned, until the sweep takes it at its expiry
      execOn(file, `DELETE FROM grants WHERE id = '${grant.id}'`);
      expect(await store.getAnswer(answer.id, T0)).toBeNull();
      expect((await store.sweep(answer.expiresAt, { batch: 10 })).answers).toBe(1);
    } finally {
      await store.close();
    }
  });

    test('processes opening a fresh file at the same moment all migrate it safely', async () => {
    const file = join(tempDir(), 'race.db');
    const child = join(import.meta.dir, 'sqlite-open-child.ts');
    const procs = Array.from({ length: 4 }, (_, i) =>
      Bun.spawn([process.execPath, child, file, `client-${i}`], { stdout: 'pipe', stderr: 'pipe' }),
    );
    const codes = await Promise.all(procs.map((p) => p.exited));
    const errors = await Promise.all(procs.map((p) => new Response(p.stderr).text()));
    expect({ codes, errors }).toEqual({ codes: [0, 0, 0, 0], errors: ['', '', '', ''] });
    const store = await openStore(file);
    for (let i = 0; i < 4; i++) expect(await store.getClient(`client-${i}`)).not.toBeNull();
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      // each migration applied once: one row per version
      expect(db.query<{ n: number }, []>('SELECT count(*) AS n FROM schema_migrations').get()?.n).toBe(LATEST_VERSION);
    } finally {
      db.close();
    }
  });
});
