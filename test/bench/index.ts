/**
 * `bun run bench`: the catalog on the two big real specs (GitHub's REST API, Microsoft Graph), fetched
 * from npm on first use (test/fixtures/npm-specs.ts) and cached under .cache/specs/.
 *
 * Each run is a fresh process (test/bench/catalog-build.ts), so builds start cold and peak memory
 * (maxRSS) is that run's own. Per spec it reports:
 *   - build: loadCatalog(file) → catalog, each of RUNS runs and the median;
 *   - peak RSS right after the build (max over runs), and at the end of the run;
 *   - tools/list from the cache (ToolListing, 500 tools a page): building the pages once per catalog
 *     (info), then per request the cached page bytes wrapped in a JSON-RPC response (judged), and the
 *     same with the whole catalog in one page (info: what a client that ignores cursors would cost).
 * Targets (issue 3, on a 2-core machine): GitHub build < 1 s; Graph build < 5 s and < 1 GiB;
 * tools/list from cache < 5 ms. Exits 1 when a target is missed.
 *
 * Then the tools/call benchmark (test/bench/proxy.ts, issue 4: Portico vs the API directly vs a bare Bun
 * reverse proxy, under wrk) and the store benchmark (test/bench/store.ts, issue 7: token validation and the
 * full tools/call path with SQLite in memory, a SQLite file and PostgreSQL), each in its own process; they
 * need wrk (`apt-get install wrk`), the store benchmark PostgreSQL's binaries too (`apt-get install postgresql`).
 *
 *   bun run bench            # both specs, 3 runs each, then the proxy and the store benchmarks
 *   BENCH_RUNS=1 bun run bench github
 *   bun run bench proxy      # only the proxy benchmark
 *   bun run bench store      # only the store benchmark
 *   bun run bench compare <rev> [stateless|stateful|signed-in]   # tools/call CPU cost: working tree vs a commit (test/bench/compare.ts)
 *   bun run bench discover   # plain-language search: tasks found in the top 5, latency (test/bench/discover.ts)
 *   bun run bench code       # code mode: execute's fixed cost and its cost per inner call (test/bench/code.ts)
 *   bun run bench answer     # answer sizes: UTF-8 bytes per token of real JSON answers vs BYTES_PER_TOKEN (test/bench/answer.ts)
 *   bun run bench startup [github|graph]   # launch → whole tools/list: Portico vs the peers vs a bare JSON.parse (test/bench/startup.ts)
 *
 * The peers `startup` measures Portico against (@ivotoby/openapi-mcp-server, openapi-mcp-generator's output) are
 * installed outside the project, once: `test/bench/peers/prepare.sh <dir>` (npm registry), then
 * `BENCH_PEERS=<dir> bun run bench startup`; without BENCH_PEERS it measures Portico and the floors only (exit 2).
 *
 * Exit code: 1 when a target is missed anywhere; otherwise 2 when a benchmark could not run (its own code).
 */
import { resolve } from 'node:path';
import { npmSpec, type NpmSpecName } from '../fixtures/npm-specs';
import type { BuildResult } from './catalog-build';

const ROOT = resolve(import.meta.dir, '../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SPECS: { name: NpmSpecName; label: string; buildMs: number; memoryMiB?: number }[] = [
  { name: 'github', label: 'GitHub', buildMs: 1000 },
  { name: 'graph', label: 'Microsoft Graph', buildMs: 5000, memoryMiB: 1024 },
];
const SERVE_TARGET_MS = 5;

const only = process.argv.slice(2);
if (only[0] === 'compare' || only[0] === 'discover' || only[0] === 'code' || only[0] === 'answer' || only[0] === 'startup') {
  const child = Bun.spawn([process.execPath, `test/bench/${only[0]}.ts`, ...only.slice(1)], { cwd: ROOT, stdout: 'inherit', stderr: 'inherit' });
  process.exit(await child.exited);
}
const chosen = only.length > 0 ? SPECS.filter((spec) => only.includes(spec.name)) : SPECS;
const withProxy = only.length === 0 || only.includes('proxy');
const withStore = only.length === 0 || only.includes('store');

let running: ReturnType<typeof Bun.spawn> | undefined;

/** A wrk-based benchmark (test/bench/proxy.ts, test/bench/store.ts) in its own process; its exit code. */
async function runBench(script: string): Promise<number> {
  running = Bun.spawn([process.execPath, script], { cwd: ROOT, stdout: 'inherit', stderr: 'inherit' });
  const code = await running.exited;
  running = undefined;
  return code;
}

