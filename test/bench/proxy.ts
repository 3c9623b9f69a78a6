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
 * Targets measured with `wrk -t1 -c16 -d8s --latency`, in BENCH_PROXY_ROUNDS rounds (default 3) that each measure
 * every target in an order rotated by one per round (a 3 s warm-up before a target's first run, 1 s later):
 *   (a) direct    GET /v1/projects/prj_7d3f8a1b on the demo API, with the bearer token;
 *   (b) bare      the same through the bare proxy;
 *   (c) stateless tools/call get_project {projectId: prj_7d3f8a1b} through Portico, PORTICO_MCP_MODE=stateless
 *                 (one POST answered with JSON);
 *   (d) stateful  the same in PORTICO_MCP_MODE=stateful: one session per connection's worth of clients
 *                 (requests go round-robin over BENCH_PROXY_CONNECTIONS sessions), each opened with
 *                 initialize + notifications/initialized, calls carrying Mcp-Session-Id and
 *                 Mcp-Protocol-Version and a JSON-RPC id of their own (wrk builds 4,096 such requests once
 *                 and cycles through them); answered with JSON (`mcp/legacy`: no stream unless something may be said first), as any
 *                 plain call is — the report names the content type it saw;
 *   (e) 2026-07-28 the same call as MCP 2026-07-28 sends it (no session: the envelope in `_meta`, the
 *                 MCP-Protocol-Version, Mcp-Method and Mcp-Name headers), to the stateless gateway.
 *   (f) signed in the stateless call with a real access token, to a gateway with sign-in (PORTICO_AUTH=oauth,
 *                 a SQLite file): every request's token checked in the store, every call audited, the user's own
 *                 credential sent upstream — how every real deployment runs (issue 22). Its rate limits are
 *                 raised (one client sending thousands of requests a second is the point here); the token is
 *                 got the way a client gets one (register, sign in as alice, approve, exchange the code).
 *   peers (only with BENCH_PEERS=<dir>, a folder prepared by `test/bench/peers/prepare.sh <dir> demo`; without it one
 *                 line says how, and nothing else changes): the same operation, GET /v1/projects/{id} with alice's token
 *                 (the one the stateless gateway sends), called over MCP Streamable HTTP through
 *     @ivotoby/openapi-mcp-server  on node, `--transport http` on <dir>/demo/openapi.json (the demo document converted to
 *                 OpenAPI 3.0; --headers "Authorization:Bearer …"), tool get-project, one session per connection.
 *                 It answers a tools/call POST with 202 and sends the result on the session's GET stream (SSE), so
 *                 wrk cannot drive it: this script does, with fetch, CONNECTIONS clients each in its own session
 *                 with its GET stream open, one call at a time (its CPU is shown as the load generator's);
 *     openapi-mcp-generator        its output for the same document (<dir>/generated/demo/build/index.js, node;
 *                 API_BASE_URL, API_KEY_BEARERAUTH="Bearer …"), tool getProject, answered as SSE on the POST. All
 *                 connections share ONE session: the generated server connects every session's transport to one
 *                 SDK Server, which answers through the transport connected last, so the calls of any other session
 *                 never get an answer;
 *     the SDK on Bun               test/bench/sdk-peer.ts: @modelcontextprotocol/sdk as installed here, one tool,
 *                 stateless, JSON answers (a new McpServer and transport per request, as the SDK's examples do).
 *                 Every answer of a peer is checked (by its wrk script, or by this script for ivotoby): the project's
 *                 id and name in it, no "isError":true; one that fails is an error, and req/s counts only the answers
 *                 that pass (wrk counts any 2xx, and these servers answer a failed call with 200). Peers are
 *                 shown for information, in the same tables; no target is judged on them, and a peer that cannot
 *                 start or stops answering is reported and left out.
 * Besides requests/s and latency it prints the CPU time per request of each process (from /proc): with
 * everything on 2 cores, requests/s is bounded by their sum, so that table says where the time goes.
 * Absolute figures vary by 20–30% from run to run on the 2-core VM; the judged ratios are the medians of each
 * round's own ratio (Portico ÷ bare proxy within one round), so a machine that drifts over the minutes of the
 * benchmark does not tip them; figures in the tables are medians over the rounds.
 * Targets (issue 22, 2-core machine): Portico's requests/s ≥ 65% of the bare proxy's without sign-in (stateless,
 * stateful, 2026-07-28) and ≥ 60% signed in; p50 overhead (Portico p50 − bare proxy p50) < 0.5 ms; the gateway's
 * peak resident memory over its runs (VmHWM, read from /proc after the last round) ≤ 100 MiB, what it holds once
 * the load ends (VmRSS) shown beside it. Exits 1 when one is missed, 2 when the benchmark cannot run (wrk missing, a
 * process does not start, a call does not succeed).
 *
 *   bun run bench proxy
 *   BENCH_PROXY_ROUNDS=5 BENCH_PROXY_SECONDS=5 BENCH_PROXY_CONNECTIONS=32 bun test/bench/proxy.ts
 *   test/bench/peers/prepare.sh /work/bench-peers demo && BENCH_PEERS=/work/bench-peers bun run bench proxy
 *   BENCH_MEMORY_LIMIT=256 bun run bench proxy   # the bare proxy and the gateways each under a 256 MiB cgroup limit
 *                                                # (as a container's --memory would; root and a writable cgroup fs)
 *
 * wrk is not installed by this script: `apt-get install wrk`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CALL_BODY,
  MCP_HEADERS,
  type Child,
  cpuMs,
  describeError,
  expectProject,
  expectToolResult,
  fmtDelta,
  fmtMs,
  fmtPct,
  fmtRps,
  freePort,
  jsonRpcMessage,
  login,
  luaScript,
  mcpPost,
  median,
  MEMORY_LIMIT_MIB,
  openSession,
  positive,
  PROJECT_ID,
  PROTOCOL_VERSION,
  removeBenchFolders,
  removeWrkScripts,
  ROOT,
  sessionHeaders,
  SetupError,
  start,
  startDemoApi,
  startGateway,
  startSignedInGateway,
  stop,
  stopAll,
  table,
  toolCallScript,
  underMemoryLimit,
  wrk as runWrk,
  type WrkResult,
  wrkVersion,
} from './harness';

const SECONDS = positive('BENCH_PROXY_SECONDS', 8);
const WARMUP_SECONDS = positive('BENCH_PROXY_WARMUP_SECONDS', 3);
const ROUNDS = positive('BENCH_PROXY_ROUNDS', 3);
const CONNECTIONS = positive('BENCH_PROXY_CONNECTIONS', 16);
const THREADS = positive('BENCH_PROXY_THREADS', 1);
/** req/s ÷ the bare proxy's, per mode: sign-in costs a token check and an audit entry per call. */
const THROUGHPUT_TARGET = { stateless: 0.65, stateful: 0.65, modern: 0.65, signedIn: 0.6 } as const;
const P50_OVERHEAD_TARGET_MS = 0.5;
/** The gateway's resident memory under load, MiB (the demo API's catalog). */
const RSS_TARGET_MIB = 100;

/** VmRSS and VmHWM of a process, MiB; undefined where /proc cannot tell. */
function memoryOf(child: Child): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${child.process.pid}/status`, 'utf8');
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    const rss = kib('VmRSS');
    const peak = kib('VmHWM');
    return Number.isFinite(rss) && Number.isFinite(peak) ? { rss: rss / 1024, peak: peak / 1024 } : undefined;
  } catch {
    return undefined;
  }
}

const wrk = (url: string, script: string, seconds: number): Promise<WrkResult> => runWrk(url, script, { seconds, threads: THREADS, connections: CONNECTIONS });

// ------------------------------------------------------------------------------------------ the targets

type Key = 'direct' | 'bare' | 'stateless' | 'stateful' | 'modern' | 'signedIn' | 'ivotoby' | 'generator' | 'sdk';

interface Target {
  readonly key: Key;
  readonly label: string;
  readonly url: string;
  readonly script: string;
  /** One request made with fetch before the run, and again after it: throws unless it succeeds. */
  readonly check: () => Promise<void>;
  /** A peer (BENCH_PEERS): in the tables for information, judged on nothing, left out when it fails. */
  readonly peer?: { readonly label: string };
  /** Drives the load itself, instead of wrk with `script` (a server wrk cannot drive); one run of `seconds`. */
  readonly load?: (seconds: number) => Promise<WrkResult>;
}

interface Measured extends WrkResult {
  /** CPU time per request, µs, of each process involved (where it could be read). */
  readonly cpuUsPerRequest: { readonly api?: number; readonly proxy?: number; readonly wrk?: number };
}

/** Runs wrk against `target`; `api` and `proxy` are the processes whose CPU time is counted. */
async function measure(target: Target, api: Child, proxy: Child | undefined, warmupSeconds: number, round: number): Promise<Measured> {
  const run = (seconds: number) => (target.load ? target.load(seconds) : wrk(target.url, target.script, seconds).then(withFailedAnswers));
  await target.check();
  await run(warmupSeconds); // JIT, connection pools, the gateway's catalog caches
  const before = [cpuMs(api), proxy && cpuMs(proxy)];
  const result = await run(SECONDS);
  const after = [cpuMs(api), proxy && cpuMs(proxy)];
  await target.check();
  const perRequest = (start: number | undefined, end: number | undefined) => (start === undefined || end === undefined ? undefined : ((end - start) * 1000) / result.requests);
  const cpuUsPerRequest = {
    api: perRequest(before[0], after[0]),
    proxy: perRequest(before[1], after[1]),
    wrk: result.wrkCpuMs === undefined ? undefined : (result.wrkCpuMs * 1000) / result.requests,
  };
  const errors = result.errors > 0 ? `, ${result.errors} errors: ${errorDetail(result)}` : '';
  console.log(`  round ${round}  ${target.label.padEnd(30)} ${fmtRps(result.requestsPerSec).padStart(14)}  p50 ${fmtMs(result.p50Ms).padStart(9)}  p99 ${fmtMs(result.p99Ms).padStart(9)}  (${result.requests} requests${errors})`);
  return { ...result, cpuUsPerRequest };
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


async function statelessTarget(url: string): Promise<Target> {
  const label = 'Portico tools/call, stateless';
  return {
    key: 'stateless',
    label,
    url,
    script: (await toolCallScript(url, 'stateless', CONNECTIONS)).script,
    async check() {
      const response = await mcpPost(url, CALL_BODY);
      const text = await response.text();
      if (!response.ok) throw new SetupError(`${label}: ${response.status} ${text}`);
      expectToolResult(text, label);
    },
  };
}

/** The tools/call of (e): what a 2026-07-28 client sends. */
const MODERN_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: {
    name: 'get_project',
    arguments: { projectId: PROJECT_ID },
    _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} },
  },
});
const MODERN_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'get_project' };

function modernTarget(url: string): Target {
  const label = 'Portico tools/call, 2026-07-28';
  return {
    key: 'modern',
    label,
    url,
    script: luaScript('POST', MODERN_HEADERS, MODERN_BODY),
    async check() {
      const response = await fetch(url, { method: 'POST', headers: MODERN_HEADERS, body: MODERN_BODY });
      const text = await response.text();
      if (!response.ok) throw new SetupError(`${label}: ${response.status} ${text}`);
      expectToolResult(text, label);
    },
  };
}

/** (f): a gateway with sign-in, and a token got as a client gets one. */
async function signedInTarget(api: string): Promise<[Target, Child]> {
  const label = 'Portico tools/call, signed in';
  const [child, url, headers] = await startSignedInGateway(api);
  const target: Target = {
    key: 'signedIn',
    label,
    url,
    script: luaScript('POST', { ...MCP_HEADERS, ...headers }, CALL_BODY),
    async check() {
      const response = await mcpPost(url, CALL_BODY, headers);
      const text = await response.text();
      if (!response.ok) throw new SetupError(`${label}: ${response.status} ${text}`);
      expectToolResult(text, label);
    },
  };
  return [target, child];
}

/** How the gateway answered a stateful tools/call: `SSE` (text/event-stream) or `JSON`, for the report. */
let statefulAnswer = '?';

async function statefulTarget(url: string): Promise<Target> {
  const label = 'Portico tools/call, stateful';
  const { script, sessions } = await toolCallScript(url, 'stateful', CONNECTIONS);
  return {
    key: 'stateful',
    label,
    url,
    script,
    async check() {
      for (const session of [sessions[0]!, sessions.at(-1)!]) {
        const response = await mcpPost(url, CALL_BODY, sessionHeaders(session));
        const text = await response.text();
        if (!response.ok) throw new SetupError(`${label}: ${response.status} ${text}`);
        const type = response.headers.get('content-type') ?? '';
        statefulAnswer = type.startsWith('text/event-stream') ? 'SSE' : type.startsWith('application/json') ? 'JSON' : type || 'no content type';
        expectToolResult(text, `${label} (answered as ${type})`);
      }
    },
  };
}

// -------------------------------------------------------------------------------------------------- peers

/** The lines of a run's output that explain its errors, on one line (wrk's, and those this script adds). */
function errorDetail(result: WrkResult): string {
  return result.raw.split('\n').filter((line) => /Socket errors|Non-2xx|Failed answers|No answer/.test(line)).map((line) => line.trim()).join('; ');
}

/**
 * What every answer of a peer must hold: the project's id and its name (which only the project's representation
 * holds — an error message may name the id) and no `"isError":true`. The project's name is read from the API.
 */
let answerMarks: readonly string[] = [PROJECT_ID];

function answered(text: string): boolean {
  return answerMarks.every((mark) => text.includes(mark)) && !text.includes('"isError":true');
}

/**
 * `script` with a check of every answer (as `answered` makes it): wrk counts a request whatever its 2xx answer says,
 * so each thread counts the answers that fail, and wrk prints their sum last ("Failed answers: N").
 */
function checkedScript(script: string): string {
  const lua = (text: string) => JSON.stringify(text);
  const found = answerMarks.map((mark) => `string.find(body, ${lua(mark)}, 1, true)`).join(' and ');
  return `${script}${[
    'local threads = {}',
    'setup = function(thread) table.insert(threads, thread) end',
    'failed = 0',
    'response = function(status, headers, body)',
    `  if status ~= 200 or not (${found}) or string.find(body, '"isError":true', 1, true) then failed = failed + 1 end`,
    'end',
    'done = function(summary, latency, requests)',
    '  local n = 0',
    '  for _, thread in ipairs(threads) do n = n + thread:get("failed") end',
    '  io.write("Failed answers: " .. n .. "\\n")',
    'end',
  ].join('\n')}\n`;
}

/** A wrk run's figures with the failed answers its checked script counted as errors, and req/s of good answers only. */
function withFailedAnswers(result: WrkResult): WrkResult {
  const failed = Number(/^Failed answers: (\d+)/m.exec(result.raw)?.[1] ?? 0);
  if (failed === 0) return result;
  return { ...result, errors: result.errors + failed, requestsPerSec: (result.requestsPerSec * (result.requests - failed)) / result.requests };
}

/** Checks a peer's tools/call answer: a JSON-RPC result whose first text holds the project (after any prefix). */
function expectPeerAnswer(text: string, where: string): void {
  const message = jsonRpcMessage(text, where) as { result?: { isError?: boolean; content?: { text?: string }[] } };
  const result = message.result;
  const content = result?.content?.[0]?.text ?? '';
  if (!result || result.isError) throw new SetupError(`${where}: the tool call did not succeed: ${text.slice(0, 500)}`);
  let project: unknown;
  try {
    project = JSON.parse(content.slice(content.indexOf('{'))); // openapi-mcp-generator writes "API Response (Status: 200):\n" first
  } catch {
    throw new SetupError(`${where}: the tool's text is not the project: ${content.slice(0, 500)}`);
  }
  expectProject(project, where);
  if (!answered(text)) throw new SetupError(`${where}: the answer fails the check wrk's script makes of every answer: ${text.slice(0, 500)}`);
}


