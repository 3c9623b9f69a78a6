/**
 * A call beyond the token's scopes gets one answer, whatever path its request takes through /mcp. When the user
 * could allow the scope (alice, an owner, who connected with read only): HTTP 403 with the `insufficient_scope`
 * challenge (the client can ask the user for more: step-up) and a JSON-RPC error naming the permission. When
 * their role never could (carol, a viewer): asking again cannot succeed, so no challenge — a tool result saying
 * why and whom to ask. The ways: alone, in a batch of one (stateless and in a 2025-03-26 session), with a
 * progress token in a session (an SSE answer). The parity of test/mcp/endpoint.test.ts, for signed-in callers:
 * the same request, the same answer.
 *
 * The step-up denial is decided before anything of the POST runs; every refused call is recorded once as denied.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { connect, MCP_HEADERS } from '../fixtures/oauth-http';
import { ALICE, CAROL, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs } from '../fixtures/temp';
import { sample } from '../http/gateway';

afterAll(removeTempDirs);

const beyond = (id: string | number, meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'create_project', arguments: { org_id: 'org_2n4x7c1v', name: 'nope' }, ...(meta && { _meta: meta }) },
});
const allowed = (id: string | number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_current_user', arguments: {} } });

/** What a client sees of a refusal: the status, the challenge, the error each request got and the tool errors (by id). */
interface Seen {
  status: number;
  challenge: string | null;
  errors: Record<string, string>;
  toolErrors: Record<string, string>;
}

/** The words of a call whose scope the user's role can never allow. */
const CANNOT_GRANT = 'The tool "create_project" needs the "write" permission, which your account (carol@example.com) cannot grant: its role allows at most "read", so reconnecting will not help. Ask an administrator of the API to give your account a role that allows "write", or to make this call for you.';

async function send(gw: SignedInGateway, headers: Record<string, string>, body: unknown): Promise<Seen> {
  const response = await fetch(gw.mcpUrl, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  const answers = (response.headers.get('content-type')?.startsWith('text/event-stream')
    ? text.split('\n').filter((line) => line.startsWith('data: ') && line.length > 6).map((line) => JSON.parse(line.slice(6)))
    : [JSON.parse(text)].flat()) as { id: string | number; error?: { message: string }; result?: { isError?: boolean; content: { text: string }[] } }[];
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    errors: Object.fromEntries(answers.map((answer) => [String(answer.id), answer.error?.message ?? 'no error'])),
    toolErrors: Object.fromEntries(answers.filter((answer) => answer.result?.isError).map((answer) => [String(answer.id), answer.result!.content[0]!.text])),
  };
}

