/**
 * `bun run bench proxy` (or `bun test/bench/proxy.ts`): what a tool call through Portico costs next to the
 * same request sent to the API directly and through the barest Bun reverse proxy (issue 4).
 *
 * Every piece runs as its own process, as in a real deployment: the demo API (src/demo/main.ts), the bare
 * proxy (test/bench/bare-proxy.ts), the gateway (`bun src/main.ts serve`, once per MCP mode) and the load
 * generator, wrk. On a 2-core machine they all share the two cores — wrk's own CPU included — so every
 * figure is "on this machine, with the load generator beside it", and the direct figure is a ceiling
 * rather than an upstream anyone would see.
 *
 * Targets measured with `wrk -t1 -c16 -d10s --latency` (after a warm-up run per target):
 *   (a) direct    GET /v1/projects/prj_7d3f8a1b on the demo API, with the bearer token;
 *   (b) bare      the same through the bare proxy;
 *   (c) stateless tools/call get_project {projectId: prj_7d3f8a1b} through Portico, PORTICO_MCP_MODE=stateless
 *                 (one POST answered with JSON);
 *   (d) stateful  the same in PORTICO_MCP_MODE=stateful: one session per connection's worth of clients
 *                 (requests go round-robin over BENCH_PROXY_CONNECTIONS sessions), each opened with
 *                 initialize + notifications/initialized, calls carrying Mcp-Session-Id and
 *                 Mcp-Protocol-Version and a JSON-RPC id of their own; the SDK answers them as SSE
 *                 (text/event-stream), as it does by default in stateful mode.
 * Besides requests/s and latency it prints the CPU time per request of each process (from /proc): with
 * everything on 2 cores, requests/s is bounded by their sum, so that table says where the time goes.
 * Absolute figures vary by 20–30% from run to run on the 2-core VM; compare the ratios within one run.
 * Targets (issue 4, 2-core machine), judged for both MCP modes: Portico's requests/s ≥ 60% of the bare
 * proxy's; p50 overhead (Portico p50 − bare proxy p50) < 1 ms. Exits 1 when one is missed, 2 when the
 * benchmark cannot run (wrk missing, a process does not start, a call does not succeed).
 *
 *   bun run bench proxy
 *   BENCH_PROXY_SECONDS=5 BENCH_PROXY_CONNECTIONS=32 bun test/bench/proxy.ts
 *
 * wrk is not installed by this script: `apt-get install wrk`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Subprocess } from 'bun';

const ROOT = resolve(import.meta.dir, '../..');
const SECONDS = positive('BENCH_PROXY_SECONDS', 10);
const WARMUP_SECONDS = positive('BENCH_PROXY_WARMUP_SECONDS', 3);
const CONNECTIONS = positive('BENCH_PROXY_CONNECTIONS', 16);
const THREADS = positive('BENCH_PROXY_THREADS', 1);
const THROUGHPUT_TARGET = 0.6;
const P50_OVERHEAD_TARGET_MS = 1;

const PROJECT_ID = 'prj_7d3f8a1b';
const LOGIN = { email: 'alice@example.com', password: 'alice-demo-password' };
const CALL_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_project', arguments: { projectId: PROJECT_ID } } });
const PROTOCOL_VERSION = '2025-11-25';

function positive(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1, got "${text}"`);
  return value;
}

/** A benchmark that cannot run (as opposed to a missed target). */
class SetupError extends Error {}

// ---------------------------------------------------------------------------------------------- processes

interface Child {
  readonly name: string;
  readonly process: Subprocess<'ignore', 'pipe', 'pipe'>;
  /** Everything it printed so far (stdout and stderr), for error messages. */
  output: string;
}

const children = new Set<Child>();

/** Spawns `cmd` and waits until its output matches `ready`; returns the child and the match. */
async function start(name: string, cmd: string[], ready: RegExp, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<[Child, RegExpMatchArray]> {
  const proc = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const child: Child = { name, process: proc, output: '' };
  children.add(child);
  let onOutput = () => {};
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      child.output = (child.output + decoder.decode(chunk, { stream: true })).slice(-20_000);
      onOutput();
    }
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SetupError(`${name} did not start within ${timeoutMs} ms:\n${child.output}`)), timeoutMs);
    onOutput = () => {
      const found = child.output.match(ready);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    void proc.exited.then((code) => {
      clearTimeout(timer);
      reject(new SetupError(`${name} exited with code ${code} before it was ready:\n${child.output}`));
    });
    onOutput();
  });
  return [child, match];
}

