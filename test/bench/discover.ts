/**
 * `bun run bench discover`: how well plain-language search finds the operation a user means (issue 19), and how
 * fast. For each catalog with a task set in test/bench/discover-tasks/ (GitHub's 1,223 operations, from npm on
 * first use; Stripe's 468, from ../shared/specs; the demo API), every task is searched and judged found when one of its expected operations is in the
 * top 5. Also: search latency (p50, p99 over all tasks, many times over), and the index's build time and memory —
 * for Microsoft Graph's 11,422 operations too (from npm on first use; no task set there, latency and memory only).
 *
 * Target (issue 19): ≥ 90% found in the top 5, for every set; search p50 < 5 ms. Exits 1 when one is missed.
 *
 *   bun run bench discover            # every set
 *   bun run bench discover -- --misses   # and print each task that missed, with what came first
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadCatalog } from '../../src/catalog';
import { searchableTools, ToolSearch } from '../../src/catalog/search';
import { npmSpec } from '../fixtures/npm-specs';

const ROOT = resolve(import.meta.dir, '../..');
const TOP = 5;
const FOUND_TARGET = 0.9;
const P50_TARGET_MS = 5;
const showMisses = process.argv.includes('--misses');

interface TaskSet {
  readonly tasks: readonly { readonly task: string; readonly expect: readonly string[] }[];
}

const SETS: { label: string; tasks?: string; spec: () => Promise<string> }[] = [
  { label: 'GitHub', tasks: 'github.json', spec: () => npmSpec('github') },
  { label: 'Stripe', tasks: 'stripe.json', spec: async () => resolve(ROOT, '../shared/specs/stripe__openapi@63a6746/openapi/spec3.yaml') },
  { label: 'demo API', tasks: 'demo.json', spec: async () => resolve(ROOT, 'src/demo/swagger.json') },
  // no task set: how fast search is, and how big the index, for the largest catalog there is (11,422 operations)
  { label: 'MS Graph', spec: () => npmSpec('graph') },
];

/** Requests to time on a catalog without a task set of its own. */
const PROBES = ['list my calendar events', 'send an email', 'create a user', 'delete a group member', 'get the drive items of a site', 'update a team channel'];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

let failed = false;
for (const set of SETS) {
  const { tasks } = set.tasks ? (JSON.parse(readFileSync(resolve(import.meta.dir, 'discover-tasks', set.tasks), 'utf8')) as TaskSet) : { tasks: PROBES.map((task) => ({ task, expect: [] })) };
  const spec = await set.spec();
  // the real-world documents beside the project (../shared/specs) are not in every checkout: say so, measure the rest
  if (!/^https?:/.test(spec) && !existsSync(spec)) {
    console.log(`${set.label.padEnd(10)} skipped: ${spec} is not on this machine`);
    continue;
  }
  const { catalog } = await loadCatalog(spec);
  Bun.gc(true);
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const search = new ToolSearch(searchableTools(catalog));
  const buildMs = performance.now() - started;
  Bun.gc(true);
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;

  let found = 0;
  const misses: string[] = [];
  for (const { task, expect } of tasks) {
    const top = search.search(task, TOP).map((hit) => hit.name);
    if (top.some((name) => expect.includes(name))) found++;
    else misses.push(`  missed: "${task}" (wanted ${expect.join(' or ')}; got ${top.join(', ') || 'nothing'})`);
  }
  const latencies: number[] = [];
  for (let round = 0; round < 20; round++) {
    for (const { task } of tasks) {
      const at = performance.now();
      search.search(task, 10);
      latencies.push(performance.now() - at);
    }
  }
  const share = set.tasks ? found / tasks.length : 1;
  const p50 = percentile(latencies, 50);
  const ok = share >= FOUND_TARGET && p50 < P50_TARGET_MS;
  if (!ok) failed = true;
  console.log(
    `${set.label.padEnd(10)} ${String(search.size).padStart(5)} tools  ${set.tasks ? `found in top ${TOP}: ${found}/${tasks.length} (${(share * 100).toFixed(1)}%, target ≥ ${FOUND_TARGET * 100}%)` : '(latency only: no task set)'}  ` +
      `search p50 ${p50.toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms (target p50 < ${P50_TARGET_MS} ms)  index built in ${buildMs.toFixed(0)} ms, ~${heapMiB.toFixed(1)} MiB heap  ${ok ? 'PASS' : 'FAIL'}`,
  );
  if (set.tasks && (showMisses || !ok)) for (const miss of misses) console.log(miss);
}
process.exit(failed ? 1 : 0);
