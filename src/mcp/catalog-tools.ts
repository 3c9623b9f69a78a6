/**
 * @module mcp/catalog-tools
 * The tools an MCP server offers: the current catalogs' pages and entries (the gateway's API and those
 * plugins add), kept in step with their caches, and calls handed to the proxy of the API each belongs to. A listing is built once per catalog and per view (the
 * scopes a token reaches), so tools/list stays a copy of ready bytes whoever asks.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { ToolListing, type CatalogCache, type CatalogEntry, type ToolsPage } from '../catalog';
import type { Principal } from '../oauth/bearer';
import { allows, SCOPES, type Scope } from '../oauth/scopes';
import { silentLogger, type Logger } from '../log';
import { applyPlugins, type ToolEntry } from '../plugins/catalog';
import type { PluginHost } from '../plugins/host';
import type { Called } from '../proxy';
import type { ListingView, ToolProvider } from './tool-requests';

/** Calls one operation: its result with the status the API answered (`proxy`'s `callTool`). */
export type CallOperation = (entry: CatalogEntry, args: Record<string, unknown>, signal: AbortSignal, principal: Principal | undefined) => Promise<Called>;

/** One API's catalog and how its operations are called: the gateway's own, or one a plugin added. */
export interface ToolSource {
  readonly cache: CatalogCache;
  readonly call: CallOperation;
  /** Put before each tool's name ('' for the gateway's own API). */
  readonly prefix: string;
  /** The name a plugin gave the API; absent for the gateway's own. */
  readonly api?: string;
}

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
    /** The gateway's own API first. */
    private readonly sources: readonly ToolSource[],
    onChange: () => void,
    private readonly pageSize?: number,
    private readonly plugins?: PluginHost,
    log: Logger = silentLogger,
  ) {
    this.entries = applyPlugins(plugins, combined(this.sources));
    this.byName = new Map(this.entries.map((entry) => [entry.tool.name, entry]));
    for (const { cache } of this.sources) {
      cache.onChange(() => {
        try {
          this.entries = applyPlugins(this.plugins, combined(this.sources));
        } catch (error) {
          log.error('plugin.catalog_rule_failed', { error: error instanceof Error ? error.message : String(error), serving: 'the tools as they were' });
          return;
        }
        this.byName = new Map(this.entries.map((entry) => [entry.tool.name, entry]));
        this.listings = new Map();
        onChange();
      });
    }
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

  callTool(entry: CatalogEntry, args: Record<string, unknown>, signal: AbortSignal, principal: Principal | undefined): Promise<Called> {
    const source = entry.api === undefined ? this.sources[0]! : this.sources.find((candidate) => candidate.api === entry.api)!;
    return source.call(entry, args, signal, principal);
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

/** Every API's operations, those of APIs plugins added named with their prefix. */
function combined(sources: readonly ToolSource[]): CatalogEntry[] {
  return sources.flatMap(({ cache, prefix, api }) =>
    api === undefined ? cache.current.entries : cache.current.entries.map((entry) => ({ ...entry, api, tool: { ...entry.tool, name: `${prefix}${entry.tool.name}` } })),
  );
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
