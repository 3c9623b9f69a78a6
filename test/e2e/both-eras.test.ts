/**
 * Real clients of both eras against the same deployment: two `portico serve` processes on one PostgreSQL, signed
 * in through Portico, with the shipped confirm-destructive plugin on. The SDK 2.x client speaks MCP 2026-07-28
 * through a round-robin balancer in front of both instances (no stickiness: the revision needs none), so each of
 * its requests lands on the other instance from the one before; the SDK 1.x client speaks 2025-11-25 with a
 * session on one instance, as a 2025 deployment must be balanced (sticky).
 *
 * Each lists and calls tools with the user's own credential, gets the scope refusals (the step-up 403 for a user who
 * could allow more, the tool result saying why for a viewer who never could), follows a tool
 * list change, and answers a confirmation — for the 2.x client, the round the confirmation ends on one instance
 * continues on the other.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startDemoApi, type RunningDemoApi } from '../../src/demo';
import { connect } from '../fixtures/oauth-http';
import { startInstance, stopAllInstances, unusedPort, writeSecretFile, type PorticoInstance } from '../fixtures/portico-instance';
import { startPostgres } from '../fixtures/postgres';
import { ALICE, CAROL } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

const TEST_TIMEOUT_MS = 45_000;
const pg = await startPostgres();

let demo: RunningDemoApi | undefined;
let a: PorticoInstance;
let b: PorticoInstance;
let balancer: ReturnType<typeof Bun.serve> | undefined;
/** Which instance each request through the balancer went to, in order. */
const routed: string[] = [];
let specFile: string;
let publicUrl: string;
let alice: string;
let carol: string;

afterAll(async () => {
  balancer?.stop(true);
  await stopAllInstances();
  await demo?.stop();
  await pg?.close();
  removeTempDirs();
}, TEST_TIMEOUT_MS);

