/**
 * `bun run bench startup [github|graph]`: start-up on a big API (issue: "Start-up on a big API"). For each target, in
 * interleaved rounds, a fresh process is spawned and the clock runs from the spawn until
 *
 *   - first page: the first `tools/list` answer is read, and
 *   - whole list: every page is read, following `nextCursor`,
 *
 * over HTTP the way an MCP client does it: `initialize` (retried every POLL_MS ms until the port answers, so the time
 * includes the real readiness, not a log line), `notifications/initialized` in the session when the server opened
 * one, then `tools/list`. Each answer is read and parsed whole (the client's share, the same for every target). Peak
 * RSS is the process's VmHWM (/proc/<pid>/status) once the list is in; the tool count each target listed is printed
 * (listing no tools is an error, not a result).
 *
 * Targets:
 *   - Portico as shipped: the single binary (`bun run build`, built from this checkout into a temp folder before the
 *     rounds; the Docker image and the VM install run it), `serve` on the cached spec file (test/fixtures/npm-specs.ts),
 *     PORTICO_AUTH=none, PORTICO_TOOL_MODE=all (the default, auto, serves a catalog this big in discover mode: 3
 *     tools), stateful MCP (the default), this checkout's plugins folder (as the other benchmarks run it), a dummy
 *     upstream. The targets are judged on it;
 *   - Portico from the sources, `bun src/main.ts serve`, the same settings, for information (the binary's modules
 *     are bundled and precompiled to bytecode: its imports take ~25 ms instead of ~100);
 *   - the peers, from the folder BENCH_PEERS names (prepared by test/bench/peers/prepare.sh <dir>, outside the
 *     project): @ivotoby/openapi-mcp-server (`--transport http --openapi-spec <file> --verbose false`) and the server
 *     openapi-mcp-generator wrote for the spec (`node generated/<spec>/build/index.js`, Streamable HTTP, PORT=…),
 *     both on node; without BENCH_PEERS they are not measured (said so, and the run exits 2);
 *   - floors, timed spawn → exit: a fresh `bun -e` that reads the spec file and JSON.parses it (and the same under
 *     node, for the peers' runtime), and the binary's `portico tools --spec <file> --json` (output to /dev/null), and
 *     the same from the sources for information; each run under
 *     GNU time (`time -f %M`, when installed) for its peak RSS, which costs the spawn about a millisecond.
 *
 * A warm-up round (BENCH_STARTUP_WARMUP, default 1) runs every target once first, unmeasured: it fills the page cache
 * and checks each target; a peer that fails or times out there (or later) is reported and left out. Then
 * BENCH_STARTUP_ROUNDS rounds (default 5), each starting one target further on in the list. The machine is shared:
 * before each measured launch the script waits (up to 5 s, 2 min in all) for half a second in which other processes use
 * at most 15% of it, and the share they used during each launch is read from /proc and printed; a launch they took
 * more than 25% of is taken again (BENCH_STARTUP_RETRIES, default 2 more times; the least disturbed one is kept).
 *
 * Targets judged (medians of each round's own ratio; a 2-core machine):
 *   GitHub (1,223 operations): Portico's (the binary's) whole list ≤ 60% of the fastest peer's in the same round,
 *     and `portico tools --json` ≤ 4× the bare `bun` JSON.parse;
 *   Microsoft Graph (11,422 operations): first page < 1 s, whole list < 3 s, peak RSS < 400 MiB (the highest of the
 *     rounds). The other figures are printed for information.
 * Exit code 1 when a target is missed; otherwise 2 when something could not run (Portico, a floor, no peers).
 *
 *   test/bench/peers/prepare.sh /work/bench-peers          # once (npm registry; ~3 min with Graph)
 *   BENCH_PEERS=/work/bench-peers bun run bench startup    # GitHub
 *   BENCH_PEERS=/work/bench-peers BENCH_STARTUP_ROUNDS=2 bun run bench startup graph
 *   BENCH_STARTUP_TIMEOUT=600                              # seconds one launch may take (default 60; Graph 300)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Subprocess } from 'bun';
import { npmSpec, type NpmSpecName } from '../fixtures/npm-specs';
import { cpuMsOfPid, describeError, freePort, jsonRpcMessage, machineBusyMs, MCP_HEADERS, median, onInterrupt, positive, PROTOCOL_VERSION, ROOT, SetupError, table } from './harness';

/** A whole number ≥ 0 from the environment, or `fallback` when unset. */
function atLeastZero(name: string, fallback: number): number {
  const text = process.env[name];
  return text === undefined || text === '' ? fallback : text === '0' ? 0 : positive(name, fallback);
}

