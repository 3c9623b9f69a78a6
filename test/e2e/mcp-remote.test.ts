/**
 * `mcp-remote` (the stdio ↔ Streamable HTTP proxy many desktop clients use for remote servers) against
 * `portico demo`, both as real processes:
 *
 *   mcp-remote <mcp url> <callback port> --allow-http
 *
 * On Portico's 401 it discovers the authorization server, registers itself, prints "Please authorize this
 * client by visiting: <url>" on stderr, tries to open a browser and waits on
 * `http://localhost:<callback port>/oauth/callback`. The test plays the user (`signIn`: sign-in and
 * consent forms over HTTP), delivers the redirect to that callback as the browser would, and then speaks
 * MCP to mcp-remote over its stdin/stdout (one JSON-RPC message per line).
 *
 * mcp-remote keeps registrations and tokens under `MCP_REMOTE_CONFIG_DIR` (default `~/.mcp-auth`): both
 * it and HOME point into a temp dir, so no run sees another's state. The browser it tries to open is
 * `$BROWSER` (honoured by the xdg-open that its `open` dependency bundles when no desktop is detected),
 * set to `true`, with the display and desktop variables removed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CallToolResult, JSONRPCMessage, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Subprocess } from 'bun';
import { signIn } from '../fixtures/oauth-client';
import { SOURCES, startPortico, type Running } from './process';

const ROOT = resolve(import.meta.dir, '../..');
const MCP_REMOTE = resolve(ROOT, 'node_modules/mcp-remote/dist/proxy.js');
const ALICE = { email: 'alice@example.com', password: 'alice-demo-password' };
/** Variables that would make xdg-open look for a real desktop and browser instead of using $BROWSER. */
const DESKTOP_VARIABLES = ['DISPLAY', 'WAYLAND_DISPLAY', 'XDG_CURRENT_DESKTOP', 'XDG_SESSION_DESKTOP', 'DESKTOP_SESSION', 'KDE_FULL_SESSION', 'GNOME_DESKTOP_SESSION_ID', 'MATE_DESKTOP_SESSION_ID', 'DBUS_SESSION_BUS_ADDRESS'];

/** A port nobody listens on right now, for mcp-remote's callback listener. */
function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

/** A child process's output, read as it arrives, that can be waited on. */
class Output {
  text = '';
  private waiters: (() => void)[] = [];

  constructor(stream: ReadableStream<Uint8Array>, private readonly onLine?: (line: string) => void) {
    void (async () => {
      const decoder = new TextDecoder();
      let pending = '';
      try {
        for await (const chunk of stream) {
          const piece = decoder.decode(chunk, { stream: true });
          this.text += piece;
          pending += piece;
          let newline: number;
          while ((newline = pending.indexOf('\n')) >= 0) {
            this.onLine?.(pending.slice(0, newline));
            pending = pending.slice(newline + 1);
          }
          for (const wake of this.waiters.splice(0)) wake();
        }
      } catch {
        // the process went away
      }
      for (const wake of this.waiters.splice(0)) wake();
    })();
  }

  /** Waits until `pattern` matches what was printed, or `ms` pass (null). */
  async waitFor(pattern: RegExp, ms: number): Promise<RegExpExecArray | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = pattern.exec(this.text);
      if (match) return match;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }
}

let gateway: Running;
let proxy: Subprocess<'pipe', 'pipe', 'pipe'> | undefined;
let stderr: Output;
let configDir: string;
let callbackPort: number;
let authorizationUrl: URL;
const answers = new Map<number | string, JSONRPCMessage & { result?: unknown; error?: { code: number; message: string } }>();
let nextId = 1;

/** What a failure should show: both processes' output. */
function logs(): string {
  return `\n--- mcp-remote stderr ---\n${stderr?.text ?? ''}\n--- portico stderr ---\n${gateway?.stderr() ?? ''}`;
}

function send(message: Record<string, unknown>): void {
  proxy!.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  proxy!.stdin.flush();
}

/** Sends a JSON-RPC request on mcp-remote's stdin and waits for the answer with the same id on its stdout. */
async function request<T>(method: string, params: Record<string, unknown> = {}, ms = 10_000): Promise<T> {
  const id = nextId++;
  send({ id, method, params });
  const deadline = Date.now() + ms;
  while (!answers.has(id)) {
    if (Date.now() > deadline || proxy!.exitCode !== null) throw new Error(`no answer to ${method} (id ${id}) from mcp-remote${logs()}`);
    await Bun.sleep(20);
  }
  const answer = answers.get(id)!;
  if (answer.error) throw new Error(`${method} answered error ${answer.error.code}: ${answer.error.message}${logs()}`);
  return answer.result as T;
}

