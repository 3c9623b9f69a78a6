/**
 * Issue 20's fidelity check, shared by the test (fidelity.test.ts) and the runner (run.ts): for each real document,
 * a real gateway (test/fixtures/gateway) in front of a validating upstream (./validator) lists its tools, calls a
 * deterministic sample of them over real HTTP with schema-valid arguments (./arguments), and every call is classified:
 * - accepted: exactly one request reached the upstream and the document accepts it;
 * - rejected: a request reached the upstream and the document rejects it (Prism's errors kept);
 * - cut: rejected, but the arguments filled a part of the input schema Portico did not expand to keep it small
 *   (catalog/fit's "(not expanded here …)" stubs): the schema the agent saw allowed anything there;
 * - unverified: the validator could not check it (a schema of the document Ajv cannot compile: OpenAI's `nullable`
 *   without `type`, DigitalOcean's patterns that are not valid Unicode regular expressions) — not Portico's fault;
 * - refused: the gateway answered a tool error and no request reached the upstream;
 * - other: anything else (a JSON-RPC error, several requests, a tool error after an accepted request);
 * - skipped: the generator's arguments did not fit the tool's own schema (not sent).
 */
import { resolve } from 'node:path';
import { startTestGateway } from '../fixtures/gateway';
import { MCP_HEADERS } from '../fixtures/oauth-http';
import { SHARED_SPECS } from '../fixtures/shared-specs';
import { tempDir } from '../fixtures/temp';
import { generateArguments, hash, type Variant } from './arguments';
import { startValidatingUpstreamInWorker, type Verdict } from './validator';

const ROOT = resolve(import.meta.dir, '../..');
export { SHARED_SPECS, sharedSpecsPresent } from '../fixtures/shared-specs';

export interface FidelityDocument {
  readonly label: string;
  readonly file: string;
}

const shared = (path: string) => resolve(SHARED_SPECS, path);

/** The documents of issue 20's first run, from ../shared/specs, and the demo API's. */
export const DOCUMENTS: readonly FidelityDocument[] = [
  { label: 'demo', file: resolve(ROOT, 'src/demo/swagger.json') },
  { label: 'petstore (swagger-api, 3.0)', file: shared('swagger-api__swagger-petstore@f1ed336/src/main/resources/openapi.yaml') },
  { label: 'petstore (OAI 2.0)', file: shared('OAI__OpenAPI-Specification@207aa21/examples/v2.0/json/petstore.json') },
  { label: 'petstore (OAI 3.0)', file: shared('OAI__OpenAPI-Specification@207aa21/examples/v3.0/petstore.json') },
  { label: 'Slack', file: shared('slackapi__slack-api-specs@bc08db4/web-api/slack_web_openapi_v2.json') },
  { label: 'Netlify', file: shared('netlify__open-api@6508031/swagger.yml') },
  { label: 'Twilio api v2010', file: shared('twilio__twilio-oai@d50069b/spec/yaml/twilio_api_v2010.yaml') },
  { label: 'Twilio messaging', file: shared('twilio__twilio-oai@d50069b/spec/yaml/twilio_messaging_v1.yaml') },
  { label: 'Supabase', file: shared('supabase__cli@1d1e719/packages/api/src/generated/openapi.json') },
  { label: 'OpenAI', file: shared('openai__openai-openapi@f85dbe2/openapi.yaml') },
  { label: 'Discord', file: shared('discord__discord-api-spec@74fda0f/specs/openapi.json') },
  { label: 'DigitalOcean', file: shared('digitalocean__openapi@7c1300c/specification/DigitalOcean-public.v2.yaml') },
];


export type Outcome = 'accepted' | 'rejected' | 'cut' | 'unverified' | 'refused' | 'other' | 'skipped';

