/**
 * @module calls/toolbox
 * The tools the gateway offers: the current catalogs' entries (the gateway's API and those plugins add) as
 * the plugins' rules shape them, kept in step with their caches, each with the API (source) its calls go to.
 * A listing is built once per catalog and per view (the scopes a token reaches), so tools/list stays a copy
 * of ready bytes whoever asks. When plugins decide per caller who sees which tool (`visibleTo`), a listing is
 * per caller too, and a tool hidden from a caller is not found for them (`findToolFor`); those are kept for the
 * most recent callers only, and without such rules nothing of this runs.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { ToolListing, type CatalogCache, type CatalogChange, type CatalogEntry, type ToolsPage } from '../catalog';
import { prepareToolBytes, type JsonParts } from '../catalog/listing';
import { allows, SCOPES, type Scope } from '../oauth/scopes';
import { silentLogger, type Logger } from '../log';
import { couldGrant, type Principal } from '../oauth/bearer';
import { applyPlugins, type ToolEntry } from '../plugins/catalog';
import { callerOf } from '../plugins/context';
import type { PluginHost } from '../plugins/host';
import { callerKey, Visibility } from '../plugins/visibility';
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
  /** Who asks: read only when plugins' `visibleTo` rules make listings per caller. */
  readonly principal?: Principal;
  /** The toolsets a connection chose (`toolsetsOf`): only their tools are listed. Undefined: all. */
  readonly toolsets?: ReadonlySet<string>;
}

/**
 * The toolsets a tool belongs to: its operation's tags, written as a URL takes them (lower case, words joined by
 * hyphens: "Pull Requests" → `pull-requests`); for an operation without tags (all of Stripe's), what its path is
 * about: its first segment that is not a version or "api" (`/v1/customers/{customer}` → `customers`), else `other`;
 * a plugin's tool, its plugin's name (`read-cache.ts` → `read-cache`).
 */
export function toolsetsOf(entry: ToolEntry | CatalogEntry): readonly string[] {
  if ('kind' in entry && entry.kind === 'plugin') return [toolsetName(entry.plugin.replace(/\.[cm]?[jt]s$/, ''))];
  const tags = entry.target.tags.map(toolsetName).filter((tag) => tag !== '');
  if (tags.length > 0) return tags;
  const segment = entry.target.path.split('/').find((part) => part !== '' && !part.includes('{') && !UNGROUPED_SEGMENT.test(part));
  return [segment ? toolsetName(segment) || 'other' : 'other'];
}

/** Path segments that say nothing of what an operation is about: versions (`v1`, `2024-01-01`) and `api`. */
const UNGROUPED_SEGMENT = /^(v\d+(\.\d+)*|\d{4}-\d{2}(-\d{2})?|api|rest)$/i;

/** A name as toolsets are named: lower case, runs of anything but letters and digits made one hyphen. */
export function toolsetName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** How many callers' visible tools (and listings) are kept with `visibleTo` rules; the others' are worked out again. */
const KEPT_CALLERS = 500;

