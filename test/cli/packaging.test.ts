/**
 * `portico --version` from the sources, and the build script (`bun run build`, src/cli/build.ts): the
 * exact `bun build` command, the commit it bakes in, other targets, and the error when the runtime for
 * another platform cannot be downloaded.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { version } from '../../package.json';
import { defaultHealthUrl } from '../../src/cli/healthcheck';
import { workingTreeCommit } from '../../src/cli/version';
import { portico, removeTempDirs, ROOT, run, tempDir } from './run';

afterAll(removeTempDirs);

const BUILD = [process.execPath, join(ROOT, 'src/cli/build.ts')];

/** The commit may move while the suite runs (others commit): accept the one before or after. */
async function expectCommitLine(command: () => Promise<{ code: number; stdout: string }>) {
  const before = workingTreeCommit(ROOT);
  const { code, stdout } = await command();
  const after = workingTreeCommit(ROOT);
  expect(code).toBe(0);
  expect([`portico ${version} (commit ${before})\n`, `portico ${version} (commit ${after})\n`]).toContain(stdout);
}

describe('portico --version from the sources', () => {
  test('prints the version and the commit of the working tree', async () => {
    const commit = workingTreeCommit(ROOT);
    if (Bun.which('git') && existsSync(join(ROOT, '.git'))) expect(commit).toMatch(/^[0-9a-f]{12}(-dirty)?$/);
    for (const flag of ['--version', 'version', '-v']) await expectCommitLine(() => portico([flag]));
  });

  test('says "unknown" outside a git repository, or without git', async () => {
    expect(workingTreeCommit(tempDir())).toBe('unknown');
    expect(workingTreeCommit('/nonexistent/folder')).toBe('unknown');
    const { code, stdout } = await portico(['--version'], { env: { PATH: '/nonexistent' } });
    expect(code).toBe(0);
    expect(stdout).toBe(`portico ${version} (commit unknown)\n`);
  });
});

test('portico healthcheck asks the address the gateway listens on, loopback for an any-address bind', () => {
  expect(defaultHealthUrl({})).toBe('http://127.0.0.1:8787/healthz');
  expect(defaultHealthUrl({ PORTICO_HOST: '0.0.0.0', PORTICO_PORT: '9000' })).toBe('http://127.0.0.1:9000/healthz');
  expect(defaultHealthUrl({ PORTICO_HOST: '::' })).toBe('http://[::1]:8787/healthz');
  expect(defaultHealthUrl({ PORTICO_HOST: '::1' })).toBe('http://[::1]:8787/healthz');
  expect(defaultHealthUrl({ PORTICO_HOST: '10.0.0.5', PORTICO_PORT: '' })).toBe('http://10.0.0.5:8787/healthz');
});

describe('bun run build (src/cli/build.ts)', () => {
  test('runs the documented bun build command with the commit defined', async () => {
    const { code, stdout } = await run([...BUILD, '--print'], { env: { PORTICO_COMMIT: '0123456789ab' } });
    expect(code).toBe(0);
    expect(stdout).toBe(
      `bun build --compile --minify --bytecode --format=esm --no-compile-autoload-bunfig --no-compile-autoload-dotenv ` +
        `--define 'PORTICO_BUILD_COMMIT="0123456789ab"' src/main.ts src/sandbox/worker.ts --outfile dist/portico\n`,
    );
  });

  test('is what package.json runs, with per-platform scripts', async () => {
    const { scripts } = (await Bun.file(join(ROOT, 'package.json')).json()) as { scripts: Record<string, string> };
    expect(scripts.build).toBe('bun src/cli/build.ts');
    expect(scripts['build:linux-arm64']).toBe('bun src/cli/build.ts --target bun-linux-arm64');
    expect(scripts['build:linux-x64-musl']).toBe('bun src/cli/build.ts --target bun-linux-x64-musl');
    expect(scripts['build:linux-arm64-musl']).toBe('bun src/cli/build.ts --target bun-linux-arm64-musl');
  });

  test('takes the commit from git when PORTICO_COMMIT is not set', async () => {
    const before = workingTreeCommit(ROOT);
    const { code, stdout } = await run([...BUILD, '--print'], { unsetEnv: ['PORTICO_COMMIT'] });
    const after = workingTreeCommit(ROOT);
    expect(code).toBe(0);
    expect([before, after]).toContain(/PORTICO_BUILD_COMMIT="([^"]*)"/.exec(stdout)?.[1] ?? '');
  });

  test('builds for another platform into its own file', async () => {
    const { stdout } = await run([...BUILD, '--print', '--target', 'linux-arm64-musl'], { env: { PORTICO_COMMIT: 'abc' } });
    expect(stdout).toContain(' --target=bun-linux-arm64-musl ');
    expect(stdout.trim()).toEndWith(' src/main.ts src/sandbox/worker.ts --outfile dist/portico-linux-arm64-musl');
    const out = join(tempDir(), 'p');
    const custom = await run([...BUILD, '--print', '--target', 'bun-linux-arm64', '--outfile', out]);
    expect(custom.stdout).toContain(' --target=bun-linux-arm64 ');
    expect(custom.stdout.trim()).toEndWith(` --outfile ${out}`);
  });

  test('refuses a PORTICO_COMMIT that is not a commit id, and unknown options', async () => {
    const bad = await run([...BUILD, '--print'], { env: { PORTICO_COMMIT: 'x" + process.exit() + "' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('PORTICO_COMMIT must be a commit id');
    const unknown = await run([...BUILD, '--arch', 'arm64']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--arch'");
  });

  // `unshare -n` runs the build with no network at all; HOME and BUN_INSTALL point at an empty folder so no
  // runtime cached from an earlier build is found.
  const offline = [['unshare', '-n'], ['unshare', '-rn']].find((c) => Bun.which('unshare') !== null && Bun.spawnSync([...c, 'true'], { stderr: 'ignore' }).exitCode === 0) ?? [];
  const canGoOffline = offline.length > 0;
  test.skipIf(!canGoOffline)('without network, another platform fails with a message saying why (nothing downloaded)', async () => {
    const home = tempDir();
    const out = join(home, 'portico-arm64');
    const { code, stderr } = await run([...offline, ...BUILD, '--target', 'linux-arm64-musl', '--outfile', out], {
      env: { HOME: home, BUN_INSTALL: home, PORTICO_COMMIT: 'abc' },
      unsetEnv: ['BUN_INSTALL_CACHE_DIR'],
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain('build: cannot build for bun-linux-arm64-musl here');
    expect(stderr).toContain('@oven/bun-linux-aarch64-musl');
    expect(stderr).toContain('Without --target, the build for this machine needs no download');
    expect(existsSync(out)).toBe(false);
  });
});

describe('the README’s commands through npm, with no Bun on the PATH but the one npm install brought', () => {
  // what a newcomer has: Node and npm; `npm run` puts node_modules/.bin (Bun included) on the PATH itself
  const withoutBun = (process.env.PATH ?? '')
    .split(':')
    .filter((dir) => !existsSync(join(dir, 'bun')))
    .join(':');

  test('npm run -s portico -- tools and -- --version work as the README writes them', async () => {
    const tools = await run(['npm', 'run', '-s', 'portico', '--', 'tools', '--spec', 'src/demo/swagger.json'], { env: { PATH: withoutBun } });
    expect(tools.code).toBe(0);
    expect(tools.stdout).toContain('list_projects');
    const printed = await run(['npm', 'run', '-s', 'portico', '--', '--version'], { env: { PATH: withoutBun } });
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain(version);
  });
});