async function session(gw: SignedInGateway, token: string, version: string): Promise<Record<string, string>> {
  const auth = { ...MCP_HEADERS, authorization: `Bearer ${token}` };
  const init = await fetch(gw.mcpUrl, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'step-up', version: '1' } } }),
  });
  await init.text();
  const headers = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': version };
  await (await fetch(gw.mcpUrl, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
  return headers;
}

describe('a call beyond the scopes: one answer on every path', async () => {
  const stateless = await startSignedInGateway({ PORTICO_MCP_MODE: 'stateless' });
  const stateful = await startSignedInGateway({ PORTICO_MCP_MODE: 'stateful' });
  afterAll(() => Promise.all([stateless.stop(), stateful.stop()]));
  // alice is an owner who allowed read only: her role could allow write
  const aliceStateless = (await connect(stateless.origin, stateless.origin, ALICE, undefined, ['read'])).tokens.access_token;
  const aliceStateful = (await connect(stateful.origin, stateful.origin, ALICE, undefined, ['read'])).tokens.access_token;
  // carol is a viewer: her connection holds read only, and her role allows nothing more
  const carolStateless = (await connect(stateless.origin, stateless.origin, CAROL)).tokens.access_token;
  const carolStateful = (await connect(stateful.origin, stateful.origin, CAROL)).tokens.access_token;

  /** Each path of a call: stateless alone and in a batch of one; in sessions alone, with a progress token, in a 2025-03-26 batch of one. */
  async function everyPath(statelessToken: string, statefulToken: string): Promise<Record<string, Seen>> {
    const modern = await session(stateful, statefulToken, '2025-06-18');
    const batching = await session(stateful, statefulToken, '2025-03-26');
    return {
      'stateless, alone': await send(stateless, { ...MCP_HEADERS, authorization: `Bearer ${statelessToken}` }, beyond(1)),
      'stateless, in a batch of one': await send(stateless, { ...MCP_HEADERS, authorization: `Bearer ${statelessToken}` }, [beyond(1)]),
      'in a session, alone': await send(stateful, modern, beyond(1)),
      'in a session, with a progress token (an SSE answer)': await send(stateful, modern, beyond(1, { progressToken: 'p1' })),
      'in a 2025-03-26 session, in a batch of one': await send(stateful, batching, [beyond(1)]),
    };
  }

  test('the user could allow it: alone, in a batch of one, with a progress token in a session, stateless or in a session: 403, the same challenge, the same message', async () => {
    const paths = await everyPath(aliceStateless, aliceStateful);
    const alone = paths['stateless, alone']!;
    expect(alone.status).toBe(403);
    expect(alone.challenge).toBe(`Bearer error="insufficient_scope", scope="read write", resource_metadata="${stateless.origin}/.well-known/oauth-protected-resource/mcp", error_description="this tool needs the write scope"`);
    expect(alone.errors).toEqual({ 1: 'The tool "create_project" needs the "write" permission, which this connection was not given. Reconnect and allow "write" access on the consent page to use it.' });

    const challenge = (gw: SignedInGateway) => alone.challenge!.replace(stateless.origin, gw.origin);
    for (const [path, seen] of Object.entries(paths)) {
      expect({ path, ...seen }).toEqual({ path, status: alone.status, challenge: challenge(path.startsWith('stateless') ? stateless : stateful), errors: alone.errors, toolErrors: {} });
    }
    expect(stateless.upstream).toEqual([]);
    expect(stateful.upstream).toEqual([]);
  });

  test('a batch holding one such call is refused whole: nothing in it runs, each request says why', async () => {
    const before = { stateless: stateless.upstream.length, stateful: stateful.upstream.length };
    const headers = await session(stateful, aliceStateful, '2025-03-26');
    for (const [gw, sent] of [
      [stateless, { ...MCP_HEADERS, authorization: `Bearer ${aliceStateless}` }],
      [stateful, headers],
    ] as const) {
      const seen = await send(gw, sent, [allowed('me'), beyond('create'), { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'x', progress: 1 } }]);
      expect(seen.status).toBe(403);
      expect(seen.challenge).toContain('error="insufficient_scope", scope="read write"');
      expect(seen.errors).toEqual({
        me: 'Not run: this batch also calls "create_project", which needs the "write" permission this connection was not given, so none of the batch was run. Send this request again without that call.',
        create: 'The tool "create_project" needs the "write" permission, which this connection was not given. Reconnect and allow "write" access on the consent page to use it.',
      });
    }
    expect(stateless.upstream.length).toBe(before.stateless);
    expect(stateful.upstream.length).toBe(before.stateful);
  });

  test("the user's role can never allow it: no challenge on any path, a tool result saying why and whom to ask; nothing reaches the API", async () => {
    const before = { stateless: stateless.upstream.length, stateful: stateful.upstream.length };
    for (const [path, seen] of Object.entries(await everyPath(carolStateless, carolStateful))) {
      expect({ path, ...seen }).toEqual({ path, status: 200, challenge: null, errors: { 1: 'no error' }, toolErrors: { 1: CANNOT_GRANT } });
    }
    expect(stateless.upstream.length).toBe(before.stateless);
    expect(stateful.upstream.length).toBe(before.stateful);
  });

  test('each refused call is recorded once as denied, and nothing else of a refused POST is', async () => {
    for (const gw of [stateless, stateful]) {
      const metrics = await (await fetch(`${gw.origin}/metrics`)).text();
      // alice's, refused with the challenge — stateless: alone, a batch of one, the mixed batch; in sessions: alone,
      // with progress, a batch of one, the mixed batch; and carol's five tool results (two stateless, three in sessions)
      expect(sample(metrics, 'portico_tool_calls_total', 'tool="create_project",outcome="denied"')).toBe(gw === stateless ? 3 + 2 : 4 + 3);
      expect(sample(metrics, 'portico_tool_calls_total', 'tool="get_current_user",outcome="ok"')).toBeUndefined();
    }
  });
});

describe('with PORTICO_SCOPE_DENIAL=tool-error', async () => {
  const gw = await startSignedInGateway({ PORTICO_MCP_MODE: 'stateless', PORTICO_SCOPE_DENIAL: 'tool-error' });
  afterAll(() => gw.stop());
  const alice = (await connect(gw.origin, gw.origin, ALICE, undefined, ['read'])).tokens.access_token;
  const carol = (await connect(gw.origin, gw.origin, CAROL)).tokens.access_token;

  test('the call is answered as a tool result naming the permission, alone and in a batch alike, even when the user could allow it', async () => {
    for (const [token, text] of [
      [alice, 'The tool "create_project" needs the "write" permission, which this connection was not given. Reconnect and allow "write" access on the consent page to use it.'],
      [carol, CANNOT_GRANT],
    ] as const) {
      const headers = { ...MCP_HEADERS, authorization: `Bearer ${token}` };
      for (const body of [beyond(1), [beyond(1)]]) {
        const response = await fetch(gw.mcpUrl, { method: 'POST', headers, body: JSON.stringify(body) });
        expect(response.status).toBe(200);
        expect(response.headers.get('www-authenticate')).toBeNull();
        expect(([await response.json()].flat() as { result: unknown }[])[0]!.result).toEqual({ isError: true, content: [{ type: 'text', text }] });
      }
    }
    expect(gw.upstream).toEqual([]);
  });
});
