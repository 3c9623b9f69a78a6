/**
 * `portico check`, run as a process in a temp working directory: it reports what `serve` would run (spec, tools by
 * scope, auth, store, URLs) without starting anything, leaves the store untouched, and exits 0, 1 (serve would not
 * start) or 2 (usage or configuration error).
 */
import { Database } from 'bun:sqlite';
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadCatalog } from '../../src/catalog';
import { openStore } from '../../src/store';
import { LATEST_VERSION } from '../../src/store/sqlite/migrations';
import { startPostgres } from '../fixtures/postgres';
import { removeTempDirs, ROOT, run, tempDir } from './run';

const pg = await startPostgres();
afterAll(async () => {
  removeTempDirs();
  await pg?.close();
});

const DEMO_SPEC = join(ROOT, 'src/demo/swagger.json');
const UPSTREAM = 'http://127.0.0.1:9/v1';

/** `portico check …` from the sources, in `cwd`, with only the PORTICO_* variables given here. */
function check(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const inherited = Object.keys(process.env).filter((name) => name.startsWith('PORTICO_'));
  return run([process.execPath, join(ROOT, 'src/main.ts'), 'check', ...args], {
    cwd: options.cwd ?? tempDir(),
    env: options.env,
    unsetEnv: inherited.filter((name) => !(name in (options.env ?? {}))),
  });
}

/** The report's line for `label` (its text, continuation lines included). */
function line(stdout: string, label: string): string {
  const match = new RegExp(`^  ${label.replace(' ', '\\s')}\\s+(.*(?:\\n {4,}\\S.*)*)`, 'm').exec(stdout);
  return match?.[1]?.replace(/\n\s+/g, ' ') ?? '';
}

