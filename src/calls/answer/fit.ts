/**
 * @module calls/answer/fit
 * A tool's result made to fit the agent's context (`calls/answer/budget`), the last step of every call whose result
 * goes to a client (`calls/pipeline`; a code-mode program's own calls get whole answers: the program, not the model,
 * reads them).
 *
 * - Within the budget: unchanged, with its size in `_meta["portico/size"]`.
 * - JSON over the budget: shortened and still JSON (`calls/answer/shorten`), the structured content made from the
 *   shortened value, a note saying what was left out, and a `resource_link` to the whole answer.
 * - Other text over the budget: cut at a line end, with the same note and link.
 * - A file (any bytes but an image or a sound within the budget): never inline base64, which no model reads; a
 *   `resource_link` to it, with its name, type and size.
 *
 * The whole answer is kept in the store (`AnswerStore`: several instances share it) for `ttlMs`, readable only by
 * the grant that made the call (`calls/answer/read`): it is that user's data, fetched with their credential.
 */
import { randomBytes } from 'node:crypto';
import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { Principal } from '../../oauth/bearer';
import type { AnswerStore } from '../../store/contract';
import { budgetOf, BYTES_PER_TOKEN, estimateTokens, type AnswerBudgets } from './budget';
import { ANSWER_URI_PREFIX, readAnswer } from './read';
import { byteLength, cutText, shortenJson, type Omission } from './shorten';

type Content = CallToolResult['content'][number];

/** Bytes of the budget kept for the note and the link. */
const NOTE_ROOM = 1_500;

export interface AnswerOptions {
  readonly store: AnswerStore;
  readonly budgets: AnswerBudgets;
  /** How long a whole answer stays readable, in ms. */
  readonly ttlMs: number;
  readonly now?: () => number;
}

/** What `fit` needs to know of the tool: its name, and how a value becomes its structured content (none without an output schema). */
export interface AnsweringTool {
  readonly name: string;
  structure?(value: unknown): Record<string, unknown> | undefined;
}

export class AnswerFitter {
  readonly budgets: AnswerBudgets;
  readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: AnswerOptions) {
    this.budgets = options.budgets;
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
  }

  /** `result` as the client gets it: within `tool`'s budget, the rest a link away for `principal`'s grant. */
  async fit(tool: AnsweringTool, result: CallToolResult, principal: Principal | undefined): Promise<CallToolResult> {
    const budget = budgetOf(this.budgets, tool.name);
    const size = sizeOf(result.content);
    const files = result.content.filter((content) => isFile(content, budget.bytes));
    if (size <= budget.bytes && files.length === 0) return withMeta(result, { 'portico/size': { bytes: size, tokens: estimateTokens(size) } });
    const content: Content[] = [];
    const links: { uri: string; bytes: number }[] = [];
    let shortened: ShortenedText | undefined;
    for (const item of result.content) {
      if (isFile(item, budget.bytes)) {
        const { bytes, mimeType, name } = fileOf(item);
        const uri = await this.keep(tool.name, principal, bytes, mimeType);
        links.push({ uri, bytes: bytes.length });
        content.push({ type: 'resource_link', uri, name: name ?? `${tool.name} answer`, mimeType, size: bytes.length, description: `The file the API answered (${mimeType}, ${bytes.length} bytes). Read it with resources/read within ${minutes(this.ttlMs)}.` });
        continue;
      }
      // the first text over what is left of the budget is the API's answer: it is shortened, once
      if (item.type === 'text' && !shortened && size > budget.bytes) {
        shortened = shortenText(item.text, Math.max(budget.bytes - (size - byteLength(item.text)) - NOTE_ROOM, 256));
        if (shortened) {
          const uri = await this.keep(tool.name, principal, new TextEncoder().encode(item.text), shortened.json ? 'application/json' : 'text/plain; charset=utf-8');
          links.push({ uri, bytes: shortened.wholeBytes });
          content.push({ type: 'text', text: shortened.text });
          content.push({ type: 'text', text: this.note(budget.tokens, shortened, uri) });
          content.push({ type: 'resource_link', uri, name: `${tool.name} answer`, mimeType: shortened.json ? 'application/json' : 'text/plain', size: shortened.wholeBytes, description: `The whole answer (${shortened.wholeBytes} bytes), in pages of about ${budget.bytes} bytes; readable for ${minutes(this.ttlMs)} by this connection only.` });
          continue;
        }
      }
      content.push(item);
    }
    const fitted: CallToolResult = { ...result, content };
    if (shortened && result.structuredContent !== undefined) {
      // the structured copy says what the text says: the shortened value (a text answer's, the cut text)
      const structured = tool.structure?.(shortened.json ? shortened.value : shortened.text);
      if (structured) fitted.structuredContent = structured;
      else delete fitted.structuredContent;
    }
    const sent = sizeOf(content);
    return withMeta(fitted, {
      'portico/size': { bytes: sent, tokens: estimateTokens(sent), wholeBytes: size },
      ...(shortened && { 'portico/shortened': { budgetTokens: budget.tokens, omitted: shortened.omitted, omissionCount: shortened.omissionCount } }),
      'portico/links': links,
    });
  }

  /** resources/read of a kept answer (`calls/answer/read`): a page of it, for the grant that made the call only. */
  read(uri: string, principal: Principal | undefined): Promise<ReadResourceResult> {
    return readAnswer(this.options.store, this.budgets, uri, principal, this.now());
  }

  /** Keeps `bytes` for `principal`'s grant; its URI. */
  private async keep(tool: string, principal: Principal | undefined, bytes: Uint8Array, mediaType: string): Promise<string> {
    const id = randomBytes(18).toString('base64url');
    const createdAt = this.now();
    await this.options.store.putAnswer({ id, owner: principal?.grantId ?? '', mediaType, body: bytes, tool, createdAt, expiresAt: createdAt + this.ttlMs });
    return `${ANSWER_URI_PREFIX}${id}`;
  }

  private note(budgetTokens: number, shortened: ShortenedText, uri: string): string {
    const what = shortened.json
      ? `Shortened to stay valid JSON: ${describe(shortened.omitted, shortened.omissionCount)}.`
      : `Cut after ${shortened.keptBytes} bytes.`;
    return `[This answer is ${shortened.wholeBytes} bytes, over the answer budget of ${budgetTokens} tokens (about ${budgetTokens * BYTES_PER_TOKEN} bytes). ${what} The whole answer is at ${uri}: read it with resources/read, page by page (?page=2, …), within ${minutes(this.ttlMs)}. Or ask for less: a smaller page, filters, or "fields" where the tool offers it.]`;
  }
}

