/**
 * Open MCP sessions are bounded per grant (PORTICO_MAX_SESSIONS_PER_TOKEN) and in all (PORTICO_MAX_SESSIONS):
 * one more pushes out the least recently used of that grant, or of all. A pushed-out session's next request gets
 * 404 — the spec's "start a new session" — saying why. Over real HTTP, signed in, with the SDK's client transport.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { ALICE, BOB } from '../fixtures/signed-in-gateway';
import { connect, MCP_HEADERS, openSession, refreshGrant } from '../fixtures/oauth-http';
import { removeTempDirs } from '../fixtures/temp';
import { sample, startOpsGateway, type OpsGateway } from '../http/gateway';

afterAll(removeTempDirs);

const OWNER_LIMIT = 'session closed: this connection had too many MCP sessions open (at most 16 at once), so its least recently used one was closed; initialize a new session';

/** A tools/list in session `id`: the status, and the error message when there is one. */
async function use(gw: OpsGateway, token: string, id: string): Promise<{ status: number; message?: string }> {
  const response = await fetch(gw.mcpUrl, {
    method: 'POST',
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  const body = (await response.json()) as { error?: { message: string } };
  return { status: response.status, message: body.error?.message };
}

/** An initialize alone: the session id the answer names (read without waiting for the rest of its stream). */
async function initialize(gw: OpsGateway, token: string): Promise<string> {
  const response = await fetch(gw.mcpUrl, {
    method: 'POST',
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'flood', version: '1' } } }),
  });
  const id = response.headers.get('mcp-session-id');
  await response.body?.cancel();
  if (response.status !== 200 || !id) throw new Error(`initialize answered ${response.status}`);
  return id;
}

describe('sessions per grant and in all', () => {
  test('40 initializes at once with one token: 16 stay open, the others get 404 saying why; another grant’s sessions are untouched', async () => {
    const gw = await startOpsGateway();
    try {
      const publicUrl = new URL(gw.gateway.mcpUrl).origin;
      const alice = (await connect(gw.origin, publicUrl, ALICE)).tokens.access_token;
      const bob = (await connect(gw.origin, publicUrl, BOB)).tokens.access_token;
      const bobs = [await openSession(gw.mcpUrl, bob), await openSession(gw.mcpUrl, bob)];

      const flood = await Promise.all(Array.from({ length: 40 }, () => initialize(gw, alice)));
      expect(new Set(flood).size).toBe(40);
      expect(gw.gateway.endpoint.sessionCount).toBe(16 + 2);
      const seen = await Promise.all(flood.map((id) => use(gw, alice, id)));
      expect(seen.filter((answer) => answer.status === 200)).toHaveLength(16);
      const closed = seen.filter((answer) => answer.status !== 200);
      expect(closed).toHaveLength(24);
      expect(new Set(closed.map((answer) => `${answer.status} ${answer.message}`))).toEqual(new Set([`404 ${OWNER_LIMIT}`]));
      // use the survivors in turn, the first once more: a new session pushes out the least recently used, the second
      const survivors = flood.filter((_, i) => seen[i]!.status === 200);
      for (const id of [...survivors, survivors[0]!]) expect((await use(gw, alice, id)).status).toBe(200);
      await initialize(gw, alice);
      expect((await use(gw, alice, survivors[0]!)).status).toBe(200);
      expect(await use(gw, alice, survivors[1]!)).toEqual({ status: 404, message: OWNER_LIMIT });

      for (const id of bobs) expect((await use(gw, bob, id)).status).toBe(200);
      // someone else asking about an evicted id learns nothing more than that it does not exist
      const other = await use(gw, bob, survivors[1]!);
      expect(other).toEqual({ status: 404, message: 'session not found: it expired or belongs to another instance; initialize a new one' });

      const evicted = gw.events('mcp.session_evicted');
      expect(evicted).toHaveLength(25);
      expect(new Set(evicted.map((event) => event.reason))).toEqual(new Set(['owner_limit']));
      const metrics = await (await fetch(`${gw.origin}/metrics`)).text();
      expect(sample(metrics, 'portico_mcp_sessions')).toBe(18);
    } finally {
      await gw.stop();
    }
  });

  test('PORTICO_MAX_SESSIONS: the least recently used session of all goes, whoever opened it; a refreshed token keeps its grant’s sessions', async () => {
    const gw = await startOpsGateway({ PORTICO_MAX_SESSIONS: '4', PORTICO_MAX_SESSIONS_PER_TOKEN: '3' });
    try {
      const publicUrl = new URL(gw.gateway.mcpUrl).origin;
      const alice = await connect(gw.origin, publicUrl, ALICE);
      const bob = (await connect(gw.origin, publicUrl, BOB)).tokens.access_token;
      const bobs = [await openSession(gw.mcpUrl, bob), await openSession(gw.mcpUrl, bob)];
      const alices = [];
      for (let i = 0; i < 3; i++) alices.push(await openSession(gw.mcpUrl, alice.tokens.access_token));
      expect(gw.gateway.endpoint.sessionCount).toBe(4);
      expect(await use(gw, bob, bobs[0]!)).toEqual({
        status: 404,
        message: 'session closed: the server had too many MCP sessions open (at most 4), so its least recently used one was closed; initialize a new session',
      });
      expect((await use(gw, bob, bobs[1]!)).status).toBe(200);
      // the grant owns its sessions: a refreshed access token goes on using them
      const refreshed = await refreshGrant(gw.origin, alice.clientId, alice.tokens.refresh_token);
      for (const id of alices) expect((await use(gw, refreshed.json.access_token, id)).status).toBe(200);
      // at its own cap, alice pushes out her own least recently used, not bob's
      await openSession(gw.mcpUrl, refreshed.json.access_token);
      expect((await use(gw, refreshed.json.access_token, alices[0]!)).message).toBe(
        'session closed: this connection had too many MCP sessions open (at most 3 at once), so its least recently used one was closed; initialize a new session',
      );
      expect((await use(gw, bob, bobs[1]!)).status).toBe(200);
      expect(gw.events('mcp.session_evicted').map((event) => event.reason)).toEqual(['total_limit', 'owner_limit']);
    } finally {
      await gw.stop();
    }
  });
});
