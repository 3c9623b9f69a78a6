/**
 * `aroundCall` and `call.state` over real HTTP: two plugins that wrap every call, in front of the demo API,
 * driven with the SDK's OAuth client. An around hook times the call and sees its result, answers without
 * calling the API, retries, fails closed naming itself; `state` is one plugin's own for one call; the first
 * plugin's hook is outermost.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startDemoApi } from '../../src/demo';
import { startTestGateway } from '../fixtures/gateway';
import { connectAs } from '../fixtures/oauth-client';
import { ALICE } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDirWith } from '../fixtures/temp';

afterAll(removeTempDirs);
const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;

/**
 * The demo API behind a counter of the requests that reach it ("METHOD /path"): the gateway's records count
 * calls, one per tool call however often an around hook ran it; this counts what the API actually received.
 */
async function countedDemoApi() {
  const demo = await startDemoApi({ port: 0 });
  const received: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(request) {
      const url = new URL(request.url);
      received.push(`${request.method} ${url.pathname}`);
      return fetch(new URL(url.pathname + url.search, demo.url), { method: request.method, headers: request.headers, body: request.body, redirect: 'manual' });
    },
  });
  return {
    env: { PORTICO_UPSTREAM: `http://127.0.0.1:${server.port}/v1`, PORTICO_SPEC: demo.specUrl },
    received,
    async stop() {
      await server.stop(true);
      await demo.stop();
    },
  };
}