const ROUNDS = positive('BENCH_STARTUP_ROUNDS', 5);
const WARMUP = atLeastZero('BENCH_STARTUP_WARMUP', 1);
const POLL_MS = 5;
const CPUS = navigator.hardwareConcurrency;
/** A launch during which other processes used more than this share of the machine is noted as disturbed. */
const BUSY_LOAD = 0.25;
/** Before each measured launch: wait up to QUIET_MAX_WAIT_MS (quietBudgetMs over the run) for others to use ≤ QUIET_LOAD. */
const QUIET_LOAD = 0.15;
const QUIET_WINDOW_MS = 500;
const QUIET_MAX_WAIT_MS = 5000;
let quietBudgetMs = 120_000;
/** A measured launch that others disturbed (> BUSY_LOAD) is taken again, this many times at most. */
const RETRIES = atLeastZero('BENCH_STARTUP_RETRIES', 2);
const DUMMY_UPSTREAM = 'http://127.0.0.1:9';

const SPECS: Record<NpmSpecName, { label: string; timeoutS: number }> = {
  github: { label: 'GitHub', timeoutS: 60 },
  graph: { label: 'Microsoft Graph', timeoutS: 300 },
};
const GITHUB_PEER_RATIO = 0.6;
const GITHUB_TOOLS_RATIO = 4;
const GRAPH_FIRST_MS = 1000;
const GRAPH_WHOLE_MS = 3000;
const GRAPH_PEAK_MIB = 400;

// ------------------------------------------------------------------------------------------------- targets

interface Target {
  readonly key: string;
  readonly label: string;
  /** server: launch → tools/list over HTTP; exit: spawn → exit. */
  readonly kind: 'server' | 'exit';
  readonly peer?: boolean;
  /** The command for one launch (a server is given a free port). */
  command(port: number): { cmd: string[]; env?: Record<string, string>; cwd?: string };
}

interface Launch {
  /** ms from spawn to the first tools/list page read (servers). */
  readonly firstMs?: number;
  /** ms from spawn to the whole list read (servers), or to the exit. */
  readonly wholeMs: number;
  readonly tools?: number;
  readonly pages?: number;
  readonly peakMiB: number;
  /** Share of the machine other processes used meanwhile (0–1). */
  readonly otherLoad?: number;
}

