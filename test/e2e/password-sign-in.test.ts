/**
 * `portico serve --upstream <the demo API>` as a user runs it — a real process, no login settings at all: the
 * login's fields come from the API's document (the demo's login reads `email`, not `username`), alice signs in
 * through the pages over HTTP, and the login operation is no tool her agent can call.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startDemoApi, type RunningDemoApi } from '../../src/demo';
import { connect, emailOf, mcpRequest, whoAmI } from '../fixtures/oauth-http';
import { ALICE } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';
import { SOURCES, startPortico, type Running } from './process';

let api: RunningDemoApi;
let portico: Running;
beforeAll(async () => {
  api = await startDemoApi({ port: 0 });
  // only what a user would set: the API, a port, where state goes; every other PORTICO_* of this shell left out
  const inherited = Object.fromEntries(Object.keys(process.env).filter((name) => name.startsWith('PORTICO_')).map((name) => [name, '']));
  portico = await startPortico([...SOURCES, 'serve', '--upstream', api.baseUrl, '--port', '0', '--mcp-mode', 'stateless'], { ...inherited, PORTICO_DATABASE_URL: join(tempDir(), 'portico.db') });
});
afterAll(async () => {
  await portico?.stop();
  await api?.stop();
  removeTempDirs();
});

test('no login settings: alice signs in (the fields read from the document), her tools have no login', async () => {
  const origin = new URL(portico.mcpUrl).origin;
  const { tokens } = await connect(origin, origin, ALICE);
  expect(emailOf(await whoAmI(portico.mcpUrl, tokens.access_token))).toBe(ALICE.email);
  const listed = await mcpRequest(portico.mcpUrl, tokens.access_token, 'tools/list');
  const names = (listed.json.result.tools as { name: string }[]).map((tool) => tool.name);
  expect(names).toHaveLength(24);
  expect(names).toContain('get_current_user');
  expect(names).not.toContain('login');
  const called = await mcpRequest(portico.mcpUrl, tokens.access_token, 'tools/call', { name: 'login', arguments: { email: ALICE.email, password: ALICE.password } });
  expect(called.json.error.message).toContain('unknown tool "login"');
  expect(portico.stderr()).toContain('"event":"oauth.login_fields","fields":"email, password","from":"from the API\'s document"');
});
