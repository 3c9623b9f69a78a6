/**
 * @module catalog/listing
 * `tools/list` answers for one catalog: cut into pages, each page put together from its tools' JSON, each tool's
 * made once (as UTF-8 bytes) whichever listing shows it, and made ahead, in the background, for the tools a gateway
 * serves (`prepareToolBytes`, which the Toolbox calls on the tools as the plugins published them). A 1,000-tool
 * catalog is megabytes of JSON; serialising and encoding it per request would cost more than the whole rest of a
 * request, and on the first client's request, most of the start. A page
 * is handed out in parts (`pageParts`): its tools' bytes as they are, which the answer is written from, so the only
 * copy of a page is the answer's own (`blobOf`). It was three: the page joined, the JSON-RPC envelope around it, and
 * the Response's copy of that (Microsoft Graph's tools' bytes are 57 MB: 170 MB of garbage per whole list).
 */
import { createHash } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/** Tools per page: GitHub's 1,223 tools come in three pages of about 1.5 MB. */
export const DEFAULT_PAGE_SIZE = 500;

/** A cursor this listing did not hand out, or one from a catalog that has since changed. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

export interface ToolsPage {
  readonly tools: readonly Tool[];
  readonly nextCursor?: string;
}

/** UTF-8 JSON in pieces: written one after the other they are the JSON (`joinParts`); kept apart, nothing is copied to make it. */
export type JsonParts = readonly Uint8Array[];

/** The parts as one buffer: for a caller that needs the JSON whole (a batch, a stream of text). */
export function joinParts(parts: JsonParts): Uint8Array {
  return Buffer.concat(parts);
}

/**
 * The parts as one Blob: an HTTP answer's body, copied once, into the buffer it is sent from. A Response copies a
 * Uint8Array it is given, so joining the parts first would copy a page twice; a Blob it takes as it is.
 */
export function blobOf(parts: JsonParts): Blob {
  return new Blob(parts as Uint8Array[]);
}

const COMMA = Buffer.from(',');

/** Each tool's JSON as UTF-8, by tool object: made once, kept while the tool is. */
const bytesOfTools = new WeakMap<Tool, Uint8Array>();

/** `JSON.stringify(tool)` as UTF-8 bytes, made on first use. */
export function toolBytes(tool: Tool): Uint8Array {
  let bytes = bytesOfTools.get(tool);
  if (!bytes) bytesOfTools.set(tool, (bytes = Buffer.from(JSON.stringify(tool))));
  return bytes;
}

/** Whether `tool`'s bytes are made already (`prepareToolBytes`). */
export function hasToolBytes(tool: Tool): boolean {
  return bytesOfTools.has(tool);
}

/**
 * Makes the bytes of `tools` (those not made yet) into one buffer, each tool's a view of its part: a buffer per
 * tool took twice the memory (Microsoft Graph: 100 MB more, where its pages took 51).
 */
function makeToolBytes(tools: readonly Tool[]): void {
  const wanted = tools.filter((tool) => !bytesOfTools.has(tool));
  const texts = wanted.map((tool) => JSON.stringify(tool));
  let length = 0;
  for (const text of texts) length += Buffer.byteLength(text);
  const buffer = Buffer.allocUnsafeSlow(length);
  let at = 0;
  wanted.forEach((tool, i) => {
    const written = buffer.write(texts[i]!, at);
    bytesOfTools.set(tool, buffer.subarray(at, at + written));
    at += written;
  });
}

/** Tools serialised per turn of the event loop by `prepareToolBytes`: a few milliseconds, so requests go on being answered. */
const TOOLS_PER_TURN = 100;

/**
 * A catalog this big had a document big enough that what its build leaves behind (the parsed document, the
 * build's own garbage: about 100 MB for Microsoft Graph's 11,422 tools) is worth collecting at once, rather than
 * whenever the collector gets to it, with the tools' bytes (57 MB) and the pages' answers made on top: Graph's
 * server peaked at 470 MiB, 350 with the collection. GitHub's 1,223 tools are well below: their start pays nothing.
 */
const BIG_CATALOG = 5000;

/** How long a big catalog's rest waits for a first page to be asked for before going on without one (a refresh, nobody listing). */
const FIRST_PAGE_WAIT_MS = 2000;

/** What runs once a first page has been answered (`firstPageOut`). */
let firstPageWaiters: (() => void)[] = [];

/**
 * A first page has been handed out: what waited for it runs on the next turn of the event loop, once the answer
 * has been written (it is, by then: the answer is made and sent within the turn that asked for it).
 */
function firstPageOut(): void {
  if (firstPageWaiters.length === 0) return;
  const waiting = firstPageWaiters;
  firstPageWaiters = [];
  setTimeout(() => waiting.forEach((run) => run()), 0);
}

