/**
 * @module mcp/catalog-tools
 * The tools an MCP server offers: the current catalog's pages and entries, kept in step with the
 * catalog cache, and calls handed to the proxy.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolListing, type CatalogCache, type CatalogEntry, type ToolsPage } from '../catalog';
import type { ToolProvider } from './tool-requests';

export type CallOperation = (entry: CatalogEntry, args: Record<string, unknown>, signal: AbortSignal) => Promise<CallToolResult>;

export class CatalogTools implements ToolProvider {
  private listing: ToolListing;

  /** `onChange` runs after each change is adopted (to notify sessions). */
  constructor(
    private readonly cache: CatalogCache,
    private readonly call: CallOperation,
    onChange: () => void,
    private readonly pageSize?: number,
  ) {
    this.listing = new ToolListing(cache.current.entries, pageSize);
    cache.onChange((change) => {
      this.listing = new ToolListing(change.catalog.entries, this.pageSize);
      onChange();
    });
  }

  listTools(cursor: string | undefined): ToolsPage {
    return this.listing.page(cursor);
  }

  listToolsJson(cursor: string | undefined): Uint8Array {
    return this.listing.pageBytes(cursor);
  }

  findTool(name: string): CatalogEntry | undefined {
    return this.cache.current.byName.get(name);
  }

  callTool(entry: CatalogEntry, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
    return this.call(entry, args, signal);
  }
}
