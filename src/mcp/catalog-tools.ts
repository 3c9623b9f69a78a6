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
import { silentLogger, type Logger } from '../log';
import { applyPlugins, type ToolEntry } from '../plugins/catalog';
import type { PluginHost } from '../plugins/host';
import type { ListingView, ToolProvider } from './tool-requests';

export type CallOperation = (entry: CatalogEntry, args: Record<string, unknown>, signal: AbortSignal, principal: Principal | undefined) => Promise<CallToolResult>;

export class CatalogTools implements ToolProvider {
  private listings = new Map<string, ToolListing>();
  private entries: ToolEntry[];
  private byName: Map<string, ToolEntry>;

  /**
   * `onChange` runs after each change is adopted (to notify sessions). With `plugins`, their rules shape
   * every catalog and their tools are added; a rule that fails on a refresh keeps the tools as they were.
   * Throws `PluginError` when the rules fail on the first catalog (the start must stop).
   */
  constructor(
    private readonly cache: CatalogCache,
    private readonly call: CallOperation,
    onChange: () => void,
    private readonly pageSize?: number,
    private readonly plugins?: PluginHost,
    log: Logger = silentLogger,
  ) {
    this.entries = applyPlugins(plugins, cache.current.entries);
    this.byName = new Map(this.entries.map((entry) => [entry.tool.name, entry]));
    cache.onChange((change) => {
      try {
        this.entries = applyPlugins(this.plugins, change.catalog.entries);
      } catch (error) {
        log.error('plugin.catalog_rule_failed', { error: error instanceof Error ? error.message : String(error), serving: 'the tools as they were' });
        return;
      }
      this.byName = new Map(this.entries.map((entry) => [entry.tool.name, entry]));
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

  findTool(name: string): ToolEntry | undefined {
    return this.byName.get(name);
  }

  callTool(entry: CatalogEntry, args: Record<string, unknown>, signal: AbortSignal, principal: Principal | undefined): Promise<CallToolResult> {
    return this.call(entry, args, signal, principal);
  }

  /** How many tools need exactly each scope (what the consent page says each one unlocks). */
  countByScope(): Record<Scope, number> {
    const counts: Record<Scope, number> = { read: 0, write: 0, admin: 0 };
    for (const entry of this.entries) counts[entry.scope]++;
    return counts;
  }

  private listing(view: ListingView): ToolListing {
    const key = `${view.top ?? '*'}:${view.marked}`;
    let listing = this.listings.get(key);
    if (!listing) {
      listing = new ToolListing(entriesFor(this.entries, view), this.pageSize);
      this.listings.set(key, listing);
    }
    return listing;
  }
}

function entriesFor(entries: readonly ToolEntry[], { top, marked }: ListingView): { tool: Tool }[] {
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