/** The 2.x client, pinned to 2026-07-28, through the balancer, with `token`; it answers every confirmation with `confirm`. */
async function modernClient(token: string, confirm: boolean, onToolsChanged?: () => void) {
  const client = new ModernClient(
    { name: 'modern-e2e', version: '1' },
    {
      capabilities: { elicitation: {} },
      versionNegotiation: { mode: { pin: '2026-07-28' } },
      ...(onToolsChanged && { listChanged: { tools: { onChanged: () => onToolsChanged() } } }),
    },
  );
  client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { confirm } }));
  await client.connect(new ModernTransport(new URL(`http://127.0.0.1:${balancer!.port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/** The 1.x client in a 2025-11-25 session on instance A. */
async function legacyClient(token: string, confirm: boolean) {
  const client = new LegacyClient({ name: 'legacy-e2e', version: '1' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { confirm } }));
  await client.connect(new LegacyTransport(new URL(a.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

if (!pg) {
  describe.skip('both eras on a two-instance cluster (no PostgreSQL)', () => {
    test('both eras', () => {});
  });
} else {
  const fixture = pg;

  beforeAll(async () => {
    demo = await startDemoApi({ port: 0, tokenTtlMs: 3_600_000, slowMs: 0, settleMs: 0 });
    // the API's document as a file the test can change, refreshed every second: a real tool list change
    const dir = tempDir();
    specFile = join(dir, 'swagger.json');
    copyFileSync(resolve(import.meta.dir, '../../src/demo/swagger.json'), specFile);
    const plugins = tempDir();
    writeFileSync(join(plugins, 'confirm-destructive.ts'), `export { default } from ${JSON.stringify(resolve(import.meta.dir, '../../plugins/confirm-destructive.ts'))};`);
    publicUrl = `http://localhost:${await unusedPort()}`;
    const env = {
      PORTICO_UPSTREAM: demo.baseUrl,
      PORTICO_SPEC: specFile,
      PORTICO_SPEC_TTL: '1',
      PORTICO_AUTH: 'oauth',
      PORTICO_MCP_MODE: 'stateful',
      PORTICO_DATABASE_URL: fixture.url,
      PORTICO_SECRET_FILE: await writeSecretFile(join(tempDir(), 'secret.key')),
      PORTICO_PUBLIC_URL: publicUrl,
      PORTICO_LOGIN_USERNAME_FIELD: 'email',
      PORTICO_PLUGINS: plugins,
      PORTICO_PLUGIN_SETTINGS: JSON.stringify({ 'confirm-destructive': { enabled: true } }),
    };
    [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
    // round robin, no stickiness: each request to the other instance from the one before
    let next = 0;
    balancer = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      idleTimeout: 0,
      async fetch(request) {
        const target = [a, b][next++ % 2]!;
        routed.push(target === a ? 'A' : 'B');
        const url = new URL(request.url);
        // as a balancer in front of the public URL does: the instance sees the public host
        const headers = new Headers(request.headers);
        headers.set('host', new URL(publicUrl).host);
        return fetch(new URL(url.pathname + url.search, target.url), { method: request.method, headers, body: request.body, signal: request.signal });
      },
    });
    alice = (await connect(a.url, publicUrl, ALICE)).tokens.access_token;
    carol = (await connect(b.url, publicUrl, CAROL)).tokens.access_token;
  }, TEST_TIMEOUT_MS);

  describe('the same deployment, a client of each era', () => {
    test('both list the same tools and call them with the user’s own credential', async () => {
      const modern = await modernClient(alice, true);
      const legacy = await legacyClient(alice, true);
      const modernTools = (await modern.listTools()).tools.map((tool) => tool.name);
      const legacyTools = (await legacy.listTools()).tools.map((tool) => tool.name);
      expect(modernTools).toEqual(legacyTools);
      expect(modernTools).toContain('delete_project');
      for (const client of [modern, legacy]) {
        const me = (await client.callTool({ name: 'get_current_user', arguments: {} })) as CallToolResult;
        expect((me.structuredContent as { email: string }).email).toBe(ALICE.email);
      }
      // the 2026 client's requests went to both instances
      expect(new Set(routed)).toEqual(new Set(['A', 'B']));
      await modern.close();
      await legacy.close();
    }, TEST_TIMEOUT_MS);

    test('a write tool beyond the connection is refused by both: the 403 step-up when the user could allow it, a tool result saying why when her role never could', async () => {
      // alice allowed read only (an owner: she may allow write) — the step-up challenge
      const reading = (await connect(a.url, publicUrl, ALICE, undefined, ['read'])).tokens.access_token;
      const modernReading = await modernClient(reading, true);
      const legacyReading = await legacyClient(reading, true);
      for (const client of [modernReading, legacyReading]) {
        const refused = await (client as LegacyClient).callTool({ name: 'create_project', arguments: { name: 'nope' } }).then(
          () => 'called',
          (error: Error) => error.message,
        );
        // the 2.x client reads the scope from the 403's challenge; the 1.x client shows the JSON-RPC error's words
        expect(refused).toMatch(client === modernReading ? /Insufficient scope: required "read write"/ : /needs the \\*"write\\*" permission, which this connection was not given/);
      }
      await modernReading.close();
      await legacyReading.close();

      // carol is a viewer: no challenge (asking her again cannot help), the same tool result in both eras
      const modern = await modernClient(carol, true);
      const legacy = await legacyClient(carol, true);
      for (const client of [modern, legacy]) {
        const result = (await (client as LegacyClient).callTool({ name: 'create_project', arguments: { name: 'nope' } })) as CallToolResult;
        expect(result.isError).toBe(true);
        expect(textOf(result)).toContain('The tool "create_project" needs the "write" permission, which your account (carol@example.com) cannot grant: its role allows at most "read"');
      }
      await modern.close();
      await legacy.close();
    }, TEST_TIMEOUT_MS);

    test('a confirmation: asked of the user in both eras; in 2026-07-28 the answer is taken by the other instance', async () => {
      // two empty projects of alice's to delete (the API refuses to delete one that still has databases)
      const token = await demoToken();
      const orgs = (await (await fetch(`${demo!.baseUrl}/orgs`, { headers: { authorization: `Bearer ${token}` } })).json()) as { id: string }[];
      const [first, second] = await Promise.all(
        ['e2e-modern', 'e2e-legacy'].map(async (name) => {
          const created = await fetch(`${demo!.baseUrl}/projects`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ org_id: orgs[0]!.id, name }) });
          expect(created.status).toBe(201);
          return (await created.json()) as { id: string };
        }),
      );
      const modern = await modernClient(alice, true);
      const before = routed.length;
      const deleted = (await modern.callTool({ name: 'delete_project', arguments: { projectId: first!.id } })) as CallToolResult;
      expect({ isError: deleted.isError ?? false, text: textOf(deleted) }).toEqual({ isError: false, text: expect.any(String) });
      // the call that asked, then its retry with the answer: on the two instances in turn
      const rounds = routed.slice(before);
      expect(rounds.length).toBeGreaterThanOrEqual(2);
      expect(rounds[0]).not.toBe(rounds[1]);

      const declining = await legacyClient(alice, false);
      const refused = (await declining.callTool({ name: 'delete_project', arguments: { projectId: second!.id } })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toContain('the user did not confirm delete_project');
      const legacy = await legacyClient(alice, true);
      const done = (await legacy.callTool({ name: 'delete_project', arguments: { projectId: second!.id } })) as CallToolResult;
      expect(done.isError ?? false).toBe(false);
      await Promise.all([modern.close(), declining.close(), legacy.close()]);
    }, TEST_TIMEOUT_MS);

    test('a tool list change reaches both: the 2025 session on its stream, the 2026 client on subscriptions/listen', async () => {
      let modernHeard = 0;
      let legacyHeard = 0;
      const modern = await modernClient(alice, true, () => modernHeard++);
      const legacy = await legacyClient(alice, true);
      legacy.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        legacyHeard++;
      });
      // the 2025 client hears on the GET stream it opens after initializing; the 2026 client on the stream it listens on
      await Bun.sleep(500);
      const document = JSON.parse(readFileSync(specFile, 'utf8')) as { paths: Record<string, unknown> };
      delete document.paths['/healthz'];
      writeFileSync(specFile, JSON.stringify(document));
      for (let i = 0; i < 100 && (modernHeard === 0 || legacyHeard === 0); i++) await Bun.sleep(50);
      expect({ modernHeard: modernHeard > 0, legacyHeard: legacyHeard > 0 }).toEqual({ modernHeard: true, legacyHeard: true });
      // each instance refreshes on its own timer: the one that told may not be the one that answers the next list,
      // so within a refresh interval (1 s here) both have it
      let names: string[] = [];
      let inARow = 0;
      for (let i = 0; i < 40 && inARow < 2; i++) {
        names = (await modern.listTools()).tools.map((tool) => tool.name);
        inARow = names.includes('health_check') ? 0 : inARow + 1;
        if (inARow < 2) await Bun.sleep(100);
      }
      // two lists in a row, one from each instance (round robin), without the removed operation
      expect(inARow).toBe(2);
      expect(names).not.toContain('health_check');
      expect(names).toContain('get_current_user');
      await modern.close();
      await legacy.close();
    }, TEST_TIMEOUT_MS);
  });
}

/** A token of the demo API's own, to find alice's projects there. */
async function demoToken(): Promise<string> {
  const response = await fetch(`${demo!.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ALICE) });
  return ((await response.json()) as { token: string }).token;
}
