/**
 * What the wrk-based benchmarks (test/bench/proxy.ts, test/bench/store.ts) share: child processes started
 * and stopped by the script (and killed on Ctrl-C), their CPU time from /proc, wrk runs and their parsing,
 * the demo API's project and the checks of a tools/call answer, and the report's formatting.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Subprocess } from 'bun';
import { connect } from '../fixtures/oauth-http';

export const ROOT = resolve(import.meta.dir, '../..');

export const PROJECT_ID = 'prj_7d3f8a1b';
export const LOGIN = { email: 'alice@example.com', password: 'alice-demo-password' };
export const CALL_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_project', arguments: { projectId: PROJECT_ID } } });
export const PROTOCOL_VERSION = '2025-11-25';

/** A whole number ≥ 1 from the environment, or `fallback` when unset. */
export function positive(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1, got "${text}"`);
  return value;
}

/** A benchmark that cannot run (as opposed to a missed target). */
export class SetupError extends Error {}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// ---------------------------------------------------------------------------------------------- processes

/**
 * BENCH_MEMORY_LIMIT=<MiB>: the proxies measured (the bare proxy and Portico's gateways) each run in a cgroup of their
 * own with that memory limit, as a container's `--memory` or systemd's `MemoryMax=` would run them. Bun's JavaScript
 * engine sizes its heap from the memory it may use (the limit when there is one, else the machine's RAM), so under a
 * limit it collects sooner. Needs root and a writable cgroup file system (v2, or v1's memory controller).
 */
export const MEMORY_LIMIT_MIB = process.env.BENCH_MEMORY_LIMIT ? positive('BENCH_MEMORY_LIMIT', 1) : undefined;
/** The cgroup folder of each command `underMemoryLimit` made, then of each process started with one: removed when it exits. */
const groupOfCommand = new WeakMap<string[], string>();
let groupCount = 0;

/** A new cgroup limited to `mib` MiB: the folder whose `cgroup.procs` takes a process. SetupError when it cannot be. */
function memoryGroup(mib: number): string {
  const name = `portico-bench-${process.pid}-${++groupCount}`;
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const folder = v2 ? `/sys/fs/cgroup/${name}` : `/sys/fs/cgroup/memory/${name}`;
  try {
    // on v2 a child group has a memory limit only when its parent hands the controller down
    if (v2) writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+memory');
    mkdirSync(folder);
    writeFileSync(join(folder, v2 ? 'memory.max' : 'memory.limit_in_bytes'), String(mib * 1024 * 1024));
  } catch (error) {
    throw new SetupError(`BENCH_MEMORY_LIMIT: cannot make a cgroup at ${folder} (${(error as Error).message}); it needs root and a writable cgroup file system`);
  }
  return folder;
}

/** `cmd`, run in a cgroup of its own under BENCH_MEMORY_LIMIT (the same process: the shell joins the group, then execs). */
export function underMemoryLimit(cmd: string[]): string[] {
  if (MEMORY_LIMIT_MIB === undefined) return cmd;
  const group = memoryGroup(MEMORY_LIMIT_MIB);
  const limited = ['/bin/sh', '-c', `echo $$ > ${group}/cgroup.procs && exec "$@"`, 'sh', ...cmd];
  groupOfCommand.set(limited, group);
  return limited;
}

export interface Child {
  readonly name: string;
  readonly process: Subprocess<'ignore', 'pipe', 'pipe'>;
  /** Everything it printed so far (stdout and stderr), for error messages. */
  output: string;
}

const children = new Set<Child>();

/** Spawns `cmd` and waits until its output matches `ready`; returns the child and the match. */
export async function start(name: string, cmd: string[], ready: RegExp, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<[Child, RegExpMatchArray]> {
  const proc = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const group = groupOfCommand.get(cmd);
  // a group is empty once its process has exited, and can be removed; one left behind (still busy) is harmless
  if (group)
    void proc.exited.then(() => {
      try {
        rmdirSync(group);
      } catch {}
    });
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

export async function stop(child: Child): Promise<void> {
  if (!children.delete(child)) return;
  child.process.kill('SIGTERM');
  const exited = await Promise.race([child.process.exited.then(() => true), Bun.sleep(3000).then(() => false)]);
  if (!exited) {
    child.process.kill('SIGKILL');
    await child.process.exited;
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map(stop));
}

/** The children started with `start` and not stopped yet. */
export function runningChildren(): readonly Child[] {
  return [...children];
}

/** The demo API (src/demo/main.ts) on a free port, answering at once; returns it and its origin. */
export async function startDemoApi(): Promise<[Child, string]> {
  const [child, match] = await start('demo API', [process.execPath, 'src/demo/main.ts', '--port', '0', '--slow-ms', '0', '--settle-ms', '0'], /listening on (http:\/\/\S+)/);
  return [child, match[1]!];
}

export const CLOCK_TICKS = Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100;

/**
 * CPU time (user + system) a process has used so far, ms; with `children`, also that of its children it
 * has waited for (fields cutime, cstime). Undefined where /proc is not there.
 */
export function cpuMsOfPid(pid: number, withChildren = false): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]) + (withChildren ? Number(fields[13]) + Number(fields[14]) : 0);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * CPU time the whole machine has been busy so far, ms summed over its cores (user, nice, system, irq,
 * softirq and steal — time the hypervisor gave to other guests); undefined where /proc is not there.
 */
export function machineBusyMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return ((user + nice + system + irq + softirq + steal) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a child has used so far, ms; undefined where /proc is not there. */
export function cpuMs(child: Child): number | undefined {
  return cpuMsOfPid(child.process.pid);
}

const cleanups = new Set<() => void>();

/** Runs `cleanup` (synchronously) when the script is interrupted; returns a function that cancels it. */
export function onInterrupt(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

// Ctrl-C or a kill must not leave the API, the gateways, wrk (or what a script registered) running. The
// handlers stay installed: a second signal while cleaning up must not kill this process half-way.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    for (const child of children) child.process.kill('SIGKILL');
    runningWrk?.kill('SIGKILL');
    removeWrkScripts();
    for (const cleanup of cleanups) {
      try {
        cleanup();
      } catch {
        // the others still run
      }
    }
    process.exit(130);
  });
}

// ------------------------------------------------------------------------------------------------- wrk

export interface WrkResult {
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

export function parseWrk(raw: string): WrkResult {
  const rps = raw.match(/^Requests\/sec:\s+([\d.]+)/m);
  const total = raw.match(/^\s*(\d+) requests in /m);
  if (!rps || !total) throw new SetupError(`cannot read wrk's output:\n${raw}`);
  const non2xx = Number(raw.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  const socket = raw.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const socketErrors = socket ? socket.slice(1, 5).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { requestsPerSec: Number(rps[1]), p50Ms: latencyMs(raw, '50'), p99Ms: latencyMs(raw, '99'), requests: Number(total[1]), errors: non2xx + socketErrors, raw };
}

/** The lines of wrk's output that explain its errors, on one line (empty when there were none). */
export function wrkErrorDetail(result: WrkResult): string {
  return result.raw.split('\n').filter((line) => /Socket errors|Non-2xx/.test(line)).map((line) => line.trim()).join('; ');
}

/** Distinct requests a rotating script cycles through: ids repeat only this far apart, never among a session's requests in flight. */
const ROTATED_REQUESTS = 4096;

/**
 * A wrk script: method, headers and body for every request. With `rotate`, requests go round-robin over
 * one header's values (MCP sessions), and each carries its own JSON-RPC id: `body` holds `"id":1`, which is
 * replaced by a counter (ids must not repeat among a session's requests in flight — the SDK's transport
 * maps responses to streams by id, so a repeated id gets another request's answer or none).
 */
export function luaScript(method: string, headers: Record<string, string>, body?: string, rotate?: { header: string; values: string[] }): string {
  const lua = (text: string) => JSON.stringify(text); // a JSON string literal is a valid Lua string literal for ASCII
  const lines = [`wrk.method = ${lua(method)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`wrk.headers[${lua(name)}] = ${lua(value)}`);
  if (body !== undefined) lines.push(`wrk.body = ${lua(body)}`);
  if (rotate) {
    const [before, after] = (body ?? '').split('"id":1');
    if (after === undefined) throw new Error('a rotating wrk script needs a body with "id":1');
    // the requests are built once, in init: building one per request in Lua cost wrk 6 µs each, charged to
    // the target's requests/s on a machine where wrk shares the cores (a static script costs nothing)
    lines.push(
      `local values = { ${rotate.values.map(lua).join(', ')} }`,
      `local before, after = ${lua(before!)}, ${lua(after)}`,
      'local requests, i = {}, 0',
      'init = function(args)',
      `  for k = 1, ${ROTATED_REQUESTS} do`,
      `    wrk.headers[${lua(rotate.header)}] = values[(k - 1) % #values + 1]`,
      '    requests[k] = wrk.format(nil, nil, nil, before .. \'"id":\' .. k .. after)',
      '  end',
      'end',
      'request = function()',
      '  i = i % #requests + 1',
      '  return requests[i]',
      'end',
    );
  }
  return `${lines.join('\n')}\n`;
}

let scriptDir: string | undefined;
let runningWrk: Subprocess | undefined;

export interface WrkOptions {
  readonly seconds: number;
  readonly threads: number;
  readonly connections: number;
}

/** One wrk run (`wrk -tT -cC -dSs --latency -s script url`); its figures and its own CPU time. */
export async function wrk(url: string, script: string, { seconds, threads, connections }: WrkOptions): Promise<WrkResult> {
  scriptDir ??= mkdtempSync(join(tmpdir(), 'portico-bench-'));
  const file = join(scriptDir, `${Bun.hash(script).toString(36)}.lua`);
  writeFileSync(file, script);
  const proc = Bun.spawn(['wrk', `-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '-s', file, url], { stdout: 'pipe', stderr: 'pipe' });
  runningWrk = proc;
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  runningWrk = undefined;
  if (code !== 0) throw new SetupError(`wrk exited with code ${code}:\n${out}${err}`);
  const cpu = proc.resourceUsage()?.cpuTime.total;
  return { ...parseWrk(out), wrkCpuMs: cpu === undefined ? undefined : Number(cpu) / 1000 };
}

/** Removes the folder of wrk scripts (at the end of a run). */
export function removeWrkScripts(): void {
  if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
  scriptDir = undefined;
}

/** The first line of `wrk --version`, without the copyright; undefined when wrk is not installed. */
export async function wrkVersion(): Promise<string | undefined> {
  if (!Bun.which('wrk')) return undefined;
  const version = (await new Response(Bun.spawn(['wrk', '--version'], { stdout: 'pipe', stderr: 'pipe' }).stdout).text()).split('\n')[0]!.trim();
  return version.replace(/ Copyright.*/, '');
}

// ------------------------------------------------------------------------------------ answers and calls

export function expectProject(value: unknown, where: string): void {
  const project = value as { id?: unknown } | null;
  if (project?.id !== PROJECT_ID) throw new SetupError(`${where}: expected project ${PROJECT_ID}, got ${JSON.stringify(value).slice(0, 500)}`);
}

/** The JSON-RPC message in an answer (as JSON or as one SSE `data:` line). */
export function jsonRpcMessage(text: string, where: string): { result?: Record<string, unknown>; error?: unknown } {
  const json = text.trimStart().startsWith('{') ? text : text.split('\n').find((line) => line.startsWith('data: '))?.slice(6);
  try {
    return JSON.parse(json ?? '');
  } catch {
    throw new SetupError(`${where}: the answer is not a JSON-RPC message: ${text.slice(0, 500)}`);
  }
}

/** Checks a tools/call answer (a JSON-RPC response, as JSON or as one SSE `data:` line). */
export function expectToolResult(text: string, where: string): void {
  const message = jsonRpcMessage(text, where) as { result?: { isError?: boolean; structuredContent?: unknown; content?: { text?: string }[] } };
  const result = message?.result;
  if (!result || result.isError) throw new SetupError(`${where}: the tool call did not succeed: ${text.slice(0, 500)}`);
  expectProject(result.structuredContent ?? JSON.parse(result.content?.[0]?.text ?? 'null'), where);
}

/** Logs in to the demo API as alice; her API token. */
export async function login(api: string): Promise<string> {
  const response = await fetch(`${api}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(LOGIN) });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || !body.token) throw new SetupError(`login to the demo API failed: ${response.status} ${JSON.stringify(body)}`);
  return body.token;
}