/** Starts a server that prints nothing when it is ready: ready once `url` answers anything. */
async function startQuiet(name: string, cmd: string[], url: string, env: Record<string, string> = {}): Promise<Child> {
  const [child] = await start(name, cmd, /^/, env); // matches at once: readiness is polled below
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.process.exitCode !== null) throw new SetupError(`${name} exited with code ${child.process.exitCode}:\n${child.output}`);
    try {
      await (await fetch(url)).arrayBuffer();
      return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new SetupError(`${name} did not answer at ${url} within 20 s:\n${child.output}`);
    await Bun.sleep(50);
  }
}

/** JSON-RPC ids of the calls GetStreamClients make: unique over the whole run (ivotoby maps answers to sessions by id). */
let streamCallId = 1;

interface StreamSession {
  readonly headers: Record<string, string>;
  /** Closes the session's GET stream. */
  readonly stream: AbortController;
}

/**
 * MCP clients of a server that answers a tools/call POST with 202 and sends the result on the session's GET stream
 * (@ivotoby/openapi-mcp-server's --transport http): `count` sessions, each opened (initialize,
 * notifications/initialized) and with its GET stream open; `call` POSTs one tools/call in a session and resolves
 * with the data of the event that answers it.
 */
class GetStreamClient {
  readonly sessions: StreamSession[] = [];
  private readonly waiting = new Map<number, { resolve: (data: string) => void; reject: (error: Error) => void }>();