export interface CallReport {
  readonly document: string;
  readonly tool: string;
  readonly variant: Variant;
  readonly args?: Record<string, unknown>;
  readonly outcome: Outcome;
  /** The validator's errors (rejected), the gateway's message (refused, other), the generator's (skipped). */
  readonly detail: string;
  readonly requests: readonly Verdict[];
}

export interface DocumentReport {
  readonly label: string;
  readonly tools: number;
  /** Operations Prism read from the document. */
  readonly operations: number;
  /** Tools called (the sample). */
  readonly sampled: number;
  readonly counts: Record<Outcome, number>;
  readonly calls: readonly CallReport[];
  readonly ms: number;
}

interface ListedTool {
  name: string;
  inputSchema: object;
}

interface ToolAnswer {
  result?: { isError?: boolean; content?: { type: string; text?: string }[] };
  error?: { code: number; message: string };
}

async function rpc<T>(mcpUrl: string, method: string, params: Record<string, unknown>): Promise<T> {
  const response = await fetch(mcpUrl, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as T | null;
    if (parsed !== null && typeof parsed === 'object') return parsed;
  } catch {}
  return { error: { code: response.status, message: `HTTP ${response.status}: ${text.slice(0, 300)}` } } as T;
}

/** Runs one document; at most `maxTools` tools are called (a deterministic sample, by a hash of their names). */
export async function runDocument(document: FidelityDocument, { maxTools = 80 }: { maxTools?: number } = {}): Promise<DocumentReport> {
  const started = performance.now();
  const upstream = await startValidatingUpstreamInWorker(document.file);
  const gw = await startTestGateway({
    PORTICO_AUTH: 'none',
    PORTICO_MCP_MODE: 'stateless',
    PORTICO_TOOL_MODE: 'all',
    PORTICO_SPEC: document.file,
    PORTICO_UPSTREAM: upstream.url,
    PORTICO_PLUGINS: tempDir(),
    PORTICO_RATE_LIMIT_MCP: '0',
    PORTICO_LOG_LEVEL: 'warn',
  });
  try {
    const tools: ListedTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await rpc<{ result: { tools: ListedTool[]; nextCursor?: string } }>(gw.mcpUrl, 'tools/list', cursor ? { cursor } : {});
      tools.push(...page.result.tools);
      cursor = page.result.nextCursor;
    } while (cursor);
    const sample = [...tools].sort((a, b) => hash(a.name) - hash(b.name) || (a.name < b.name ? -1 : 1)).slice(0, maxTools);
    const planned = sample.flatMap((tool) => {
      const [required, full] = (['required', 'full'] as const).map((variant) => ({ tool, variant, generated: generateArguments(tool, variant) }));
      // no optional argument: the second variant would be the same call
      return required!.generated.ok && full!.generated.ok && JSON.stringify(required!.generated.args) === JSON.stringify(full!.generated.args) ? [required!] : [required!, full!];
    });
    const operations = await upstream.ready();
    const counts: Record<Outcome, number> = { accepted: 0, rejected: 0, cut: 0, unverified: 0, refused: 0, other: 0, skipped: 0 };
    const calls: CallReport[] = [];
    let seen = 0;
    for (const { tool, variant, generated } of planned) {
      if (!generated.ok) {
        counts.skipped++;
        calls.push({ document: document.label, tool: tool.name, variant, outcome: 'skipped', detail: generated.why, requests: [] });
        continue;
      }
      const answer = await rpc<ToolAnswer>(gw.mcpUrl, 'tools/call', { name: tool.name, arguments: generated.args });
      const requests = await upstream.verdicts(seen);
      seen += requests.length;
      const message = answer.error ? `JSON-RPC ${answer.error.code}: ${answer.error.message}` : (answer.result?.content ?? []).map((c) => c.text ?? `[${c.type}]`).join(' ').slice(0, 600);
      let outcome: Outcome;
      let detail = message;
      if (requests.some((r) => !r.valid)) {
        outcome = touchesCut(tool.inputSchema, generated.args) ? 'cut' : 'rejected';
        detail = requests.flatMap((r) => r.errors).join(' | ');
      } else if (requests.some((r) => r.unverified)) {
        outcome = 'unverified';
        detail = requests.flatMap((r) => r.unverified ?? []).join(' | ');
      } else if (requests.length === 1 && !answer.error && !answer.result?.isError) outcome = 'accepted';
      else if (requests.length === 0 && answer.result?.isError) outcome = 'refused';
      else outcome = 'other';
      counts[outcome]++;
      calls.push({ document: document.label, tool: tool.name, variant, args: generated.args, outcome, detail, requests });
    }
    return { label: document.label, tools: tools.length, operations, sampled: sample.length, counts, calls, ms: Math.round(performance.now() - started) };
  } finally {
    await gw.stop();
    await upstream.stop();
  }
}