interface ShortenedText {
  readonly json: boolean;
  readonly text: string;
  readonly value?: unknown;
  readonly wholeBytes: number;
  readonly keptBytes: number;
  readonly omitted: readonly Omission[];
  readonly omissionCount: number;
}

/** `text` within `maxBytes`: as shortened JSON when it is JSON, else cut; undefined when it fits already. */
function shortenText(text: string, maxBytes: number): ShortenedText | undefined {
  const wholeBytes = byteLength(text);
  if (wholeBytes <= maxBytes) return undefined;
  let value: unknown;
  let json = false;
  if (/^\s*[[{]/.test(text)) {
    try {
      value = JSON.parse(text);
      json = true;
    } catch {
      // text that looks like JSON and is not: cut as text
    }
  }
  if (json) {
    const shortened = shortenJson(value, maxBytes);
    if (shortened) return { json: true, text: shortened.text, value: shortened.value, wholeBytes, keptBytes: byteLength(shortened.text), omitted: shortened.omitted, omissionCount: shortened.omissionCount };
  }
  const cut = cutText(text, maxBytes);
  return { json: false, text: cut, wholeBytes, keptBytes: byteLength(cut), omitted: [], omissionCount: 0 };
}

function describe(omitted: readonly Omission[], count: number): string {
  const parts = omitted.slice(0, 5).map((o) => (o.kind === 'items' ? `${o.path || 'the list'} keeps ${o.kept} of ${o.total} items` : `${o.path || 'the text'} keeps ${o.kept} of ${o.total} characters`));
  const more = count - parts.length;
  return `${parts.join('; ')}${more > 0 ? `; and ${more} more cut (listed in _meta["portico/shortened"])` : ''}`;
}

/** The bytes `content` puts in the agent's context: text as UTF-8, images and sounds as their base64. */
function sizeOf(content: readonly Content[]): number {
  let size = 0;
  for (const item of content) {
    if (item.type === 'text') size += byteLength(item.text);
    else if (item.type === 'image' || item.type === 'audio') size += item.data.length;
    else if (item.type === 'resource') size += 'blob' in item.resource ? item.resource.blob.length : byteLength(item.resource.text);
  }
  return size;
}

/** A file the API sent: any embedded bytes, and an image or a sound over the budget (a model can look at a small one). */
function isFile(content: Content, budgetBytes: number): boolean {
  if (content.type === 'resource') return 'blob' in content.resource;
  return (content.type === 'image' || content.type === 'audio') && content.data.length > budgetBytes;
}

function fileOf(content: Content): { bytes: Uint8Array; mimeType: string; name?: string } {
  if (content.type === 'image' || content.type === 'audio') return { bytes: Buffer.from(content.data, 'base64'), mimeType: content.mimeType };
  if (content.type !== 'resource' || !('blob' in content.resource)) throw new TypeError('not a file');
  const { blob, mimeType, uri } = content.resource;
  // the proxy names a file after the API's Content-Disposition: portico://response/<tool>/<file name>
  const name = /^portico:\/\/response\/[^/]+\/(.+)$/.exec(uri)?.[1];
  return { bytes: Buffer.from(blob, 'base64'), mimeType: mimeType ?? 'application/octet-stream', ...(name && { name: decodeURIComponent(name) }) };
}

function withMeta(result: CallToolResult, meta: Record<string, unknown>): CallToolResult {
  return { ...result, _meta: { ...result._meta, ...meta } };
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m === 1 ? '1 minute' : `${m} minutes`;
}
