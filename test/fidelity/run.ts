/**
 * `bun test/fidelity/run.ts [--max N] [--concurrency N] [--json FILE] [label…]`: the fidelity check of issue 20 as a table, one row per
 * document (labels filter the documents, case-insensitive substrings), then every call that was not accepted, one
 * line each. `--max` caps the tools called per document (80 by default, as in the test; 0 for all), `--concurrency`
 * says how many documents run at once (2); `--json` writes every call's report to FILE.
 */
import { removeTempDirs } from '../fixtures/temp';
import { DOCUMENTS, runDocuments, sharedSpecsPresent, SHARED_SPECS, table, type DocumentReport } from './harness';

const argv = process.argv.slice(2);
let maxTools = 80;
let jsonFile: string | undefined;
let concurrency = 2;
const filters: string[] = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--max') maxTools = Number(argv[++i]) || Number.POSITIVE_INFINITY;
  else if (argv[i] === '--json') jsonFile = argv[++i];
  else if (argv[i] === '--concurrency') concurrency = Math.max(1, Number(argv[++i]) || 1);
  else filters.push(argv[i]!.toLowerCase());
}

if (!sharedSpecsPresent()) console.error(`${SHARED_SPECS} is absent: only the demo API's document is checked`);
const documents = DOCUMENTS.filter((d) => (d.label === 'demo' || sharedSpecsPresent()) && (filters.length === 0 || filters.some((f) => d.label.toLowerCase().includes(f))));
let reports: DocumentReport[];
const started = performance.now();
try {
  reports = await Promise.all(runDocuments(documents, { maxTools, concurrency }));
} finally {
  removeTempDirs();
}
console.log(table(reports));
console.log(`${Math.round(performance.now() - started)} ms in all, ${concurrency} documents at a time`);
for (const call of reports.flatMap((r) => r.calls).filter((c) => c.outcome !== 'accepted')) {
  const sent = call.requests.map((r) => `${r.method} ${r.url}`).join(', ');
  console.log(`\n[${call.outcome}] ${call.document} ${call.tool} (${call.variant}) ${JSON.stringify(call.args ?? null).slice(0, 300)}${sent ? `\n  sent: ${sent.slice(0, 300)}` : ''}\n  ${call.detail.slice(0, 500)}`);
}
if (jsonFile) await Bun.write(jsonFile, JSON.stringify(reports, null, 1));