/** The peers' folder given by BENCH_PEERS: the targets found in it, and lines on what is missing. */
function peerTargets(dir: string | undefined, spec: NpmSpecName, file: string): { targets: Target[]; lines: string[]; versions: string[] } {
  const prepare = `test/bench/peers/prepare.sh <dir> (a folder outside the project), then BENCH_PEERS=<dir> bun run bench startup ${spec}`;
  if (!dir) return { targets: [], lines: [`peers: not measured — BENCH_PEERS is not set. Prepare them with ${prepare}`], versions: [] };
  const root = resolve(dir);
  if (!existsSync(root)) return { targets: [], lines: [`peers: not measured — BENCH_PEERS=${dir} does not exist. Prepare them with ${prepare}`], versions: [] };
  const node = Bun.which('node');
  if (!node) return { targets: [], lines: ['peers: not measured — no node on PATH (the peers run on node)'], versions: [] };
  const version = (path: string) => {
    try {
      return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version ?? '?';
    } catch {
      return undefined;
    }
  };
  const targets: Target[] = [];
  const lines: string[] = [];
  const versions: string[] = [`node ${Bun.spawnSync([node, '--version']).stdout.toString().trim()}`];
  const ivo = join(root, 'node_modules/@ivotoby/openapi-mcp-server');
  const ivoVersion = version(join(ivo, 'package.json'));
  if (ivoVersion && existsSync(join(ivo, 'bin/mcp-server.js'))) {
    versions.push(`@ivotoby/openapi-mcp-server ${ivoVersion}`);
    targets.push({
      key: 'ivotoby',
      label: `@ivotoby/openapi-mcp-server ${ivoVersion}`,
      kind: 'server',
      peer: true,
      command: (port) => ({
        cmd: [node, join(ivo, 'bin/mcp-server.js'), '--transport', 'http', '--host', '127.0.0.1', '--port', String(port), '--api-base-url', DUMMY_UPSTREAM, '--openapi-spec', file, '--verbose', 'false'],
        cwd: root,
      }),
    });
  } else lines.push(`peers: @ivotoby/openapi-mcp-server is not in ${root}/node_modules — run ${prepare}`);
  const generatorVersion = version(join(root, 'node_modules/openapi-mcp-generator/package.json'));
  const generated = join(root, 'generated', spec);
  if (generatorVersion && existsSync(join(generated, 'build/index.js'))) {
    const sdk = version(join(root, 'generated/node_modules/@modelcontextprotocol/sdk/package.json'));
    versions.push(`openapi-mcp-generator ${generatorVersion} (its server on @modelcontextprotocol/sdk ${sdk ?? '?'})`);
    targets.push({
      key: 'generator',
      label: `openapi-mcp-generator ${generatorVersion} output`,
      kind: 'server',
      peer: true,
      command: (port) => ({ cmd: [node, join(generated, 'build/index.js')], env: { PORT: String(port), API_BASE_URL: DUMMY_UPSTREAM }, cwd: generated }),
    });
  } else if (!generatorVersion) lines.push(`peers: openapi-mcp-generator is not in ${root}/node_modules — run ${prepare}`);
  else lines.push(`peers: no server generated for ${spec} (${generated}/build/index.js) — run test/bench/peers/prepare.sh ${root} ${spec}`);
  return { targets, lines, versions };
}

/**
 * Builds the single binary from this checkout into a temp folder, as `bun run build` does (about two seconds): Portico
 * is measured as it ships. A failed build stops the run, with the build's output.
 */
