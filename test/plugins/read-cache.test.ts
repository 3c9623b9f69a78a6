/**
 * plugins/read-cache.ts end to end: loaded from the shipped folder as a deployment would, configured through
 * PORTICO_PLUGIN_SETTINGS, in front of the demo API, driven by two signed-in users with the SDK's client. What
 * reached the API is read from the gateway's records (a cached answer never reaches the executor).
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startTestGateway } from '../fixtures/gateway';
import { connectAs } from '../fixtures/oauth-client';
import { ALICE, BOB } from '../fixtures/signed-in-gateway';
import { removeTempDirs } from '../fixtures/temp';

const PLUGINS = resolve(import.meta.dir, '../../plugins');
afterAll(removeTempDirs);

const gatewayWith = (settings: Record<string, unknown>) => startTestGateway({ PORTICO_PLUGINS: PLUGINS, PORTICO_PLUGIN_SETTINGS: JSON.stringify({ 'read-cache': settings }), PORTICO_MCP_MODE: 'stateless' });

describe('read-cache.ts', async () => {
  const gw = await gatewayWith({ ttlSeconds: 1, tools: ['list_*', 'get_*'] });
  afterAll(() => gw.stop());
  const alice = (await connectAs(gw.gateway.mcpUrl, ALICE)).client;
  const bob = (await connectAs(gw.gateway.mcpUrl, BOB)).client;
  const call = async (client: typeof alice, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  /** How many requests `run` sent to the API. */
  const requests = async (run: () => Promise<unknown>) => {
    const before = gw.upstream.length;
    await run();
    return gw.upstream.length - before;
  };

  test('two identical calls by the same user: one request to the API, the same answer', async () => {
    let first: CallToolResult | undefined;
    let second: CallToolResult | undefined;
    expect(
      await requests(async () => {
        first = await call(alice, 'list_projects', { per_page: 2 });
        second = await call(alice, 'list_projects', { per_page: 2 });
      }),
    ).toBe(1);
    expect(second).toEqual(first!);
    expect(first!.isError).toBeFalsy();
  });

  test('another user gets their own answer, never the first one’s', async () => {
    const mine = await call(alice, 'get_current_user');
    let theirs: CallToolResult | undefined;
    expect(await requests(async () => void (theirs = await call(bob, 'get_current_user')))).toBe(1);
    expect((mine.structuredContent as { email: string }).email).toBe(ALICE.email);
    expect((theirs!.structuredContent as { email: string }).email).toBe(BOB.email);
    // and each one's is kept for them
    expect(await requests(async () => void (theirs = await call(bob, 'get_current_user')))).toBe(0);
    expect((theirs!.structuredContent as { email: string }).email).toBe(BOB.email);
  });

  test('other arguments are another call; the same arguments in another order are not', async () => {
    expect(await requests(() => call(alice, 'list_projects', { per_page: 3, page: 1 }))).toBe(1);
    expect(await requests(() => call(alice, 'list_projects', { page: 1, per_page: 3 }))).toBe(0);
    expect(await requests(() => call(alice, 'list_projects', { per_page: 3, page: 2 }))).toBe(1);
  });

  test('after ttlSeconds the API is asked again', async () => {
    expect(await requests(() => call(alice, 'list_organizations'))).toBe(1);
    expect(await requests(() => call(alice, 'list_organizations'))).toBe(0);
    await Bun.sleep(1100);
    expect(await requests(() => call(alice, 'list_organizations'))).toBe(1);
  });

  test('an error result is not kept', async () => {
    const missing = { projectId: 'prj_does_not_exist' };
    expect(await requests(() => call(alice, 'get_project', missing))).toBe(1);
    let again: CallToolResult | undefined;
    expect(await requests(async () => void (again = await call(alice, 'get_project', missing)))).toBe(1);
    expect(again!.isError).toBe(true);
  });

  test('read tools outside `tools` are not cached', async () => {
    expect(await requests(() => call(alice, 'health_check'))).toBe(1);
    expect(await requests(() => call(alice, 'health_check'))).toBe(1);
  });
});

test('read-cache.ts never caches a tool that changes things, whatever `tools` says, and keeps at most maxEntries answers', async () => {
  const gw = await gatewayWith({ tools: ['*'], maxEntries: 2 });
  try {
    const { client } = await connectAs(gw.gateway.mcpUrl, ALICE);
    const requests = async (name: string, args: Record<string, unknown> = {}) => {
      const before = gw.upstream.length;
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      expect({ name, isError: result.isError ?? false, text: result.isError ? JSON.stringify(result.content) : '' }).toEqual({ name, isError: false, text: '' });
      return gw.upstream.length - before;
    };
    // update_project needs write: each call is made, the same one twice too
    const update = { projectId: 'prj_7d3f8a1b', description: 'Kept fresh' };
    expect(await requests('update_project', update)).toBe(1);
    expect(await requests('update_project', update)).toBe(1);
    // three answers kept in turn with room for two: the least recently used one goes
    expect(await requests('list_projects', { page: 1 })).toBe(1);
    expect(await requests('list_projects', { page: 2 })).toBe(1);
    expect(await requests('list_projects', { page: 1 })).toBe(0);
    expect(await requests('list_projects', { page: 3 })).toBe(1);
    expect(await requests('list_projects', { page: 1 })).toBe(0);
    expect(await requests('list_projects', { page: 2 })).toBe(1);
    await client.close();
  } finally {
    await gw.stop();
  }
});
