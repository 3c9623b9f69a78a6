/**
 * @module catalog/load
 * From a spec location to a built catalog: read, resolve, read operations, build tools.
 */
import { buildTools } from './build';
import { DocumentSet, type LoadOptions } from './documents';
import { readOperations } from './operations';
import { readSource, sourceToUri, type DocumentBody, type SourceValidators } from './source';
import type { BuildOptions, Catalog, CatalogEntry } from './types';

export interface CatalogOptions extends BuildOptions, LoadOptions {}

/** A catalog and what is needed to tell, next time, whether its source changed. */
export interface LoadedCatalog {
  readonly catalog: Catalog;
  readonly validators: SourceValidators;
  /** Every document the catalog was built from (the root first). */
  readonly documents: readonly string[];
  /** Their texts, by URI: what a snapshot keeps. */
  readonly texts: ReadonlyMap<string, string>;
}

/** Reads the spec at `source` (path or URL) and builds its catalog. Throws `SpecError` for a broken document. */
export async function loadCatalog(source: string, options: CatalogOptions = {}): Promise<LoadedCatalog> {
  const uri = sourceToUri(source);
  const fetched = (await readSource(uri, options))!;
  return buildFromSource(fetched, options);
}

/** Builds a catalog from a document already read. */
export async function buildFromSource(fetched: { readonly uri: string; readonly body: DocumentBody } & SourceValidators, options: CatalogOptions & { preloaded?: ReadonlyMap<string, string> } = {}): Promise<LoadedCatalog> {
  const documents = await DocumentSet.load(fetched.uri, fetched.body, options);
  const read = readOperations(documents);
  const built = buildTools(documents, read, options);
  const byName = new Map<string, CatalogEntry>(built.entries.map((entry) => [entry.tool.name, entry]));
  const { body: _, uri: __, ...validators } = fetched;
  return {
    catalog: {
      title: read.title,
      version: read.version,
      specVersion: read.specVersion,
      operationCount: read.operations.length,
      entries: built.entries,
      byName,
      skipped: built.skipped,
      withheld: built.withheld,
      warnings: built.warnings,
    },
    validators,
    documents: documents.uris,
    texts: documents.texts,
  };
}
