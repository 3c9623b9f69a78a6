/**
 * Shared helpers for the catalog tests: small documents written to a temp dir, the catalog built from
 * them by the real loader, and checks every catalog must pass (2020-12 meta-schema, name pattern).
 */
import { expect } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { removeTempDirs, tempDir } from '../fixtures/temp';
import { loadCatalog, type Catalog, type CatalogEntry, type CatalogOptions } from '../../src/catalog/index';

export const FIXTURES = join(import.meta.dir, '..', 'fixtures', 'catalog');
export const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export { removeTempDirs, tempDir };

/** Writes `files` (name → object or raw text) into a fresh temp dir; returns the dir. */
export function writeFiles(files: Record<string, unknown>): string {
  const dir = tempDir();
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

/** Writes `doc` as `openapi.json` in a temp dir and builds its catalog. */
export async function build(doc: unknown, options: CatalogOptions = {}): Promise<Catalog> {
  const dir = writeFiles({ 'openapi.json': doc });
  return (await loadCatalog(join(dir, 'openapi.json'), options)).catalog;
}

/** An OpenAPI 3.0 document around `paths` (and `components.schemas`). */
export function oas30(paths: Record<string, unknown>, schemas?: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    openapi: '3.0.3',
    info: { title: 'Test API', version: '1.0.0' },
    paths,
    ...(schemas ? { components: { schemas } } : {}),
    ...extra,
  };
}

/** An OpenAPI 3.1 document around `paths` (and `components.schemas`). */
export function oas31(paths: Record<string, unknown>, schemas?: Record<string, unknown>) {
  return { ...oas30(paths, schemas), openapi: '3.1.0' };
}

/** A JSON request body (OpenAPI 3). */
export const jsonBody = (schema: unknown, required = true) => ({ required, content: { 'application/json': { schema } } });

/** A 200 JSON response (OpenAPI 3). */
export const jsonOk = (schema: unknown) => ({ '200': { description: 'OK', content: { 'application/json': { schema } } } });

export const noContent = { '204': { description: 'No content' } };

/** The entry for the tool `name`; fails the test when there is none. */
export function entry(catalog: Catalog, name: string): CatalogEntry {
  const found = catalog.byName.get(name);
  if (!found) throw new Error(`no tool "${name}"; tools: ${catalog.entries.map((e) => e.tool.name).join(', ')}; skipped: ${JSON.stringify(catalog.skipped)}`);
  return found;
}

/** The entry for `METHOD path`; fails the test when there is none. */
export function entryFor(catalog: Catalog, method: string, path: string): CatalogEntry {
  const found = catalog.entries.find((e) => e.target.method === method && e.target.path === path);
  if (!found) throw new Error(`no tool for ${method} ${path}; skipped: ${JSON.stringify(catalog.skipped)}`);
  return found;
}

export type Schema = Record<string, any>;
export const inputOf = (catalog: Catalog, name: string): Schema => entry(catalog, name).tool.inputSchema as Schema;
export const outputOf = (catalog: Catalog, name: string): Schema | undefined => entry(catalog, name).tool.outputSchema as Schema | undefined;

const metaAjv = new Ajv2020({ strict: false });

/** Why `schema` is not valid against the 2020-12 meta-schema, or null. */
export function metaSchemaErrors(schema: unknown): string | null {
  if (metaAjv.validateSchema(schema as object) === true) return null;
  return metaAjv.errorsText(metaAjv.errors);
}

/** Every tool: name matches the pattern, names are unique, both schemas are valid 2020-12 objects. */
export function expectWellFormed(catalog: Catalog): void {
  const names = catalog.entries.map((e) => e.tool.name);
  expect(new Set(names).size).toBe(names.length);
  for (const { tool } of catalog.entries) {
    expect(tool.name).toMatch(NAME_PATTERN);
    expect({ tool: tool.name, input: metaSchemaErrors(tool.inputSchema) }).toEqual({ tool: tool.name, input: null });
    expect(tool.inputSchema.type).toBe('object');
    if (tool.outputSchema) {
      expect({ tool: tool.name, output: metaSchemaErrors(tool.outputSchema) }).toEqual({ tool: tool.name, output: null });
      expect(tool.outputSchema.type).toBe('object');
    }
  }
}

/** Validates `value` against `schema` (formats not checked). */
export function accepts(schema: unknown, value: unknown): boolean {
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  return ajv.validate(schema as object, value) as boolean;
}

/** Every object node in `value`, with its JSON path. */
export function* nodes(value: unknown, path = '$'): Generator<[string, Record<string, unknown>]> {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* nodes(item, `${path}[${i}]`);
    return;
  }
  yield [path, value as Record<string, unknown>];
  for (const [key, child] of Object.entries(value)) yield* nodes(child, `${path}.${key}`);
}

/** The skip record whose operation label starts with `METHOD /path`. */
export function skippedFor(catalog: Catalog, method: string, path: string) {
  return catalog.skipped.find((s) => s.operation === `${method} ${path}` || s.operation.startsWith(`${method} ${path} `));
}

/** Every string of 0 to `maxLength` characters over `alphabet`: each way its characters can follow one another. */
export function everyString(alphabet: readonly string[], maxLength: number): string[] {
  const all = [''];
  for (let length = 1, level = ['']; length <= maxLength; length++) {
    level = level.flatMap((prefix) => alphabet.map((c) => prefix + c));
    all.push(...level);
  }
  return all;
}

/** A whole number below `n`, from a seeded xorshift32: the same sequence on every run. */
export function seededRandom(seed: number): (n: number) => number {
  return (n) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
}
