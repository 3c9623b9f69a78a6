/**
 * src/wire/mcp-error.ts holds what the gateway took from the SDK's `types.js` (which loads zod and every schema of
 * MCP): the invariant is that it says exactly what the installed SDK says, and that the gateway does not load zod
 * at start, so the copy is not paid for twice.
 */
import { describe, expect, test } from 'bun:test';
import * as sdk from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_NEGOTIATED_PROTOCOL_VERSION, LATEST_PROTOCOL_VERSION, McpError, SUPPORTED_PROTOCOL_VERSIONS } from '../../src/wire/mcp-error';
import { JsonRpcCode } from '../../src/wire/json-rpc';

describe("the gateway's MCP constants and error are the SDK's", () => {
  test('protocol versions', () => {
    expect(LATEST_PROTOCOL_VERSION).toBe(sdk.LATEST_PROTOCOL_VERSION);
    expect(DEFAULT_NEGOTIATED_PROTOCOL_VERSION).toBe(sdk.DEFAULT_NEGOTIATED_PROTOCOL_VERSION);
    expect([...SUPPORTED_PROTOCOL_VERSIONS]).toEqual([...sdk.SUPPORTED_PROTOCOL_VERSIONS]);
  });

  test('error codes', () => {
    for (const name of ['ParseError', 'InvalidRequest', 'MethodNotFound', 'InvalidParams', 'InternalError'] as const) expect(JsonRpcCode[name]).toBe(sdk.ErrorCode[name]);
  });

  test('McpError: the same name, message, code and data', () => {
    const ours = new McpError(JsonRpcCode.InvalidParams, 'no tool "x"', { hint: 1 });
    const theirs = new sdk.McpError(sdk.ErrorCode.InvalidParams, 'no tool "x"', { hint: 1 });
    expect({ name: ours.name, message: ours.message, code: ours.code, data: ours.data }).toEqual({ name: theirs.name, message: theirs.message, code: theirs.code, data: theirs.data });
  });
});

test('starting a gateway loads no zod (the SDK schemas load only with the first plugin prompt or resource read)', async () => {
  const probe = Bun.spawn(
    [
      process.execPath,
      '-e',
      "await import('./src/gateway/index.ts'); await import('./src/cli/serve.ts'); console.log(JSON.stringify(Object.keys(require.cache).filter((path) => path.includes('/node_modules/zod/'))))",
    ],
    { cwd: `${import.meta.dir}/../..`, stdout: 'pipe', stderr: 'pipe' },
  );
  const [out, err, code] = await Promise.all([new Response(probe.stdout).text(), new Response(probe.stderr).text(), probe.exited]);
  expect(err).toBe('');
  expect(code).toBe(0);
  expect(JSON.parse(out.trim())).toEqual([]);
});
