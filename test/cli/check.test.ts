/**
 * `portico check`, run as a process in a temp working directory: it reports what `serve` would run (spec, tools by
 * scope, auth and each sign-in method, store, URLs) without starting anything, leaves the store untouched, and exits
 * 0, 1 (serve would not start) or 2 (usage or configuration error). The sign-in methods through another party are
 * checked against the demo API and the demo OpenID provider, both listening on real ports.
 */
import { Database } from 'bun:sqlite';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadCatalog } from '../../src/catalog';
import { startOAuthApi, type RunningOAuthApi } from '../oauth/fixtures/oauth-api';
import { startDemoApi, startDemoProvider, type RunningDemoApi, type RunningDemoProvider } from '../../src/demo';
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

/** Every line of the report for `label`, in order (e.g. one per sign-in method). */
function lines(stdout: string, label: string): string[] {
  const pattern = new RegExp(`^  ${label.replace(' ', '\\s')}\\s+(.*(?:\\n {4,}\\S.*)*)`, 'gm');
  return [...stdout.matchAll(pattern)].map((match) => match[1]!.replace(/\n\s+/g, ' '));
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
    expect(discovered.stderr).toContain(`spec: cannot find the API's OpenAPI document: cannot reach http://127.0.0.1:${port} (connection refused): is the API running there? Check PORTICO_UPSTREAM ("http://127.0.0.1:${port}/v1")`);
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

describe('portico check: the sign-in methods besides the password, against the demo API and the demo OpenID provider', () => {
  let demo: RunningDemoApi;
  let provider: RunningDemoProvider;
  beforeAll(async () => {
    [demo, provider] = await Promise.all([startDemoApi({ port: 0 }), startDemoProvider()]);
  });
  afterAll(async () => {
    await Promise.all([demo?.stop(), provider?.stop()]);
  });

  const CALLBACK = 'https://mcp.example.com/oauth/callback';
  /** `portico check` for sign-in in front of the demo API (its document discovered there), with `env` besides. */
  const checkSignIn = (env: Record<string, string>, args: string[] = []) =>
    check(['--database-url', 'sqlite::memory:', '--public-url', 'https://mcp.example.com', ...args], { env: { PORTICO_UPSTREAM: demo.baseUrl, ...env } });
  const oidcEnv = () => ({ PORTICO_OIDC_ISSUER: provider.issuer, PORTICO_OIDC_CLIENT_ID: provider.clientId, PORTICO_OIDC_CLIENT_SECRET: provider.clientSecret, PORTICO_OIDC_NAME: 'DemoID' });

  test('an OpenID provider: the method, its discovery document read, the exchange endpoint (undocumented: a note), the redirect URI to register; exit 0', async () => {
    const { code, stdout, stderr } = await checkSignIn(oidcEnv());
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [password, oidc, ...more] = lines(stdout, 'sign-in');
    expect(password).toStartWith('password, checked by ');
    expect(oidc).toBe(
      `OpenID provider ${provider.issuer} ("Continue with DemoID") client ${provider.clientId}, with a client secret; scopes openid email profile ` +
        `discovery: ${provider.issuer}/.well-known/openid-configuration: authorization, token and key endpoints; the code flow with S256 PKCE ` +
        `exchange: POST ${demo.baseUrl}/auth/oidc, not in the API's document (see the note) ` +
        `redirect URI to register at the provider: ${CALLBACK}`,
    );
    expect(more).toEqual([]);
    expect(stdout).toContain("note: sign-in: the exchange endpoint POST /auth/oidc (PORTICO_OIDC_EXCHANGE_PATH) is not in the API's document");
    expect(stdout).not.toContain(provider.clientSecret);
    expect(stdout).toContain('All checks passed');
  });

  test('an issuer nothing listens on: fails naming PORTICO_OIDC_ISSUER and the discovery URL tried; an http issuer elsewhere than this machine, and one that is not the provider, fail too', async () => {
    const port = await closedPort();
    const down = await checkSignIn({ ...oidcEnv(), PORTICO_OIDC_ISSUER: `http://127.0.0.1:${port}` });
    expect(down.code).toBe(1);
    expect(lines(down.stdout, 'sign-in')[1]).toStartWith(`OpenID provider http://127.0.0.1:${port} ("Continue with DemoID")`);
    expect(lines(down.stdout, 'sign-in')[1]).toEndWith(`redirect URI to register at the provider: ${CALLBACK} FAILED (see below)`);
    expect(down.stderr).toContain('portico check: a problem;');
    expect(down.stderr).toContain(`sign-in: OpenID provider http://127.0.0.1:${port}: PORTICO_OIDC_ISSUER: cannot fetch the provider's discovery document http://127.0.0.1:${port}/.well-known/openid-configuration: `);

    const plain = await checkSignIn({ ...oidcEnv(), PORTICO_OIDC_ISSUER: 'http://idp.example.com' });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('sign-in: OpenID provider http://idp.example.com: PORTICO_OIDC_ISSUER must be an https URL (got http://idp.example.com/); plain http is only for a provider on this machine');

    // the demo API is no OpenID provider: it has no discovery document
    const wrong = await checkSignIn({ ...oidcEnv(), PORTICO_OIDC_ISSUER: demo.url });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`sign-in: OpenID provider ${demo.url}: PORTICO_OIDC_ISSUER: the provider's discovery document ${demo.url}/.well-known/openid-configuration answered 404`);
  });

  test('no client id: fails naming PORTICO_OIDC_CLIENT_ID and the redirect URI to register; the provider itself is still checked', async () => {
    const { PORTICO_OIDC_CLIENT_ID: _, ...env } = oidcEnv();
    const { code, stdout, stderr } = await checkSignIn(env);
    expect(code).toBe(1);
    expect(lines(stdout, 'sign-in')[1]).toContain(`discovery: ${provider.issuer}/.well-known/openid-configuration: authorization, token and key endpoints`);
    expect(stderr).toContain('portico check: a problem;');
    expect(stderr).toContain(`sign-in: OpenID provider ${provider.issuer}: PORTICO_OIDC_CLIENT_ID is required with PORTICO_OIDC_ISSUER: register Portico as a client at the provider, with the redirect URI ${CALLBACK}`);
  });

  test("the app's own login page: the method, its redeem endpoint (undocumented: a note), the return URL the app must allow; exit 0", async () => {
    const { code, stdout, stderr } = await checkSignIn({ PORTICO_APP_LOGIN_URL: `${demo.url}/app/portico-login`, PORTICO_APP_LOGIN_NAME: 'Acme Postgres' });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(lines(stdout, 'sign-in')[1]).toBe(
      `the app's own login page ${demo.url}/app/portico-login ("Sign in with Acme Postgres") ` +
        `redeem: POST ${demo.baseUrl}/auth/portico/redeem, not in the API's document (see the note) ` +
        `return URL the app must allow: ${CALLBACK}`,
    );
    expect(stdout).toContain("note: sign-in: the redeem endpoint POST /auth/portico/redeem (PORTICO_APP_REDEEM_PATH) is not in the API's document");
    expect(stdout).not.toContain('PORTICO_APP_LOGIN_URL is plain http');
    expect(stdout).toContain('All checks passed');
  });

  test("the app's login page at ftp://x fails naming PORTICO_APP_LOGIN_URL; at plain http elsewhere than this machine, a warning", async () => {
    const ftp = await checkSignIn({ PORTICO_APP_LOGIN_URL: 'ftp://x' });
    expect(ftp.code).toBe(1);
    expect(lines(ftp.stdout, 'sign-in')[1]).toEndWith('FAILED (see below)');
    expect(ftp.stderr).toContain(`sign-in: the app's own login page: PORTICO_APP_LOGIN_URL must be the absolute http(s) URL of the app's login page (got "ftp://x")`);

    const plain = await checkSignIn({ PORTICO_APP_LOGIN_URL: 'http://app.example.com/login' });
    expect(plain.code).toBe(0);
    expect(lines(plain.stdout, 'sign-in')[1]).toStartWith('the app\'s own login page http://app.example.com/login ("Sign in with Portico")');
    expect(plain.stdout).toContain('note: sign-in: PORTICO_APP_LOGIN_URL is plain http (http://app.example.com/login): ');
  });

  test("endpoints the API's document has are named there, and withheld from the tools as sign-in operations", async () => {
    const dir = tempDir();
    const spec = JSON.parse(readFileSync(DEMO_SPEC, 'utf8'));
    const post = (operationId: string) => ({ post: { operationId, parameters: [{ name: 'body', in: 'body', required: true, schema: { type: 'object' } }], responses: { 200: { description: 'OK' } } } });
    spec.paths['/auth/oidc'] = post('oidcExchange');
    spec.paths['/auth/portico/redeem'] = post('redeemCode');
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(spec));
    const { code, stdout, stderr } = await checkSignIn({ ...oidcEnv(), PORTICO_APP_LOGIN_URL: `${demo.url}/app/portico-login` }, ['--spec', join(dir, 'openapi.json')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [, oidc, app] = lines(stdout, 'sign-in');
    expect(oidc).toContain(`exchange: POST ${demo.baseUrl}/auth/oidc, in the API's document as POST /auth/oidc (oidcExchange) redirect URI`);
    expect(app).toContain(`redeem: POST ${demo.baseUrl}/auth/portico/redeem, in the API's document as POST /auth/portico/redeem (redeemCode) return URL`);
    expect(stdout).toContain('note: withheld POST /auth/portico/redeem (redeemCode): sign-in operation, not offered as a tool');
    expect(stdout).not.toContain("is not in the API's document");
  });

  test('PORTICO_PASSWORD_SIGN_IN=false: the password form is not offered, so not checked; with no other method, nothing is left to sign in with', async () => {
    const { code, stdout } = await checkSignIn({ PORTICO_PASSWORD_SIGN_IN: 'false', PORTICO_APP_LOGIN_URL: `${demo.url}/app/portico-login` });
    expect(code).toBe(0);
    const [password, app] = lines(stdout, 'sign-in');
    expect(password).toBe('password: not offered (PORTICO_PASSWORD_SIGN_IN=false)');
    expect(app).toStartWith("the app's own login page ");

    const none = await checkSignIn({ PORTICO_PASSWORD_SIGN_IN: 'false' });
    expect(none.code).toBe(1);
    expect(lines(none.stdout, 'sign-in')).toEqual(['FAILED (see below)']);
    expect(none.stderr).toContain('sign-in: PORTICO_PASSWORD_SIGN_IN=false leaves no way to sign in: configure PORTICO_OIDC_ISSUER, PORTICO_APP_LOGIN_URL or PORTICO_UPSTREAM_OAUTH_ISSUER');
  });
});

describe("portico check: an API that is its own OAuth provider (chained), against a real authorization server", () => {
  let api: RunningOAuthApi;
  beforeAll(async () => {
    api = await startOAuthApi();
  });
  afterAll(() => api?.stop());

  const checkChained = (env: Record<string, string>) =>
    check(['--database-url', 'sqlite::memory:', '--public-url', 'https://mcp.example.com'], {
      env: { PORTICO_UPSTREAM: api.apiUrl, PORTICO_SPEC: api.specUrl, PORTICO_PASSWORD_SIGN_IN: 'false', PORTICO_UPSTREAM_OAUTH_NAME: 'OctoHub', ...env },
    });

  test('the method, its discovery document read, the user endpoint in the document, the redirect URI to register; exit 0', async () => {
    const { code, stdout, stderr } = await checkChained({ PORTICO_UPSTREAM_OAUTH_ISSUER: api.issuer, PORTICO_UPSTREAM_OAUTH_CLIENT_ID: api.clientId, PORTICO_UPSTREAM_OAUTH_CLIENT_SECRET: api.clientSecret });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const chained = lines(stdout, 'sign-in').find((line) => line.includes('chained'))!;
    expect(chained).toStartWith(`the API's own authorization server ${api.issuer} ("Continue with OctoHub", chained) discovery: ${api.issuer}/.well-known/openid-configuration`);
    expect(chained).toContain("the user: GET /user, in the API's document");
    expect(chained).toEndWith('redirect URI to register at the API\'s server: https://mcp.example.com/oauth/callback');
    expect(stdout).not.toContain(api.clientSecret);
  });

  test('half a configuration fails naming what is missing: no client id; a client id and no server', async () => {
    const noClient = await checkChained({ PORTICO_UPSTREAM_OAUTH_ISSUER: api.issuer });
    expect(noClient.code).toBe(1);
    expect(noClient.stderr).toContain('PORTICO_UPSTREAM_OAUTH_CLIENT_ID is required');
    const noServer = await checkChained({ PORTICO_UPSTREAM_OAUTH_CLIENT_ID: api.clientId });
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toContain("PORTICO_UPSTREAM_OAUTH_CLIENT_ID needs the API's authorization server");
  });
});

