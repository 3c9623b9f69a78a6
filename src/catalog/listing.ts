/**
 * @module catalog/listing
 * `tools/list` answers for one catalog: cut into pages, each page's JSON built once, kept as UTF-8 bytes
 * and then served as they are. A 1,000-tool catalog is megabytes of JSON; serialising and encoding it
 * per request would cost more than the whole rest of a request.
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

export class ToolListing {
  /** Identifies the list of names, so a cursor from another catalog is refused, not misread. */
  readonly fingerprint: string;
  private readonly tools: readonly Tool[];
  private readonly pages: (Uint8Array | undefined)[];

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
    this.pages = new Array(Math.max(1, Math.ceil(this.tools.length / pageSize)));
  }

  get pageCount(): number {
    return this.pages.length;
  }

  /** The page a cursor names (the first without one). Throws `InvalidCursorError` for a cursor not ours. */
  page(cursor?: string): ToolsPage {
    const index = this.indexOf(cursor);
    const tools = this.tools.slice(index * this.pageSize, (index + 1) * this.pageSize);
    return index + 1 < this.pages.length ? { tools, nextCursor: this.cursorFor(index + 1) } : { tools };
  }

  /** `page(cursor)` as UTF-8 JSON, built on first use and then kept: write it out as it is. */
  pageBytes(cursor?: string): Uint8Array {
    const index = this.indexOf(cursor);
    return (this.pages[index] ??= Buffer.from(JSON.stringify(this.page(cursor))));
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
    if (!Number.isInteger(page) || page < 1 || page >= this.pages.length) throw new InvalidCursorError(`invalid cursor "${cursor}"`);
    return page;
  }
}
