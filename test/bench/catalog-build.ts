/**
 * One benchmark run in a fresh process (spawned by test/bench/index.ts, one process per run, so each
 * build starts cold and its peak memory is its own):
 *
 *   bun test/bench/catalog-build.ts <github|graph|path/to/spec> [serveRuns=50]
 *
 * Prints one JSON line on stdout: build time, peak RSS after the build, the time to produce the
 * `{"tools":[...]}` text (JSON.stringify, median of serveRuns), the time to answer from that text once
 * cached (and from its UTF-8 bytes once cached), and the peak RSS at the end.
 */
import { loadCatalog } from '../../src/catalog';
import { npmSpec, type NpmSpecName } from '../fixtures/npm-specs';

export interface BuildResult {
  readonly spec: string;
  readonly operations: number;
  readonly tools: number;
  readonly skipped: number;
  readonly buildMs: number;
  /** maxRSS right after the build, MiB (what building costs). */
  readonly buildPeakMiB: number;
  /** `JSON.stringify({ tools })`, median over `serveRuns`. */
  readonly stringifyMs: number;
  /** From the cached text: a JSON-RPC response around it, encoded to bytes, median over `serveRuns`. */
  readonly cachedTextMs: number;
  /** From cached UTF-8 bytes of the text: the JSON-RPC response assembled around them, median over `serveRuns`. */
  readonly cachedBytesMs: number;
  readonly toolsJsonBytes: number;
  /** maxRSS at the end of the run, MiB. */
  readonly endPeakMiB: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (start: number) => (Bun.nanoseconds() - start) / 1e6;
const peakMiB = () => process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

const [arg, runsArg] = process.argv.slice(2);
if (!arg) {
  console.error('usage: bun test/bench/catalog-build.ts <github|graph|path> [serveRuns]');
  process.exit(2);
}
const serveRuns = Number(runsArg ?? 50);
const path = arg === 'github' || arg === 'graph' ? await npmSpec(arg as NpmSpecName) : arg;

let start = Bun.nanoseconds();
const { catalog } = await loadCatalog(path);
const buildMs = ms(start);
const buildPeakMiB = peakMiB();

// No forced GC inside the timed loops: right after Bun.gc() allocations pay for lazy sweeping and the
// figures double. Collecting between the loops keeps the dead copies of Graph's text from piling up across them.
Bun.gc(true);
const stringifyTimes: number[] = [];
let text = '';
for (let i = 0; i < serveRuns; i++) {
  start = Bun.nanoseconds();
  text = JSON.stringify({ tools: catalog.entries.map((entry) => entry.tool) });
  stringifyTimes.push(ms(start));
}

// What a tools/list answer costs once the serving layer keeps `text`: wrap it and turn it into bytes.
Bun.gc(true);
const cachedTimes: number[] = [];
let bytes = 0;
for (let i = 0; i < serveRuns; i++) {
  start = Bun.nanoseconds();
  const body = Buffer.from(`{"jsonrpc":"2.0","id":${i},"result":${text}}`);
  cachedTimes.push(ms(start));
  bytes = body.byteLength;
}

// The same with the text's UTF-8 bytes cached too: only the envelope (the request id) is new per answer.
const cachedBytes = Buffer.from(text);
const close = Buffer.from('}');
Bun.gc(true);
const bytesTimes: number[] = [];
let last = 0;
for (let i = 0; i < serveRuns; i++) {
  start = Bun.nanoseconds();
  const body = Buffer.concat([Buffer.from(`{"jsonrpc":"2.0","id":${i},"result":`), cachedBytes, close]);
  bytesTimes.push(ms(start));
  last = body.byteLength;
}
if (last !== bytes) throw new Error('the two ways of serving disagree');

const result: BuildResult = {
  spec: arg,
  operations: catalog.operationCount,
  tools: catalog.entries.length,
  skipped: catalog.skipped.length,
  buildMs,
  buildPeakMiB,
  stringifyMs: median(stringifyTimes),
  cachedTextMs: median(cachedTimes),
  cachedBytesMs: median(bytesTimes),
  toolsJsonBytes: Buffer.byteLength(text),
  endPeakMiB: peakMiB(),
};
console.log(JSON.stringify(result));