beforeAll(async () => {
  gateway = await startPortico([...SOURCES, 'demo', '--port', '0', '--api-port', '0']);
  configDir = mkdtempSync(join(tmpdir(), 'portico-mcp-remote-'));
  callbackPort = freePort();
  const env: Record<string, string | undefined> = { ...process.env, HOME: configDir, MCP_REMOTE_CONFIG_DIR: join(configDir, 'mcp-auth'), BROWSER: 'true' };
  for (const name of DESKTOP_VARIABLES) delete env[name];
  proxy = Bun.spawn([process.execPath, MCP_REMOTE, gateway.mcpUrl, String(callbackPort), '--allow-http'], { cwd: configDir, env, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
  stderr = new Output(proxy.stderr);
  new Output(proxy.stdout, (line) => {
    if (!line.trim()) return;
    let message: { id?: number | string; method?: string };
    try {
      message = JSON.parse(line);
    } catch {
      return; // not ours to judge here; it stays in the output
    }
    if (message.id !== undefined && message.method === undefined) answers.set(message.id, message as never);
  });

  const printed = await stderr.waitFor(/Please authorize this client by visiting:\s*\n(\S+)/, 15_000);
  if (!printed) throw new Error(`mcp-remote printed no authorization URL${logs()}`);
  authorizationUrl = new URL(printed[1]!);
  const { location } = await signIn(authorizationUrl, ALICE).catch((error: Error) => {
    throw new Error(`signing in at ${authorizationUrl.href} failed: ${error.message}${logs()}`);
  });
  // the browser follows the redirect to mcp-remote's callback listener
  const delivered = await fetch(location, { redirect: 'manual' });
  if (delivered.status !== 200) throw new Error(`mcp-remote's callback ${location.href} answered ${delivered.status}: ${await delivered.text()}${logs()}`);
  if (!(await stderr.waitFor(/Local STDIO server running/, 10_000))) throw new Error(`mcp-remote did not finish connecting after the sign-in${logs()}`);
}, 30_000);

afterAll(async () => {
  if (proxy && proxy.exitCode === null) {
    proxy.stdin.end();
    proxy.kill('SIGTERM');
    const exited = await Promise.race([proxy.exited, Bun.sleep(3_000).then(() => null)]);
    if (exited === null) proxy.kill('SIGKILL');
    await proxy.exited;
  }
  if (configDir) rmSync(configDir, { recursive: true, force: true });
  if (gateway) expect(await gateway.stop()).toBe(0);
});

describe('mcp-remote signs in to portico demo and proxies MCP over stdio', () => {
  test("sent the user to Portico's authorization endpoint with PKCE, its own callback and the MCP resource", () => {
    const issuer = new URL(gateway.mcpUrl).origin;
    const params = authorizationUrl.searchParams;
    expect({
      endpoint: `${authorizationUrl.origin}${authorizationUrl.pathname}`,
      client: params.get('client_id'),
      redirect: params.get('redirect_uri'),
      method: params.get('code_challenge_method'),
      resource: params.get('resource'),
    }).toEqual({
      endpoint: `${issuer}/oauth/authorize`,
      client: expect.stringMatching(/^pcl_/), // registered dynamically
      redirect: `http://localhost:${callbackPort}/oauth/callback`,
      method: 'S256',
      resource: gateway.mcpUrl,
    });
  });

  test('initialize answers with Portico as the server and the tools capability', async () => {
    const result = await request<{ protocolVersion: string; serverInfo: { name: string }; capabilities: Record<string, unknown> }>('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'portico-e2e', version: '1' },
    });
    send({ method: 'notifications/initialized' });
    expect({ capabilities: Object.keys(result.capabilities), protocolVersion: result.protocolVersion }).toEqual({ capabilities: expect.arrayContaining(['tools']), protocolVersion: expect.any(String) });
  });

  test('tools/list lists the demo API', async () => {
    const { tools } = await request<{ tools: Tool[] }>('tools/list');
    expect(tools.map((tool) => tool.name)).toContain('get_current_user');
    expect(tools.length).toBe(24);
  });

  test("tools/call get_current_user answers with alice's data: the API was called with her own credential", async () => {
    const result = await request<CallToolResult>('tools/call', { name: 'get_current_user', arguments: {} });
    expect({ isError: result.isError ?? false, user: result.structuredContent }).toEqual({ isError: false, user: expect.objectContaining({ email: 'alice@example.com' }) });
    expect(JSON.parse((result.content[0] as { text: string }).text)).toMatchObject({ email: 'alice@example.com' });
  });

  test('mcp-remote kept its registration and tokens in the temp config dir, not in the real home', () => {
    const files = readdirSync(join(configDir, 'mcp-auth'), { recursive: true }).map(String);
    expect(files.some((name) => name.endsWith('_tokens.json'))).toBe(true);
    expect(files.some((name) => name.endsWith('_client_info.json'))).toBe(true);
  });
});