const demoCounts = async () => {
  // the login is withheld from the tools, as serve withholds it
  const { catalog } = await loadCatalog(DEMO_SPEC, { signInOperations: ['POST /auth/login'] });
  const count = (scope: string) => catalog.entries.filter((entry) => entry.scope === scope).length;
  return `${catalog.entries.length} (read ${count('read')}, write ${count('write')}, admin ${count('admin')})`;
};

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('portico check: what would run', () => {
  test('auth none, the bundled demo spec: upstream, spec, tools by scope, auth, URLs, MCP mode, plugins; exit 0', async () => {
    const { code, stdout, stderr } = await check(['--auth', 'none', '--upstream', UPSTREAM, '--spec', DEMO_SPEC, '--port', '9999', '--mcp-mode', 'stateless']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(line(stdout, 'configuration')).toContain('flags (--upstream, --spec, --port, --mcp-mode, --auth)');
    expect(line(stdout, 'upstream')).toBe(UPSTREAM);
    expect(line(stdout, 'spec')).toBe(`${DEMO_SPEC} PGHost API 1.0 (Swagger 2.0), 25 operations; re-read every 300 s`);
    expect(line(stdout, 'tools')).toBe(await demoCounts());
    expect(line(stdout, 'auth')).toBe('none: /mcp is open, no sign-in; every call goes upstream without credentials');
    expect(line(stdout, 'listen')).toBe('127.0.0.1:9999');
    expect(line(stdout, 'public URL')).toBe('http://localhost:9999 (PORTICO_PUBLIC_URL unset)');
    expect(line(stdout, 'MCP URL')).toBe('http://localhost:9999/mcp');
    expect(line(stdout, 'MCP mode')).toStartWith('stateless');
    expect(line(stdout, 'client addresses')).toStartWith("the connection's (X-Forwarded-For and Forwarded ignored");
    expect(line(stdout, 'plugins')).not.toBe('');
    expect(stdout).not.toContain('store');
    expect(stdout).toContain('All checks passed');
  });

  test('the APIs plugins add: each one checked like the spec, a broken one named with its plugin; exit 1', async () => {
    const plugins = tempDir();
    writeFileSync(
      join(plugins, 'apis.ts'),
      `export default function (api) {
        api.addApi({ name: 'billing', spec: ${JSON.stringify(DEMO_SPEC)}, upstream: 'http://127.0.0.1:9/billing', prefix: 'billing_', credential: { headers: { 'X-API-Key': 'k-5551234' } } });
        api.addApi({ name: 'broken', spec: '/nonexistent/openapi.yaml', upstream: 'http://127.0.0.1:9/b', prefix: 'b_', credential: 'user' });
      }`,
    );
    const { code, stdout, stderr } = await check(['--auth', 'none', '--upstream', UPSTREAM, '--spec', DEMO_SPEC, '--plugins', plugins]);
    expect(code).toBe(1);
    const output = stdout + stderr;
    expect(line(stdout, 'API billing')).toBe(`from apis.ts: 25 tools named billing_…, calls to http://127.0.0.1:9/billing with headers X-API-Key ${DEMO_SPEC}: PGHost API 1.0`);
    expect(stdout).not.toContain('k-5551234');
    expect(line(stdout, 'API broken')).toBe('FAILED (see below)');
    expect(output).toContain('API broken: from apis.ts: cannot build tools from "/nonexistent/openapi.yaml": cannot read "/nonexistent/openapi.yaml": no such file');
  });

  test('auth none with a shared credential names the header, never its value', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'headers'), 'X-API-Key: k-471902\n');
    const { code, stdout, stderr } = await check(['--spec', DEMO_SPEC, '--host', '0.0.0.0'], {
      cwd: dir,
      env: { PORTICO_UPSTREAM: UPSTREAM, PORTICO_AUTH: 'none', PORTICO_UPSTREAM_HEADERS_FILE: 'headers' },
    });
    expect(code).toBe(0);
    expect(line(stdout, 'auth')).toBe('none: /mcp is open, no sign-in; every call goes upstream with the shared header X-API-Key');
    expect(line(stdout, 'configuration')).toContain('environment (PORTICO_UPSTREAM, PORTICO_UPSTREAM_HEADERS_FILE, PORTICO_AUTH)');
    expect(stdout).toContain('note: with auth none, anyone who can reach 0.0.0.0:8787 can call the API');
    expect(stdout + stderr).not.toContain('k-471902');
  });

  test('oauth with a temp SQLite store: identity source, store and secret; nothing is created', async () => {
    const dir = tempDir();
    const database = join(dir, 'data/portico.db');
    const { code, stdout, stderr } = await check(['--upstream', UPSTREAM, '--spec', DEMO_SPEC, '--database-url', database, '--public-url', 'https://mcp.example.com']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(line(stdout, 'tools')).toBe(await demoCounts());
    expect(line(stdout, 'auth')).toBe("oauth: users sign in on Portico's pages; each call goes upstream with the user's own token");
    expect(line(stdout, 'sign-in')).toBe(
      `password, checked by the API's login endpoint POST ${UPSTREAM}/auth/login (fields email, password); the fields from the API's document ` +
        "checked: POST /auth/login (login) in the API's document takes them",
    );
    expect(stdout).toContain('note: withheld POST /auth/login (login): sign-in operation, not offered as a tool');
    expect(line(stdout, 'store')).toBe(`SQLite database ${database} (created at first start)`);
    expect(line(stdout, 'secret')).toBe(`${join(dir, 'data/secret.key')} (generated at first start)`);
    expect(line(stdout, 'public URL')).toBe('https://mcp.example.com');
    expect(line(stdout, 'MCP URL')).toBe('https://mcp.example.com/mcp');
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  test('oauth with an existing SQLite store: its schema version is read, not changed', async () => {
    const dir = tempDir();
    const database = join(dir, 'portico.db');
    await (await openStore(database)).close();
    const secret = join(dir, 'secret.key');
    writeFileSync(secret, `${'s'.repeat(48)}\n`);
    const args = ['--upstream', UPSTREAM, '--spec', DEMO_SPEC, '--database-url', `sqlite:${database}`, '--secret-file', secret];
    const current = await check(args);
    expect(current.code).toBe(0);
    expect(line(current.stdout, 'store')).toBe(`SQLite database ${database}: schema version ${LATEST_VERSION} (current)`);
    expect(line(current.stdout, 'secret')).toBe(secret);
    expect(current.stdout).not.toContain('sss');

    // a newer Portico migrated it: serve would refuse it, so check fails, and the file is left as it was
    const db = new Database(database);
    db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [LATEST_VERSION + 1, 'from the future', 0]);
    db.close();
    const newer = await check(args);
    expect(newer.code).toBe(1);
    expect(line(newer.stdout, 'store')).toBe('FAILED (see below)');
    expect(newer.stderr).toContain(`store: SQLite database ${database} has schema version ${LATEST_VERSION + 1}, but this Portico knows versions up to ${LATEST_VERSION}`);
  });

  test('a config file in the working directory, with flags over it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'portico.yaml'), `upstream: ${UPSTREAM}\nspec: ${DEMO_SPEC}\nauth: none\nspecTtl: 0\nport: 7000\n`);
    const { code, stdout } = await check(['--port', '7001'], { cwd: dir });
    expect(code).toBe(0);
    expect(line(stdout, 'configuration')).toBe('portico.yaml (upstream, spec, specTtl, auth); flags (--port); defaults for the rest');
    expect(line(stdout, 'spec')).toEndWith('read once');
    expect(line(stdout, 'listen')).toBe('127.0.0.1:7001');
  });
});

