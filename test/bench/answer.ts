/**
 * `bun run bench answer`: is `BYTES_PER_TOKEN` (src/calls/answer/budget.ts) on the safe side? The gateway estimates
 * an answer's tokens as its UTF-8 bytes / BYTES_PER_TOKEN; too high a ratio under-counts, and an answer "within
 * budget" overflows the client's limit. This tokenizes real JSON answers and reports bytes per token:
 *
 *   - demo API answers: the bundled demo API started in process, grown with more records (projects, databases,
 *     backups, roles) so that its list endpoints give large pages, then read as a signed-in user: projects at 100
 *     and 50 a page, databases, backups, roles, org members, query statistics, and metrics at a 1-minute step over
 *     1 and 3 days (each metric) and 10 days (~1 MB);
 *   - API examples: every response `example` / `examples` value (objects and arrays; request bodies, parameters
 *     and vendor `x-` extensions skipped) of real OpenAPI documents: GitHub's (from npm on first use,
 *     test/fixtures/npm-specs.ts), and Twilio's, OpenAI's, DigitalOcean's, Slack's, Supabase's and Stripe's from
 *     ../shared/specs when that folder is there, each distinct text once.
 *
 * Samples of 2 KB or less are left out (small answers never need fitting).
 * Every sample is JSON.stringify'd compactly, as the gateway passes an answer on. Tokenizers: Anthropic's published
 * one (@anthropic-ai/tokenizer, the Claude 2 vocabulary: the only one Anthropic published) and OpenAI's o200k_base
 * and cl100k_base (js-tiktoken). Per kind of sample and tokenizer: min, p10, median, max of bytes/token, and for
 * BYTES_PER_TOKEN the share of samples whose true count exceeds the estimate, and the worst excess. Then the time
 * shortenJson (src/calls/answer/shorten.ts) takes to fit the largest demo answer to the default budget.
 *
 * No target: it reports (exit 0), or exits 2 when it could not run.
 *
 *   bun run bench answer
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { getTokenizer } from '@anthropic-ai/tokenizer';
import { getEncoding } from 'js-tiktoken';
import { parse as parseYaml } from 'yaml';
import { BYTES_PER_TOKEN, DEFAULT_BUDGET_TOKENS } from '../../src/calls/answer/budget';
import { shortenJson } from '../../src/calls/answer/shorten';
import { DEMO_USERS, SEED_IDS, startDemoApi } from '../../src/demo';
import { npmSpec } from '../fixtures/npm-specs';

const ROOT = resolve(import.meta.dir, '../..');
const SPECS = resolve(ROOT, '../shared/specs');
/** Examples under this many bytes are left out: small answers never need fitting. */
const MIN_EXAMPLE_BYTES = 2048;
const TIMING_RUNS = 5;
/** Claude Code's cut of a tool's output, in tokens (its MAX_MCP_OUTPUT_TOKENS default). */
const CLIENT_CUT_TOKENS = 25_000;

interface Sample {
  readonly kind: string;
  readonly label: string;
  readonly text: string;
  readonly value: unknown;
}

const bytesOf = (text: string) => Buffer.byteLength(text, 'utf8');

// ---- demo API answers ---------------------------------------------------------------------------------------