/**
 * Runs `documents`, `concurrency` at a time (the gateways share this thread; each validator has its own): one promise
 * per document, in their order.
 */
export function runDocuments(documents: readonly FidelityDocument[], { maxTools = 80, concurrency = 2 }: { maxTools?: number; concurrency?: number } = {}): Promise<DocumentReport>[] {
  let slots = concurrency;
  const queue: (() => void)[] = [];
  const slot = () => (slots > 0 ? (slots--, Promise.resolve()) : new Promise<void>((resolve) => queue.push(resolve)));
  const release = () => (queue.length > 0 ? queue.shift()!() : slots++);
  return documents.map(async (document) => {
    await slot();
    try {
      return await runDocument(document, { maxTools });
    } finally {
      release();
    }
  });
}

const CUT_MARK = '(not expanded here';

/** Whether `value` fills, somewhere, a subschema of `schema` that Portico left unexpanded (any branch of a union counts). */
export function touchesCut(schema: unknown, value: unknown): boolean {
  if (value === undefined || schema === null || typeof schema !== 'object') return false;
  const node = schema as Record<string, unknown>;
  if (typeof node.description === 'string' && node.description.includes(CUT_MARK)) return true;
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(node[key]) && (node[key] as unknown[]).some((branch) => touchesCut(branch, value))) return true;
  }
  if (Array.isArray(value)) {
    const prefix = Array.isArray(node.prefixItems) ? (node.prefixItems as unknown[]) : [];
    return value.some((item, i) => touchesCut(i < prefix.length ? prefix[i] : node.items, item));
  }
  if (value !== null && typeof value === 'object') {
    const properties = (node.properties ?? {}) as Record<string, unknown>;
    return Object.entries(value).some(([key, item]) => touchesCut(Object.hasOwn(properties, key) ? properties[key] : node.additionalProperties, item));
  }
  return false;
}

/** The per-document table, as plain text. */
export function table(reports: readonly DocumentReport[]): string {
  const kinds = ['accepted', 'rejected', 'cut', 'unverified', 'refused', 'other', 'skipped'] as const;
  const head = ['document', 'tools', 'called', 'calls', ...kinds, 'corrected', 'ms'];
  const made = (counts: Record<Outcome, number>) => kinds.reduce((n, k) => n + (k === 'skipped' ? 0 : counts[k]), 0);
  const corrected = (r: DocumentReport) => r.calls.filter((c) => c.requests.some((q) => q.corrected)).length;
  const rows = reports.map((r) => [r.label, r.tools, r.sampled, made(r.counts), ...kinds.map((k) => r.counts[k]), corrected(r), r.ms].map(String));
  const total = (key: Outcome) => reports.reduce((n, r) => n + r.counts[key], 0);
  const sum = (f: (r: DocumentReport) => number) => String(reports.reduce((n, r) => n + f(r), 0));
  rows.push(['total', sum((r) => r.tools), sum((r) => r.sampled), sum((r) => made(r.counts)), ...kinds.map((k) => String(total(k))), sum(corrected), sum((r) => r.ms)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