  private constructor(
    private readonly url: string,
    private readonly body: readonly [string, string],
  ) {}

  static async open(url: string, body: string, count: number): Promise<GetStreamClient> {
    const [before, after] = body.split('"id":1');
    if (after === undefined) throw new Error('a GetStreamClient needs a body with "id":1');
    const client = new GetStreamClient(url, [before!, after]);
    try {
      for (let i = 0; i < count; i++) {
        const id = await openSession(url);
        const stream = new AbortController();
        const session: StreamSession = { headers: { ...MCP_HEADERS, ...sessionHeaders(id) }, stream };
        client.sessions.push(session);
        // the server sends the stream's headers with its first event only: the GET is answered once a ping's answer
        // comes down it, which also shows the server has the stream (a ping sent before it has is answered nowhere)
        let refused: Error | undefined;
        const opened = fetch(url, { headers: { accept: 'text/event-stream', ...sessionHeaders(id) }, signal: stream.signal }).then(async (response) => {
          if (!response.ok || !response.body) refused = new SetupError(`GET ${url} (the session's stream) answered ${response.status}: ${await response.text()}`);
          else void client.read(response.body);
        });
        opened.catch(() => {});
        for (let attempt = 0; ; attempt++) {
          if (refused) throw refused;
          if (attempt === 100) throw new SetupError(`no ping answered on the GET stream of session ${id} within 10 s`);
          const ping = streamCallId++;
          const answer = new Promise<string>((resolve, reject) => client.waiting.set(ping, { resolve, reject }));
          answer.catch(() => {});
          const response = await fetch(url, { method: 'POST', headers: session.headers, body: JSON.stringify({ jsonrpc: '2.0', id: ping, method: 'ping' }) });
          await response.text();
          if (response.status !== 202) throw new SetupError(`ping in session ${id} answered ${response.status}`);
          if (await Promise.race([answer.then(() => true), Bun.sleep(100).then(() => false)])) break;
          client.waiting.delete(ping);
        }
      }
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          // the answer ends with its id (`…,"jsonrpc":"2.0","id":N}`); anything else is parsed
          let id = Number(/"id":(\d+)\}$/.exec(data)?.[1]);
          if (!Number.isInteger(id)) {
            try {
              id = Number((JSON.parse(data) as { id?: unknown }).id);
            } catch {
              continue;
            }
          }
          const waiter = this.waiting.get(id);
          if (waiter) {
            this.waiting.delete(id);
            waiter.resolve(data);
          }
        }
      }
    } catch {
      // aborted by close()
    }
  }

  /** One tools/call in `session`; resolves with its answer, rejects when the POST is not accepted (202). */
  async call(session: StreamSession): Promise<string> {
    const id = streamCallId++;
    const answer = new Promise<string>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    try {
      const response = await fetch(this.url, { method: 'POST', headers: session.headers, body: `${this.body[0]}"id":${id}${this.body[1]}` });
      const text = await response.text();
      if (response.status !== 202) throw new Error(`the POST answered ${response.status}: ${text.slice(0, 300)}`);
    } catch (error) {
      this.waiting.delete(id);
      throw error;
    }
    return answer;
  }

  /** Fails the calls still waiting and closes the streams. */
  close(): void {
    for (const waiter of this.waiting.values()) waiter.reject(new Error('No answer on the GET stream'));
    this.waiting.clear();
    for (const session of this.sessions) session.stream.abort();
  }
}