async function demoSamples(): Promise<Sample[]> {
  const demo = await startDemoApi({ port: 0, slowMs: 0, settleMs: 0 });
  try {
    const alice = DEMO_USERS[0]!;
    const login = await fetch(`${demo.baseUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: alice.email, password: alice.password }),
    });
    if (!login.ok) throw new Error(`demo login failed: ${login.status} ${await login.text()}`);
    const { token } = (await login.json()) as { token: string };
    const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
      const response = await fetch(`${demo.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response.json();
    };

    // grow the seed (5 projects, one database each) into pages worth fitting
    const { projects, databases, orgs } = SEED_IDS;
    const words = ['billing', 'checkout', 'search', 'catalog', 'auth', 'events', 'ledger', 'reports', 'inventory', 'notifications', 'payments', 'media'];
    const regions = ['aws-us-east-1', 'aws-us-west-2', 'aws-eu-central-1', 'aws-ap-southeast-1', 'gcp-europe-west1'];
    const plans = ['free', 'starter', 'pro', 'enterprise'];
    for (let i = 0; i < 95; i++) {
      const word = words[i % words.length]!;
      await call('POST', '/projects', {
        org_id: i % 3 === 0 ? orgs.acmeLabs : orgs.acme,
        name: `${word}-${['api', 'worker', 'etl', 'web'][i % 4]}-${i}`,
        ...(i % 5 !== 0 && { description: `Databases for the ${word} ${['service', 'pipeline', 'team', 'experiments'][i % 4]} (${regions[i % 5]})` }),
        ...(i % 2 === 0 && { default_region: regions[i % 5] }),
      });
    }
    const billingPath = `/projects/${projects.billing}/databases`;
    for (let i = 0; i < 60; i++) {
      await call('POST', billingPath, {
        name: `${words[i % words.length]}_${['prod', 'staging', 'dev', 'replica'][i % 4]}_${i}`,
        plan: plans[i % 4],
        ...(i % 3 === 0 && { region: regions[i % 5] }),
        postgres_version: [14, 15, 16, 17][i % 4],
        size_gb: [10, 20, 50, 100, 250, 500][i % 6],
      });
    }
    const prodPath = `${billingPath}/${databases.billingProd}`;
    for (let i = 0; i < 60; i++) await call('POST', `${prodPath}/backups`, { label: i % 3 === 0 ? '' : `before-migration-${43 + i}`, retention_days: 1 + (i % 35) });
    for (let i = 0; i < 50; i++) {
      await call('POST', `${prodPath}/roles`, {
        name: `${words[i % words.length]}_${['reader', 'writer', 'svc', 'etl'][i % 4]}_${i}`,
        login: i % 4 !== 3,
        member_of: i % 2 === 0 ? ['readonly'] : [],
        ...(i % 3 === 0 && { password: 'correct-horse-battery' }),
      });
    }

    const samples: Sample[] = [];
    const add = async (kind: string, label: string, path: string) => {
      const value = await call('GET', path);
      samples.push({ kind, label, text: JSON.stringify(value), value });
    };
    await add('demo: records', 'projects ?per_page=100', '/projects?per_page=100');
    await add('demo: records', 'projects ?per_page=50&page=2', '/projects?per_page=50&page=2');
    await add('demo: records', 'databases (billing)', billingPath);
    await add('demo: records', 'backups (billing_prod)', `${prodPath}/backups`);
    await add('demo: records', 'roles (billing_prod)', `${prodPath}/roles`);
    await add('demo: records', 'members (acme)', `/orgs/${orgs.acme}/members`);
    for (const order of ['total_time', 'mean_time', 'calls', 'rows']) await add('demo: records', `query-stats ${order}`, `${prodPath}/query-stats?order_by=${order}&limit=100`);
    const now = Date.now();
    for (const metric of ['cpu_percent', 'memory_percent', 'storage_used_bytes', 'connections', 'iops']) {
      for (const days of [1, 3]) {
        const from = new Date(now - days * 86_400_000).toISOString();
        await add('demo: metrics', `metrics ${metric} ${days}d 1m`, `${prodPath}/metrics?metric=${metric}&step=1m&from=${from}`);
      }
    }
    const from = new Date(now - 10 * 86_400_000).toISOString();
    await add('demo: metrics', 'metrics cpu_percent 10d 1m', `${prodPath}/metrics?metric=cpu_percent&step=1m&from=${from}`);
    return samples.filter((sample) => bytesOf(sample.text) > MIN_EXAMPLE_BYTES);
  } finally {
    await demo.stop();
  }
}

// ---- examples in OpenAPI documents --------------------------------------------------------------------------

/**
 * Every example value (objects and arrays) in `node`, with where it is: `example`, OAS 3 `examples` (maps of
 * `{value}`), Swagger 2 `examples` (maps by media type), schema `examples` (lists).
 */
function collectExamples(node: unknown, path: string, out: { path: string; value: unknown }[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, index) => collectExamples(item, `${path}/${index}`, out));
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-')) continue; // vendor extensions: code samples and the like, not payloads
    const at = `${path}/${key}`;
    if (key === 'example') {
      if (value && typeof value === 'object') out.push({ path: at, value });
    } else if (key === 'examples' && value && typeof value === 'object') {
      const entries = Array.isArray(value)
        ? value.map((entry, index) => [`${at}/${index}`, entry] as const)
        : Object.entries(value).map(([name, entry]) => [`${at}/${name}`, name.includes('/') ? entry : (entry as { value?: unknown } | null)?.value] as const);
      for (const [where, entry] of entries) if (entry && typeof entry === 'object') out.push({ path: where, value: entry });
    } else {
      collectExamples(value, at, out);
    }
  }
}

/**
 * An example of a response: under an operation's `responses` (or in a file of DigitalOcean's `responses/` folders),
 * or a shared one in `components/examples` (GitHub's: the responses' payloads); not of a request body or parameter.
 */
function isResponseExample(path: string): boolean {
  return /\/(responses|components\/examples)\//.test(path) && !/\/(requestBody|requestBodies|parameters)\//.test(path);
}

function documentsUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? documentsUnder(path) : /\.(ya?ml|json)$/.test(name) ? [path] : [];
  });
}

const SPEC_SOURCES: { label: string; files: () => Promise<string[]> }[] = [
  { label: 'GitHub', files: async () => [await npmSpec('github')] },
  { label: 'Twilio', files: async () => documentsUnder(join(SPECS, 'twilio__twilio-oai@d50069b/spec/yaml')) },
  { label: 'OpenAI', files: async () => [join(SPECS, 'openai__openai-openapi@f85dbe2/openapi.yaml')] },
  { label: 'DigitalOcean', files: async () => documentsUnder(join(SPECS, 'digitalocean__openapi@7c1300c/specification')) },
  { label: 'Slack', files: async () => [join(SPECS, 'slackapi__slack-api-specs@bc08db4/web-api/slack_web_openapi_v2.json')] },
  {
    label: 'Supabase',
    files: async () => [join(SPECS, 'supabase__cli@1d1e719/packages/api/src/generated/openapi.json'), join(SPECS, 'supabase__cli@2ac3b73/api/beta.yaml')],
  },
  { label: 'Stripe', files: async () => [join(SPECS, 'stripe__openapi@e0123a3/openapi/spec3.json'), join(SPECS, 'stripe__openapi@63a6746/openapi/spec3.yaml')] },
];

async function exampleSamples(): Promise<{ samples: Sample[]; found: string[] }> {
  const samples: Sample[] = [];
  const found: string[] = [];
  const seen = new Set<string>();
  for (const source of SPEC_SOURCES) {
    let files: string[];
    try {
      files = (await source.files()).filter((file) => existsSync(file));
    } catch (error) {
      found.push(`${source.label}: skipped (${(error as Error).message})`);
      continue;
    }
    if (files.length === 0) {
      found.push(`${source.label}: skipped (not on this machine)`);
      continue;
    }
    const values: { path: string; value: unknown }[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      collectExamples(file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: -1 }), relative(ROOT, file), values);
    }
    let kept = 0;
    for (const { path, value } of values) {
      if (!isResponseExample(path)) continue;
      const text = JSON.stringify(value);
      if (bytesOf(text) <= MIN_EXAMPLE_BYTES || seen.has(text)) continue;
      seen.add(text);
      kept++;
      samples.push({ kind: `examples: ${source.label}`, label: path.length > 90 ? `…${path.slice(-89)}` : path, text, value });
    }
    found.push(`${source.label}: ${kept} of ${values.length}`);
  }
  return { samples, found };
}

// ---- tokenizers ---------------------------------------------------------------------------------------------

const claude = getTokenizer();
const o200k = getEncoding('o200k_base');
const cl100k = getEncoding('cl100k_base');
const TOKENIZERS: { name: string; count: (text: string) => number }[] = [
  // as @anthropic-ai/tokenizer's countTokens does (which builds and frees a tokenizer per call)
  { name: 'claude (@anthropic-ai/tokenizer)', count: (text) => claude.encode(text.normalize('NFKC'), 'all').length },
  { name: 'o200k_base (js-tiktoken)', count: (text) => o200k.encode(text, 'all').length },
  { name: 'cl100k_base (js-tiktoken)', count: (text) => cl100k.encode(text, 'all').length },
];

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

// ---- run ----------------------------------------------------------------------------------------------------

console.log(`Portico answer-size benchmark — bun ${Bun.version}; BYTES_PER_TOKEN = ${BYTES_PER_TOKEN}\n`);
let demo: Sample[];
let examples: { samples: Sample[]; found: string[] };
try {
  demo = await demoSamples();
  examples = await exampleSamples();
} catch (error) {
  console.error(`could not gather samples: ${(error as Error).stack ?? error}`);
  process.exit(2);
}
const demoBytes = demo.map((sample) => bytesOf(sample.text));
console.log(`demo API answers: ${demo.length} (${demo.map((sample, i) => `${sample.label} ${(demoBytes[i]! / 1024).toFixed(0)} KiB`).join(', ')})`);
console.log(`API examples over ${MIN_EXAMPLE_BYTES / 1024} KiB, distinct (kept of all found): ${examples.found.join('; ')}\n`);

const samples = [...demo, ...examples.samples];
const kinds = [...new Set(samples.map((sample) => sample.kind))];
// per sample, per tokenizer: bytes per token
const ratios = samples.map((sample) => {
  const bytes = bytesOf(sample.text);
  return { sample, bytes, perTokenizer: TOKENIZERS.map((tokenizer) => bytes / tokenizer.count(sample.text)) };
});