function buildBinary(): string {
  logDir ??= mkdtempSync(join(tmpdir(), 'portico-bench-startup-'));
  const outfile = join(logDir, 'portico');
  const build = Bun.spawnSync([process.execPath, 'src/cli/build.ts', '--outfile', outfile], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  if (build.exitCode !== 0 || !existsSync(outfile)) throw new SetupError(`bun run build failed (exit ${build.exitCode}):\n${build.stdout.toString()}${build.stderr.toString()}`);
  return outfile;
}

function ownTargets(file: string, binary: string): Target[] {
  const parse = `JSON.parse(require("node:fs").readFileSync(${JSON.stringify(file)}, "utf8"))`;
  const node = Bun.which('node');
  const fromSources = [process.execPath, 'src/main.ts'];
  const serve = (key: string, label: string, portico: string[]): Target => ({
    key,
    label,
    kind: 'server',
    command: (port) => ({
      cmd: [...portico, 'serve'],
      env: {
        PORTICO_UPSTREAM: DUMMY_UPSTREAM,
        PORTICO_SPEC: file,
        PORTICO_AUTH: 'none',
        PORTICO_TOOL_MODE: 'all',
        PORTICO_MCP_MODE: 'stateful',
        PORTICO_HOST: '127.0.0.1',
        PORTICO_PORT: String(port),
        PORTICO_LOG_LEVEL: 'warn',
        PORTICO_PLUGINS: join(ROOT, 'plugins'),
      },
    }),
  });
  return [
    serve('portico', 'Portico (binary: portico serve)', [binary]),
    serve('portico-source', 'Portico (sources: bun src/main.ts serve)', fromSources),
    { key: 'tools', label: 'portico tools --json (binary)', kind: 'exit', command: () => ({ cmd: [binary, 'tools', '--spec', file, '--json'] }) },
    { key: 'tools-source', label: 'portico tools --json (sources)', kind: 'exit', command: () => ({ cmd: [...fromSources, 'tools', '--spec', file, '--json'] }) },
    { key: 'bare', label: 'bare JSON.parse (bun -e)', kind: 'exit', command: () => ({ cmd: [process.execPath, '-e', parse] }) },
    ...(node ? [{ key: 'bare-node', label: 'bare JSON.parse (node -e)', kind: 'exit' as const, command: () => ({ cmd: [node, '-e', parse] }) }] : []),
  ];
}

// ------------------------------------------------------------------------------------------------- launches

let logDir: string | undefined;
let running: Subprocess | undefined;
const cancelCleanup = onInterrupt(() => {
  running?.kill('SIGKILL');
  if (logDir) rmSync(logDir, { recursive: true, force: true });
});

class LaunchError extends Error {}

/** GNU time, when installed (`apt-get install time`): the peak RSS of the spawn → exit processes. */
const GNU_TIME = (() => {
  const path = Bun.which('time');
  if (!path) return undefined;
  const probe = Bun.spawnSync([path, '-f', '%M', 'true'], { stdout: 'ignore', stderr: 'pipe' });
  return probe.exitCode === 0 && /^\d+\s*$/.test(probe.stderr.toString()) ? path : undefined;
})();


/**
 * What a process wrote (stdout and stderr files), for an error message: the first line that names an error (node's
 * "FATAL ERROR: … JavaScript heap out of memory" comes before its stack), on the first line, then the last lines.
 */
function outputOf(base: string): string {
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  const lines = `${read(`${base}.out`)}${read(`${base}.err`)}`.trim().split('\n').filter(Boolean);
  if (lines.length === 0) return ' (no output)';
  const cause = lines.find((line) => /fatal|error/i.test(line));
  return `${cause ? ` ${cause.trim().slice(0, 300)}` : ''}\n    ${lines.slice(-8).join('\n    ').slice(-2000)}`;
}

function peakMiBOf(pid: number): number | undefined {
  try {
    const kib = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    return undefined;
  }
}

/** Other processes' share of the machine since it was made, given what the launched process used. */
function loadMeter(): (childCpuMs: number | undefined) => number | undefined {
  const busy = machineBusyMs();
  const own = cpuMsOfPid(process.pid);
  const started = performance.now();
  return (childCpuMs) => {
    const busyNow = machineBusyMs();
    const ownNow = cpuMsOfPid(process.pid);
    if (busy === undefined || own === undefined || busyNow === undefined || ownNow === undefined || childCpuMs === undefined) return undefined;
    return Math.max(0, busyNow - busy - (ownNow - own) - childCpuMs) / ((performance.now() - started) * CPUS);
  };
}

/** Waits for a window of QUIET_WINDOW_MS in which other processes use at most QUIET_LOAD of the machine (bounded); whether it came. */
async function quiet(): Promise<boolean> {
  const started = performance.now();
  for (;;) {
    const meter = loadMeter();
    await Bun.sleep(QUIET_WINDOW_MS);
    const load = meter(0);
    if (load === undefined || load <= QUIET_LOAD) return true;
    const waited = performance.now() - started;
    if (waited >= Math.min(QUIET_MAX_WAIT_MS, quietBudgetMs)) {
      quietBudgetMs = Math.max(0, quietBudgetMs - waited);
      return false;
    }
  }
}

async function stopProcess(proc: Subprocess): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
  const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(3000).then(() => false)]);
  if (!exited) {
    proc.kill('SIGKILL');
    await proc.exited;
  }
  running = undefined;
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'portico-bench-startup', version: '0' } },
});

