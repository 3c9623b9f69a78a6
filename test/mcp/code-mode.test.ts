/**
 * Code mode over real HTTP, signed in, in front of the demo API: tools/list offers search_operations and execute;
 * a program's `api.*` calls are calls like any other — the user's own credential, the audit record under the
 * operation's name, the same refusal for a scope the token lacks, the confirmation of a destructive call (a 2025
 * session's elicitation with the real SDK client; a 2026-07-28 round, in which the calls made before the question
 * are not made again). Its limits (computing time, memory, stack, calls) end it with a tool error that says which,
 * and the gateway goes on serving; what a program reaches besides `api` and `console` is nothing.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectAs } from '../fixtures/oauth-client';
import { connect, postMcp } from '../fixtures/oauth-http';
import { ALICE, BOB, startSignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);


function plugins(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'confirm-destructive.ts'), `export { default } from ${JSON.stringify(resolve(import.meta.dir, '../../plugins/confirm-destructive.ts'))};`);
  return dir;
}

interface Result {
  tools?: { name: string; inputSchema: unknown }[];
  isError?: boolean;
  resultType?: string;
  content?: { text: string }[];
  structuredContent?: Record<string, unknown>;
  inputRequests?: Record<string, { method: string; params: { message: string } }>;
  requestState?: string;
}
interface Answer {
  status: number;
  body: { result?: Result; error?: { message: string } };
}

const text = (result: Result | CallToolResult) => (result.content as { text: string }[]).map((part) => part.text).join('\n');

describe('code mode, signed in', async () => {
  const gw = await startSignedInGateway({
    PORTICO_TOOL_MODE: 'code',
    PORTICO_PLUGINS: plugins(),
    PORTICO_PLUGIN_SETTINGS: JSON.stringify({ 'confirm-destructive': { enabled: true } }),
    PORTICO_CODE_CPU_MS: '400',
    PORTICO_CODE_MEMORY_MB: '16',
    PORTICO_CODE_MAX_CALLS: '5',
  });
  afterAll(() => gw.stop());
  const bob = (await connect(gw.origin, gw.origin, BOB)).tokens.access_token;
  const alice = (await connect(gw.origin, gw.origin, ALICE)).tokens.access_token;
  const store = await gw.openStore();
  afterAll(() => store.close());

  /** A 2026-07-28 request (2025's shape when not `modern`) from a client that can be asked. */
  const rpc = (token: string, method: string, params: Record<string, unknown>, modern = true): Promise<Answer> => postMcp<Answer['body']>(gw.mcpUrl, method, params, { token, modern, capabilities: { elicitation: {} } });
  const run = async (token: string, code: string) => (await rpc(token, 'tools/call', { name: 'execute', arguments: { code } })).body.result!;

  /** The audit log's entries of `userId` since `since`, once there are `count` (the writer batches them). */
  async function auditOf(userId: string, since: number, count: number): Promise<string[]> {
    for (let tries = 0; tries < 50; tries++) {
      const records = await store.queryAudit({ userId, since, limit: 50 });
      if (records.length >= count) return records.map((record) => `${record.tool} ${record.outcome}`).reverse();
      await Bun.sleep(100);
    }
    return [];
  }

  test('tools/list is discover mode’s three tools and execute; search and describe give each operation’s declaration for the program', async () => {
    const listed = await rpc(bob, 'tools/list', {});
    expect(listed.body.result!.tools!.map((tool) => tool.name)).toEqual(['search_operations', 'describe_operation', 'call_operation', 'execute']);
    const search = (await rpc(bob, 'tools/call', { name: 'search_operations', arguments: { query: 'create a database', limit: 3 } })).body.result!;
    const [first] = search.structuredContent!.results as { name: string; declaration: string }[];
    expect(first!.name).toBe('create_database');
    expect(first!.declaration).toContain('api.create_database(args: { projectId: string;');
    expect(first!.declaration).toMatch(/\): Promise<.+>$/);
    const described = (await rpc(bob, 'tools/call', { name: 'describe_operation', arguments: { name: 'create_database' } })).body.result!;
    expect((described.structuredContent!.operations as { declaration: string }[])[0]!.declaration).toBe(first!.declaration);
    // call_operation is there too: one call without a program
    const me = (await rpc(bob, 'tools/call', { name: 'call_operation', arguments: { name: 'get_current_user', arguments: {} } })).body.result!;
    expect((me.structuredContent as { email: string }).email).toBe(BOB.email);
  });

  test('one execute as bob lists Acme’s projects and creates a database in the first: two calls, his credential, audited by name', async () => {
    const since = Date.now();
    const before = gw.upstream.length;
    const result = await run(
      bob,
      // the projects of Acme, where bob is a developer (in Acme Labs he only views, and the API would refuse him)
      `const { items: projects } = await api.list_projects({ org_id: 'org_2n4x7c1v' });
       console.log('projects:', projects.length);
       const created = await api.create_database({ projectId: projects[0].id, name: 'from_a_program', plan: 'starter', region: projects[0].default_region ?? 'aws-eu-central-1' });
       return { project: projects[0].id, database: created.name };`,
    );
    expect(result.isError ? text(result) : 'ok').toBe('ok');
    const { result: value, console: logs, calls } = result.structuredContent as { result: { project: string; database: string }; console: string[]; calls: number };
    expect(value.database).toBe('from_a_program');
    expect(logs[0]).toMatch(/^projects: \d+$/);
    expect(calls).toBe(2);
    expect(gw.upstream.slice(before)).toEqual(['GET /projects', 'POST /projects/{projectId}/databases']);
    expect(await auditOf('usr_b0b4m9x3', since, 2)).toEqual(['list_projects ok', 'create_database ok']);
  });

  test('a scope the token lacks is refused inside the program with the message a direct call gets; the API is not called', async () => {
    const before = gw.upstream.length;
    const args = { projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' };
    // bob's role (developer) never allows admin: the direct call is a tool result saying why
    const direct = await rpc(bob, 'tools/call', { name: 'delete_database', arguments: args });
    expect(direct.status).toBe(200);
    const why = text(direct.body.result!);
    expect(why).toContain('which your account (bob@example.com) cannot grant');
    const result = await run(bob, `try { await api.delete_database(${JSON.stringify(args)}); return 'deleted'; } catch (error) { return error.message; }`);
    expect((result.structuredContent as { result: string }).result).toBe(why);
    // alice allowed read only, and her role allows write: the direct call is the 403 step-up, whose message the program gets
    const reading = (await connect(gw.origin, gw.origin, ALICE, undefined, ['read'])).tokens.access_token;
    const stepUp = await rpc(reading, 'tools/call', { name: 'create_project', arguments: { org_id: 'org_2n4x7c1v', name: 'nope' } });
    expect(stepUp.status).toBe(403);
    const refused = await run(reading, `try { await api.create_project({ org_id: 'org_2n4x7c1v', name: 'nope' }); return 'created'; } catch (error) { return error.message; }`);
    expect((refused.structuredContent as { result: string }).result).toBe(stepUp.body.error!.message);
    expect(gw.upstream.length).toBe(before);
    // uncaught, it fails the program with that message
    const failed = await run(bob, `await api.delete_database(${JSON.stringify(args)});`);
    expect(failed.isError).toBe(true);
    expect(text(failed)).toContain(why);
  });

  test('2026-07-28: a destructive call in a program asks in a round; the retry does not make the calls before it again', async () => {
    const before = gw.upstream.length;
    const code = `const databases = await api.list_databases({ projectId: 'prj_7d3f8a1b' });
      const doomed = databases.find((db) => db.id === 'db_2x4c6v8b');
      await api.delete_database({ projectId: 'prj_7d3f8a1b', databaseId: doomed.id });
      return 'deleted ' + doomed.id;`;
    const asked = (await rpc(alice, 'tools/call', { name: 'execute', arguments: { code } })).body.result!;
    expect(asked.resultType === 'input_required' ? 'input_required' : text(asked)).toBe('input_required');
    const [key, request] = Object.entries(asked.inputRequests!)[0]!;
    expect(key).toBe('call-2.elicitation-1');
    expect(request!.params.message).toContain('Delete a database');
    expect(gw.upstream.slice(before)).toEqual(['GET /projects/{projectId}/databases']);
    const done = (await rpc(alice, 'tools/call', { name: 'execute', arguments: { code }, requestState: asked.requestState, inputResponses: { [key!]: { action: 'accept', content: { confirm: true } } } })).body.result!;
    expect(done.resultType).toBe('complete');
    expect((done.structuredContent as { result: string }).result).toBe('deleted db_2x4c6v8b');
    // the list was not fetched again: its result came back from the request state
    expect(gw.upstream.slice(before)).toEqual(['GET /projects/{projectId}/databases', 'DELETE /projects/{projectId}/databases/{databaseId}']);
  });

  test('2025 session (the SDK client): the destructive call inside the program asks the user; a no leaves the database', async () => {
    const alice25 = await connectAs(gw.mcpUrl, ALICE, { scopes: ['read', 'write', 'admin'] });
    await alice25.client.close();
    for (const [answer, expected] of [
      ['decline', /the user did not confirm delete_database/],
      ['accept', /^"deleted"$/],
    ] as const) {
      const client = new Client({ name: 'asks', version: '1' }, { capabilities: { elicitation: {} } });
      const asked: string[] = [];
      client.setRequestHandler(ElicitRequestSchema, (request) => {
        asked.push(request.params.message);
        return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
      });
      await client.connect(new StreamableHTTPClientTransport(new URL(gw.mcpUrl), { authProvider: alice25.provider }));
      try {
        const before = gw.upstream.length;
        const result = (await client.callTool({ name: 'execute', arguments: { code: `try { await api.delete_database({ projectId: 'prj_7d3f8a1b', databaseId: 'db_8f3k2m9q' }); return 'deleted'; } catch (error) { return error.message; }` } })) as CallToolResult;
        expect(asked).toHaveLength(1);
        expect(text(result)).toMatch(expected);
        expect(gw.upstream.slice(before)).toEqual(answer === 'accept' ? ['DELETE /projects/{projectId}/databases/{databaseId}'] : []);
      } finally {
        await client.close();
      }
    }
  });

  test('an endless loop, a memory bomb, a huge string, deep recursion, a wait for nothing: each a tool error naming what ended it; the gateway stays healthy', async () => {
    const cases: [string, RegExp][] = [
      ['while (true) {}', /more than 400 ms of computing time/],
      ['for (;;) { try { while (true) {} } catch {} }', /more than 400 ms of computing time/],
      ['const kept = []; for (;;) kept.push(new Array(100000).fill(kept.length));', /more memory than it may/],
      ['let s = "x"; for (;;) s += s;', /string too long|more memory than it may/],
      ['const dive = (n) => dive(n + 1) + 1; return dive(0);', /stack overflow/],
      ['await new Promise(() => {});', /waits for something that will never happen/],
      ['return (;', /SyntaxError/],
    ];
    // all at once, as several agents would: each ends on its own limit, none holds the others' workers for ever
    const results = await Promise.all(cases.map(([code]) => run(bob, code)));
    results.forEach((result, i) => {
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(cases[i]![1]);
    });
    expect((await fetch(`${gw.origin}/healthz`)).status).toBe(200);
    // a program that loops runs in a worker thread: the gateway answers others while it does (the loop ends only at its limit)
    let looping = true;
    const loop = run(bob, 'while (true) {}').finally(() => (looping = false));
    const meanwhile = await rpc(alice, 'tools/call', { name: 'call_operation', arguments: { name: 'get_current_user', arguments: {} } });
    expect({ looping, email: (meanwhile.body.result!.structuredContent as { email: string }).email }).toEqual({ looping: true, email: ALICE.email });
    expect((await loop).isError).toBe(true);
    const after = await run(bob, 'return (await api.get_current_user({})).email;');
    expect((after.structuredContent as { result: string }).result).toBe(BOB.email);
   }, 60_000);

  test('nothing of the host is reachable: no process, network, timers or modules; prototype pollution stays inside', async () => {
    const result = await run(
      bob,
      `Object.prototype.polluted = 'yes'; Array.prototype.map = () => 'hijacked'; JSON.parse = () => 'hijacked';
       const escapes = [typeof process, typeof require, typeof fetch, typeof setTimeout, typeof Bun, typeof globalThis.__portico_call, typeof std, typeof os];
       const viaConstructor = (function () {}).constructor('return typeof process')();
       const viaApi = Object.getPrototypeOf(api);
       let evalWorks; try { evalWorks = eval('typeof globalThis'); } catch (error) { evalWorks = error.message; }
       return { escapes, viaConstructor, viaApi, evalWorks };`,
    );
    expect(result.structuredContent!.result).toEqual({ escapes: Array(8).fill('undefined'), viaConstructor: 'undefined', viaApi: null, evalWorks: 'object' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect([1].map((n) => n + 1)).toEqual([2]);
    // the next program starts clean
    const clean = await run(bob, 'return [typeof ({}).polluted, [1].map((n) => n + 1)];');
    expect(clean.structuredContent!.result).toEqual(['undefined', [2]]);
    // api cannot be replaced for the next call of the same program, and what it calls is an operation or nothing
    const swapped = await run(bob, `try { api.list_projects = () => 'fake'; } catch (error) {} try { return await api.execute({ code: '1' }); } catch (error) { return error.message; }`);
    expect(String(swapped.structuredContent!.result)).toContain('one of code mode');
    const unknown = await run(bob, `try { return await api.constructor({}); } catch (error) { return error.message; }`);
    expect(String(unknown.structuredContent!.result)).toMatch(/unknown tool|Tool constructor not found/i);
  });

  test('a program may call at most PORTICO_CODE_MAX_CALLS operations; bad code arguments are a tool error', async () => {
    const result = await run(bob, `const got = []; try { for (let i = 0; i < 10; i++) got.push((await api.get_current_user({})).email); } catch (error) { return { got: got.length, error: error.message }; }`);
    expect(result.structuredContent!.result).toEqual({ got: 5, error: expect.stringContaining('called 5 operations, the most one execute may call') });
    const empty = (await rpc(bob, 'tools/call', { name: 'execute', arguments: { code: ' ' } })).body.result!;
    expect(empty.isError).toBe(true);
    expect(text(empty)).toContain('"code" must be the program');
  });
});
