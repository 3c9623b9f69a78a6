/**
 * What a call's record says, as the metrics, the log and the audit log read it (`calls/pipeline`): time on the
 * API is the API's alone — a policy hook that waits (for the user's confirmation, say) counts as hook time, not
 * as upstream latency; a plugin tool that answers an error is the tool's error, not the API's. Over real HTTP,
 * a gateway with a plugin in front of the demo API.
 */
import { afterAll, expect, test } from 'bun:test';
import { connect, mcpRequest } from '../fixtures/oauth-http';
import { ALICE } from '../fixtures/signed-in-gateway';
import { startTestGateway } from '../fixtures/gateway';
import { removeTempDirs, tempDirWith } from '../fixtures/temp';
import { sample } from '../http/gateway';

afterAll(removeTempDirs);

const HOOK_MS = 400;

test('a slow beforeCall hook is hook time: the upstream histogram holds the API alone, the call duration holds both', async () => {
  const folder = tempDirWith({
    'slow-policy.ts': `
      export default function (api) {
        api.beforeCall(async () => { await Bun.sleep(${HOOK_MS}); });
        api.addTool({ name: 'always_fails', description: 'fails', inputSchema: { type: 'object' }, handler: () => ({ isError: true, content: [{ type: 'text', text: 'no' }] }) });
      }`,
  });
  const gw = await startTestGateway({ PORTICO_PLUGINS: folder, PORTICO_MCP_MODE: 'stateless' });
  try {
    // the issuer's name (localhost), as the signed-in flow knows it
    const mcpUrl = gw.gateway.mcpUrl;
    const issuer = new URL(mcpUrl).origin;
    const { tokens } = await connect(issuer, issuer, ALICE);
    const reply = await mcpRequest(mcpUrl, tokens.access_token, 'tools/call', { name: 'get_current_user', arguments: {} });
    expect(reply.json.result.isError).toBeFalsy();
    const failed = await mcpRequest(mcpUrl, tokens.access_token, 'tools/call', { name: 'always_fails', arguments: {} });
    expect(failed.json.result.isError).toBe(true);

    const [api, tool] = gw.calls;
    expect(api).toMatchObject({ tool: 'get_current_user', outcome: 'ok', upstreamStatus: 200, operation: { method: 'GET', path: '/me' } });
    expect(api!.hookMs).toBeGreaterThanOrEqual(HOOK_MS - 5);
    expect(api!.upstreamMs).toBeLessThan(api!.latencyMs - (HOOK_MS - 5));
    // the plugin's own tool: no API was asked, so its error is the tool's
    expect(tool).toMatchObject({ tool: 'always_fails', outcome: 'tool_error', upstreamStatus: undefined, upstreamMs: undefined });

    const metrics = gw.gateway.metrics.render();
    expect(sample(metrics, 'portico_upstream_request_duration_seconds_count')).toBe(1);
    expect(sample(metrics, 'portico_upstream_request_duration_seconds_sum')).toBeLessThan((api!.latencyMs - HOOK_MS + 5) / 1000);
    expect(sample(metrics, 'portico_tool_call_duration_seconds_sum', 'tool="get_current_user"')).toBeGreaterThanOrEqual((HOOK_MS - 5) / 1000);
    expect(sample(metrics, 'portico_tool_calls_total', 'tool="always_fails",outcome="tool_error"')).toBe(1);
    expect(metrics).not.toMatch(/^portico_upstream_errors_total\{[^}]*\} [1-9]/m);
  } finally {
    await gw.stop();
  }
});
