/**
 * `http/answers` over real HTTP: one refusal, one shape per dialect. The same refusal (a Host that is not ours,
 * the store out of reach, a bug) has the same status, words and headers on `/mcp`, where it is a JSON-RPC error,
 * and on the OAuth endpoints, where it is `{ error, error_description }`; an OAuth endpoint's own error keeps the
 * CORS headers a listed origin needs to read it. And no module but `wire/` writes such an error body by hand.
 */
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { ClientAddresses } from '../../src/http/client-address';
import { front, type FrontOptions, type Handler, type Route } from '../../src/http/front';
import { createLogger } from '../../src/log';
import { Drain } from '../../src/ops/drain';
import { GatewayMetrics } from '../../src/ops/gateway-metrics';
import { openStore } from '../../src/store';
import { fetchFrom } from '../fixtures/from-address';
import { removeTempDirs, tempDir } from '../fixtures/temp';
import { startOpsGateway } from './gateway';

afterAll(removeTempDirs);

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const PING = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
const TOKEN_FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const REFRESH = 'grant_type=refresh_token&refresh_token=prt_x&client_id=pcl_x';

/** The words and code of an answer, whichever dialect it is in; fails on any other shape. */
async function wordsOf(answer: Response): Promise<{ dialect: 'json-rpc' | 'oauth'; code: string | number; message: string }> {
  const body = (await answer.json()) as Record<string, unknown>;
  if (body.jsonrpc === '2.0') {
    expect(Object.keys(body).sort()).toEqual(['error', 'id', 'jsonrpc']);
    expect(body.id).toBeNull();
    const error = body.error as { code: number; message: string };
    expect(Object.keys(error).sort()).toEqual(['code', 'message']);
    return { dialect: 'json-rpc', code: error.code, message: error.message };
  }
  expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
  return { dialect: 'oauth', code: body.error as string, message: body.error_description as string };
}

describe('one refusal, the route\'s dialect', () => {
  test('a Host that is not ours: 403 and the same words, as a JSON-RPC error on /mcp and an OAuth error on /oauth/token', async () => {
    const gw = await startOpsGateway();
    try {
      const host = { host: 'rebound.attacker.example' };
      const mcp = await fetchFrom('127.0.0.1', gw.mcpUrl, { method: 'POST', headers: { ...MCP_HEADERS, ...host }, body: PING });
      const token = await fetchFrom('127.0.0.1', `${gw.origin}/oauth/token`, { method: 'POST', headers: { ...TOKEN_FORM, ...host }, body: REFRESH });
      expect([mcp.status, token.status]).toEqual([403, 403]);
      const [onMcp, onToken] = [await wordsOf(mcp), await wordsOf(token)];
      expect(onMcp).toEqual({ dialect: 'json-rpc', code: -32000, message: onToken.message });
      expect(onToken).toEqual({ dialect: 'oauth', code: 'invalid_request', message: expect.stringContaining('Host "rebound.attacker.example" is not allowed') });
      // an OAuth error is never cached
      expect(token.headers.get('cache-control')).toBe('no-store');
    } finally {
      await gw.stop();
    }
  });

  test('the store out of reach: 503, Retry-After and the same words on /mcp and /oauth/token, logged with the path', async () => {
    const store = await openStore(join(tempDir(), 'portico.db'));
    const gw = await startOpsGateway({}, { store });
    try {
      await store.close();
      const mcp = await fetch(gw.mcpUrl, { method: 'POST', headers: { ...MCP_HEADERS, authorization: 'Bearer pat_never-issued' }, body: PING });
      const token = await fetch(`${gw.origin}/oauth/token`, { method: 'POST', headers: TOKEN_FORM, body: REFRESH });
      for (const answer of [mcp, token]) {
        expect(answer.status).toBe(503);
        expect(answer.headers.get('retry-after')).toBe('5');
        expect(answer.headers.get('cache-control')).toBe('no-store');
      }
      const [onMcp, onToken] = [await wordsOf(mcp), await wordsOf(token)];
      expect(onMcp).toEqual({ dialect: 'json-rpc', code: -32000, message: 'Portico cannot reach its database right now; try again shortly' });
      expect(onToken).toEqual({ dialect: 'oauth', code: 'temporarily_unavailable', message: onMcp.message });
      expect(gw.events('store.unavailable').map((line) => line.path)).toEqual(['/mcp', '/oauth/token']);
    } finally {
      await gw.stop();
    }
  });

  test('an OAuth endpoint\'s own error, thrown and rendered in front of it, keeps CORS for a listed origin', async () => {
    const origin = 'https://inspector.example';
    const gw = await startOpsGateway({ PORTICO_ALLOWED_ORIGINS: origin });
    try {
      const refused = await fetch(`${gw.origin}/oauth/token`, { method: 'POST', headers: { ...TOKEN_FORM, origin }, body: REFRESH });
      expect(refused.status).toBe(401);
      expect(await wordsOf(refused)).toMatchObject({ dialect: 'oauth', code: 'invalid_client' });
      expect(refused.headers.get('access-control-allow-origin')).toBe(origin);
      expect(refused.headers.get('pragma')).toBe('no-cache');
    } finally {
      await gw.stop();
    }
  });
});