/**
 * One run of CONNECTIONS clients against a GetStreamClient server for `seconds`: each client calls in its own session,
 * one call at a time (wrk's closed loop). Figures as wrk's: answers per second (good ones only), their latency (POST
 * sent → event read), errors (refused POSTs, calls left unanswered 5 s after the end, answers that fail the check),
 * and this process's CPU time over the run as the load generator's.
 */
async function getStreamLoad(url: string, body: string, seconds: number): Promise<WrkResult> {
  const client = await GetStreamClient.open(url, body, CONNECTIONS);
  const latencies: number[] = [];
  let refused = 0;
  let failed = 0;
  let lastError = '';
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  const worker = async (session: StreamSession) => {
    while (performance.now() < end) {
      const sent = performance.now();
      try {
        const data = await client.call(session);
        latencies.push(performance.now() - sent);
        if (!answered(data)) failed++;
      } catch (error) {
        refused++;
        lastError = (error as Error).message;
      }
    }
  };
  const workers = Promise.all(client.sessions.map(worker));
  const finished = await Promise.race([workers.then(() => true), Bun.sleep(seconds * 1000 + 5000).then(() => false)]);
  client.close(); // fails the calls still waiting, which ends their workers
  if (!finished) await workers;
  const elapsedS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  const raw = [
    `${latencies.length} answers in ${elapsedS.toFixed(2)}s (GET-stream client, ${CONNECTIONS} sessions)`,
    ...(refused ? [`No answer or POST refused: ${refused} (last: ${lastError})`] : []),
    ...(failed ? [`Failed answers: ${failed}`] : []),
  ].join('\n');
  return {
    requestsPerSec: (latencies.length - failed) / elapsedS,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    requests: latencies.length,
    errors: refused + failed,
    raw,
    wrkCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** A tools/call of `tool` {projectId}, with `"id":1` (replaced per request where the script rotates). */
const callBody = (tool: string) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: { projectId: PROJECT_ID } } });

