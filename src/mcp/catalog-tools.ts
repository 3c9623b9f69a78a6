/**
 * @module mcp/catalog-tools
 * The tools an MCP server offers: the current catalog's pages and entries, kept in step with the
 * catalog cache, and calls handed to the proxy. A listing is built once per catalog and per view (the
 * scopes a token reaches), so tools/list stays a copy of ready bytes whoever asks.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { ToolListing, type CatalogCache, type CatalogEntry, type ToolsPage } from '../catalog';
import type { Principal } from '../oauth/bearer';
import { allows, SCOPES, type Scope } from '../oauth/scopes';
import type { ListingView, ToolProvider } from './tool-requests';

export type CallOperation = (entry: CatalogEntry, args: Record<string, unknown>, signal: AbortSignal, principal: Principal | undefined) => Promise<CallToolResult>;

export class CatalogTools implements ToolProvider {
  private listings = new Map<string, ToolListing>();

  /** `onChange` runs after each change is adopted (to notify sessions). */
  constructor(
    private readonly cache: CatalogCache,
    private readonly call: CallOperation,
    onChange: () => void,
    private readonly pageSize?: number,
  ) {
    cache.onChange(() => {
      this.listings = new Map();
      onChange();
    });
  }

  listTools(cursor: string | undefined, view: ListingView): ToolsPage {
    return this.listing(view).page(cursor);
  }

  listToolsJson(cursor: string | undefined, view: ListingView): Uint8Array {
    return this.listing(view).pageBytes(cursor);
  }

  findTool(name: string): CatalogEntry | undefined {
    return this.cache.current.byName.get(name);
  }

  callTool(entry: CatalogEntry, args: Record<string, unknown>, signal: AbortSignal, principal: Principal | undefined): Promise<CallToolResult> {
    return this.call(entry, args, signal, principal);
  }

  /** How many tools need exactly each scope (what the consent page says each one unlocks). */
  countByScope(): Record<Scope, number> {
    const counts: Record<Scope, number> = { read: 0, write: 0, admin: 0 };
    for (const entry of this.cache.current.entries) counts[entry.scope]++;
    return counts;
  }

  private listing(view: ListingView): ToolListing {
    const key = `${view.top ?? '*'}:${view.marked}`;
    let listing = this.listings.get(key);
    if (!listing) {
      listing = new ToolListing(entriesFor(this.cache.current.entries, view), this.pageSize);
      this.listings.set(key, listing);
    }
    return listing;
  }
}

function entriesFor(entries: readonly CatalogEntry[], { top, marked }: ListingView): CatalogEntry[] {
  if (top === undefined) return [...entries];
  const held = SCOPES.filter((scope) => allows([top], scope));
  if (!marked) return entries.filter((entry) => held.includes(entry.scope));
  return entries.map((entry) => (held.includes(entry.scope) ? entry : { ...entry, tool: locked(entry.tool, entry.scope) }));
}

/** A tool shown to a token that cannot call it: its description says what it needs. */
function locked(tool: Tool, scope: Scope): Tool {
  const note = `[Locked: needs the "${scope}" permission; reconnect and allow it to use this tool.]`;
  return { ...tool, description: tool.description ? `${note}\n\n${tool.description}` : note };
}
