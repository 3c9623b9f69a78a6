/**
 * The layers of src/ (`.dependency-cruiser.cjs`): no import runs from a lower layer to a higher one, folders on
 * one layer do not import each other, the demo API stands apart, and shipped plugins reach the gateway only
 * through their API object. Checked with dependency-cruiser on the real tree — and on a small tree with one
 * upward import, to show the rules do catch one.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

const ROOT = resolve(import.meta.dir, '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const CRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

/** dependency-cruiser over `paths` in `cwd` with the project's rules: its exit code and what it said. */
async function cruise(cwd: string, paths: string[]): Promise<{ code: number; output: string }> {
  // it runs on Node (its supported runtime); Node comes with npm, which the README requires anyway. Its report
  // is coloured whenever `CI` is set (picocolors), which would split every `from → to` with escape codes: no colour.
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined };
  const child = Bun.spawn(['node', CRUISE, ...paths, '--config', CONFIG, '--output-type', 'err'], { cwd, env, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, output: stdout + stderr };
}

test('src/ and the shipped plugins keep their layers', async () => {
  const { code, output } = await cruise(ROOT, ['src', 'plugins']);
  expect(output).toContain('no dependency violations found');
  expect(code).toBe(0);
});

test('an upward import, a sideways one, the demo reaching into the gateway and a plugin importing src/ are each refused, by name', async () => {
  const dir = tempDir();
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'esnext', moduleResolution: 'bundler', allowImportingTsExtensions: true, noEmit: true } }),
    'src/gateway/index.ts': 'export const gateway = 1;\n',
    'src/log/index.ts': "import { gateway } from '../gateway';\nexport const log = gateway;\n",
    'src/proxy/index.ts': "import { oauth } from '../oauth';\nexport const proxy = oauth;\n",
    'src/oauth/index.ts': 'export const oauth = 1;\n',
    'src/demo/index.ts': "import { proxy } from '../proxy';\nexport const demo = proxy;\n",
    'plugins/bad.ts': "import { oauth } from '../src/oauth';\nexport default () => oauth;\n",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const { code, output } = await cruise(dir, ['src', 'plugins']);
  expect(code).not.toBe(0);
  expect(output).toMatch(/no-upward-from-log-wire-read-capped: src\/log\/index\.ts → src\/gateway\/index\.ts/);
  expect(output).toMatch(/no-sideways-from-proxy: src\/proxy\/index\.ts → src\/oauth\/index\.ts/);
  expect(output).toMatch(/demo-apart: src\/demo\/index\.ts → src\/proxy\/index\.ts/);
  expect(output).toMatch(/plugins-through-their-api: plugins\/bad\.ts → src\/oauth\/index\.ts/);
});
