/** PORTICO_DATABASE_URL: which forms pick which backend, and the errors for the rest (never echoing a password). */
import { describe, expect, test } from 'bun:test';
import { openStore, parseDatabaseUrl, redactUrl, StoreUrlError } from '../../src/store';

const CWD = '/srv/portico';

describe('parseDatabaseUrl', () => {
  test.each([
    [undefined, '/srv/portico/data/portico.db'],
    ['', '/srv/portico/data/portico.db'],
    ['  ', '/srv/portico/data/portico.db'],
    ['portico.db', '/srv/portico/portico.db'],
    ['./var/portico.db', '/srv/portico/var/portico.db'],
    ['/var/lib/portico/portico.db', '/var/lib/portico/portico.db'],
    ['sqlite:portico.db', '/srv/portico/portico.db'],
    ['sqlite:/var/lib/p.db', '/var/lib/p.db'],
    ['sqlite://./rel.db', '/srv/portico/rel.db'],
    ['sqlite:///var/lib/p.db', '/var/lib/p.db'],
    ['SQLITE:portico.db', '/srv/portico/portico.db'],
    ['file:portico.db', '/srv/portico/portico.db'],
    ['file:///var/lib/my%20portico.db', '/var/lib/my portico.db'],
    [':memory:', ':memory:'],
    ['sqlite::memory:', ':memory:'],
    ['sqlite://:memory:', ':memory:'],
  ])('%p is the SQLite file %p', (url, path) => {
    expect(parseDatabaseUrl(url, CWD)).toEqual({ kind: 'sqlite', path });
  });

  test.each(['postgres://u:pw@db.internal:6543/portico', 'postgresql://u:pw@db.internal:6543/portico'])(
    '%p is PostgreSQL',
    (url) => {
      expect(parseDatabaseUrl(url, CWD)).toEqual({
        kind: 'postgres',
        url,
        redacted: url.replace(':pw@', ':***@'),
        host: 'db.internal',
        port: 6543,
        database: 'portico',
      });
    },
  );

  test('PostgreSQL defaults: port 5432, the database named after the user', () => {
    expect(parseDatabaseUrl('postgres://portico@db', CWD)).toMatchObject({ port: 5432, database: 'portico' });
  });

  test.each([
    ['mysql://root:hunter2@db/portico', 'unsupported scheme "mysql:"'],
    ['redis://:hunter2@cache:6379', 'unsupported scheme "redis:"'],
    ['localhost:5432', 'unsupported scheme "localhost:"'],
    ['postgres://', 'names no host'],
    ['postgres://user:hunter2@', 'cannot be parsed'],
    ['postgres://user:hunter2@[bad/db', 'cannot be parsed'],
    ['sqlite:', 'names no SQLite file'],
    ['sqlite:p.db?mode=ro', 'options after "?"'],
    ['file://otherhost/p.db', 'local absolute path'],
  ])('%p is refused: %s', (url, problem) => {
    let error: unknown;
    try {
      parseDatabaseUrl(url, CWD);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreUrlError);
    const message = (error as Error).message;
    expect(message).toStartWith('PORTICO_DATABASE_URL');
    expect(message).toContain(problem);
    expect(message).not.toContain('hunter2');
  });

  test('an unsupported scheme lists the accepted forms', () => {
    expect(() => parseDatabaseUrl('mongodb://db/portico', CWD)).toThrow(
      /accepted forms: postgres:\/\/user:password@host:5432\/database .*sqlite:<path>, file:<path>, a plain file path/,
    );
  });
});

describe('redactUrl', () => {
  test('masks the password and keeps the rest', () => {
    expect(redactUrl('postgres://portico:s3cret@db:5432/portico?sslmode=require')).toBe(
      'postgres://portico:***@db:5432/portico?sslmode=require',
    );
    expect(redactUrl('postgres://portico@db/portico')).toBe('postgres://portico@db/portico');
    expect(redactUrl('postgres://user:s3cret@[bad')).not.toContain('s3cret');
  });
});

describe('openStore', () => {
  test('a URL it cannot use is refused before anything is opened', async () => {
    const error = await openStore('mysql://root:hunter2@db/portico').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUrlError);
    expect((error as Error).message).not.toContain('hunter2');
  });

  test('sqlite::memory: opens a working SQLite store', async () => {
    const store = await openStore('sqlite::memory:');
    expect(store.description).toBe('SQLite in-memory database');
    await store.ping();
    await store.close();
  });
});
