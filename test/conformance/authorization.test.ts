/**
 * The authorization-server scenarios of the official MCP conformance suite (0.2.0-alpha, installed as
 * `conformance-next`) against `portico demo`, which signs users in through Portico's own OAuth server:
 *
 *   bun node_modules/conformance-next/dist/index.js authorization --url <issuer> --client-id <id>
 *     --port <callback port> --resource <mcp url> --output-dir <dir>
 *
 * `--url` must be the `issuer` of /.well-known/oauth-authorization-server byte for byte. The suite does
 * not register a client: authorization-code-grant is SKIPPED (and shows as "✓ … 0 passed, 0 failed" in
 * the summary) without `--client-id`, so the test registers a public client whose redirect URI is the
 * suite's callback listener, `http://127.0.0.1:<port>/callback`. The suite then prints an authorization
 * URL and waits for a browser; the test plays the user with `signIn` (sign-in form, consent form) and
 * delivers the redirect by GETting it, as the browser would. The suite exchanges the code itself.
 *
 * The suite's `server` scenarios cannot run against this OAuth-protected demo: the suite sends no
 * Authorization header and has no option to add one, so every scenario meets the 401
 * ("Unauthorized: sign in to use this server"). conformance.test.ts runs them against `demo --as`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Subprocess } from 'bun';
import { SOURCES, startPortico, type Running } from '../e2e/process';
import { signIn } from '../fixtures/oauth-client';

const ROOT = resolve(import.meta.dir, '../..');
const SUITE = resolve(ROOT, 'node_modules/conformance-next/dist/index.js');
const SCENARIOS = ['authorization-server-metadata-endpoint', 'authorization-code-grant'];
const ALICE = { email: 'alice@example.com', password: 'alice-demo-password' };

interface Check {
  readonly id: string;
  readonly status: string;
  readonly errorMessage?: string;
}

let gateway: Running;
let suite: Subprocess<'ignore', 'pipe', 'pipe'> | undefined;
let outputDir: string;
let issuer: string;
let run: {
  exitCode: number | null;
  output: string;
  /** What went wrong while playing the user, if anything. */
  browser: string | undefined;
  authorizationUrl: string | undefined;
  summary: Map<string, { ok: boolean; passed: number; failed: number; line: string }>;
};

/** A port nobody listens on right now, for the suite's callback listener. */
function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

/** GETs the redirect as the browser would; the suite prints the URL a moment before its listener is up. */
async function deliver(location: URL): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(location, { redirect: 'manual' });
    } catch (error) {
      if (attempt >= 20) throw error;
      await Bun.sleep(100);
    }
  }
}

const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