describe('portico check: what would stop serve (exit 1)', () => {
  test('a broken spec', async () => {
    const dir = tempDir();
    const spec = join(dir, 'broken.json');
    writeFileSync(spec, JSON.stringify({ swagger: '2.0', info: { title: 'x', version: '1' }, paths: 5 }));
    const { code, stdout, stderr } = await check(['--auth', 'none', '--upstream', UPSTREAM, '--spec', spec]);
    expect(code).toBe(1);
    expect(line(stdout, 'spec')).toBe('FAILED (see below)');
    expect(stdout).not.toContain('All checks passed');
    expect(stderr).toContain('portico check: a problem; "portico serve" would not start:');
    expect(stderr).toContain(`spec: cannot build tools from "${spec}": `);
    expect(stderr).toContain('"paths"');
  });

  test('a spec that is not there, and an API whose spec cannot be discovered', async () => {
    const missing = await check(['--auth', 'none', '--upstream', UPSTREAM, '--spec', '/nowhere/openapi.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('spec: cannot build tools from "/nowhere/openapi.yaml"');
    const port = await closedPort();
    const discovered = await check(['--auth', 'none', '--upstream', `http://127.0.0.1:${port}/v1`]);
    expect(discovered.code).toBe(1);
    expect(discovered.stderr).toContain(`spec: cannot find the API's OpenAPI document: no OpenAPI document found for "http://127.0.0.1:${port}/v1"`);
  });

  test('an unreachable PostgreSQL store (its password never shown), and no shared secret for it', async () => {
    const port = await closedPort();
    const { code, stdout, stderr } = await check(['--upstream', UPSTREAM, '--spec', DEMO_SPEC], { env: { PORTICO_DATABASE_URL: `postgres://portico:pw-zx81-secret@127.0.0.1:${port}/portico` } });
    expect(code).toBe(1);
    expect(line(stdout, 'store')).toBe('FAILED (see below)');
    expect(stderr).toContain(`store: PostgreSQL at 127.0.0.1:${port} is unreachable`);
    expect(stderr).toContain(`postgres://portico:***@127.0.0.1:${port}/portico`);
    expect(stderr).toContain('secret: PORTICO_SECRET_FILE is required with PostgreSQL');
    expect(stderr).toContain('2 problems');
    expect(stdout + stderr).not.toContain('pw-zx81-secret');
  });

  test('a secret file too short, and a plain-http public URL for sign-in', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'secret.key'), 'short\n');
    const { code, stderr } = await check(['--upstream', UPSTREAM, '--spec', DEMO_SPEC, '--database-url', 'sqlite::memory:', '--secret-file', 'secret.key', '--public-url', 'http://mcp.example.com'], { cwd: dir });
    expect(code).toBe(1);
    expect(stderr).toContain('secret: PORTICO_SECRET_FILE: secret.key holds 5 characters; the secret must have at least 32');
    expect(stderr).toContain('public URL: PORTICO_PUBLIC_URL must be https when users sign in through Portico (got http://mcp.example.com)');
    expect(stderr).not.toContain('short');
  });

  test('a trusted proxy that is not an address: serve would refuse it, so check does', async () => {
    const { code, stdout, stderr } = await check(['--upstream', UPSTREAM, '--spec', DEMO_SPEC, '--auth', 'none', '--trusted-proxies', '10.0.0.0/8,lb.internal']);
    expect(code).toBe(1);
    expect(stderr).toContain('client addresses: PORTICO_TRUSTED_PROXIES: "lb.internal" is not an IP address or CIDR block');
    const good = await check(['--upstream', UPSTREAM, '--spec', DEMO_SPEC, '--auth', 'none', '--trusted-proxies', '10.0.0.0/8,127.0.0.1']);
    expect(good.code).toBe(0);
    expect(line(good.stdout, 'client addresses')).toBe("forwarded (X-Forwarded-For, Forwarded) when the connection is from 10.0.0.0/8, 127.0.0.1; otherwise the connection's");
  });
});

