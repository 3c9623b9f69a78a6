import { afterAll, describe, expect, test } from 'bun:test';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { InvalidCursorError, ToolListing } from '../../src/catalog';
import { hasToolBytes, joinParts, prepareToolBytes, toolBytes } from '../../src/catalog/listing';
import { build, oas30, removeTempDirs } from './helpers';

afterAll(removeTempDirs);

const paths = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`/items/${i}`, { get: { operationId: `get_item_${i}`, responses: { 200: { description: 'ok' } } } }]));

describe('tools/list pages', () => {
  test('pages hand out every tool once, in catalog order, chained by nextCursor', async () => {
    const catalog = await build(oas30(paths(7)));
    const listing = new ToolListing(catalog.entries, 3);
    expect(listing.pageCount).toBe(3);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = listing.page(cursor);
      const json = JSON.parse(new TextDecoder().decode(listing.pageBytes(cursor)));
      expect(() => ListToolsResultSchema.parse(json)).not.toThrow();
      expect(json).toEqual(JSON.parse(JSON.stringify(page)));
      seen.push(...page.tools.map((tool) => tool.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(catalog.entries.map((entry) => entry.tool.name));
  });

  test('a page is its tools\' bytes, each made once whichever listing shows the tool, and exactly JSON.stringify of the page', async () => {
    const catalog = await build(oas30(paths(5)));
    const listing = new ToolListing(catalog.entries, 2);
    const other = new ToolListing(catalog.entries.slice(1), 3);
    const tool = catalog.entries[1]!.tool;
    expect(toolBytes(tool)).toBe(toolBytes(tool));
    for (const view of [listing, other]) {
      for (let cursor: string | undefined, first = true; first || cursor; first = false) {
        expect(new TextDecoder().decode(view.pageBytes(cursor))).toBe(JSON.stringify(view.page(cursor)));
        expect(view.pageBytes(cursor)).toEqual(view.pageBytes(cursor));
        cursor = view.page(cursor).nextCursor;
      }
    }
    expect(new ToolListing(catalog.entries.slice(0, 2)).page().nextCursor).toBeUndefined();
  });

  test('a page in parts is its tools\' bytes as they are kept, with what goes between: joined, exactly JSON.stringify of the page', async () => {
    const catalog = await build(oas30(paths(5)));
    const listing = new ToolListing(catalog.entries, 2);
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = listing.page(cursor);
      const parts = listing.pageParts(cursor);
      expect(new TextDecoder().decode(joinParts(parts))).toBe(JSON.stringify(page));
      expect(new TextDecoder().decode(listing.pageBytes(cursor))).toBe(JSON.stringify(page));
      // no tool's bytes are copied into a page: each is a part, the very bytes kept for the tool
      for (const tool of page.tools) expect(parts).toContain(toolBytes(tool));
      expect(await blobText(parts)).toBe(JSON.stringify(page));
      cursor = page.nextCursor;
    }
  });

  test('the tools\' bytes are made ahead, a hundred per turn of the event loop, until the catalog is no longer wanted', async () => {
    const tools = (await build(oas30(paths(250)))).entries;
    let wanted = true;
    prepareToolBytes(tools, () => wanted);
    expect(hasToolBytes(tools[0]!.tool)).toBe(false); // not while the caller goes on
    await new Promise((resolve) => setImmediate(resolve));
    expect(tools.map((entry) => hasToolBytes(entry.tool))).toEqual(tools.map((_, i) => i < 100));
    wanted = false;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(hasToolBytes(tools[100]!.tool)).toBe(false);
    // a page asked for makes what is missing
    expect(new TextDecoder().decode(new ToolListing(tools).pageBytes())).toBe(JSON.stringify(new ToolListing(tools).page()));
    expect(tools.every((entry) => hasToolBytes(entry.tool))).toBe(true);

    const all = (await build(oas30(paths(120)))).entries;
    prepareToolBytes(all);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(all.every((entry) => hasToolBytes(entry.tool))).toBe(true);
  });

  test('a big catalog\'s first page\'s tools are made first; the rest once a first page has been answered', async () => {
    const entries = Array.from({ length: 5_200 }, (_, i) => ({ tool: { name: `tool_${i}`, inputSchema: { type: 'object' as const, properties: { [`a${i}`]: { type: 'string' } } } } }));
    prepareToolBytes(entries);
    await waitFor(() => hasToolBytes(entries[499]!.tool));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(hasToolBytes(entries[500]!.tool)).toBe(false); // waiting for the first client's page
    const listing = new ToolListing(entries);
    expect(new TextDecoder().decode(joinParts(listing.pageParts()))).toBe(JSON.stringify(listing.page()));
    await waitFor(() => hasToolBytes(entries.at(-1)!.tool));
    expect(entries.every((entry) => hasToolBytes(entry.tool))).toBe(true);
  });

  test('an empty catalog lists no tools', async () => {
    const catalog = await build(oas30({}));
    expect(JSON.parse(new TextDecoder().decode(new ToolListing(catalog.entries).pageBytes()))).toEqual({ tools: [] });
  });

  test('a cursor from a catalog that has since changed is refused with a message that says what to do', async () => {
    const before = new ToolListing((await build(oas30(paths(4)))).entries, 2);
    const after = new ToolListing((await build(oas30(paths(5)))).entries, 2);
    const cursor = before.page().nextCursor!;
    expect(() => after.page(cursor)).toThrow(InvalidCursorError);
    expect(() => after.pageBytes(cursor)).toThrow('the tool list has changed since this cursor was issued; list the tools again from the start');
  });

  test('made-up cursors are refused', async () => {
    const listing = new ToolListing((await build(oas30(paths(4)))).entries, 2);
    const forge = (text: string) => Buffer.from(text).toString('base64url');
    for (const cursor of ['', 'garbage', forge(`${listing.fingerprint}:0`), forge(`${listing.fingerprint}:2`), forge(`${listing.fingerprint}:x`)]) {
      expect(() => listing.page(cursor)).toThrow(InvalidCursorError);
    }
    expect(listing.page(forge(`${listing.fingerprint}:1`)).tools).toHaveLength(2);
  });

  test('refuses a page size that is not a positive integer', async () => {
    const { entries } = await build(oas30(paths(1)));
    expect(() => new ToolListing(entries, 0)).toThrow('the tools/list page size must be a positive integer, got 0');
    expect(() => new ToolListing(entries, 2.5)).toThrow(TypeError);
  });
});

/** The text of a Blob of `parts`, as an HTTP answer sends it. */
function blobText(parts: readonly Uint8Array[]): Promise<string> {
  return new Response(new Blob(parts as Uint8Array[])).text();
}

/** Waits (up to 5 s) until `done()`. */
async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(done()).toBe(true);
}