export const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export async function mcpPost(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/**
 * A gateway (`src/main.ts serve` of the sources under `root`, default this checkout) in front of the demo
 * API, without sign-in, as the proxy benchmarks run it; returns it and its /mcp URL.
 */
export async function startGateway(mode: 'stateless' | 'stateful', api: string, token: string, root = ROOT): Promise<[Child, string]> {
  const label = root === ROOT ? `gateway (${mode})` : `gateway (${mode}, ${root})`;
  const [child, match] = await start(label, underMemoryLimit([process.execPath, join(root, 'src/main.ts'), 'serve']), /MCP endpoint: http:\/\/localhost:(\d+)\/mcp/, {
    PORTICO_UPSTREAM: `${api}/v1`,
    PORTICO_SPEC: `${api}/swagger.json`,
    PORTICO_UPSTREAM_HEADERS: `Authorization: Bearer ${token}`,
    PORTICO_AUTH: 'none',
    PORTICO_PORT: '0',
    PORTICO_HOST: '127.0.0.1',
    PORTICO_MCP_MODE: mode,
    PORTICO_LOG_LEVEL: 'warn',
    // each checkout with the plugins it ships (a commit compared with this tree must not load this tree's)
    PORTICO_PLUGINS: join(root, 'plugins'),
  });
  return [child, `http://127.0.0.1:${match[1]}/mcp`];
}

/**
 * A stateless gateway with sign-in (PORTICO_AUTH=oauth, a SQLite file in a temp folder), from the checkout at `root`,
 * and a token got the way a client gets one (register, sign in as alice, approve, exchange the code): every request's
 * token checked in the store, every call audited, the user's own credential sent upstream. Rate limits are off (one
 * client sending thousands of requests a second is the point). Returns the gateway, its /mcp URL on 127.0.0.1 and
 * the bearer header.
 */
export async function startSignedInGateway(api: string, root = ROOT): Promise<[Child, string, Record<string, string>]> {
  const folder = mkdtempSync(join(tmpdir(), 'portico-bench-'));
  cleanupFolders.push(folder);
  const label = root === ROOT ? 'gateway (signed in)' : `gateway (signed in, ${root})`;
  const [child, match] = await start(label, underMemoryLimit([process.execPath, join(root, 'src/main.ts'), 'serve']), /MCP endpoint: http:\/\/localhost:(\d+)\/mcp/, {
    PORTICO_UPSTREAM: `${api}/v1`,
    PORTICO_SPEC: `${api}/swagger.json`,
    PORTICO_AUTH: 'oauth',
    PORTICO_DATABASE_URL: join(folder, 'portico.db'),
    PORTICO_LOGIN_PATH: '/auth/login',
    PORTICO_LOGIN_USERNAME_FIELD: 'email',
    PORTICO_ACCESS_TOKEN_TTL: '86400',
    PORTICO_RATE_LIMIT_MCP: '0',
    PORTICO_RATE_LIMIT_IP: '0',
    PORTICO_PORT: '0',
    PORTICO_HOST: '127.0.0.1',
    PORTICO_MCP_MODE: 'stateless',
    PORTICO_LOG_LEVEL: 'warn',
    PORTICO_PLUGINS: join(root, 'plugins'),
  });
  const origin = `http://localhost:${match[1]}`;
  let token: string;
  try {
    token = (await connect(origin, origin, { email: 'alice@example.com', password: 'alice-demo-password' })).tokens.access_token;
  } catch (error) {
    throw new SetupError(`${label}: getting a token failed: ${(error as Error).message}`);
  }
  return [child, `http://127.0.0.1:${match[1]}/mcp`, { authorization: `Bearer ${token}` }];
}

const cleanupFolders: string[] = [];

/** Removes the temp folders signed-in gateways kept their databases in (after `stopAll`). */
export function removeBenchFolders(): void {
  for (const folder of cleanupFolders.splice(0)) rmSync(folder, { recursive: true, force: true });
}

/** Opens a session: initialize, then notifications/initialized; returns its id. */
export async function openSession(url: string): Promise<string> {
  const init = await mcpPost(url, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'portico-bench', version: '0' } },
  });
  const text = await init.text();
  const id = init.headers.get('mcp-session-id');
  if (!init.ok || !id) throw new SetupError(`initialize failed: ${init.status} ${text}`);
  const initialized = await mcpPost(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionHeaders(id));
  await initialized.text();
  if (initialized.status !== 202) throw new SetupError(`notifications/initialized answered ${initialized.status}`);
  return id;
}