describe.skipIf(!pg)('portico check: a real PostgreSQL store', () => {
  test('reachable and empty, then current after a start migrated it; check itself writes nothing', async () => {
    const url = await pg!.createDatabase();
    const dir = tempDir();
    writeFileSync(join(dir, 'secret.key'), `${'k'.repeat(48)}\n`);
    const args = ['--upstream', UPSTREAM, '--spec', DEMO_SPEC, '--secret-file', 'secret.key'];
    const fresh = await check(args, { cwd: dir, env: { PORTICO_DATABASE_URL: url } });
    expect(fresh.stderr).toBe('');
    expect(fresh.code).toBe(0);
    expect(line(fresh.stdout, 'store')).toMatch(/^PostgreSQL database postgres:\/\/.*:\*\*\*@.*: reachable, no Portico tables yet \(created at first start\)$/);
    expect(fresh.stdout).not.toContain(pg!.password);
    const again = await check(args, { cwd: dir, env: { PORTICO_DATABASE_URL: url } });
    expect(line(again.stdout, 'store')).toContain('no Portico tables yet');

    await (await openStore(url)).close();
    const migrated = await check(args, { cwd: dir, env: { PORTICO_DATABASE_URL: url } });
    expect(migrated.code).toBe(0);
    expect(line(migrated.stdout, 'store')).toMatch(/: schema version \d+ \(current\)$/);
  });
});

describe('portico check: usage and configuration errors (exit 2)', () => {
  const cases: [string, string[], Record<string, string>, string][] = [
    ['an unknown option', ['--upstream', UPSTREAM, '--prot', '1'], {}, 'portico check: unknown option "--prot" (did you mean "--port"?)'],
    ['a stray argument', ['serve'], {}, 'portico check: unexpected argument "serve"'],
    ['a wrong value', ['--upstream', UPSTREAM, '--spec-ttl', 'soon'], {}, 'portico check: --spec-ttl must be an integer, got "soon"'],
    ['a missing named config file', ['--config', 'nope.yaml'], {}, 'portico check: --config names the config file "nope.yaml", which does not exist'],
    ['PORTICO_X and PORTICO_X_FILE both set', [], { PORTICO_UPSTREAM: UPSTREAM, PORTICO_UPSTREAM_FILE: 'upstream.txt' }, 'portico check: PORTICO_UPSTREAM and PORTICO_UPSTREAM_FILE are both set'],
    ['an unreadable _FILE', [], { PORTICO_UPSTREAM_FILE: 'nowhere.txt' }, 'portico check: PORTICO_UPSTREAM_FILE: cannot read "nowhere.txt" (no such file)'],
  ];
  for (const [label, args, env, message] of cases) {
    test(label, async () => {
      const { code, stdout, stderr } = await check(args, { env });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toStartWith(message);
      expect(stderr).toContain('Run "portico check --help" for the options.');
    });
  }

  test('a config file with an unknown key, and one with a YAML syntax error', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'portico.yaml'), `upstream: ${UPSTREAM}\nspecTTL: 5\n`);
    writeFileSync(join(dir, 'broken.yml'), `upstream: ${UPSTREAM}\nallowedOrigins: [https://a\nport: 1\n`);
    const unknown = await check([], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toStartWith('portico check: portico.yaml: unknown setting "specTTL" (did you mean "specTtl"?)');
    const broken = await check([], { cwd: dir, env: { PORTICO_CONFIG: 'broken.yml' } });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toStartWith('portico check: broken.yml is not valid YAML (line 3, column 1): ');
  });
});
