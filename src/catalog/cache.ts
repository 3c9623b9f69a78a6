/**
 * @module catalog/cache
 * Keeps the catalog fresh: rebuilt from its source every TTL, revalidated with ETag/Last-Modified (or the
 * file's mtime and size) so an unchanged spec costs one cheap request and no rebuild. A failed refresh
 * keeps the last good catalog serving. Listeners hear what was added, removed and changed.
 */
import { stat } from 'node:fs/promises';
import { silentLogger, type Logger } from '../log';
import type { CatalogEvents } from '../ops/events';
import { SpecError } from './errors';
import { toolBytes } from './listing';
import { buildFromSource, type CatalogOptions, type LoadedCatalog } from './load';
import { readSource, sourceToUri } from './source';
import type { Catalog, CatalogEntry } from './types';

/** What a refresh changed, by tool name. */
export interface CatalogChange {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  readonly catalog: Catalog;
}

export interface CatalogCacheOptions extends CatalogOptions {
  /** A path or an http(s) URL. */
  readonly source: string;
  /** Seconds between refreshes; 0 turns refreshing off. @default 300 */
  readonly ttlSeconds?: number;
  /** @default a logger that discards */
  readonly log?: Logger;
  /** Told about every load and refresh (the metrics). */
  readonly events?: CatalogEvents;
  /**
   * Where the last good copy of the spec is kept (the store), so that an instance starts even when the
   * spec's source is unreachable; refreshing then goes on trying the source.
   */
  readonly snapshots?: SpecSnapshots;
}

/** The spec's documents as last built: the root's URI and every document's text. */
export interface SpecSnapshot {
  readonly uri: string;
  readonly documents: Readonly<Record<string, string>>;
}

export interface SpecSnapshots {
  load(): Promise<SpecSnapshot | null>;
  save(snapshot: SpecSnapshot): Promise<void>;
}

export const DEFAULT_SPEC_TTL_SECONDS = 300;

/** What the cache keeps of a catalog it built: not the documents' texts (Graph's is 20 MB), which only the snapshot needs. */
type Kept = Omit<LoadedCatalog, 'texts'>;

export class CatalogCache {
  private loaded?: Kept;
  private fileStats = new Map<string, string>();
  private listeners = new Set<(change: CatalogChange) => void>();
  private timer?: ReturnType<typeof setTimeout>;
  private inFlight?: Promise<CatalogChange | null>;
  private stopped = false;
  private readonly uri: string;
  private readonly log: Logger;

  constructor(private readonly options: CatalogCacheOptions) {
    const ttl = options.ttlSeconds ?? DEFAULT_SPEC_TTL_SECONDS;
    if (!Number.isFinite(ttl) || ttl < 0) throw new TypeError(`the spec TTL must be a number of seconds ≥ 0, got ${ttl}`);
    this.uri = sourceToUri(options.source);
    this.log = options.log ?? silentLogger;
  }

  /** The catalog being served. */
  get current(): Catalog {
    if (!this.loaded) throw new Error('the catalog cache has not been started');
    return this.loaded.catalog;
  }

  /** Builds the first catalog (throws `SpecError` if the spec is broken) and starts the refresh timer. */
  async start(): Promise<Catalog> {
    let loaded: LoadedCatalog;
    try {
      const fetched = (await readSource(this.uri, this.options))!;
      loaded = await buildFromSource(fetched, this.options);
      await this.adopt(loaded);
      this.log.info('catalog.loaded', summary(loaded.catalog, this.uri));
      this.options.events?.catalogLoaded();
    } catch (error) {
      // only an unreachable source falls back: a spec that is there but broken must be fixed, not masked
      const snapshot = error instanceof SpecError && error.code === 'SPEC_UNREADABLE' ? await this.options.snapshots?.load() : null;
      if (!snapshot || snapshot.uri !== this.uri || snapshot.documents[this.uri] === undefined) throw error;
      const text = snapshot.documents[this.uri]!;
      loaded = await buildFromSource({ uri: this.uri, body: text }, { ...this.options, preloaded: new Map(Object.entries(snapshot.documents)) });
      // the source's validators are unknown (no digest either): the first refresh reads and builds it in full
      this.serve(loaded);
      this.log.warn('catalog.from_snapshot', { ...summary(loaded.catalog, this.uri), reason: (error as Error).message });
      this.schedule();
      return loaded.catalog;
    }
    this.save(loaded);
    this.schedule();
    return loaded.catalog;
  }

  /** Keeps `loaded`'s documents as the last good copy; a failure is logged, never fatal. */
  private save(loaded: LoadedCatalog): void {
    const snapshots = this.options.snapshots;
    if (!snapshots) return;
    snapshots.save({ uri: this.uri, documents: Object.fromEntries(loaded.texts) }).catch((error: unknown) => {
      this.log.warn('catalog.snapshot_failed', { source: this.uri, error: error instanceof Error ? error.message : String(error) });
    });
  }

  /** Stops refreshing. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Serves `loaded` from now on (its tools' `tools/list` bytes are made ahead by the Toolbox that publishes them). */
  private serve(loaded: LoadedCatalog): void {
    this.loaded = kept(loaded);
  }