describe('aroundCall and call.state', async () => {
  const folder = tempDirWith({
    // the outer plugin: times each call, and keeps in its state what its own hooks must see of each other
    '10-outer.ts': `
      export default function (api) {
        api.beforeCall((call) => {
          call.state.before = call.tool.name;
          call.state.calls = (call.state.calls ?? 0) + 1;
          api.log.info('outer_before', { sawInner: 'inner' in call.state });
        });
        api.aroundCall(async (call, next) => {
          api.log.info('order', { step: 'outer in' });
          const started = performance.now();
          const result = await next();
          api.log.info('order', { step: 'outer out' });
          api.log.info('timed', { tool: call.tool.name, ms: performance.now() - started, isError: result.isError === true, projects: result.structuredContent?.items?.length, before: call.state.before, calls: call.state.calls });
          call.state.around = 'done';
          return result;
        });
        api.afterCall((call) => {
          api.log.info('outer_after', { before: call.state.before, around: call.state.around, calls: call.state.calls });
        });
      }`,
    // the inner plugin: answers some calls itself, retries failed ones, and fails on purpose
    '20-inner.ts': `
      export default function (api) {
        api.beforeCall((call) => {
          call.state.inner = true;
          api.log.info('inner_before', { sawOuter: 'before' in call.state });
        });
        api.aroundCall(async (call, next) => {
          api.log.info('order', { step: 'inner in' });
          if (call.tool.name === 'get_project' && call.args.projectId === 'prj_canned') return { content: [{ type: 'text', text: 'a canned answer' }] };
          if (call.tool.name === 'list_organizations') throw new Error('the cache is down');
          if (call.tool.name === 'health_check') return;
          let result = await next();
          if (result.isError && call.tool.name === 'get_project') {
            api.log.info('retrying', { tool: call.tool.name });
            result = await next();
          }
          api.log.info('order', { step: 'inner out', sawOuter: 'before' in call.state || 'around' in call.state });
          return result;
        });
        api.afterCall((call) => {
          api.log.info('inner_after', { sawOuter: 'before' in call.state, inner: call.state.inner });
        });
      }`,
  });
  const api = await countedDemoApi();
  const gw = await startTestGateway({ ...api.env, PORTICO_PLUGINS: folder, PORTICO_MCP_MODE: 'stateless' });
  afterAll(async () => {
    await gw.stop();
    await api.stop();
  });
  const { client } = await connectAs(gw.gateway.mcpUrl, ALICE);
  /** The events of `name` logged while `run` ran. */
  const during = async <T>(name: string, run: () => Promise<T>): Promise<{ value: T; events: Record<string, unknown>[] }> => {
    const before = gw.events(name).length;
    const value = await run();
    return { value, events: gw.events(name).slice(before) };
  };

  test('an around hook times the call and sees its result; the client gets it unchanged', async () => {
    const { value, events } = await during('plugin.timed', async () => (await client.callTool({ name: 'list_projects', arguments: {} })) as CallToolResult);
    expect(value.isError).toBeFalsy();
    const projects = (value.structuredContent as { items: unknown[] }).items.length;
    expect(projects).toBeGreaterThan(0);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ plugin: '10-outer.ts', tool: 'list_projects', isError: false, projects });
    expect(events[0]!.ms).toBeGreaterThan(0);
    expect(api.received.at(-1)).toBe('GET /v1/projects');
  });

  test('an around hook that answers without calling next: the API is not reached, the later hooks still run', async () => {
    const reached = api.received.length;
    const { value, events } = await during('plugin.outer_after', async () => (await client.callTool({ name: 'get_project', arguments: { projectId: 'prj_canned' } })) as CallToolResult);
    expect(value.isError).toBeFalsy();
    expect(text(value)).toBe('a canned answer');
    expect(api.received.length).toBe(reached);
    expect(events).toHaveLength(1);
    // the record says the executor was never reached
    const record = gw.calls.at(-1)!;
    expect(record).toMatchObject({ tool: 'get_project', outcome: 'ok' });
    expect([record.upstreamStatus, record.sent, record.operation]).toEqual([undefined, undefined, undefined]);
  });

  test('an around hook that calls next twice retries: the API is called twice, the client gets the last answer', async () => {
    const reached = api.received.length;
    const { value, events } = await during('plugin.retrying', async () => (await client.callTool({ name: 'get_project', arguments: { projectId: 'prj_does_not_exist' } })) as CallToolResult);
    expect(events).toHaveLength(1);
    expect(api.received.slice(reached)).toEqual(['GET /v1/projects/prj_does_not_exist', 'GET /v1/projects/prj_does_not_exist']);
    expect(value.isError).toBe(true);
    expect(text(value)).toContain('404');
    expect(gw.calls.at(-1)).toMatchObject({ tool: 'get_project', outcome: 'upstream_error', upstreamStatus: 404 });
  });

  test('an around hook that throws, or returns no result, ends the call with an error naming the plugin; the API is not reached', async () => {
    const reached = api.received.length;
    const thrown = (await client.callTool({ name: 'list_organizations', arguments: {} })) as CallToolResult;
    expect(thrown.isError).toBe(true);
    expect(text(thrown)).toBe('A policy of this server (20-inner.ts) failed while making the call: the cache is down');
    const empty = (await client.callTool({ name: 'health_check', arguments: {} })) as CallToolResult;
    expect(empty.isError).toBe(true);
    expect(text(empty)).toBe('A policy of this server (20-inner.ts) failed while making the call: its aroundCall hook returned nothing instead of a tool result (return next() or a result)');
    expect(api.received.length).toBe(reached);
    const logged = gw.events('plugin.around_call_failed');
    expect(logged.map((event) => [event.plugin, event.tool])).toEqual([
      ['20-inner.ts', 'list_organizations'],
      ['20-inner.ts', 'health_check'],
    ]);
    // the outer hook saw the error result as the call's answer
    expect(gw.events('plugin.timed').at(-1)).toMatchObject({ tool: 'health_check', isError: true });
  });

  test("state: one plugin's hooks share it within a call; other plugins never see it; every call starts empty", async () => {
    const names = ['plugin.outer_before', 'plugin.outer_after', 'plugin.inner_before', 'plugin.inner_after', 'plugin.timed'];
    const before = names.map((name) => gw.events(name).length);
    await client.callTool({ name: 'get_current_user', arguments: {} });
    await client.callTool({ name: 'list_projects', arguments: {} });
    const [outerBefore, outerAfter, innerBefore, innerAfter, timed] = names.map((name, index) => gw.events(name).slice(before[index]));
    // the same plugin's around and after hooks see what its before hook set, for that call; a fresh object each call
    expect(timed!.map((event) => [event.tool, event.before, event.calls])).toEqual([
      ['get_current_user', 'get_current_user', 1],
      ['list_projects', 'list_projects', 1],
    ]);
    expect(outerAfter!.map((event) => [event.before, event.around, event.calls])).toEqual([
      ['get_current_user', 'done', 1],
      ['list_projects', 'done', 1],
    ]);
    // the other plugin sees neither, and its own state is its own
    expect(outerBefore!.map((event) => event.sawInner)).toEqual([false, false]);
    expect(innerBefore!.map((event) => event.sawOuter)).toEqual([false, false]);
    expect(innerAfter!.map((event) => [event.sawOuter, event.inner])).toEqual([
      [false, true],
      [false, true],
    ]);
  });

  test('with two plugins, the first registered is outermost', async () => {
    const { events } = await during('plugin.order', () => client.callTool({ name: 'get_current_user', arguments: {} }));
    expect(events.map((event) => `${event.plugin}: ${event.step}`)).toEqual(['10-outer.ts: outer in', '20-inner.ts: inner in', '20-inner.ts: inner out', '10-outer.ts: outer out']);
    expect(events.find((event) => event.step === 'inner out')?.sawOuter).toBe(false);
  });
});
