/**
 * The whole conformance suite, fixtures included: `portico demo` with the test-only plugin in
 * `everything/` (the suite's fixture tools, resources and prompts written against the plugin API) must
 * pass every scenario of the active server suite — 0.1.16 with its pending scenarios, and the 0.2.0 alpha —
 * with no expected failures; and the alpha's requirement set for MCP 2026-07-28 in full, with only what that set
 * does not score listed (baseline-2026.yml). Proof that a plugin reaches every part of MCP, in both eras.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SOURCES, startPortico, type Running } from '../e2e/process';

const ROOT = resolve(import.meta.dir, '../..');
const SUITES = {
  '0.1.16 (active and pending)': { cli: 'node_modules/@modelcontextprotocol/conformance/dist/index.js', args: ['--suite', 'all'], atLeast: 32 },
  '0.2.0-alpha.12 (active)': { cli: 'node_modules/conformance-next/dist/index.js', args: [], atLeast: 31 },
};

let gateway: Running;

beforeAll(async () => {
  gateway = await startPortico([...SOURCES, 'demo', '--port', '0', '--api-port', '0', '--as', 'alice@example.com', '--plugins', resolve(import.meta.dir, 'everything')]);
});

afterAll(async () => {
  if (gateway) expect(await gateway.stop()).toBe(0);
});

async function runSuite(cli: string, args: string[]): Promise<{ exitCode: number; output: string; lines: string[] }> {
  const child = Bun.spawn([process.execPath, resolve(ROOT, cli), 'server', '--url', gateway.mcpUrl, ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  const timer = setTimeout(() => child.kill(), 60_000);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  const output = `${stdout}\n${stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  const summary = output.slice(Math.max(output.indexOf('=== SUMMARY ==='), 0));
  return { exitCode, output, lines: [...summary.matchAll(/^[✓✗] [\w-]+: \d+ passed, \d+ failed.*$/gmu)].map((match) => match[0]) };
}

describe('the conformance suite against portico demo with the fixture plugin loaded', () => {
  test.each(Object.entries(SUITES))('%s: every scenario passes', async (_name, suite) => {
    const run = await runSuite(suite.cli, suite.args);
    expect(run.lines.length).toBeGreaterThanOrEqual(suite.atLeast);
    // on failure this names the scenarios that failed rather than only the exit code
    expect(run.lines.filter((line) => !line.startsWith('✓ '))).toEqual([]);
    for (const scenario of ['tools-call-sampling', 'tools-call-elicitation', 'resources-templates-read', 'prompts-get-with-args', 'completion-complete', 'logging-set-level']) {
      expect(run.lines.some((line) => line.startsWith(`✓ ${scenario}:`))).toBe(true);
    }
    expect(run.output).toMatch(/Total: \d+ passed, 0 failed/);
    expect(run.exitCode).toBe(0);
  }, 90_000);
});

describe('MCP 2026-07-28: the suite\'s requirement set for that revision against portico demo with the fixture plugin', () => {
  const unscored = readFileSync(resolve(import.meta.dir, 'baseline-2026.yml'), 'utf8').match(/^\s+- [\w-]+/gm)!.map((line) => line.trim().slice(2));

  test('every scored scenario passes (exit 0); what fails is exactly the unscored list in baseline-2026.yml', async () => {
    const run = await runSuite('node_modules/conformance-next/dist/index.js', ['--requirements', '2026-07-28']);
    expect(run.output).toContain('Running requirements 2026-07-28');
    expect(run.lines.length).toBeGreaterThanOrEqual(48);
    const failing = run.lines.filter((line) => !line.startsWith('✓ ')).map((line) => line.slice(2, line.indexOf(':')));
    expect(failing.sort()).toEqual([...unscored].sort());
    // the suite itself says these do not count for the revision
    const notScored = run.output.slice(run.output.indexOf('Not scored for 2026-07-28'));
    for (const scenario of unscored) expect(notScored).toContain(`✗ ${scenario} (`);
    for (const scenario of ['server-stateless', 'caching', 'input-required-result-multi-round', 'input-required-result-tampered-state', 'http-header-validation', 'json-schema-2020-12', 'tools-call-with-progress']) {
      expect(run.lines.some((line) => line.startsWith(`✓ ${scenario}:`))).toBe(true);
    }
    expect(run.exitCode).toBe(0);
  }, 90_000);
});