  /** Calls `listener` after every refresh that changed the tools. Returns a function that unsubscribes. */
  onChange(listener: (change: CatalogChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Re-reads the spec now. Resolves to the change, or null when nothing changed or the refresh failed
   * (the failure is logged and the last good catalog stays).
   */
  refresh(): Promise<CatalogChange | null> {
    this.inFlight ??= this.doRefresh().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async doRefresh(): Promise<CatalogChange | null> {
    const previous = this.loaded;
    if (!previous) throw new Error('the catalog cache has not been started');
    try {
      // A multi-file spec can change in any of its files, so the root's validators say too little.
      const multiDocument = previous.documents.length > 1;
      const unchanged = multiDocument && !(await this.filesChanged());
      const fetched = unchanged ? null : await readSource(this.uri, this.options, multiDocument ? undefined : previous.validators);
      if (!fetched) {
        this.log.debug('catalog.unchanged', { source: this.uri });
        this.options.events?.catalogRefreshed('unchanged');
        return null;
      }
      if (fetched.digest === previous.validators.digest && !multiDocument) {
        this.loaded = { ...previous, validators: withoutBody(fetched) };
        this.log.debug('catalog.unchanged', { source: this.uri });
        this.options.events?.catalogRefreshed('unchanged');
        return null;
      }
      const loaded = await buildFromSource(fetched, this.options);
      const change = diff(previous.catalog, loaded.catalog);
      await this.adopt(loaded);
      this.save(loaded);
      if (change.added.length + change.removed.length + change.changed.length === 0) {
        this.log.info('catalog.rebuilt', { ...summary(loaded.catalog, this.uri), changed: false });
        this.options.events?.catalogRefreshed('rebuilt');
        return null;
      }
      this.log.info('catalog.changed', {
        ...summary(loaded.catalog, this.uri),
        added: change.added.length,
        removed: change.removed.length,
        changed: change.changed.length,
      });
      this.options.events?.catalogRefreshed('changed');
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (error) {
          this.log.error('catalog.listener_failed', { error: String(error) });
        }
      }
      return change;
    } catch (error) {
      this.log.warn('catalog.refresh_failed', {
        source: this.uri,
        code: error instanceof SpecError ? error.code : 'INTERNAL',
        error: error instanceof Error ? error.message : String(error),
        serving: `last good catalog (${previous.catalog.entries.length} tools)`,
      });
      this.options.events?.catalogRefreshed('failed');
      return null;
    }
  }

  private async adopt(loaded: LoadedCatalog): Promise<void> {
    this.serve(loaded);
    this.fileStats = await fileStats(loaded.documents);
  }

  /** True when any file of a multi-file spec changed since the last build (always, for documents behind URLs). */
  private async filesChanged(): Promise<boolean> {
    const documents = this.loaded?.documents ?? [];
    if (documents.some((uri) => !uri.startsWith('file:'))) return true;
    const now = await fileStats(documents);
    return documents.some((uri) => now.get(uri) !== this.fileStats.get(uri));
  }

  private schedule(): void {
    const ttl = this.options.ttlSeconds ?? DEFAULT_SPEC_TTL_SECONDS;
    if (ttl === 0) return;
    this.timer = setTimeout(async () => {
      await this.refresh();
      if (this.timer) this.schedule();
    }, ttl * 1000);
    this.timer.unref?.();
  }
}

/** Tools added, removed, and changed in any way a client or the proxy would notice. */
export function diff(before: Catalog, after: Catalog): CatalogChange {
  const added: string[] = [];
  const changed: string[] = [];
  for (const [name, entry] of after.byName) {
    const old = before.byName.get(name);
    if (!old) added.push(name);
    else if (!sameEntry(old, entry)) changed.push(name);
  }
  const removed = [...before.byName.keys()].filter((name) => !after.byName.has(name));
  return { added, removed, changed, catalog: after };
}

/**
 * Whether two entries are the same as JSON: their tools' bytes (made for `tools/list` anyway, the old one's most
 * likely already) and the rest of them, each entry serialised once instead of twice per refresh.
 */
function sameEntry(old: CatalogEntry, entry: CatalogEntry): boolean {
  return Buffer.compare(toolBytes(old.tool), toolBytes(entry.tool)) === 0 && JSON.stringify({ ...old, tool: 0 }) === JSON.stringify({ ...entry, tool: 0 });
}

async function fileStats(uris: readonly string[]): Promise<Map<string, string>> {
  const stats = await Promise.all(
    uris.map(async (uri): Promise<[string, string]> => {
      if (!uri.startsWith('file:')) return [uri, ''];
      try {
        const info = await stat(new URL(uri));
        return [uri, `${info.mtimeMs}:${info.size}`];
      } catch {
        return [uri, 'missing'];
      }
    }),
  );
  return new Map(stats);
}

function kept({ texts: _, ...rest }: LoadedCatalog): Kept {
  return rest;
}

function withoutBody<T extends { body: unknown; uri: string }>(fetched: T): Omit<T, 'body' | 'uri'> {
  const { body: _, uri: __, ...rest } = fetched;
  return rest;
}

function summary(catalog: Catalog, source: string): Record<string, unknown> {
  return {
    source,
    title: catalog.title,
    operations: catalog.operationCount,
    tools: catalog.entries.length,
    skipped: catalog.skipped.length,
    // few, and an operator should see why an operation of theirs is not a tool
    ...(catalog.withheld.length > 0 && { withheld: catalog.withheld.map((operation) => `${operation.operation}: ${operation.reason}`) }),
  };
}
