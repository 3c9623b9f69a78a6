/**
 * One benchmark run in a fresh process (spawned by test/bench/index.ts, one process per run, so each
 * build starts cold and its peak memory is its own):
 *
 *   bun test/bench/catalog-build.ts <github|graph|path/to/spec> [serveRuns=50]
 *
 * Prints one JSON line on stdout: build time, peak RSS after the build, and what serving tools/list from
 * the catalog's ToolListing costs — building the pages once, then per request: the cached page bytes
 * wrapped in a JSON-RPC response (what goes on the wire).
 */
import { DEFAULT_PAGE_SIZE, loadCatalog, ToolListing } from '../../src/catalog';
import { npmSpec, type NpmSpecName } from '../fixtures/npm-specs';

export interface BuildResult {
  readonly spec: string;
  readonly operations: number;
  readonly tools: number;
  readonly skipped: number;
  readonly buildMs: number;
  /** maxRSS right after the build, MiB (what building costs). */
  readonly buildPeakMiB: number;
  readonly pageSize: number;
  readonly pages: number;
  /** Building every page once (after a build). */
  readonly listingBuildMs: number;
  /** One tools/list request from the cache (page bytes in a JSON-RPC envelope), median and slowest over `serveRuns`. */
  readonly pageMedianMs: number;
  readonly pageMaxMs: number;
  readonly largestPageBytes: number;
  /** The same with the whole catalog in one page. */
  readonly wholeListMs: number;
  readonly wholeListBytes: number;
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

/** Per-request cost of answering tools/list from `listing`, cycling through its pages. */
function serve(listing: ToolListing): { times: number[]; largest: number } {
  const cursors: (string | undefined)[] = [undefined];
  while (cursors.length < listing.pageCount) cursors.push(listing.page(cursors.at(-1)).nextCursor);
  for (const cursor of cursors) listing.pageBytes(cursor);
  const close = Buffer.from('}');
  // No forced GC inside the timed loop: right after Bun.gc() allocations pay for lazy sweeping.
  Bun.gc(true);
  const times: number[] = [];
  let largest = 0;
  for (let i = 0; i < serveRuns; i++) {
    const cursor = cursors[i % cursors.length];
    const begin = Bun.nanoseconds();
    const body = Buffer.concat([Buffer.from(`{"jsonrpc":"2.0","id":${i},"result":`), listing.pageBytes(cursor), close]);
    times.push(ms(begin));
    largest = Math.max(largest, body.byteLength);
  }
  return { times, largest };
}

const listing = new ToolListing(catalog.entries, DEFAULT_PAGE_SIZE);
start = Bun.nanoseconds();
for (let cursor: string | undefined, first = true; first || cursor; first = false) {
  listing.pageBytes(cursor);
  cursor = listing.page(cursor).nextCursor;
}
const listingBuildMs = ms(start);
const paged = serve(listing);
const whole = serve(new ToolListing(catalog.entries, Math.max(1, catalog.entries.length)));

const result: BuildResult = {
  spec: arg,
  operations: catalog.operationCount,
  tools: catalog.entries.length,
  skipped: catalog.skipped.length,
  buildMs,
  buildPeakMiB,
  pageSize: listing.pageSize,
  pages: listing.pageCount,
  listingBuildMs,
  pageMedianMs: median(paged.times),
  pageMaxMs: Math.max(...paged.times),
  largestPageBytes: paged.largest,
  wholeListMs: median(whole.times),
  wholeListBytes: whole.largest,
  endPeakMiB: peakMiB(),
};
console.log(JSON.stringify(result));