/** Runs `run` once a first page has been answered, or `FIRST_PAGE_WAIT_MS` on, whichever comes first. */
function afterFirstPage(run: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    firstPageWaiters = firstPageWaiters.filter((waiter) => waiter !== once);
    run();
  };
  const timer = setTimeout(once, FIRST_PAGE_WAIT_MS);
  timer.unref?.();
  firstPageWaiters.push(once);
}

/**
 * Makes the bytes of every tool of `entries`, in order, a slice per turn of the event loop, so that no `tools/list`
 * has to (the first client's included), until done or until `current()` is false (the catalog was replaced, the
 * cache stopped). A page asked for before its tools are done makes the rest of them itself.
 *
 * A big catalog (`BIG_CATALOG`, just built) has its first page's tools made first; the rest wait for that page to be
 * answered (nothing then stands between the first client and its page), then for one full collection of what the
 * build left (about 0.2 s for Graph's: after the first page, it delays the rest of the list by that, and no first
 * page), so that their bytes, and the pages' answers, take the room the document took.
 */
export function prepareToolBytes(entries: readonly { readonly tool: Tool }[], current: () => boolean = () => true): void {
  let next = 0;
  const turns = (until: number, then?: () => void) => {
    const turn = () => {
      if (!current()) return;
      const end = Math.min(next + TOOLS_PER_TURN, until);
      makeToolBytes(entries.slice(next, end).map((entry) => entry.tool));
      next = end;
      if (next < until) setImmediate(turn);
      else then?.();
    };
    setImmediate(turn);
  };
  if (entries.length < BIG_CATALOG) return turns(entries.length);
  // the rest once both are done: the first page's tools, and a first page's answer (which may come before them)
  let waiting = 2;
  const rest = () => {
    if (--waiting > 0 || !current()) return;
    Bun.gc(true);
    turns(entries.length);
  };
  afterFirstPage(rest);
  turns(Math.min(DEFAULT_PAGE_SIZE, entries.length), rest);
}

const PAGE_HEAD = Buffer.from('{"tools":[');
const LAST_PAGE_TAIL = Buffer.from(']}');

export class ToolListing {
  /** Identifies the list of names, so a cursor from another catalog is refused, not misread. */
  readonly fingerprint: string;
  private readonly tools: readonly Tool[];
  readonly pageCount: number;

  constructor(
    entries: readonly { readonly tool: Tool }[],
    readonly pageSize = DEFAULT_PAGE_SIZE,
  ) {
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new TypeError(`the tools/list page size must be a positive integer, got ${pageSize}`);
    this.tools = entries.map((entry) => entry.tool);
    this.fingerprint = createHash('sha256')
      .update(this.tools.map((tool) => tool.name).join('\n'))
      .digest('base64url')
      .slice(0, 12);
    this.pageCount = Math.max(1, Math.ceil(this.tools.length / pageSize));
  }

  /** The page a cursor names (the first without one). Throws `InvalidCursorError` for a cursor not ours. */
  page(cursor?: string): ToolsPage {
    const index = this.indexOf(cursor);
    const tools = this.tools.slice(index * this.pageSize, (index + 1) * this.pageSize);
    return index + 1 < this.pageCount ? { tools, nextCursor: this.cursorFor(index + 1) } : { tools };
  }

  /**
   * `page(cursor)` as UTF-8 JSON in parts (the bytes `JSON.stringify` of it gives, once joined): its head, each
   * tool's bytes with commas between, its tail. An answer is written from them: the page is never copied whole.
   */
  pageParts(cursor?: string): JsonParts {
    const index = this.indexOf(cursor);
    const tools = this.tools.slice(index * this.pageSize, (index + 1) * this.pageSize);
    const next = index + 1 < this.pageCount ? this.cursorFor(index + 1) : undefined;
    if (!tools.every(hasToolBytes)) makeToolBytes(tools);
    const parts: Uint8Array[] = [PAGE_HEAD];
    tools.forEach((tool, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(bytesOfTools.get(tool)!);
    });
    if (index === 0) firstPageOut();
    parts.push(next === undefined ? LAST_PAGE_TAIL : Buffer.from(`],"nextCursor":${JSON.stringify(next)}}`));
    return parts;
  }

  /** `pageParts(cursor)` joined: the page as one buffer. */
  pageBytes(cursor?: string): Uint8Array {
    return joinParts(this.pageParts(cursor));
  }

  private cursorFor(index: number): string {
    return Buffer.from(`${this.fingerprint}:${index}`).toString('base64url');
  }

  private indexOf(cursor: string | undefined): number {
    if (cursor === undefined) return 0;
    const match = /^([\w-]{12}):(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
    if (!match) throw new InvalidCursorError(`invalid cursor "${cursor}"`);
    const [, fingerprint, index] = match;
    const page = Number(index);
    if (fingerprint !== this.fingerprint) throw new InvalidCursorError('the tool list has changed since this cursor was issued; list the tools again from the start');
    if (!Number.isInteger(page) || page < 1 || page >= this.pageCount) throw new InvalidCursorError(`invalid cursor "${cursor}"`);
    return page;
  }
}