type Row = string[];
const rows: Row[] = [];
const estimate = (bytes: number) => Math.ceil(bytes / BYTES_PER_TOKEN);
const summarize = (kind: string, group: typeof ratios, t: number): Row => {
  const values = group.map((entry) => entry.perTokenizer[t]!).sort((a, b) => a - b);
  // a sample's true token count is bytes / ratio; the estimate is ceil(bytes / BYTES_PER_TOKEN)
  const excess = group.map((entry) => entry.bytes / entry.perTokenizer[t]! / estimate(entry.bytes) - 1);
  const over = excess.filter((value) => value > 1e-9);
  return [
    kind,
    TOKENIZERS[t]!.name.split(' ')[0]!,
    String(group.length),
    values[0]!.toFixed(2),
    quantile(values, 0.1).toFixed(2),
    median(values).toFixed(2),
    values.at(-1)!.toFixed(2),
    `${over.length}/${group.length}`,
    over.length ? `+${(Math.max(...over) * 100).toFixed(1)}%` : '-',
  ];
};
for (const kind of [...kinds, 'all']) {
  const group = kind === 'all' ? ratios : ratios.filter((entry) => entry.sample.kind === kind);
  for (let t = 0; t < TOKENIZERS.length; t++) rows.push(summarize(kind, group, t));
}
const header: Row = ['kind', 'tokenizer', 'n', 'min', 'p10', 'median', 'max', `> est (${BYTES_PER_TOKEN} B/tok)`, 'worst'];
const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]!.length)));
const line = (row: Row) => row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
console.log('UTF-8 bytes per token, compact JSON:');
console.log(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
let previousKind = '';
for (const row of rows) {
  if (previousKind && row[0] !== previousKind) console.log('');
  previousKind = row[0]!;
  console.log(line(row));
}

console.log('');
/** Other ratios the estimate could use, for comparison. */
const CANDIDATES = [...new Set([BYTES_PER_TOKEN, 2.5, 2, 1.5])];
for (let t = 0; t < TOKENIZERS.length; t++) {
  const lowest = ratios.reduce((low, entry) => (entry.perTokenizer[t]! < low.perTokenizer[t]! ? entry : low));
  const under = (perToken: number) => ratios.filter((entry) => entry.bytes / entry.perTokenizer[t]! > Math.ceil(entry.bytes / perToken)).length;
  console.log(
    `${TOKENIZERS[t]!.name}: samples with more tokens than estimated at ${CANDIDATES.map((perToken) => `${perToken} B/token ${under(perToken)}/${ratios.length}`).join(', ')}; ` +
      `lowest ratio ${lowest.perTokenizer[t]!.toFixed(2)} B/token (${lowest.sample.label}, ${(lowest.bytes / 1024).toFixed(1)} KiB)`,
  );
}

// an answer filled to the default budget overflows the client's cut when its true ratio is below this
const cutRatio = (BYTES_PER_TOKEN * DEFAULT_BUDGET_TOKENS) / CLIENT_CUT_TOKENS;
console.log(
  `\nFilled to the default budget (${DEFAULT_BUDGET_TOKENS.toLocaleString('en')} estimated tokens), an answer passes the client's ` +
    `${CLIENT_CUT_TOKENS.toLocaleString('en')}-token cut only at ≥ ${cutRatio.toFixed(2)} B/token; below it: ` +
    TOKENIZERS.map((tokenizer, t) => `${tokenizer.name.split(' ')[0]} ${ratios.filter((entry) => entry.perTokenizer[t]! < cutRatio).length}/${ratios.length}`).join(', '),
);

// ---- shortenJson on the largest demo answer -----------------------------------------------------------------
const largest = demo.reduce((big, sample) => (bytesOf(sample.text) > bytesOf(big.text) ? sample : big));
const maxBytes = DEFAULT_BUDGET_TOKENS * BYTES_PER_TOKEN;
const times: number[] = [];
let shortened: ReturnType<typeof shortenJson>;
for (let i = 0; i < TIMING_RUNS; i++) {
  const started = performance.now();
  shortened = shortenJson(largest.value, maxBytes);
  times.push(performance.now() - started);
}
console.log(
  `\nshortenJson: ${largest.label} (${(bytesOf(largest.text) / 1024).toFixed(0)} KiB) to ${maxBytes.toLocaleString('en')} bytes ` +
    `(${DEFAULT_BUDGET_TOKENS.toLocaleString('en')} tokens × ${BYTES_PER_TOKEN}): median of ${TIMING_RUNS} ${median(times).toFixed(1)} ms ` +
    `(runs ${times.map((time) => time.toFixed(1)).join(', ')}); result ${shortened ? `${bytesOf(shortened.text).toLocaleString('en')} bytes` : 'does not fit'}`,
);
claude.free();
process.exit(0);
