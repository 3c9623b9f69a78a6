/**
 * `bun run bench compare <rev> [stateless|stateful|signed-in]`: what the working tree changes in a tools/call's CPU
 * cost, next to commit `<rev>`, on the wire. `signed-in`: stateless gateways with sign-in (a real token checked in
 * a SQLite store, every call audited: `startSignedInGateway`), as every real deployment runs.
 *
 * The proxy benchmark's figures move by 20–30% when the 2-core VM speeds up or slows down, more than most
 * single changes save, so two runs of it cannot tell whether a change helped. Here two gateways run side by
 * side in front of one demo API: one from `<rev>` (checked out into a temporary git worktree that shares
 * this checkout's node_modules), one from the working tree. wrk drives them in turn, BENCH_COMPARE_SECONDS
 * (default 3) each, for BENCH_COMPARE_ROUNDS rounds (default 10, the order swapped every round), and each
 * run's figure is the gateway's CPU time per request (from /proc). Runs seconds apart see nearly the same
 * machine, so the median of the paired differences (working tree − `<rev>`) moves by a few µs between
 * repeats where the absolute figures move by 20 µs or more: repeat a comparison, or raise the rounds, before
 * believing a difference under ~5 µs. It reports CPU, not requests/s: on this machine the two are bound
 * together, and CPU is what a change can make smaller.
 *
 *   bun run bench compare HEAD~3
 *   BENCH_COMPARE_ROUNDS=16 bun run bench compare main stateful
 *
 * Needs wrk. Exit code 0, or 2 when it cannot run (bad revision, wrk missing, a gateway does not start).
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CALL_BODY,
  type Child,
  cpuMs,
  describeError,
  expectToolResult,
  login,
  luaScript,
  MCP_HEADERS,
  mcpPost,
  median,
  onInterrupt,
  positive,
  removeBenchFolders,
  removeWrkScripts,
  ROOT,
  sessionHeaders,
  SetupError,
  startDemoApi,
  startGateway,
  startSignedInGateway,
  stopAll,
  toolCallScript,
  wrk,
  wrkVersion,
} from './harness';

const SECONDS = positive('BENCH_COMPARE_SECONDS', 3);
const ROUNDS = positive('BENCH_COMPARE_ROUNDS', 10);
const CONNECTIONS = 16;

interface Side {
  readonly label: string;
  readonly child: Child;
  readonly url: string;
  readonly script: string;
  readonly usPerRequest: number[];
}

function git(...args: string[]): string {
  const result = Bun.spawnSync(['git', ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  if (result.exitCode !== 0) throw new SetupError(`git ${args.join(' ')}: ${result.stderr.toString().trim()}`);
  return result.stdout.toString().trim();
}

type Mode = 'stateless' | 'stateful' | 'signed-in';

/** A gateway ready for wrk: sessions opened in stateful mode, a token got when signed in, one call checked. */
async function side(label: string, mode: Mode, api: string, token: string, root: string): Promise<Side> {
  if (mode === 'signed-in') {
    const [child, url, headers] = await startSignedInGateway(api, root);
    const answer = await mcpPost(url, CALL_BODY, headers);
    expectToolResult(await answer.text(), label);
    return { label, child, url, script: luaScript('POST', { ...MCP_HEADERS, ...headers }, CALL_BODY), usPerRequest: [] };
  }
  const [child, url] = await startGateway(mode, api, token, root);
  const { script, sessions } = await toolCallScript(url, mode, CONNECTIONS);
  const answer = await mcpPost(url, CALL_BODY, sessions[0] === undefined ? {} : sessionHeaders(sessions[0]));
  expectToolResult(await answer.text(), label);
  return { label, child, url, script, usPerRequest: [] };
}

/** One wrk run against `side`; its gateway's CPU time per request, µs. */
async function run(target: Side, seconds: number): Promise<number> {
  const before = cpuMs(target.child);
  const result = await wrk(target.url, target.script, { seconds, threads: 1, connections: CONNECTIONS });
  const after = cpuMs(target.child);
  if (result.errors > 0) throw new SetupError(`${target.label}: ${result.errors} failed requests`);
  if (before === undefined || after === undefined) throw new SetupError('the CPU time of a process cannot be read (no /proc)');
  return ((after - before) * 1000) / result.requests;
}

async function main(): Promise<number> {
  const [rev, mode = 'stateless'] = process.argv.slice(2);
  if (!rev || (mode !== 'stateless' && mode !== 'stateful' && mode !== 'signed-in')) {
    console.error('usage: npm run bench compare <git revision> [stateless|stateful|signed-in]');
    return 2;
  }
  if (!(await wrkVersion())) {
    console.error('bench compare needs wrk (the load generator), which is not installed: apt-get install wrk');
    return 2;
  }
  const commit = git('rev-parse', '--verify', `${rev}^{commit}`);
  const dir = mkdtempSync(join(tmpdir(), 'portico-compare-'));
  const removeWorktree = () => {
    Bun.spawnSync(['git', 'worktree', 'remove', '--force', dir], { cwd: ROOT });
    rmSync(dir, { recursive: true, force: true });
  };
  const cancel = onInterrupt(removeWorktree);
  try {
    git('worktree', 'add', '--detach', dir, commit);
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const dirty = git('status', '--porcelain', '--untracked-files=no') ? ' (with uncommitted changes)' : '';
    console.log(`Portico compare — ${mode} tools/call, CPU time per request of each gateway; ${ROUNDS} rounds of wrk -t1 -c${CONNECTIONS} -d${SECONDS}s each\n`);

    const [, api] = await startDemoApi();
    const token = await login(api);
    const base = await side(`${rev} (${commit.slice(0, 12)})`, mode, api, token, dir);
    const work = await side(`working tree${dirty}`, mode, api, token, ROOT);
    for (const target of [base, work]) await run(target, SECONDS); // JIT, connection pools, caches
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of round % 2 ? [work, base] : [base, work]) target.usPerRequest.push(await run(target, SECONDS));
    }

    const differences = work.usPerRequest.map((us, i) => us - base.usPerRequest[i]!);
    const signed = (us: number) => `${us >= 0 ? '+' : '−'}${Math.abs(us).toFixed(1)} µs`;
    const width = Math.max(base.label.length, work.label.length);
    for (const target of [base, work]) console.log(`${target.label.padEnd(width)}  median ${median(target.usPerRequest).toFixed(1)} µs/request   runs ${target.usPerRequest.map((us) => us.toFixed(0)).join(' ')}`);
    const sorted = [...differences].sort((a, b) => a - b);
    console.log(`\nworking tree − ${rev}: median of the paired differences ${signed(median(differences))} per request (range ${signed(sorted[0]!)} … ${signed(sorted.at(-1)!)})`);
    return 0;
  } finally {
    cancel();
    await stopAll();
    removeWrkScripts();
    removeBenchFolders();
    removeWorktree();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`bench compare could not run: ${describeError(error)}`);
  await stopAll();
  process.exitCode = 2;
}
