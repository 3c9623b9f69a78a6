/**
 * @module calls/answer/read
 * resources/read of a whole answer (`portico://answers/<id>`, kept by `calls/answer/fit`), in pages that each fit
 * the budget, so reading it does not swamp the agent either.
 *
 * - JSON: each page is valid JSON — the document with its longest list holding that page's items (the records a
 *   page of an API is made of); the rest of the document is on every page. An item larger than a page has a page
 *   of its own.
 * - Other text: consecutive pieces, cut at line ends where one is near.
 * - A file: its bytes, whole (`blob`): a client saves it; no model reads it page by page.
 *
 * Only the grant that made the call reads it; for anyone else, as for an unknown or expired id, there is no such
 * resource (the same answer, so a guess learns nothing).
 */
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { McpError } from '../../wire/mcp-error';
import { JsonRpcCode } from '../../wire/json-rpc';
import type { Principal } from '../../oauth/bearer';
import type { AnswerStore, StoredAnswer } from '../../store/contract';
import { budgetOf, type AnswerBudgets } from './budget';
import { longestList, replaceList } from '../../proxy/json-lists';
import { byteLength, cutText } from './shorten';

/** Where the whole answers are read: `portico://answers/<id>`, in pages with `?page=N`. */
export const ANSWER_URI_PREFIX = 'portico://answers/';

/** MCP's error code for a resource that is not there. */
export const RESOURCE_NOT_FOUND = -32002;

/** Whether `uri` names a kept answer (the rest are plugins' resources). */
export function isAnswerUri(uri: string): boolean {
  return uri.startsWith(ANSWER_URI_PREFIX);
}

/** The template clients see in resources/templates/list. */
export const ANSWER_TEMPLATE = {
  uriTemplate: `${ANSWER_URI_PREFIX}{id}{?page}`,
  name: 'answers',
  title: 'Whole answers of shortened tool calls',
  description: 'A tool answer too large for the context is shortened, with a link to the whole of it here; read it page by page (?page=2, …). Each is readable for a short time, by the connection that made the call.',
} as const;

export async function readAnswer(store: AnswerStore, budgets: AnswerBudgets, uri: string, principal: Principal | undefined, now = Date.now()): Promise<ReadResourceResult> {
  const parsed = parse(uri);
  if (typeof parsed === 'string') throw new McpError(JsonRpcCode.InvalidParams, parsed);
  const answer = await store.getAnswer(parsed.id, now);
  if (!answer || answer.owner !== (principal?.grantId ?? '')) {
    throw new McpError(RESOURCE_NOT_FOUND, `no answer at ${uri}: it has expired (answers are kept for a short time), or it was made for another connection; call the tool again`, { uri });
  }
  const base = `${ANSWER_URI_PREFIX}${parsed.id}`;
  if (!isText(answer.mediaType)) return { contents: [{ uri: base, mimeType: answer.mediaType, blob: Buffer.from(answer.body).toString('base64') }] };
  const pages = pagesOfCached(answer, budgetOf(budgets, answer.tool).bytes);
  const page = parsed.page;
  if (page > pages.length) throw new McpError(JsonRpcCode.InvalidParams, `${uri}: there are ${pages.length} pages; ask for ?page=1 to ?page=${pages.length}`);
  const current = pages[page - 1]!;
  const next = page < pages.length ? `${base}?page=${page + 1}` : undefined;
  const about = `Page ${page} of ${pages.length}${current.items ? ` (items ${current.items.from + 1}–${current.items.to} of ${current.items.total} of ${current.items.path || 'the list'})` : ''}.${next ? ` Next: ${next}` : ' This is the last page.'}`;
  return {
    contents: [
      { uri: page === 1 ? base : `${base}?page=${page}`, mimeType: answer.mediaType, text: current.text },
      { uri: `${base}?page=${page}#about`, mimeType: 'text/plain', text: about },
    ],
    _meta: { 'portico/page': { page, pages: pages.length, ...(next && { next }), ...(current.items && { items: current.items }) } },
  };
}

function parse(uri: string): { id: string; page: number } | string {
  const rest = uri.slice(ANSWER_URI_PREFIX.length);
  const match = /^([A-Za-z0-9_-]{16,64})(?:\?page=(\d{1,6}))?$/.exec(rest);
  if (!match) return `${uri} is not an answer's address: it is ${ANSWER_URI_PREFIX}<id>, or ${ANSWER_URI_PREFIX}<id>?page=N`;
  const page = match[2] === undefined ? 1 : Number(match[2]);
  if (page < 1) return `${uri}: pages are numbered from 1`;
  return { id: match[1]!, page };
}

function isText(mediaType: string): boolean {
  return /^(text\/|application\/([\w.+-]*\+)?json\b)/i.test(mediaType);
}

interface Page {
  readonly text: string;
  readonly items?: { readonly path: string; readonly from: number; readonly to: number; readonly total: number };
}

/** How many answers' pages are kept worked out: a client reads an answer's pages one after another. */
const KEPT_PAGINGS = 16;
const pagings = new Map<string, Page[]>();

/** `pagesOf`, worked out once per answer (a kept answer never changes) rather than on each page's read. */
function pagesOfCached(answer: StoredAnswer, pageBytes: number): Page[] {
  const key = `${answer.id} ${pageBytes}`;
  let pages = pagings.get(key);
  if (pages) {
    pagings.delete(key); // most recent last
  } else {
    pages = pagesOf(answer, pageBytes);
    if (pagings.size >= KEPT_PAGINGS) pagings.delete(pagings.keys().next().value!);
  }
  pagings.set(key, pages);
  return pages;
}

function pagesOf(answer: StoredAnswer, pageBytes: number): Page[] {
  const text = new TextDecoder().decode(answer.body);
  if (/json/i.test(answer.mediaType)) {
    try {
      const pages = jsonPages(JSON.parse(text), pageBytes);
      if (pages) return pages;
    } catch {
      // kept as JSON and not JSON: pages of text
    }
  }
  return textPages(text, pageBytes);
}

/** Pages of `value` by its longest list; undefined when it has no list to page by (then it is paged as text). */
function jsonPages(value: unknown, pageBytes: number): Page[] | undefined {
  const found = longestList(value);
  if (!found || found.list.length === 0) return undefined;
  const { list, path } = found;
  const frame = byteLength(JSON.stringify(replaceList(value, path, [])));
  const room = Math.max(pageBytes - frame, 1);
  const pages: Page[] = [];
  let from = 0;
  while (from < list.length) {
    let to = from;
    let size = 0;
    while (to < list.length) {
      const item = byteLength(JSON.stringify(list[to]) ?? 'null') + 1;
      if (to > from && size + item > room) break;
      size += item;
      to++;
    }
    pages.push({ text: JSON.stringify(replaceList(value, path, list.slice(from, to))), items: { path, from, to, total: list.length } });
    from = to;
  }
  return pages;
}

function textPages(text: string, pageBytes: number): Page[] {
  const pages: Page[] = [];
  let rest = text;
  while (rest.length > 0) {
    const piece = cutText(rest, pageBytes);
    const taken = piece.length > 0 ? piece : rest.slice(0, 1);
    pages.push({ text: taken });
    rest = rest.slice(taken.length);
  }
  return pages.length > 0 ? pages : [{ text: '' }];
}