beforeAll(async () => {
  gateway = await startPortico([...SOURCES, 'demo', '--port', '0', '--api-port', '0']);
  issuer = new URL(gateway.mcpUrl).origin;
  outputDir = mkdtempSync(join(tmpdir(), 'portico-conformance-as-'));
  const port = freePort();
  const registered = await fetch(`${issuer}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'MCP conformance suite',
      redirect_uris: [`http://127.0.0.1:${port}/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  const client = (await registered.json()) as { client_id?: string };
  if (registered.status !== 201 || !client.client_id) throw new Error(`registering the suite's client answered ${registered.status}: ${JSON.stringify(client)}`);

  const child = Bun.spawn(
    [process.execPath, SUITE, 'authorization', '--url', issuer, '--client-id', client.client_id, '--port', String(port), '--resource', gateway.mcpUrl, '--output-dir', outputDir],
    { cwd: ROOT, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' },
  );
  suite = child;
  const timer = setTimeout(() => child.kill(), 25_000);
  const stderr = new Response(child.stderr).text();
  let stdout = '';
  let browser: string | undefined;
  let authorizationUrl: string | undefined;
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    stdout += decoder.decode(chunk, { stream: true });
    if (authorizationUrl || browser) continue;
    // "Access the following URL in your browser …" then the URL on a line of its own
    const match = new RegExp(`^(${issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/oauth/authorize\\?\\S+)$`, 'm').exec(plain(stdout));
    if (!match) continue;
    authorizationUrl = match[1]!;
    try {
      const { location } = await signIn(new URL(authorizationUrl), ALICE);
      // the browser follows the redirect to the suite's callback listener, which reads code, state and iss
      const delivered = await deliver(location);
      if (delivered.status !== 200) browser = `the suite's callback ${location.href} answered ${delivered.status}: ${await delivered.text()}`;
    } catch (error) {
      browser = `signing in at ${authorizationUrl} failed: ${(error as Error).message}`;
      child.kill(); // otherwise the suite waits five minutes for a callback
    }
  }
  const exitCode = await child.exited;
  clearTimeout(timer);
  const output = plain(`${stdout}\n${await stderr}`);
  const summary = new Map<string, { ok: boolean; passed: number; failed: number; line: string }>();
  const start = output.indexOf('=== SUMMARY ===');
  for (const match of output.slice(Math.max(start, 0)).matchAll(/^([✓✗]) ([\w-]+): (\d+) passed, (\d+) failed.*$/gmu)) {
    summary.set(match[2]!, { ok: match[1] === '✓', passed: Number(match[3]), failed: Number(match[4]), line: match[0] });
  }
  run = { exitCode, output, browser, authorizationUrl, summary };
}, 40_000);

afterAll(async () => {
  if (suite && suite.exitCode === null) suite.kill();
  if (outputDir) rmSync(outputDir, { recursive: true, force: true });
  if (gateway) expect(await gateway.stop()).toBe(0);
});

/** The checks the suite saved for one scenario (`<dir>/authorization-server-<scenario>-<time>/checks.json`). */
function checksOf(scenario: string): Check[] {
  const dir = readdirSync(outputDir).find((name) => name.startsWith(`authorization-server-${scenario}-`));
  return dir ? (JSON.parse(readFileSync(join(outputDir, dir, 'checks.json'), 'utf8')) as Check[]) : [];
}

/** What a failed expectation shows: the scenario's line, every check that is not a success, and the suite's output. */
function report(scenario: string) {
  const entry = run.summary.get(scenario);
  const notPassed = checksOf(scenario)
    .filter((check) => check.status !== 'SUCCESS')
    .map((check) => `${check.id}: ${check.status} ${check.errorMessage ?? ''}`.trim());
  return { line: entry?.line ?? 'missing from the summary', notPassed, output: entry?.ok && entry.passed > 0 && notPassed.length === 0 ? '' : run.output };
}

describe('the MCP conformance suite (0.2.0-alpha) authorization scenarios against portico demo', () => {
  test('the suite sends the user to Portico to sign in, and the browser steps go through', () => {
    expect({ authorizationUrl: run.authorizationUrl?.startsWith(`${issuer}/oauth/authorize?`) ?? false, browser: run.browser, output: run.authorizationUrl && !run.browser ? '' : run.output }).toEqual({
      authorizationUrl: true,
      browser: undefined,
      output: '',
    });
  });

  test('prints a summary naming both authorization-server scenarios', () => {
    expect({ scenarios: [...run.summary.keys()].sort(), output: run.summary.size === SCENARIOS.length ? '' : run.output }).toEqual({ scenarios: [...SCENARIOS].sort(), output: '' });
  });

  // "✓ … 0 passed" would be a skipped scenario (no client id, no usable auth method): count the checks
  test.each(SCENARIOS)('%s passes, every one of its checks a success (no warnings, nothing skipped)', (scenario) => {
    expect(report(scenario)).toEqual({ line: expect.stringMatching(new RegExp(`^✓ ${scenario}: [1-9]\\d* passed, 0 failed$`, 'u')), notPassed: [], output: '' });
  });

  test('the metadata scenario also checked Client ID Metadata Document support', () => {
    expect(checksOf('authorization-server-metadata-endpoint').map((check) => `${check.id}: ${check.status}`)).toEqual([
      'authorization-server-metadata: SUCCESS',
      'authorization-server-metadata-cimd: SUCCESS',
    ]);
  });

  test('exits 0', () => {
    expect({ exitCode: run.exitCode, output: run.exitCode === 0 ? '' : run.output }).toEqual({ exitCode: 0, output: '' });
  });
});