function packageVersion(path: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return undefined;
  }
}

/**
 * The peers of the folder BENCH_PEERS names, each started and checked; lines on those left out (and, without
 * BENCH_PEERS, on how to prepare them) and on their versions.
 */
async function startPeers(dir: string | undefined, api: string, token: string): Promise<{ targets: [Target, Child][]; lines: string[] }> {
  const prepare = 'test/bench/peers/prepare.sh <dir> demo (a folder outside the project; npm registry, about a minute the first time), then BENCH_PEERS=<dir> bun run bench proxy';
  if (!dir) return { targets: [], lines: [`peers: not measured — BENCH_PEERS is not set. Prepare them with ${prepare}`] };
  const root = resolve(dir);
  if (!existsSync(root)) return { targets: [], lines: [`peers: not measured — BENCH_PEERS=${dir} does not exist. Prepare them with ${prepare}`] };
  const targets: [Target, Child][] = [];
  const lines: string[] = [];
  const node = Bun.which('node');
  const nodeVersion = node ? Bun.spawnSync([node, '--version']).stdout.toString().trim() : undefined;
  const spec = join(root, 'demo/openapi.json');
  const add = async (label: string, begin: () => Promise<[Target, Child]>) => {
    try {
      const [target, child] = await begin();
      try {
        await target.check();
      } catch (error) {
        await stop(child);
        throw error;
      }
      targets.push([target, child]);
      lines.push(`peer: ${target.peer!.label}`);
    } catch (error) {
      lines.push(`peer ${label}: not measured — ${describeError(error).split('\n').slice(0, 6).join('\n  ')}`);
    }
  };

  // (1) @ivotoby/openapi-mcp-server, --transport http
  const ivo = join(root, 'node_modules/@ivotoby/openapi-mcp-server');
  const ivoVersion = packageVersion(join(ivo, 'package.json'));
  if (!node) lines.push('peers @ivotoby/openapi-mcp-server, openapi-mcp-generator: not measured — no node on PATH (they run on node)');
  else if (!ivoVersion || !existsSync(spec)) lines.push(`peer @ivotoby/openapi-mcp-server: not measured — not prepared in ${root} (run test/bench/peers/prepare.sh ${root} demo)`);
  else
    await add('@ivotoby/openapi-mcp-server', async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/mcp`;
      const cmd = [node, join(ivo, 'bin/mcp-server.js'), '--transport', 'http', '--host', '127.0.0.1', '--port', String(port)];
      cmd.push('--api-base-url', `${api}/v1`, '--openapi-spec', spec, '--headers', `Authorization:Bearer ${token}`, '--verbose', 'false');
      const child = await startQuiet('@ivotoby/openapi-mcp-server', cmd, url);
      const body = callBody('get-project'); // its name for getProject (a verb abbreviated, the operationId kebab-cased)
      const label = `@ivotoby/openapi-mcp-server ${ivoVersion}`;
      const target: Target = {
        key: 'ivotoby',
        label,
        url,
        script: '',
        peer: { label: `${label} (node ${nodeVersion}), tools/call get-project: 202, then the answer on the session's GET stream (SSE)` },
        load: (seconds) => getStreamLoad(url, body, seconds),
        async check() {
          const client = await GetStreamClient.open(url, body, 1);
          try {
            const answer = await Promise.race([client.call(client.sessions[0]!), Bun.sleep(10_000).then(() => 'no answer on the GET stream within 10 s')]);
            expectPeerAnswer(answer, label);
          } finally {
            client.close();
          }
        },
      };
      return [target, child];
    });

  // (2) openapi-mcp-generator's server for the demo document
  const generatorVersion = packageVersion(join(root, 'node_modules/openapi-mcp-generator/package.json'));
  const generated = join(root, 'generated/demo/build/index.js');
  if (node && (!generatorVersion || !existsSync(generated)))
    lines.push(`peer openapi-mcp-generator: not measured — no server generated for the demo in ${root} (run test/bench/peers/prepare.sh ${root} demo)`);
  else if (node)
    await add('openapi-mcp-generator', async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/mcp`;
      // its API key scheme BearerAuth (apiKey, header Authorization) takes the header's whole value
      const env = { PORT: String(port), API_BASE_URL: `${api}/v1`, API_KEY_BEARERAUTH: `Bearer ${token}` };
      const child = await startQuiet('openapi-mcp-generator output', [node, generated], url, env);
      // one session for every connection: see the top of this file (the calls of any other session go unanswered)
      const session = await openSession(url);
      const body = callBody('getProject');
      const sdk = packageVersion(join(root, 'generated/node_modules/@modelcontextprotocol/sdk/package.json'));
      const label = `openapi-mcp-generator ${generatorVersion} output`;
      let answer = '?';
      const target: Target = {
        key: 'generator',
        label,
        url,
        script: checkedScript(luaScript('POST', { ...MCP_HEADERS, 'mcp-protocol-version': PROTOCOL_VERSION }, body, { header: 'mcp-session-id', values: [session] })),
        peer: {
          get label() {
            return `${label} (node ${nodeVersion}, @modelcontextprotocol/sdk ${sdk ?? '?'}), tools/call getProject in one session, answered as ${answer}`;
          },
        },
        async check() {
          const response = await mcpPost(url, body, sessionHeaders(session));
          const text = await response.text();
          if (!response.ok) throw new SetupError(`${label}: ${response.status} ${text}`);
          answer = (response.headers.get('content-type') ?? '').startsWith('text/event-stream') ? 'SSE' : 'JSON';
          expectPeerAnswer(text, label);
        },
      };
      return [target, child];
    });

  // (3) the SDK on Bun
  await add('the SDK on Bun', async () => {
    const [child, match] = await start('SDK peer', [process.execPath, 'test/bench/sdk-peer.ts', `${api}/v1`], /listening on (http:\/\/\S+)/, { SDK_PEER_TOKEN: token });
    const url = match[1]!;
    const sdk = packageVersion(join(ROOT, 'node_modules/@modelcontextprotocol/sdk/package.json'));
    const label = `the SDK on Bun (test/bench/sdk-peer.ts)`;
    const target: Target = {
      key: 'sdk',
      label,
      url,
      script: checkedScript(luaScript('POST', MCP_HEADERS, CALL_BODY)),
      peer: { label: `${label}: @modelcontextprotocol/sdk ${sdk ?? '?'}, stateless, tools/call get_project answered as JSON` },
      async check() {
        const response = await mcpPost(url, CALL_BODY);
        const text = await response.text();
        if (!response.ok) throw new SetupError(`${label}: ${response.status} ${text}`);
        expectPeerAnswer(text, label);
      },
    };
    return [target, child];
  });
  return { targets, lines };
}

// -------------------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  const version = await wrkVersion();
  if (!version) {
    console.error('The proxy benchmark needs wrk (the load generator), which is not installed: apt-get install wrk');
    return 2;
  }
  console.log(
    `Portico proxy benchmark — bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs, ${version}\n` +
      `wrk -t${THREADS} -c${CONNECTIONS} -d${SECONDS}s --latency per target (after a ${WARMUP_SECONDS} s warm-up); the demo API, the bare proxy,\n` +
      `the gateway and wrk are separate processes sharing the machine's ${navigator.hardwareConcurrency} cores.\n`,
  );

  const [apiChild, api] = await startDemoApi();
  const token = await login(api);

  // Every process is started up front and idle between its runs; each round measures every target, in an
  // order rotated by one each round, so that none always runs first or last (the 2-core VM drifts by
  // 20–30% over minutes, and a fixed order once made the last target look slower than it was).
  const [bare, bareMatch] = await start('bare proxy', underMemoryLimit([process.execPath, 'test/bench/bare-proxy.ts', api]), /listening on (http:\/\/\S+)/);
  const [statelessGateway, statelessUrl] = await startGateway('stateless', api, token);
  const [statefulGateway, statefulUrl] = await startGateway('stateful', api, token);
  const targets: [Target, Child | undefined][] = [
    [restTarget('direct', 'direct (demo API)', api, token), undefined],
    [restTarget('bare', 'bare Bun reverse proxy', bareMatch[1]!, token), bare],
    [await statelessTarget(statelessUrl), statelessGateway],
    [await statefulTarget(statefulUrl), statefulGateway],
    [modernTarget(statelessUrl), statelessGateway],
    await signedInTarget(api),
  ];
  // the peers (BENCH_PEERS), checked against the project as the API gives it
  const project = (await (await fetch(`${api}/v1/projects/${PROJECT_ID}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { name?: unknown };
  if (typeof project.name === 'string' && project.name) answerMarks = [PROJECT_ID, project.name];
  const peers = await startPeers(process.env.BENCH_PEERS || undefined, api, token);
  console.log(`${peers.lines.join('\n')}\n`);
  if (MEMORY_LIMIT_MIB) console.log(`BENCH_MEMORY_LIMIT: the bare proxy and Portico's gateways each run under a ${MEMORY_LIMIT_MIB} MiB cgroup memory limit (the peers without)\n`);
  targets.push(...peers.targets);

  const runs = new Map<Target['key'], Measured[]>(targets.map(([target]) => [target.key, []]));
  const leftOut: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const active = targets.filter(([target]) => runs.has(target.key));
    const order = active.map((_, i) => active[(i + round - 1) % active.length]!);
    for (const [target, child] of order) {
      try {
        runs.get(target.key)!.push(await measure(target, apiChild, child, round === 1 ? WARMUP_SECONDS : 1, round));
      } catch (error) {
        if (!target.peer) throw error;
        // a peer that stops answering is left out, with why; the others go on
        const why = describeError(error).split('\n').slice(0, 6).join('\n    ');
        console.log(`  round ${round}  ${target.label}: left out — ${why}`);
        leftOut.push(`peer ${target.label}: left out in round ${round} — ${why}`);
        runs.delete(target.key);
        if (child) await stop(child);
      }
    }
  }
  // after every run: each process has been through all its rounds of load (stateless and 2026-07-28 share one)
  const memories = new Map<Target['key'], { rss: number; peak: number }>();
  for (const [target, child] of targets) {
    const memory = child && memoryOf(child);
    if (memory) memories.set(target.key, memory);
  }

  /** A target's figures: medians over the rounds. */
  const results = new Map<Target['key'], Measured>([...runs].map(([key, measured]) => [key, medianRun(measured)]));
  /** Per round, `target` ÷ the bare proxy (and its p50 minus the bare proxy's): runs of one round are minutes apart at most. */
  const perRound = (key: Target['key']) =>
    runs.get(key)!.map((run, i) => ({ ratio: run.requestsPerSec / runs.get('bare')![i]!.requestsPerSec, overhead: run.p50Ms - runs.get('bare')![i]!.p50Ms }));
  const direct = results.get('direct')!;
  const bareResult = results.get('bare')!;
  const labels = new Map<Target['key'], string>([
    ['direct', 'direct: GET /v1/projects/{id}'],
    ['bare', 'bare Bun reverse proxy'],
    ['stateless', 'Portico tools/call (stateless)'],
    ['stateful', `Portico tools/call (stateful, ${statefulAnswer})`],
    ['modern', 'Portico tools/call (2026-07-28)'],
    ['signedIn', 'Portico tools/call (signed in)'],
    ['ivotoby', 'peer: @ivotoby/openapi-mcp-server ¹'],
    ['generator', 'peer: openapi-mcp-generator output'],
    ['sdk', 'peer: the SDK on Bun'],
  ]);
  const rows = [['target (medians of rounds)', 'req/s', 'p50', 'p99', 'req/s ÷ bare', 'per round', 'req/s ÷ direct', 'p50 − bare', 'p50 − direct', 'errors']];
  for (const [key, r] of results) {
    const rounds = key === 'direct' || key === 'bare' ? undefined : perRound(key);
    rows.push([
      labels.get(key)!,
      fmtRps(r.requestsPerSec),
      fmtMs(r.p50Ms),
      fmtMs(r.p99Ms),
      rounds ? fmtPct(median(rounds.map((x) => x.ratio))) : '',
      rounds ? rounds.map((x) => fmtPct(x.ratio)).join(' ') : '',
      key === 'direct' ? '' : fmtPct(r.requestsPerSec / direct.requestsPerSec),
      rounds ? fmtDelta(median(rounds.map((x) => x.overhead))) : '',
      key === 'direct' ? '' : fmtDelta(r.p50Ms - direct.p50Ms),
      String(runs.get(key)!.reduce((sum, run) => sum + run.errors, 0)),
    ]);
  }
  console.log(`\n${table(rows, [1, 2, 3, 4, 6, 7, 8, 9])}`);
  const peerLines = targets.filter(([target]) => target.peer && results.has(target.key)).map(([target]) => `  ${target.peer!.label}`);
  if (peerLines.length) console.log(`Peers (for information, judged on nothing; req/s counts only answers that hold the project):\n${peerLines.join('\n')}`);
  if (leftOut.length) console.log(leftOut.join('\n'));
  console.log();

  // Where the machine's CPU went: with every process on the same 2 cores, requests/s is bounded by the
  // sum of these (2 cores = 2,000,000 µs of CPU per second).
  const us = (value: number | undefined) => (value === undefined ? '?' : `${Math.round(value)} µs`);
  const cpuRows = [['CPU time per request (info)', 'proxy process', 'demo API', 'wrk', 'all', 'proxy RSS after load (peak)']];
  const ownClient = [...results.keys()].some((key) => targets.find(([target]) => target.key === key)?.[0].load);
  for (const [key, r] of results) {
    const { api: apiUs, proxy: proxyUs, wrk: wrkUs } = r.cpuUsPerRequest;
    const all = apiUs === undefined || wrkUs === undefined || (key !== 'direct' && proxyUs === undefined) ? undefined : apiUs + wrkUs + (proxyUs ?? 0);
    const memory = memories.get(key);
    cpuRows.push([labels.get(key)!, key === 'direct' ? '-' : us(proxyUs), us(apiUs), us(wrkUs), us(all), memory ? `${memory.rss.toFixed(0)} MiB (${memory.peak.toFixed(0)})` : '-']);
  }
  console.log(`${table(cpuRows, [1, 2, 3, 4, 5])}`);
  if (ownClient) console.log("¹ not wrk: it answers on the session's GET stream, so this script is the load generator (fetch; its CPU is in the wrk column).");
  console.log();

  let failed = false;
  const verdicts = [['Portico mode', 'measure', 'value', 'target', 'result']];
  for (const mode of ['stateless', 'stateful', 'modern', 'signedIn'] as const) {
    const rounds = perRound(mode);
    const ratio = median(rounds.map((x) => x.ratio));
    const overhead = median(rounds.map((x) => x.overhead));
    const errors = runs.get(mode)!.reduce((sum, run) => sum + run.errors, 0);
    const judge = (ok: boolean) => {
      if (!ok) failed = true;
      return ok ? 'PASS' : 'FAIL';
    };
    verdicts.push([mode, 'throughput ÷ bare proxy (median of rounds)', fmtPct(ratio), `≥ ${fmtPct(THROUGHPUT_TARGET[mode])}`, judge(ratio >= THROUGHPUT_TARGET[mode])]);
    verdicts.push([mode, 'p50 overhead vs bare proxy (median of rounds)', fmtDelta(overhead), `< ${fmtMs(P50_OVERHEAD_TARGET_MS)}`, judge(overhead < P50_OVERHEAD_TARGET_MS)]);
    if (errors > 0) verdicts.push([mode, 'errors during the runs', String(errors), '0', judge(false)]);
    const memory = mode === 'modern' ? undefined : memories.get(mode); // the stateless gateway's, judged once
    // judged on the peak: under load is when it counts, and what is left after the load ends says less
    const limit = MEMORY_LIMIT_MIB ? `, under a ${MEMORY_LIMIT_MIB} MiB limit` : '';
    if (memory) verdicts.push([mode, `peak resident memory, VmHWM (${memory.rss.toFixed(0)} MiB after load${limit})`, `${memory.peak.toFixed(0)} MiB`, `≤ ${RSS_TARGET_MIB} MiB`, judge(memory.peak <= RSS_TARGET_MIB)]);
  }
  const baseErrors = [...runs.get('direct')!, ...runs.get('bare')!].reduce((sum, run) => sum + run.errors, 0);
  if (baseErrors > 0) {
    failed = true;
    verdicts.push(['-', 'errors in the direct/bare runs', String(baseErrors), '0', 'FAIL']);
  }
  console.log(table(verdicts, [2]));
  if (failed) console.log('Some proxy targets were missed (FAIL above).');
  return failed ? 1 : 0;
}

/** The median run by requests/s, with each figure the median over the runs. */
function medianRun(measured: readonly Measured[]): Measured {
  const pick = (get: (run: Measured) => number | undefined) => {
    const values = measured.map(get).filter((value): value is number => value !== undefined);
    return values.length ? median(values) : undefined;
  };
  const middle = [...measured].sort((a, b) => a.requestsPerSec - b.requestsPerSec)[Math.floor(measured.length / 2)]!;
  return {
    ...middle,
    requestsPerSec: median(measured.map((run) => run.requestsPerSec)),
    p50Ms: median(measured.map((run) => run.p50Ms)),
    p99Ms: median(measured.map((run) => run.p99Ms)),
    errors: measured.reduce((sum, run) => sum + run.errors, 0),
    cpuUsPerRequest: { api: pick((run) => run.cpuUsPerRequest.api), proxy: pick((run) => run.cpuUsPerRequest.proxy), wrk: pick((run) => run.cpuUsPerRequest.wrk) },
  };
}

let code: number;
try {
  code = await main();
} catch (error) {
  console.error(`proxy benchmark: ${describeError(error)}`);
  code = 2;
} finally {
  await stopAll();
  removeWrkScripts();
  removeBenchFolders();
}
process.exit(code);