async function launch(target: Target, timeoutMs: number, capture = false): Promise<Launch> {
  logDir ??= mkdtempSync(join(tmpdir(), 'portico-bench-startup-'));
  const base = join(logDir, target.key);
  const port = target.kind === 'server' ? await freePort() : 0;
  const { cmd, env = {}, cwd = ROOT } = target.command(port);
  const meter = loadMeter();
  const started = performance.now();
  // the peak RSS of a process that has exited: GNU time's (wait4 in a small parent). The rusage Bun gives is no use
  // here: a child's ru_maxrss starts at its parent's RSS at the fork (this script's, hundreds of MiB after Graph)
  const rssFile = `${base}.rss`;
  const wrapped = target.kind === 'exit' && GNU_TIME ? [GNU_TIME, '-f', '%M', '-o', rssFile, ...cmd] : cmd;
  const proc = Bun.spawn(wrapped, {
    cwd,
    env: { ...process.env, ...env },
    stdin: 'ignore',
    stdout: target.kind === 'exit' ? (capture ? 'pipe' : 'ignore') : Bun.file(`${base}.out`),
    stderr: Bun.file(`${base}.err`),
  });
  running = proc;
  if (target.kind === 'exit') {
    const [out, code] = await Promise.all([capture ? new Response(proc.stdout as ReadableStream).text() : Promise.resolve(''), proc.exited]);
    const wholeMs = performance.now() - started;
    running = undefined;
    if (code !== 0) throw new LaunchError(`${target.label} exited with code ${code}:${outputOf(base)}`);
    const usage = proc.resourceUsage();
    const tools = capture && (target.key === 'tools' || target.key === 'tools-source') ? ((JSON.parse(out) as { tools?: unknown[] }).tools?.length ?? 0) : undefined;
    const kib = GNU_TIME && existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : NaN;
    return { wholeMs, peakMiB: kib / 1024, tools, otherLoad: meter(usage ? Number(usage.cpuTime.total) / 1000 : undefined) };
  }
  try {
    const url = `http://127.0.0.1:${port}/mcp`;
    const deadline = started + timeoutMs;
    const late = () => new LaunchError(`${target.label} did not list its tools within ${Math.round(timeoutMs / 1000)} s (BENCH_STARTUP_TIMEOUT)`);
    const post = (body: string, headers: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body, signal: AbortSignal.timeout(Math.max(1, deadline - performance.now())) });
    // readiness: initialize until the port answers (connection refused → again in POLL_MS ms)
    let init: Response | undefined;
    while (!init) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        const after = ((performance.now() - started) / 1000).toFixed(1);
        throw new LaunchError(`${target.label} exited (${proc.exitCode ?? proc.signalCode}) ${after} s after the spawn, before answering:${outputOf(base)}`);
      }
      if (performance.now() > deadline) throw late();
      try {
        const answer = await post(INITIALIZE, {});
        if (answer.status === 503) await answer.text();
        else init = answer;
      } catch (error) {
        if ((error as Error).name === 'TimeoutError') throw late();
      }
      if (!init) await Bun.sleep(POLL_MS);
    }
    const initText = await init.text();
    const initialized = jsonRpcMessage(initText, `${target.label} initialize`) as { result?: { protocolVersion?: string } };
    if (!init.ok || !initialized.result) throw new LaunchError(`${target.label}: initialize answered ${init.status}: ${initText.slice(0, 300)}`);
    const session = init.headers.get('mcp-session-id');
    const headers: Record<string, string> = { 'mcp-protocol-version': initialized.result.protocolVersion ?? PROTOCOL_VERSION, ...(session ? { 'mcp-session-id': session } : {}) };
    const notified = await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers);
    await notified.text();
    if (!notified.ok) throw new LaunchError(`${target.label}: notifications/initialized answered ${notified.status}`);
    let cursor: string | undefined;
    let firstMs: number | undefined;
    let tools = 0;
    let pages = 0;
    do {
      const answer = await post(JSON.stringify({ jsonrpc: '2.0', id: pages + 1, method: 'tools/list', ...(cursor === undefined ? {} : { params: { cursor } }) }), headers);
      const text = await answer.text();
      const message = jsonRpcMessage(text, `${target.label} tools/list`) as { result?: { tools?: unknown[]; nextCursor?: string } };
      if (!answer.ok || !Array.isArray(message.result?.tools)) throw new LaunchError(`${target.label}: tools/list answered ${answer.status}: ${text.slice(0, 300)}`);
      tools += message.result.tools.length;
      pages++;
      firstMs ??= performance.now() - started;
      cursor = message.result.nextCursor;
      if (pages > 10_000) throw new LaunchError(`${target.label}: more than 10,000 tools/list pages`);
    } while (cursor);
    const wholeMs = performance.now() - started;
    if (tools === 0) throw new LaunchError(`${target.label} listed no tools`);
    const peakMiB = peakMiBOf(proc.pid) ?? NaN;
    return { firstMs, wholeMs, tools, pages, peakMiB, otherLoad: meter(cpuMsOfPid(proc.pid)) };
  } catch (error) {
    if (error instanceof SetupError) throw new LaunchError(error.message);
    throw error;
  } finally {
    await stopProcess(proc);
  }
}

