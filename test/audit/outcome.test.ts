/**
 * How a call ended travels with the call, not with its result object: an afterCall hook that hands back a new
 * result (to redact it) or withholds it (a hook that fails) cannot change what the audit log and the metrics say
 * the API answered. Over real HTTP, through a signed-in gateway with a plugin, on the gateway's own API and on
 * one a plugin added.
 */
import { afterAll, expect, test } from 'bun:test';
import { connect, mcpRequest } from '../fixtures/oauth-http';
import { ALICE, startSignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDirWith } from '../fixtures/temp';
import { sample } from '../http/gateway';

afterAll(removeTempDirs);

test('an afterCall hook that returns a new result: the audit entry and the metrics still say ok, upstream status 200; one that fails: tool_error, 200', async () => {
  const folder = tempDirWith({
    'after.ts': `
      export default function (api) {
        api.addApi({ name: 'mirror', spec: api.gateway.upstream.replace(/\\/v1$/, '') + '/swagger.json', upstream: api.gateway.upstream, prefix: 'mirror_', credential: 'user' });
        api.afterCall((call, result) => {
          if (call.tool.name === 'get_current_user') throw new Error('cannot check this one');
          // a new object, as a redacting hook makes: nothing of the old one is kept but what it copies
          const redact = (text) => text.replaceAll('billing', '[redacted]');
          return {
            content: result.content.map((c) => (c.type === 'text' ? { type: 'text', text: redact(c.text) } : c)),
            structuredContent: result.structuredContent && JSON.parse(redact(JSON.stringify(result.structuredContent))),
            isError: result.isError,
          };
        });
      }`,
  });
  const gw = await startSignedInGateway({ PORTICO_PLUGINS: folder, PORTICO_MCP_MODE: 'stateless' });
  let stopped = false;
  afterAll(() => (stopped ? undefined : gw.stop()));
  const { tokens } = await connect(gw.origin, gw.origin, ALICE);
  for (const name of ['get_project', 'mirror_get_project']) {
    const reply = await mcpRequest(gw.mcpUrl, tokens.access_token, 'tools/call', { name, arguments: { projectId: 'prj_7d3f8a1b' } });
    expect(reply.status).toBe(200);
    expect(reply.json.result.isError).toBeFalsy();
    expect(reply.json.result.content[0].text).toContain('[redacted]');
  }
  const withheld = await mcpRequest(gw.mcpUrl, tokens.access_token, 'tools/call', { name: 'get_current_user', arguments: {} });
  expect(withheld.json.result.content[0].text).toContain('so it is withheld');

  const metrics = await (await fetch(`${gw.origin}/metrics`)).text();
  expect(sample(metrics, 'portico_tool_calls_total', 'tool="get_project",outcome="ok"')).toBe(1);
  expect(sample(metrics, 'portico_tool_calls_total', 'tool="mirror_get_project",outcome="ok"')).toBe(1);
  expect(sample(metrics, 'portico_tool_calls_total', 'tool="get_current_user",outcome="tool_error"')).toBe(1);
  expect(metrics).not.toContain('outcome="upstream_error"');
  expect(metrics).not.toMatch(/^portico_upstream_errors_total\{[^}]*\} [1-9]/m);

  // stopping flushes the audit log
  await gw.stop();
  stopped = true;
  const store = await gw.openStore();
  try {
    const entries = await store.queryAudit({ limit: 10 });
    expect(entries.map((entry) => [entry.tool, entry.outcome, entry.upstreamStatus]).sort()).toEqual([
      ['get_current_user', 'tool_error', 200],
      ['get_project', 'ok', 200],
      ['mirror_get_project', 'ok', 200],
    ]);
  } finally {
    await store.close();
  }
});
