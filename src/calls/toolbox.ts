/**
 * @module calls/toolbox
 * The tools the gateway offers: the current catalogs' entries (the gateway's API and those plugins add) as
 * the plugins' rules shape them, kept in step with their caches, each with the API (source) its calls go to.
 * A listing is built once per catalog and per view (the scopes a token reaches), so tools/list stays a copy
 * of ready bytes whoever asks.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { ToolListing, type CatalogCache, type CatalogChange, type CatalogEntry, type ToolsPage } from '../catalog';
import { allows, SCOPES, type Scope } from '../oauth/scopes';
import { silentLogger, type Logger } from '../log';
import { applyPlugins, type ToolEntry } from '../plugins/catalog';
import type { PluginHost } from '../plugins/host';
import type { Proxy } from '../proxy';

/** One API: its catalog, and the proxy its operations' calls go through. The gateway's own, or one a plugin added. */
export interface ToolSource {
  readonly cache: CatalogCache;
  readonly proxy: Proxy;
  /** Whether the signed-in user's own credential goes to this API (else the proxy's headers, the same for everyone). */
  readonly userCredential: boolean;
  /** Put before each tool's name ('' for the gateway's own API). */
  readonly prefix: string;
  /** The name a plugin gave the API; absent for the gateway's own. */
  readonly api?: string;
}

/** Which tools a listing shows: up to `top` (all when undefined); `marked`: all, those above `top` marked locked. */
export interface ListingView {
  readonly top: Scope | undefined;
  readonly marked: boolean;
}

export class Toolbox {
  private listings = new Map<string, ToolListing>();
  private entries: ToolEntry[];
  private byName: Map<string, ToolEntry>;

  private readonly listeners: (() => void)[] = [];

  /**
   * With `plugins`, their rules shape every catalog and their tools are added; a rule that fails on a refresh
   * keeps the tools as they were. Throws `PluginError` when the rules fail on the first catalog (the start must stop).
   */
  constructor(
    /** The gateway's own API first. */
    private readonly sources: readonly ToolSource[],
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
        for (const listener of this.listeners) listener();
      });
    }
  }

  /** Runs `listener` after each change of the tools is adopted (to tell the open sessions). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Whether every API's catalog is in (`current` throws until the first one is). */
  get loaded(): boolean {
    try {
      for (const { cache } of this.sources) void cache.current;
      return true;
    } catch {
      return false;
    }
  }

  /** Every tool served now, as the plugins' rules shaped them (the full catalog: no scope applied). */
  get all(): readonly ToolEntry[] {
    return this.entries;
  }

  /** Reads every API's document again now (instead of waiting for the TTL): each API's change (null: none), in source order; the changes are adopted. */
  refresh(): Promise<(CatalogChange | null)[]> {
    return Promise.all(this.sources.map(({ cache }) => cache.refresh()));
  }

  /** How many tools the catalogs serve now. */
  get size(): number {
    return this.entries.length;
  }

  /** The tools/list page a cursor names; throws `InvalidCursorError` for a cursor that is not valid now. */
  listTools(cursor: string | undefined, view: ListingView): ToolsPage {
    return this.listing(view).page(cursor);
  }

  /** The same page as UTF-8 JSON, built once per catalog and view. */
  listToolsJson(cursor: string | undefined, view: ListingView): Uint8Array {
    return this.listing(view).pageBytes(cursor);
  }

  findTool(name: string): ToolEntry | undefined {
    return this.byName.get(name);
  }

  /** The API `entry` belongs to. */
  sourceOf(entry: CatalogEntry): ToolSource {
    return entry.api === undefined ? this.sources[0]! : this.sources.find((candidate) => candidate.api === entry.api)!;
  }

  /** Stops refreshing every catalog (shutdown). */
  stop(): void {
    for (const { cache } of this.sources) cache.stop();
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
