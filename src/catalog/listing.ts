/**
 * @module catalog/listing
 * `tools/list` answers for one catalog: cut into pages, each page put together from its tools' JSON, each tool's
 * made once (as UTF-8 bytes) whichever listing shows it, and made ahead, in the background, once a catalog is
 * built (`prepareToolBytes`). A 1,000-tool catalog is megabytes of JSON; serialising and encoding it per request
 * would cost more than the whole rest of a request, and on the first client's request, most of the start. A page
 * is a copy of ready bytes, kept only weakly: the tools' bytes are the one copy kept (Microsoft Graph's are 57 MB).
 */
import { createHash } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { CatalogEntry } from './types';

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

const COMMA = 0x2c;

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
 * Makes the bytes of every tool of `entries`, in order, a slice per turn of the event loop, so that no `tools/list`
 * has to (the first client's included), until done or until `current()` is false (the catalog was replaced, the
 * cache stopped). A page asked for before its tools are done makes the rest of them itself.
 */
export function prepareToolBytes(entries: readonly { readonly tool: Tool }[], current: () => boolean = () => true): void {
  let next = 0;
  const turn = () => {
    if (!current()) return;
    const end = Math.min(next + TOOLS_PER_TURN, entries.length);
    makeToolBytes(entries.slice(next, end).map((entry) => entry.tool));
    next = end;
    if (next < entries.length) setImmediate(turn);
  };
  setImmediate(turn);
}

export class ToolListing {
  /** Identifies the list of names, so a cursor from another catalog is refused, not misread. */
  readonly fingerprint: string;
  private readonly tools: readonly Tool[];
  readonly pageCount: number;
  private readonly pages: (WeakRef<Uint8Array> | undefined)[] = [];

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
   * `page(cursor)` as UTF-8 JSON (the bytes `JSON.stringify` of it gives), from its tools' bytes: write it out as it
   * is. A page made is kept weakly: asked again soon it is the same bytes, and it does not outlive its use (the tools'
   * bytes are kept; a page of them is a copy away).
   */
  pageBytes(cursor?: string): Uint8Array {
    const index = this.indexOf(cursor);
    let page = this.pages[index]?.deref();
    if (!page) this.pages[index] = new WeakRef((page = this.makePage(index)));
    return page;
  }

  private makePage(index: number): Uint8Array {
    const tools = this.tools.slice(index * this.pageSize, (index + 1) * this.pageSize);
    const next = index + 1 < this.pageCount ? this.cursorFor(index + 1) : undefined;
    const parts = tools.map((tool) => bytesOfTools.get(tool));
    if (parts.includes(undefined)) {
      makeToolBytes(tools);
      parts.forEach((part, i) => (parts[i] = part ?? bytesOfTools.get(tools[i]!)));
    }
    const head = Buffer.from('{"tools":[');
    const tail = Buffer.from(next === undefined ? ']}' : `],"nextCursor":${JSON.stringify(next)}}`);
    let length = head.length + tail.length + Math.max(parts.length - 1, 0);
    for (const part of parts) length += part!.length;
    const page = Buffer.allocUnsafe(length);
    page.set(head, 0);
    let at = head.length;
    parts.forEach((part, i) => {
      if (i > 0) page[at++] = COMMA;
      page.set(part!, at);
      at += part!.length;
    });
    page.set(tail, at);
    return page;
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
