/**
 * @module catalog
 * OpenAPI document → MCP tools. `loadCatalog` builds once; `CatalogCache` keeps a catalog fresh.
 */
export { ANNOTATIONS_EXTENSION, SCOPE_EXTENSION } from './build';
export { SpecError, type SpecErrorCode } from './errors';
export { loadCatalog, buildFromSource, type CatalogOptions, type LoadedCatalog } from './load';
export { assignNames, baseName, shorten, snakeCase, TOOL_NAME_PATTERN } from './names';
export type * from './types';
export { CatalogCache, DEFAULT_SPEC_TTL_SECONDS, diff, type CatalogCacheOptions, type CatalogChange, type SpecSnapshot, type SpecSnapshots } from './cache';
export { DEFAULT_PAGE_SIZE, InvalidCursorError, ToolListing, type ToolsPage } from './listing';
export { discoverSpec } from './discover';
export { CREDENTIALS_EXTENSION, operationMatches, SIGN_IN_REASON } from './withheld';
