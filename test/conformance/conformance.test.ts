/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`) against `portico demo` in
 * stateful mode. The suite needs Node ≥ 22, so it runs under bun. The scenarios that need the suite's
 * own fixture tools, prompts and resources are expected failures listed, with reasons, in baseline.yml.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SOURCES, startPortico, type Running } from '../e2e/process';

const ROOT = resolve(import.meta.dir, '../..');
const SUITE = resolve(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const BASELINE = resolve(import.meta.dir, 'baseline.yml');

/** What a generic MCP server must get right, whatever tools it has. */
const MUST_PASS = ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection', 'server-sse-multiple-streams'];

interface Check {
  readonly id: string;
  readonly status: string;
  readonly errorMessage?: string;
}

let gateway: Running;
let outputDir: string;
let run: { exitCode: number; output: string; summary: Map<string, { ok: boolean; line: string }> };

beforeAll(async () => {
  gateway = await startPortico([...SOURCES, 'demo', '--port', '0', '--api-port', '0', '--as', 'alice@example.com']);
  outputDir = mkdtempSync(join(tmpdir(), 'portico-conformance-'));
  const child = Bun.spawn(
    [process.execPath, SUITE, 'server', '--url', gateway.mcpUrl, '--expected-failures', BASELINE, '--output-dir', outputDir],
    { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' },
  );
  const timer = setTimeout(() => child.kill(), 25_000);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  const output = `${stdout}\n${stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  const summary = new Map<string, { ok: boolean; line: string }>();
  const start = output.indexOf('=== SUMMARY ===');
  for (const match of output.slice(Math.max(start, 0)).matchAll(/^([✓✗]) ([\w-]+): (\d+) passed, (\d+) failed.*$/gmu)) {
    summary.set(match[2]!, { ok: match[1] === '✓', line: match[0] });
  }
  run = { exitCode, output, summary };
}, 40_000);

afterAll(async () => {
  if (outputDir) rmSync(outputDir, { recursive: true, force: true });
  if (gateway) expect(await gateway.stop()).toBe(0);
});

/** The checks the suite saved for one scenario (`<dir>/server-<scenario>-<time>/checks.json`). */
function checksOf(scenario: string): Check[] {
  const dir = readdirSync(outputDir).find((name) => name.startsWith(`server-${scenario}-`));
  return dir ? (JSON.parse(readFileSync(join(outputDir, dir, 'checks.json'), 'utf8')) as Check[]) : [];
}

describe('the MCP conformance suite against portico demo (stateful)', () => {
  test('prints a summary of the whole active server suite', () => {
    expect(run.output).toContain('=== SUMMARY ===');
    expect(run.summary.size).toBeGreaterThanOrEqual(30);
  });

  test.each(MUST_PASS)('%s passes', (scenario) => {
    const entry = run.summary.get(scenario);
    // on failure, say which check failed and why rather than only "✗"
    const failed = checksOf(scenario)
      .filter((check) => check.status === 'FAILURE' || check.status === 'WARNING')
      .map((check) => `${check.id}: ${check.status} ${check.errorMessage ?? ''}`.trim());
    expect({ line: entry?.line ?? 'missing from the summary', failed }).toEqual({ line: expect.stringMatching(/^✓ /), failed: [] });
  });

  test('exits 0: every other failure is an expected one from baseline.yml, and none of those passes', () => {
    const baselined = readFileSync(BASELINE, 'utf8').match(/^\s+- [\w-]+/gm)!.map((line) => line.trim().slice(2));
    expect(baselined.filter((scenario) => MUST_PASS.includes(scenario))).toEqual([]);
    const unexpected = [...run.summary].filter(([scenario, { ok }]) => !ok && !baselined.includes(scenario)).map(([, { line }]) => line);
    const stale = baselined.filter((scenario) => run.summary.get(scenario)?.ok === true);
    expect({ unexpected, stale }).toEqual({ unexpected: [], stale: [] });
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain('Baseline check passed: all failures are expected.');
  });
});
