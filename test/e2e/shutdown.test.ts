/**
 * Graceful shutdown of a real `portico demo` process: SIGTERM while a slow tool call is in flight (the demo
 * API's query statistics take 2 s) and an MCP session holds its SSE stream open. New connections are refused
 * at once, the call still gets its result, the stream is closed, and the process exits 0 soon after. With a
 * deadline shorter than the call, the call is cut at the deadline and the process still exits 0.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { SOURCES, startPortico, type Running } from './process';

const PROTOCOL = '2025-06-18';
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
/** The slow operation of the demo API, on a database alice can read. */
const SLOW_CALL = { name: 'get_query_stats', arguments: { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' } };

let running: Running | undefined;
afterEach(() => {
  if (running && running.process.exitCode === null) running.process.kill('SIGKILL');
  running = undefined;
});

async function startDemo(env: Record<string, string> = {}) {
  // the demo logs readable lines for a person; these tests read its events as JSON
  running = await startPortico([...SOURCES, 'demo', '--port', '0', '--api-port', '0', '--as', 'alice@example.com'], { PORTICO_LOG_FORMAT: 'json', ...env });
  const url = new URL(running.mcpUrl);
  return { mcpUrl: `http://127.0.0.1:${url.port}/mcp`, port: Number(url.port), process: running };
}

async function openSession(mcpUrl: string): Promise<string> {
  const init = await fetch(mcpUrl, {
    method: 'POST',
    headers: MCP_HEADERS,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'shutdown-test', version: '1' } } }),
  });
  await init.text();
  const id = init.headers.get('mcp-session-id')!;
  const headers = { ...MCP_HEADERS, 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL };
  await (await fetch(mcpUrl, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
  return id;
}

function callInSession(mcpUrl: string, session: string) {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: { ...MCP_HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: SLOW_CALL }),
  });
}

/** Resolves when a new TCP connection to `port` is refused (polling briefly), with how long that took. */
async function refusedWithin(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });
    if (refused) return true;
    await Bun.sleep(20);
  }
  return false;
}

const logEvents = (stderr: string, event: string) =>
  stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.event === event);

describe('portico demo on SIGTERM', () => {
  test('the call in flight completes with its result, the SSE stream is closed, new connections are refused, exit 0', async () => {
    const { mcpUrl, port, process: child } = await startDemo();
    const session = await openSession(mcpUrl);
    // the session's standalone SSE stream: it stays open until the server closes it (Bun sends its headers
    // with the first event, so the fetch settles only when an event comes or the stream ends)
    let streamEnded = 0;
    const streamClosed = fetch(mcpUrl, { headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL } })
      .then((stream) => stream.text())
      .catch(() => '')
      .then(() => (streamEnded = Date.now()));
    await Bun.sleep(100);

    const started = Date.now();
    const call = callInSession(mcpUrl, session);
    await Bun.sleep(400);
    expect(streamEnded).toBe(0);
    const signalled = Date.now();
    child.process.kill('SIGTERM');

    expect(await refusedWithin(port, 1000)).toBe(true);
    const answer = await call;
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { result: { isError?: boolean; structuredContent?: unknown } };
    expect(body.result.isError).toBeFalsy();
    expect(body.result.structuredContent).toBeDefined();
    // it really was in flight: the demo API takes 2 s
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);

    const code = await child.process.exited;
    const exited = Date.now();
    expect(code).toBe(0);
    expect(exited - signalled).toBeLessThan(5000);
    expect(await streamClosed).toBeLessThanOrEqual(exited + 100);

    const stopping = logEvents(child.stderr(), 'gateway.stopping');
    expect(stopping).toHaveLength(1);
    expect(stopping[0]).toMatchObject({ reason: 'SIGTERM', graceSeconds: 10 });
    expect(logEvents(child.stderr(), 'gateway.stopped')[0]).toMatchObject({ drained: true });
  });

  test('a call longer than PORTICO_SHUTDOWN_SECONDS is cut at the deadline; the process still exits 0', async () => {
    const { mcpUrl, process: child } = await startDemo({ PORTICO_SHUTDOWN_SECONDS: '1', PORTICO_MCP_MODE: 'stateless' });
    const call = fetch(mcpUrl, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: SLOW_CALL }) }).then(
      async (response) => ({ status: response.status, text: await response.text().catch(() => '') }),
      (error: unknown) => ({ status: 0, text: String(error) }),
    );
    await Bun.sleep(200);
    const signalled = Date.now();
    child.process.kill('SIGTERM');
    const code = await child.process.exited;
    const took = Date.now() - signalled;
    expect(code).toBe(0);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(1800);
    const cut = await call;
    // the connection was closed under it: no answer, or an answer without the statistics
    expect(cut.text).not.toContain('"structuredContent"');
    expect(logEvents(child.stderr(), 'gateway.drain_timeout')).toHaveLength(1);
  });

  test('a second signal stops waiting', async () => {
    const { mcpUrl, process: child } = await startDemo({ PORTICO_MCP_MODE: 'stateless' });
    void fetch(mcpUrl, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: SLOW_CALL }) }).catch(() => {});
    await Bun.sleep(200);
    const signalled = Date.now();
    child.process.kill('SIGTERM');
    await Bun.sleep(200);
    child.process.kill('SIGINT');
    expect(await child.process.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(1500);
  });
});