// ------------------------------------------------------------------------------------------------- report

const ms = (value: number) => (value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);
const mib = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} MiB` : 'n/a');
const pct = (ratio: number) => `${Math.round(ratio * 100)}%`;
const times = (ratio: number) => `${ratio.toFixed(2)}×`;
const spread = (values: number[], fmt: (value: number) => string) =>
  values.length === 1 ? fmt(values[0]!) : `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;

async function bench(spec: NpmSpecName): Promise<number> {
  const { label, timeoutS } = SPECS[spec];
  const timeoutMs = positive('BENCH_STARTUP_TIMEOUT', timeoutS) * 1000;
  const file = await npmSpec(spec); // downloaded outside the timed runs
  const own = ownTargets(file, buildBinary());
  const peers = peerTargets(process.env.BENCH_PEERS, spec, file);
  console.log(
    `Start-up benchmark, ${label}: ${file} (${(Bun.file(file).size / 1048576).toFixed(1)} MiB) — bun ${Bun.version}` +
      `${peers.versions.length ? `, ${peers.versions.join(', ')}` : ''}; ${CPUS} CPUs, ${ROUNDS} round(s) after ${WARMUP} warm-up round(s)`,
  );
  for (const line of peers.lines) console.log(line);

  let targets: Target[] = [...own, ...peers.targets];
  const dropped = new Map<string, string>();
  const results = new Map<string, Launch[]>(targets.map((target) => [target.key, []]));
  const rounds: Map<string, Launch>[] = [];
  const counts = new Map<string, number>();

  const run = async (target: Target, round: number | undefined): Promise<Launch | undefined> => {
    try {
      let kept: Launch | undefined;
      for (let attempt = 0; ; attempt++) {
        if (round !== undefined) await quiet();
        const result = await launch(target, timeoutMs, round === undefined);
        // a launch other processes disturbed is taken again (they may have been passing by), the least disturbed kept
        const again = round !== undefined && (result.otherLoad ?? 0) > BUSY_LOAD && attempt < RETRIES;
        const what =
          target.kind === 'server'
            ? `first page ${ms(result.firstMs!).padStart(7)}  whole list ${ms(result.wholeMs).padStart(7)}  ${String(result.tools).padStart(5)} tools in ${result.pages} page(s)`
            : `spawn → exit ${ms(result.wholeMs).padStart(7)}${result.tools === undefined ? '' : `  ${result.tools} tools`}`;
        const load = result.otherLoad === undefined ? '' : `  others ${pct(result.otherLoad)}`;
        console.log(`  ${(round === undefined ? 'warm-up' : `round ${round + 1}`).padEnd(8)} ${target.label.padEnd(44)} ${what}  peak ${mib(result.peakMiB).padStart(8)}${load}${again ? ' — disturbed, taken again' : ''}`);
        if (result.tools !== undefined) counts.set(target.key, result.tools);
        if (!kept || (result.otherLoad ?? 0) < (kept.otherLoad ?? 0)) kept = result;
        if (!again) return kept;
      }
    } catch (error) {
      if (!(error instanceof LaunchError)) throw error;
      if (!target.peer) throw new SetupError(error.message);
      console.log(`  ${round === undefined ? 'warm-up' : `round ${round + 1}`}: ${error.message} — left out`);
      dropped.set(target.key, error.message.split('\n')[0]!.replace(`${target.label} `, ''));
      targets = targets.filter((other) => other !== target);
      return undefined;
    }
  };

  for (let round = 0; round < WARMUP; round++) for (const target of [...targets]) await run(target, undefined);
  for (let round = 0; round < ROUNDS; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
    const row = new Map<string, Launch>();
    for (const target of order) {
      const result = await run(target, round);
      if (result) row.set(target.key, result);
    }
    rounds.push(row);
  }
  for (const row of rounds) for (const [key, result] of row) results.get(key)!.push(result);

  const all = [...own, ...peers.targets];
  const measured = (kind: Target['kind']) => all.filter((target) => target.kind === kind && !dropped.has(target.key) && results.get(target.key)!.length > 0);
  const serverRows = [['target', 'first page', 'whole list', 'peak RSS', 'tools', 'pages']];
  for (const target of measured('server')) {
    const list = results.get(target.key)!;
    serverRows.push([
      target.label,
      spread(list.map((r) => r.firstMs!), ms),
      spread(list.map((r) => r.wholeMs), ms),
      spread(list.map((r) => r.peakMiB), mib),
      (list[0]!.tools ?? 0).toLocaleString('en'),
      String(list[0]!.pages),
    ]);
  }
  for (const key of dropped.keys()) serverRows.push([all.find((target) => target.key === key)!.label, 'left out (see the notes)', '-', '-', '-', '-']);
  console.log(`\nlaunch → tools/list, median (range) of ${ROUNDS} round(s):\n${table(serverRows, [1, 2, 3, 4, 5])}`);
  const exitRows = [['process', 'spawn → exit', 'peak RSS']];
  for (const target of measured('exit')) {
    const list = results.get(target.key)!;
    exitRows.push([target.label, spread(list.map((r) => r.wholeMs), ms), spread(list.map((r) => r.peakMiB), mib)]);
  }
  console.log(`\nspawn → exit, median (range):\n${table(exitRows, [1, 2])}`);

  // each round's own ratio, then the median (the machine drifts between rounds)
  const ratios = (of: (row: Map<string, Launch>) => number | undefined) => rounds.map(of).filter((value): value is number => value !== undefined);
  const fastestPeer = (row: Map<string, Launch>) => {
    const values = peers.targets.filter((peer) => row.has(peer.key)).map((peer) => row.get(peer.key)!.wholeMs);
    return values.length ? Math.min(...values) : undefined;
  };
  const portico = results.get('portico')!;
  const verdicts: string[][] = [['spec', 'measure', 'value', 'target', 'result']];
  let failed = false;
  let notRun = false;
  const judge = (ok: boolean) => {
    if (!ok) failed = true;
    return ok ? 'PASS' : 'FAIL';
  };
  const toFastestPeer = (key: string) =>
    ratios((row) => {
      const fastest = fastestPeer(row);
      return fastest === undefined || !row.has(key) ? undefined : row.get(key)!.wholeMs / fastest;
    });
  const peerRatio = toFastestPeer('portico');
  const peerTarget = spec === 'github';
  if (peerRatio.length) {
    const value = median(peerRatio);
    verdicts.push([label, 'Portico whole list ÷ fastest peer\'s (same round)', spread(peerRatio, pct), peerTarget ? `≤ ${pct(GITHUB_PEER_RATIO)}` : '-', peerTarget ? judge(value <= GITHUB_PEER_RATIO) : 'info']);
    for (const peer of peers.targets.filter((target) => !dropped.has(target.key))) {
      const each = ratios((row) => (row.has(peer.key) && row.has('portico') ? row.get('portico')!.wholeMs / row.get(peer.key)!.wholeMs : undefined));
      if (each.length) verdicts.push([label, `Portico whole list ÷ ${peer.label}'s`, pct(median(each)), '-', 'info']);
    }
    const sourceRatio = toFastestPeer('portico-source');
    if (sourceRatio.length) verdicts.push([label, 'Portico from the sources: whole list ÷ fastest peer\'s', spread(sourceRatio, pct), '-', 'info']);
  } else {
    if (peerTarget) notRun = true;
    verdicts.push([label, 'Portico whole list ÷ fastest peer\'s', 'no peer measured', peerTarget ? `≤ ${pct(GITHUB_PEER_RATIO)}` : '-', peerTarget ? 'NOT RUN' : 'info']);
  }
  const toolsRatio = ratios((row) => (row.has('tools') && row.has('bare') ? row.get('tools')!.wholeMs / row.get('bare')!.wholeMs : undefined));
  const toolsValue = median(toolsRatio);
  verdicts.push([label, 'portico tools --json ÷ bare JSON.parse (bun)', spread(toolsRatio, times), peerTarget ? `≤ ${GITHUB_TOOLS_RATIO}×` : '-', peerTarget ? judge(toolsValue <= GITHUB_TOOLS_RATIO) : 'info']);
  const toolsSourceRatio = ratios((row) => (row.has('tools-source') && row.has('bare') ? row.get('tools-source')!.wholeMs / row.get('bare')!.wholeMs : undefined));
  if (toolsSourceRatio.length) verdicts.push([label, 'the same from the sources (bun src/main.ts tools)', spread(toolsSourceRatio, times), '-', 'info']);
  const serveRatio = ratios((row) => (row.has('portico') && row.has('bare') ? row.get('portico')!.wholeMs / row.get('bare')!.wholeMs : undefined));
  verdicts.push([label, 'Portico whole list ÷ bare JSON.parse (bun)', times(median(serveRatio)), '-', 'info']);
  const first = median(portico.map((r) => r.firstMs!));
  const whole = median(portico.map((r) => r.wholeMs));
  const peak = Math.max(...portico.map((r) => r.peakMiB));
  const absolute = spec === 'graph';
  verdicts.push([label, 'Portico launch → first page (median)', ms(first), absolute ? `< ${ms(GRAPH_FIRST_MS)}` : '-', absolute ? judge(first < GRAPH_FIRST_MS) : 'info']);
  verdicts.push([label, 'Portico launch → whole list (median)', ms(whole), absolute ? `< ${ms(GRAPH_WHOLE_MS)}` : '-', absolute ? judge(whole < GRAPH_WHOLE_MS) : 'info']);
  verdicts.push([label, 'Portico peak RSS (highest of the rounds)', mib(peak), absolute ? `< ${mib(GRAPH_PEAK_MIB)}` : '-', absolute ? judge(peak < GRAPH_PEAK_MIB) : 'info']);
  const fromSources = results.get('portico-source') ?? [];
  if (fromSources.length) {
    verdicts.push([label, 'Portico from the sources: launch → first page, whole list', `${ms(median(fromSources.map((r) => r.firstMs!)))}, ${ms(median(fromSources.map((r) => r.wholeMs)))}`, '-', 'info']);
    verdicts.push([label, 'Portico from the sources: peak RSS', mib(Math.max(...fromSources.map((r) => r.peakMiB))), '-', 'info']);
  }
  console.log(`\n${table(verdicts, [2])}`);

  const notes: string[] = [];
  const mine = counts.get('portico');
  for (const [key, count] of counts) {
    if (key !== 'portico' && mine !== undefined && count !== mine) notes.push(`${all.find((target) => target.key === key)!.label} listed ${count.toLocaleString('en')} tools, Portico ${mine.toLocaleString('en')}.`);
  }
  for (const [key, reason] of dropped) notes.push(`${all.find((target) => target.key === key)!.label} was left out: ${reason}`);
  const loads = rounds.flatMap((row) => [...row.values()].map((r) => r.otherLoad)).filter((value): value is number => value !== undefined);
  const busy = loads.filter((value) => value > BUSY_LOAD).length;
  if (busy) notes.push(`${busy} of ${loads.length} launches shared the machine with other processes using more than ${pct(BUSY_LOAD)} of it (up to ${pct(Math.max(...loads))}): those figures are disturbed.`);
  if (notes.length) console.log(`\nNotes:\n${notes.map((note) => `  ${note}`).join('\n')}`);
  if (failed) console.log('Some targets were missed (FAIL above).');
  if (peers.targets.length === 0) notRun = true;
  return failed ? 1 : notRun ? 2 : 0;
}

const args = process.argv.slice(2);
const unknown = args.filter((arg) => !(arg in SPECS));
if (unknown.length) {
  console.error(`bench startup: unknown spec ${unknown.join(', ')} (github or graph)`);
  process.exit(2);
}
const chosen = (args.length ? [...new Set(args)] : ['github']) as NpmSpecName[];
const codes: number[] = [];
for (const spec of chosen) {
  if (codes.length) console.log('');
  try {
    codes.push(await bench(spec));
  } catch (error) {
    console.error(`startup benchmark (${spec}): ${describeError(error)}`);
    codes.push(2);
  }
}
if (logDir) rmSync(logDir, { recursive: true, force: true });
cancelCleanup();
process.exit(codes.includes(1) ? 1 : (codes.find((code) => code !== 0) ?? 0));