async function stop(child: Child): Promise<void> {
  if (!children.delete(child)) return;
  child.process.kill('SIGTERM');
  const exited = await Promise.race([child.process.exited.then(() => true), Bun.sleep(3000).then(() => false)]);
  if (!exited) {
    child.process.kill('SIGKILL');
    await child.process.exited;
  }
}

async function stopAll(): Promise<void> {
  await Promise.all([...children].map(stop));
}

/** CPU time (user + system) a process has used so far, ms; undefined where /proc is not there. */
function cpuMs(child: Child): number | undefined {
  try {
    const stat = readFileSync(`/proc/${child.process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100;

// Ctrl-C or a kill must not leave the API, the proxy, the gateway or wrk running
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.process.kill('SIGKILL');
    runningWrk?.kill('SIGKILL');
    if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
    process.exit(130);
  });
}

// ------------------------------------------------------------------------------------------------- wrk

interface WrkResult {
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Non-2xx/3xx responses and socket errors (connect, read, write, timeout). */
  readonly errors: number;
  readonly raw: string;
  /** CPU time wrk itself used, ms (user + system). */
  readonly wrkCpuMs?: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function latencyMs(raw: string, percentile: string): number {
  const match = raw.match(new RegExp(`^\\s*${percentile}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm'));
  if (!match) throw new SetupError(`wrk printed no ${percentile}% latency line:\n${raw}`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

function parseWrk(raw: string): WrkResult {
  const rps = raw.match(/^Requests\/sec:\s+([\d.]+)/m);
  const total = raw.match(/^\s*(\d+) requests in /m);
  if (!rps || !total) throw new SetupError(`cannot read wrk's output:\n${raw}`);
  const non2xx = Number(raw.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  const socket = raw.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const socketErrors = socket ? socket.slice(1, 5).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { requestsPerSec: Number(rps[1]), p50Ms: latencyMs(raw, '50'), p99Ms: latencyMs(raw, '99'), requests: Number(total[1]), errors: non2xx + socketErrors, raw };
}

/**
 * A wrk script: method, headers and body for every request. With `rotate`, requests go round-robin over
 * one header's values (MCP sessions), and each carries its own JSON-RPC id: `body` holds `"id":1`, which is
 * replaced by a counter (ids must not repeat among a session's requests in flight — the SDK's transport
 * maps responses to streams by id, so a repeated id gets another request's answer or none).
 */
function luaScript(method: string, headers: Record<string, string>, body?: string, rotate?: { header: string; values: string[] }): string {
  const lua = (text: string) => JSON.stringify(text); // a JSON string literal is a valid Lua string literal for ASCII
  const lines = [`wrk.method = ${lua(method)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`wrk.headers[${lua(name)}] = ${lua(value)}`);
  if (body !== undefined) lines.push(`wrk.body = ${lua(body)}`);
  if (rotate) {
    const [before, after] = (body ?? '').split('"id":1');
    if (after === undefined) throw new Error('a rotating wrk script needs a body with "id":1');
    lines.push(
      `local values = { ${rotate.values.map(lua).join(', ')} }`,
      `local before, after = ${lua(before!)}, ${lua(after)}`,
      'local i, n = 0, 0',
      'request = function()',
      '  i = i % #values + 1',
      '  n = n + 1',
      `  wrk.headers[${lua(rotate.header)}] = values[i]`,
      '  return wrk.format(nil, nil, nil, before .. \'"id":\' .. n .. after)',
      'end',
    );
  }
  return `${lines.join('\n')}\n`;
}

let scriptDir: string | undefined;
let runningWrk: Subprocess | undefined;

async function wrk(url: string, script: string, seconds: number): Promise<WrkResult> {
  scriptDir ??= mkdtempSync(join(tmpdir(), 'portico-bench-'));
  const file = join(scriptDir, `${Bun.hash(script).toString(36)}.lua`);
  writeFileSync(file, script);
  const proc = Bun.spawn(['wrk', `-t${THREADS}`, `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', file, url], { stdout: 'pipe', stderr: 'pipe' });
  runningWrk = proc;
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  runningWrk = undefined;
  if (code !== 0) throw new SetupError(`wrk exited with code ${code}:\n${out}${err}`);
  const cpu = proc.resourceUsage()?.cpuTime.total;
  return { ...parseWrk(out), wrkCpuMs: cpu === undefined ? undefined : Number(cpu) / 1000 };
}

// ------------------------------------------------------------------------------------------ the targets

interface Target {
  readonly key: 'direct' | 'bare' | 'stateless' | 'stateful';
  readonly label: string;
  readonly url: string;
  readonly script: string;
  /** One request made with fetch before the run, and again after it: throws unless it succeeds. */
  readonly check: () => Promise<void>;
}

interface Measured extends WrkResult {
  /** CPU time per request, µs, of each process involved (where it could be read). */
  readonly cpuUsPerRequest: { readonly api?: number; readonly proxy?: number; readonly wrk?: number };
}

/** Runs wrk against `target`; `api` and `proxy` are the processes whose CPU time is counted. */
async function measure(target: Target, api: Child, proxy?: Child): Promise<Measured> {
  await target.check();
  await wrk(target.url, target.script, WARMUP_SECONDS); // JIT, connection pools, the gateway's catalog caches
  const before = [cpuMs(api), proxy && cpuMs(proxy)];
  const result = await wrk(target.url, target.script, SECONDS);
  const after = [cpuMs(api), proxy && cpuMs(proxy)];
  await target.check();
  const perRequest = (start: number | undefined, end: number | undefined) => (start === undefined || end === undefined ? undefined : ((end - start) * 1000) / result.requests);
  const cpuUsPerRequest = {
    api: perRequest(before[0], after[0]),
    proxy: perRequest(before[1], after[1]),
    wrk: result.wrkCpuMs === undefined ? undefined : (result.wrkCpuMs * 1000) / result.requests,
  };
  const detail = result.raw.split('\n').filter((line) => /Socket errors|Non-2xx/.test(line)).map((line) => line.trim()).join('; ');
  const errors = result.errors > 0 ? `, ${result.errors} errors: ${detail}` : '';
  console.log(`  ${target.label.padEnd(30)} ${fmtRps(result.requestsPerSec).padStart(14)}  p50 ${fmtMs(result.p50Ms).padStart(9)}  p99 ${fmtMs(result.p99Ms).padStart(9)}  (${result.requests} requests${errors})`);
  return { ...result, cpuUsPerRequest };
}

function expectProject(value: unknown, where: string): void {
  const project = value as { id?: unknown } | null;
  if (project?.id !== PROJECT_ID) throw new SetupError(`${where}: expected project ${PROJECT_ID}, got ${JSON.stringify(value).slice(0, 500)}`);
}

/** Checks a tools/call answer (a JSON-RPC response, as JSON or as one SSE `data:` line). */
function expectToolResult(text: string, where: string): void {
  const json = text.trimStart().startsWith('{') ? text : text.split('\n').find((line) => line.startsWith('data: '))?.slice(6);
  let message: { result?: { isError?: boolean; structuredContent?: unknown; content?: { text?: string }[] }; error?: unknown } | undefined;
  try {
    message = JSON.parse(json ?? '');
  } catch {
    throw new SetupError(`${where}: the answer is not a JSON-RPC message: ${text.slice(0, 500)}`);
  }
  const result = message?.result;
  if (!result || result.isError) throw new SetupError(`${where}: the tool call did not succeed: ${text.slice(0, 500)}`);
  expectProject(result.structuredContent ?? JSON.parse(result.content?.[0]?.text ?? 'null'), where);
}

async function login(api: string): Promise<string> {
  const response = await fetch(`${api}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(LOGIN) });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || !body.token) throw new SetupError(`login to the demo API failed: ${response.status} ${JSON.stringify(body)}`);
  return body.token;
}

function restTarget(key: 'direct' | 'bare', label: string, origin: string, token: string): Target {
  const url = `${origin}/v1/projects/${PROJECT_ID}`;
  const headers = { authorization: `Bearer ${token}` };
  return {
    key,
    label,
    url,
    script: luaScript('GET', headers),
    async check() {
      const response = await fetch(url, { headers });
      if (!response.ok) throw new SetupError(`${label}: GET ${url} answered ${response.status}: ${await response.text()}`);
      expectProject(await response.json(), label);
    },
  };
}

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function mcpPost(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function startGateway(mode: 'stateless' | 'stateful', api: string, token: string): Promise<[Child, string]> {
  const [child, match] = await start(`gateway (${mode})`, [process.execPath, 'src/main.ts', 'serve'], /MCP endpoint: http:\/\/localhost:(\d+)\/mcp/, {
    PORTICO_UPSTREAM: `${api}/v1`,
    PORTICO_SPEC: `${api}/swagger.json`,
    PORTICO_UPSTREAM_HEADERS: `Authorization: Bearer ${token}`,
    PORTICO_AUTH: 'none',
    PORTICO_PORT: '0',
    PORTICO_HOST: '127.0.0.1',
    PORTICO_MCP_MODE: mode,
    PORTICO_LOG_LEVEL: 'warn',
  });
  return [child, `http://127.0.0.1:${match[1]}/mcp`];
}

function statelessTarget(url: string): Target {
  const label = 'Portico tools/call, stateless';
  return {
    key: 'stateless',
    label,
    url,
    script: luaScript('POST', MCP_HEADERS, CALL_BODY),
    async check() {
      const response = await mcpPost(url, CALL_BODY);
      const text = await response.text();
      if (!response.ok) throw new SetupError(`${label}: ${response.status} ${text}`);
      expectToolResult(text, label);
    },
  };
}

/** Opens a session: initialize, then notifications/initialized; returns its id. */
async function openSession(url: string): Promise<string> {
  const init = await mcpPost(url, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'portico-bench', version: '0' } },
  });
  const text = await init.text();
  const id = init.headers.get('mcp-session-id');
  if (!init.ok || !id) throw new SetupError(`initialize failed: ${init.status} ${text}`);
  const initialized = await mcpPost(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL_VERSION });
  await initialized.text();
  if (initialized.status !== 202) throw new SetupError(`notifications/initialized answered ${initialized.status}`);
  return id;
}

/** How the gateway answered a stateful tools/call: `SSE` (text/event-stream) or `JSON`, for the report. */
let statefulAnswer = '?';

async function statefulTarget(url: string): Promise<Target> {
  const label = 'Portico tools/call, stateful';
  const sessions: string[] = [];
  for (let i = 0; i < CONNECTIONS; i++) sessions.push(await openSession(url));
  const headers = { ...MCP_HEADERS, 'mcp-protocol-version': PROTOCOL_VERSION };
  return {
    key: 'stateful',
    label,
    url,
    script: luaScript('POST', headers, CALL_BODY, { header: 'mcp-session-id', values: sessions }),
    async check() {
      for (const session of [sessions[0]!, sessions.at(-1)!]) {
        const response = await mcpPost(url, CALL_BODY, { 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL_VERSION });
        const text = await response.text();
        if (!response.ok) throw new SetupError(`${label}: ${response.status} ${text}`);
        const type = response.headers.get('content-type') ?? '';
        statefulAnswer = type.startsWith('text/event-stream') ? 'SSE' : type.startsWith('application/json') ? 'JSON' : type || 'no content type';
        expectToolResult(text, `${label} (answered as ${type})`);
      }
    },
  };
}

// ------------------------------------------------------------------------------------------------ report

const fmtMs = (ms: number) => `${ms.toFixed(3)} ms`;
const fmtRps = (rps: number) => `${Math.round(rps).toLocaleString('en')} req/s`;
const fmtPct = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
const fmtDelta = (ms: number) => `${ms >= 0 ? '+' : '−'}${fmtMs(Math.abs(ms))}`;

function table(rows: string[][], rightAligned: number[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (rightAligned.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

// -------------------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  if (!Bun.which('wrk')) {
    console.error('The proxy benchmark needs wrk (the load generator), which is not installed: apt-get install wrk');
    return 2;
  }
  const wrkVersion = (await new Response(Bun.spawn(['wrk', '--version'], { stdout: 'pipe', stderr: 'pipe' }).stdout).text()).split('\n')[0]!.trim();
  console.log(
    `Portico proxy benchmark — bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs, ${wrkVersion.replace(/ Copyright.*/, '')}\n` +
      `wrk -t${THREADS} -c${CONNECTIONS} -d${SECONDS}s --latency per target (after a ${WARMUP_SECONDS} s warm-up); the demo API, the bare proxy,\n` +
      `the gateway and wrk are separate processes sharing the machine's ${navigator.hardwareConcurrency} cores.\n`,
  );

  const [apiChild, apiMatch] = await start('demo API', [process.execPath, 'src/demo/main.ts', '--port', '0', '--slow-ms', '0', '--settle-ms', '0'], /listening on (http:\/\/\S+)/);
  const api = apiMatch[1]!;
  const token = await login(api);

  const results = new Map<Target['key'], Measured>();
  results.set('direct', await measure(restTarget('direct', 'direct (demo API)', api, token), apiChild));

  const [bare, bareMatch] = await start('bare proxy', [process.execPath, 'test/bench/bare-proxy.ts', api], /listening on (http:\/\/\S+)/);
  results.set('bare', await measure(restTarget('bare', 'bare Bun reverse proxy', bareMatch[1]!, token), apiChild, bare));
  await stop(bare);

  for (const mode of ['stateless', 'stateful'] as const) {
    const [gateway, url] = await startGateway(mode, api, token);
    results.set(mode, await measure(mode === 'stateless' ? statelessTarget(url) : await statefulTarget(url), apiChild, gateway));
    await stop(gateway);
  }

  const direct = results.get('direct')!;
  const bareResult = results.get('bare')!;
  const labels: Record<Target['key'], string> = {
    direct: 'direct: GET /v1/projects/{id}',
    bare: 'bare Bun reverse proxy',
    stateless: 'Portico tools/call (stateless)',
    stateful: `Portico tools/call (stateful, ${statefulAnswer})`,
  };
  const rows = [['target', 'req/s', 'p50', 'p99', 'req/s ÷ bare', 'req/s ÷ direct', 'p50 − bare', 'p50 − direct', 'errors']];
  for (const [key, r] of results) {
    rows.push([
      labels[key],
      fmtRps(r.requestsPerSec),
      fmtMs(r.p50Ms),
      fmtMs(r.p99Ms),
      key === 'direct' ? '' : fmtPct(r.requestsPerSec / bareResult.requestsPerSec),
      key === 'direct' ? '' : fmtPct(r.requestsPerSec / direct.requestsPerSec),
      key === 'direct' || key === 'bare' ? '' : fmtDelta(r.p50Ms - bareResult.p50Ms),
      key === 'direct' ? '' : fmtDelta(r.p50Ms - direct.p50Ms),
      String(r.errors),
    ]);
  }
  console.log(`\n${table(rows, [1, 2, 3, 4, 5, 6, 7, 8])}\n`);

  // Where the machine's CPU went: with every process on the same 2 cores, requests/s is bounded by the
  // sum of these (2 cores = 2,000,000 µs of CPU per second).
  const us = (value: number | undefined) => (value === undefined ? '?' : `${Math.round(value)} µs`);
  const cpuRows = [['CPU time per request (info)', 'proxy process', 'demo API', 'wrk', 'all']];
  for (const [key, r] of results) {
    const { api: apiUs, proxy: proxyUs, wrk: wrkUs } = r.cpuUsPerRequest;
    const all = apiUs === undefined || wrkUs === undefined || (key !== 'direct' && proxyUs === undefined) ? undefined : apiUs + wrkUs + (proxyUs ?? 0);
    cpuRows.push([labels[key], key === 'direct' ? '-' : us(proxyUs), us(apiUs), us(wrkUs), us(all)]);
  }
  console.log(`${table(cpuRows, [1, 2, 3, 4])}\n`);

  let failed = false;
  const verdicts = [['Portico mode', 'measure', 'value', 'target', 'result']];
  for (const mode of ['stateless', 'stateful'] as const) {
    const r = results.get(mode)!;
    const ratio = r.requestsPerSec / bareResult.requestsPerSec;
    const overhead = r.p50Ms - bareResult.p50Ms;
    const judge = (ok: boolean) => {
      if (!ok) failed = true;
      return ok ? 'PASS' : 'FAIL';
    };
    verdicts.push([mode, 'throughput ÷ bare proxy', fmtPct(ratio), `≥ ${fmtPct(THROUGHPUT_TARGET)}`, judge(ratio >= THROUGHPUT_TARGET)]);
    verdicts.push([mode, 'p50 overhead vs bare proxy', fmtDelta(overhead), `< ${fmtMs(P50_OVERHEAD_TARGET_MS)}`, judge(overhead < P50_OVERHEAD_TARGET_MS)]);
    if (r.errors > 0) verdicts.push([mode, 'errors during the run', String(r.errors), '0', judge(false)]);
  }
  if (direct.errors + bareResult.errors > 0) {
    failed = true;
    verdicts.push(['-', 'errors in the direct/bare runs', String(direct.errors + bareResult.errors), '0', 'FAIL']);
  }
  console.log(table(verdicts, [2]));
  if (failed) console.log('Some proxy targets were missed (FAIL above).');
  return failed ? 1 : 0;
}

let code: number;
try {
  code = await main();
} catch (error) {
  console.error(`proxy benchmark: ${error instanceof SetupError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  code = 2;
} finally {
  await stopAll();
  if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
}
process.exit(code);