/** The headers of a request in session `id`. */
export function sessionHeaders(id: string): Record<string, string> {
  return { 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL_VERSION };
}

/**
 * The wrk script of the proxy benchmarks: tools/call get_project, one POST each. For a stateful gateway it
 * first opens `connections` sessions, which the requests go round (each with its own JSON-RPC id).
 */
export async function toolCallScript(url: string, mode: 'stateless' | 'stateful', connections: number): Promise<{ script: string; sessions: string[] }> {
  if (mode === 'stateless') return { script: luaScript('POST', MCP_HEADERS, CALL_BODY), sessions: [] };
  const sessions: string[] = [];
  for (let i = 0; i < connections; i++) sessions.push(await openSession(url));
  const headers = { ...MCP_HEADERS, 'mcp-protocol-version': PROTOCOL_VERSION };
  return { script: luaScript('POST', headers, CALL_BODY, { header: 'mcp-session-id', values: sessions }), sessions };
}


// ------------------------------------------------------------------------------------------------ report

export const fmtMs = (ms: number) => `${ms.toFixed(3)} ms`;
export const fmtRps = (rps: number) => `${Math.round(rps).toLocaleString('en')} req/s`;
export const fmtPct = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
export const fmtDelta = (ms: number) => `${ms >= 0 ? '+' : '−'}${fmtMs(Math.abs(ms))}`;

/** A plain-text table: the first row is the header; columns in `rightAligned` are padded on the left. */
export function table(rows: string[][], rightAligned: number[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (rightAligned.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** A message for an error that ended a benchmark: SetupError's own text, otherwise the stack. */
export function describeError(error: unknown): string {
  return error instanceof SetupError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** A TCP port on 127.0.0.1 that was free a moment ago, for a server that must be told its port (the peers). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}