export class Toolbox {
  private listings = new Map<string, ToolListing>();
  private entries: ToolEntry[];
  private counted: { entries: readonly ToolEntry[]; counts: ReadonlyMap<string, number> } | undefined;
  private byName: Map<string, ToolEntry>;
  /** The plugins' per-caller rules; undefined without any (then every caller sees the same tools). */
  private readonly visibility: Visibility | undefined;
  /** With `visibility`: the names each recent caller may see, and their listings by caller and view. */
  private seen = new Recent<ReadonlySet<string>>(KEPT_CALLERS);
  private callerListings = new Recent<ToolListing>(KEPT_CALLERS * 2);

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
    this.prepare();
    this.byName = new Map(this.entries.map((entry) => [entry.tool.name, entry]));
    this.visibility = plugins && plugins.visibility.length > 0 ? new Visibility(plugins.visibility, log) : undefined;
    for (const { cache } of this.sources) {
      cache.onChange(() => {
        try {
          this.entries = applyPlugins(this.plugins, combined(this.sources));
          this.prepare();
        } catch (error) {
          log.error('plugin.catalog_rule_failed', { error: error instanceof Error ? error.message : String(error), serving: 'the tools as they were' });
          return;
        }
        this.byName = new Map(this.entries.map((entry) => [entry.tool.name, entry]));
        this.listings = new Map();
        this.seen = new Recent(KEPT_CALLERS);
        this.callerListings = new Recent(KEPT_CALLERS * 2);
        for (const listener of this.listeners) listener();
      });
    }
  }

  /**
   * Makes the `tools/list` bytes of the tools served now, in the background, for as long as they are the ones served:
   * these tools, as the plugins published them (renamed, pinned, from another API), not the catalogs', so that no
   * client's request has to make them.
   */
  private prepare(): void {
    const entries = this.entries;
    prepareToolBytes(entries, () => this.entries === entries);
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

  /** The same page as UTF-8 JSON, in parts (`ToolListing.pageParts`): its tools' bytes made once per catalog. */
  listToolsJson(cursor: string | undefined, view: ListingView): JsonParts {
    return this.listing(view).pageParts(cursor);
  }

  /** The tool named `name`, whoever asks (the whole catalog; a call must use `findToolFor`). */
  findTool(name: string): ToolEntry | undefined {
    return this.byName.get(name);
  }

  /** The tool named `name` as `principal` may see it: undefined when there is none, or a plugin's `visibleTo` rule hides it from them. */
  findToolFor(name: string, principal: Principal | undefined): ToolEntry | undefined {
    const entry = this.byName.get(name);
    if (!entry || !this.visibility) return entry;
    return this.visibleTo(principal).has(name) ? entry : undefined;
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

  /** Every toolset and how many tools it holds, by name. */
  get toolsets(): ReadonlyMap<string, number> {
    if (this.counted?.entries !== this.entries) {
      const counts = new Map<string, number>();
      for (const entry of this.entries) for (const name of toolsetsOf(entry)) counts.set(name, (counts.get(name) ?? 0) + 1);
      this.counted = { entries: this.entries, counts: new Map([...counts].sort(([a], [b]) => a.localeCompare(b))) };
    }
    return this.counted.counts;
  }

  private listing(view: ListingView): ToolListing {
    const key = `${view.top ?? '*'}:${view.marked}:${view.toolsets ? [...view.toolsets].sort().join(',') : '*'}`;
    if (this.visibility) return this.callerListing(key, view);
    let listing = this.listings.get(key);
    if (!listing) {
      listing = new ToolListing(entriesFor(this.entries, view), this.pageSize);
      this.listings.set(key, listing);
    }
    return listing;
  }

  /** The listing of `view` for the caller in it, of the tools the `visibleTo` rules let them see. */
  private callerListing(viewKey: string, view: ListingView): ToolListing {
    const caller = callerOf(view.principal);
    const key = `${viewKey}\n${callerKey(caller)}`;
    let listing = this.callerListings.get(key);
    if (!listing) {
      const seen = this.visibleTo(view.principal);
      listing = new ToolListing(entriesFor(this.entries.filter((entry) => seen.has(entry.tool.name)), view), this.pageSize);
      this.callerListings.set(key, listing);
    }
    return listing;
  }

  /** The names of the tools `principal` may see, by every `visibleTo` rule (worked out once per caller and catalog). */
  private visibleTo(principal: Principal | undefined): ReadonlySet<string> {
    const caller = callerOf(principal);
    const key = callerKey(caller);
    let seen = this.seen.get(key);
    if (!seen) {
      const visibility = this.visibility!;
      seen = new Set(this.entries.filter((entry) => visibility.sees(entry.info, caller)).map((entry) => entry.tool.name));
      this.seen.set(key, seen);
    }
    return seen;
  }
}

/** A Map of at most `size` keys that drops the least recently used (a Map keeps insertion order; a hit moves to the end). */
class Recent<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly size: number) {}

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
  }
}

/** Every API's operations, those of APIs plugins added named with their prefix. */
function combined(sources: readonly ToolSource[]): CatalogEntry[] {
  return sources.flatMap(({ cache, prefix, api }) =>
    api === undefined ? cache.current.entries : cache.current.entries.map((entry) => ({ ...entry, api, tool: { ...entry.tool, name: `${prefix}${entry.tool.name}` } })),
  );
}

function entriesFor(all: readonly ToolEntry[], { top, marked, toolsets, principal }: ListingView): { tool: Tool }[] {
  const entries = toolsets ? all.filter((entry) => toolsetsOf(entry).some((name) => toolsets.has(name))) : all;
  if (top === undefined) return [...entries];
  const held = SCOPES.filter((scope) => allows([top], scope));
  if (!marked) return entries.filter((entry) => held.includes(entry.scope));
  return entries.map((entry) => (held.includes(entry.scope) ? entry : { ...entry, tool: locked(entry.tool, entry.scope, principal) }));
}

/** A tool shown to a token that cannot call it: its description says what it needs, and whether reconnecting can give it. */
function locked(tool: Tool, scope: Scope, principal: Principal | undefined): Tool {
  const note =
    principal && !couldGrant(principal, scope)
      ? `[Locked: needs the "${scope}" permission, which your account's role does not allow.]`
      : `[Locked: needs the "${scope}" permission; reconnect and allow it to use this tool.]`;
  return { ...tool, description: tool.description ? `${note}\n\n${tool.description}` : note };
}