describe('a bug', () => {
  let servers: ReturnType<typeof Bun.serve>[] = [];
  afterEach(() => {
    for (const server of servers) server.stop(true);
    servers = [];
  });

  /** `handler` behind the front alone, as the route `route` (the label Bun's router gives it). */
  function serve(handler: Handler, route: Route) {
    const allowedHosts: string[] = [];
    const options: FrontOptions = { log: createLogger('error', () => {}), metrics: new GatewayMetrics({ sessions: () => 0, tools: () => 0 }), drain: new Drain(), guard: { allowedHosts, allowedOrigins: [] }, addresses: new ClientAddresses([]) };
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: front(options, handler, route) });
    allowedHosts.push(`127.0.0.1:${server.port}`);
    servers.push(server);
    return `http://127.0.0.1:${server.port}`;
  }

  test('is a 500 with the same words in each dialect, and nothing of the error', async () => {
    const broken: Handler = () => {
      throw new Error('row 42 exploded');
    };
    const mcp = await fetch(`${serve(broken, '/mcp')}/mcp`, { method: 'POST' });
    const token = await fetch(`${serve(broken, '/oauth/token')}/oauth/token`, { method: 'POST' });
    expect([mcp.status, token.status]).toEqual([500, 500]);
    const [onMcp, onToken] = [await wordsOf(mcp), await wordsOf(token)];
    expect(onMcp).toEqual({ dialect: 'json-rpc', code: -32000, message: 'internal error; the request id is in X-Request-Id' });
    expect(onToken).toEqual({ dialect: 'oauth', code: 'server_error', message: onMcp.message });
  });
});

/**
 * Error bodies written by hand, found in the syntax tree (so comments and strings never count): an object literal
 * with both `jsonrpc` and `error` (a JSON-RPC error message), and an object literal with `error_description`
 * handed to `Response.json` or `JSON.stringify` (an OAuth error body). An OAuth error in a redirect's query
 * (`redirectWith(…, { error, error_description })`, RFC 6749 §4.1.2.1) or a `toJSON` is neither.
 */
function handWrittenErrors(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const has = (literal: ts.ObjectLiteralExpression, name: string) => literal.properties.some((property) => (ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property)) && property.name.getText(source).replace(/['"]/g, '') === name);
  const where = (node: ts.Node) => `${fileName}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node) && has(node, 'jsonrpc') && has(node, 'error')) found.push(`${where(node)} JSON-RPC error literal`);
    if (ts.isCallExpression(node) && ['Response.json', 'JSON.stringify'].includes(node.expression.getText(source))) {
      const body = node.arguments[0];
      if (body && ts.isObjectLiteralExpression(body) && has(body, 'error_description')) found.push(`${where(node)} OAuth error literal`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const SRC = join(import.meta.dir, '..', '..', 'src');
/** Where error bodies are built (`wire/`), and what is not ours to check: the sample API. */
const EXEMPT = [/^wire\/json-rpc\.ts$/, /^wire\/oauth\.ts$/, /^demo\//];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('error bodies are built in wire/ only', () => {
  test('the check sees hand-written bodies, and not redirect parameters, toJSON or comments', () => {
    const sample = `
      // Response.json({ error: 'x', error_description: 'in a comment' })
      const a = Response.json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }, { status: 403 });
      const b = { jsonrpc: '2.0', id, error };
      const c = Response.json({ error: 'invalid_request', error_description: host }, { status: 403 });
      const d = new Response(JSON.stringify({ error, error_description }), { status: 400 });
      const e = redirectWith(context, redirectUri, { error, error_description: description, state });
      const f = { toJSON() { return { error: this.error, error_description: this.error_description }; } };
      const g = Response.json({ jsonrpc: '2.0', id, result: {} });
    `;
    expect(handWrittenErrors('sample.ts', sample)).toEqual(['sample.ts:3 JSON-RPC error literal', 'sample.ts:4 JSON-RPC error literal', 'sample.ts:5 OAuth error literal', 'sample.ts:6 OAuth error literal']);
  });

  test('no file under src/ (but wire/ and the demo API) writes a JSON-RPC or OAuth error body by hand', () => {
    const files = sourceFiles(SRC).filter((path) => !EXEMPT.some((exempt) => exempt.test(relative(SRC, path).split('\\').join('/'))));
    expect(files.length).toBeGreaterThan(50);
    expect(files.flatMap((path) => handWrittenErrors(relative(SRC, path), readFileSync(path, 'utf8')))).toEqual([]);
  });
});