// Ctrl-C reaches the benchmark in its process group too; a plain kill of this process is passed on. Either way
// it is waited for: it stops what it started (processes, PostgreSQL) before this process exits.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!running) process.exit(130);
    running.kill('SIGTERM');
    void running.exited.then(() => process.exit(130));
  });
}

/** One fresh process: `bun test/bench/catalog-build.ts <spec>`. */
async function runOnce(name: NpmSpecName): Promise<BuildResult> {
  const child = Bun.spawn([process.execPath, 'test/bench/catalog-build.ts', name], { cwd: ROOT, stdout: 'pipe', stderr: 'inherit' });
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  if (code !== 0) throw new Error(`bench run for ${name} exited ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as BuildResult;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmtMs = (value: number) => (value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(2)} ms`);
const fmtMiB = (value: number) => `${Math.round(value)} MiB`;

type Row = [spec: string, measure: string, value: string, target: string, result: string];
const rows: Row[] = [];
let failed = false;
const judge = (ok: boolean) => {
  if (!ok) failed = true;
  return ok ? 'PASS' : 'FAIL';
};

// `bun run bench proxy` (or `store`) alone skips the catalog part (and its header and empty table)
const withCatalog = chosen.length > 0 || !(withProxy || withStore);
if (withCatalog) console.log(`Portico catalog benchmark — bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs, ${RUNS} fresh process(es) per spec\n`);
for (const spec of chosen) {
  const path = await npmSpec(spec.name); // download outside the timed runs
  const runs: BuildResult[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await runOnce(spec.name));
  const first = runs[0]!;
  const sizeMiB = (Bun.file(path).size / 1048576).toFixed(1);
  console.log(
    `${spec.label}: ${path} (${sizeMiB} MiB) — ${first.operations} operations, ${first.tools} tools, ${first.skipped} skipped; ` +
      `all tools as JSON ${(first.wholeListBytes / 1048576).toFixed(1)} MiB`,
  );
  console.log(`  build runs: ${runs.map((run) => fmtMs(run.buildMs)).join(', ')}`);

  const buildMs = median(runs.map((run) => run.buildMs));
  rows.push([spec.label, `build (median of ${RUNS})`, fmtMs(buildMs), `< ${fmtMs(spec.buildMs)}`, judge(buildMs < spec.buildMs)]);
  const buildPeak = Math.max(...runs.map((run) => run.buildPeakMiB));
  rows.push([
    spec.label,
    'peak RSS after build (max of runs)',
    fmtMiB(buildPeak),
    spec.memoryMiB ? `< ${fmtMiB(spec.memoryMiB)}` : '-',
    spec.memoryMiB ? judge(buildPeak < spec.memoryMiB) : 'info',
  ]);
  rows.push([spec.label, 'peak RSS at end (after the tools/list runs)', fmtMiB(Math.max(...runs.map((run) => run.endPeakMiB))), '-', 'info']);
  rows.push([spec.label, `tools/list: build ${first.pages} pages (once per catalog)`, fmtMs(median(runs.map((run) => run.listingBuildMs))), '-', 'info']);
  const pageMs = median(runs.map((run) => run.pageMedianMs));
  const kib = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en')} KiB`;
  rows.push([spec.label, `tools/list from cache, ${first.pageSize}/page (median; ≤ ${kib(first.largestPageBytes)})`, fmtMs(pageMs), `< ${SERVE_TARGET_MS} ms`, judge(pageMs < SERVE_TARGET_MS)]);
  rows.push([spec.label, 'tools/list from cache, slowest request', fmtMs(Math.max(...runs.map((run) => run.pageMaxMs))), '-', 'info']);
  rows.push([spec.label, `tools/list from cache, all in one page (${kib(first.wholeListBytes)})`, fmtMs(median(runs.map((run) => run.wholeListMs))), '-', 'info']);
}

const header: Row = ['spec', 'measure', 'value', 'target', 'result'];
const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]!.length)));
const line = (row: Row) => row.map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
if (withCatalog) {
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
  if (failed) console.log('Some targets were missed (FAIL above).');
}
const codes = [failed ? 1 : 0];
if (withProxy) {
  if (withCatalog) console.log('');
  codes.push(await runBench('test/bench/proxy.ts'));
}
if (withStore) {
  if (withCatalog || withProxy) console.log('');
  codes.push(await runBench('test/bench/store.ts'));
}
process.exit(codes.includes(1) ? 1 : (codes.find((code) => code !== 0) ?? 0));
