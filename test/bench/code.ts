/**
 * `bun run bench code`: what code mode's `execute` costs (issue 19). A `portico demo` (the demo API and the gateway,
 * signed in as alice, in code mode) in its own process; over real HTTP, 2026-07-28 requests, one at a time:
 *
 *   - direct:      tools/call get_project, the round trip of one call made by the agent;
 *   - empty:       execute `return 1` — the program's fixed cost (a worker from the pool, a QuickJS runtime, the prelude);
 *   - sequential:  execute with CALLS get_project calls one after the other;
 *   - parallel:    execute with CALLS get_project calls at once (Promise.all).
 *
 * Reported per inner call: (sequential − empty) / CALLS, and what it adds to the call itself, next to a direct call's
 * round trip — the saving being the agent's round trips (each a model turn), which no benchmark here can time.
 * Medians of ROUNDS rounds. Informational: no target, exit 0 (2 when it could not run).
 *
 *   bun run bench code
 *   BENCH_CODE_ROUNDS=50 BENCH_CODE_CALLS=20 bun run bench code
 */
import { median, positive, PROJECT_ID, SetupError, start, stopAll } from './harness';

const ROUNDS = positive('BENCH_CODE_ROUNDS', 30);
const CALLS = positive('BENCH_CODE_CALLS', 20);

const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };

async function main(): Promise<void> {
  const [, match] = await start('portico demo', [process.execPath, 'src/main.ts', 'demo', '--port', '0', '--api-port', '0', '--as', 'alice@example.com'], /MCP endpoint:\s+(http:\/\/\S+)/, {
    PORTICO_TOOL_MODE: 'code',
    PORTICO_LOG_LEVEL: 'warn',
    PORTICO_RATE_LIMIT_MCP: '0',
    PORTICO_RATE_LIMIT_IP: '0',
  });
  const mcpUrl = match[1]!;
  const call = async (name: string, args: Record<string, unknown>) => {
    const response = await fetch(mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, _meta: META } }),
    });
    const body = (await response.json()) as { result?: { isError?: boolean; content?: { text: string }[] }; error?: { message: string } };
    if (!body.result || body.result.isError) throw new SetupError(`${name} failed: ${body.error?.message ?? body.result?.content?.[0]?.text}`);
  };
  const one = `await api.get_project({ projectId: ${JSON.stringify(PROJECT_ID)} });`;
  const programs = {
    empty: 'return 1;',
    sequential: `for (let i = 0; i < ${CALLS}; i++) ${one} return ${CALLS};`,
    parallel: `await Promise.all(Array.from({ length: ${CALLS} }, () => api.get_project({ projectId: ${JSON.stringify(PROJECT_ID)} }))); return ${CALLS};`,
  };
  const timed = async (work: () => Promise<void>) => {
    const at = performance.now();
    await work();
    return performance.now() - at;
  };
  // warm up: the pool's worker, the JIT, the demo API
  for (let i = 0; i < 5; i++) {
    await call('get_project', { projectId: PROJECT_ID });
    for (const code of Object.values(programs)) await call('execute', { code });
  }
  const times: Record<'direct' | keyof typeof programs, number[]> = { direct: [], empty: [], sequential: [], parallel: [] };
  for (let round = 0; round < ROUNDS; round++) {
    times.direct.push(await timed(() => call('get_project', { projectId: PROJECT_ID })));
    for (const [name, code] of Object.entries(programs) as [keyof typeof programs, string][]) times[name].push(await timed(() => call('execute', { code })));
  }
  const [direct, empty, sequential, parallel] = [median(times.direct), median(times.empty), median(times.sequential), median(times.parallel)];
  const perInner = (sequential - empty) / CALLS;
  console.log(`code mode, ${ROUNDS} rounds (medians), get_project against the demo API, ${CALLS} calls a program:`);
  console.log(`  direct tools/call round trip          ${direct.toFixed(2)} ms`);
  console.log(`  execute, no call (fixed cost)         ${empty.toFixed(2)} ms`);
  console.log(`  execute, ${CALLS} calls one by one         ${sequential.toFixed(2)} ms  → ${perInner.toFixed(2)} ms per inner call`);
  console.log(`  execute, ${CALLS} calls at once            ${parallel.toFixed(2)} ms  → ${((parallel - empty) / CALLS).toFixed(2)} ms per inner call`);
  console.log(`  the same ${CALLS} calls as direct round trips: ${(direct * CALLS).toFixed(1)} ms (and ${CALLS} model turns)`);
}

try {
  await main();
  await stopAll();
  process.exit(0);
} catch (error) {
  await stopAll();
  console.error(error instanceof SetupError ? error.message : error);
  process.exit(2);
}
