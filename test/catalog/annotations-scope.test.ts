/**
 * Annotations from the method, overridable by `x-portico-annotations`; the required scope from the method,
 * overridable by `x-portico-scope`. An invalid override skips the operation, never silently weakens it.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { build, entry, expectWellFormed, noContent, oas30, removeTempDirs, skippedFor } from './helpers';

afterAll(removeTempDirs);

const METHODS = ['get', 'head', 'options', 'post', 'put', 'patch', 'delete'] as const;

/** One operation per method on /things, with the given extensions on each. */
function everyMethod(extensions: Record<string, unknown> = {}) {
  const item: Record<string, unknown> = {};
  for (const method of METHODS) item[method] = { operationId: `${method}Thing`, responses: noContent, ...extensions };
  return oas30({ '/things': item });
}

describe('annotations from the method', () => {
  test('GET, HEAD and OPTIONS are read-only', async () => {
    const catalog = await build(everyMethod());
    for (const method of ['get', 'head', 'options']) {
      const annotations = entry(catalog, `${method}_thing`).tool.annotations!;
      expect(annotations.readOnlyHint).toBe(true);
      expect(annotations.destructiveHint).not.toBe(true);
    }
  });

  test('DELETE is destructive and idempotent; PUT is idempotent; POST and PATCH are neither', async () => {
    const catalog = await build(everyMethod());
    const of = (method: string) => entry(catalog, `${method}_thing`).tool.annotations!;
    expect(of('delete')).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
    expect(of('put')).toMatchObject({ readOnlyHint: false, idempotentHint: true });
    expect(of('put').destructiveHint).not.toBe(true);
    for (const method of ['post', 'patch']) {
      expect(of(method).readOnlyHint).toBe(false);
      expect(of(method).idempotentHint).not.toBe(true);
      expect(of(method).destructiveHint).not.toBe(true);
    }
  });
});

describe('x-portico-annotations', () => {
  test('overrides the hints it names and leaves the others as the method sets them', async () => {
    const catalog = await build(
      oas30({
        '/search': { post: { operationId: 'search', 'x-portico-annotations': { readOnlyHint: true, idempotentHint: true }, responses: noContent } },
        '/cache': { delete: { operationId: 'clearCache', 'x-portico-annotations': { destructiveHint: false }, responses: noContent } },
        '/weather': { get: { operationId: 'weather', 'x-portico-annotations': { openWorldHint: true }, responses: noContent } },
      }),
    );
    expect(entry(catalog, 'search').tool.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });
    expect(entry(catalog, 'clear_cache').tool.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: true });
    expect(entry(catalog, 'weather').tool.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
    expectWellFormed(catalog);
  });

  test('does not change the scope', async () => {
    const catalog = await build(
      oas30({ '/search': { post: { operationId: 'search', 'x-portico-annotations': { readOnlyHint: true }, responses: noContent } } }),
    );
    expect(entry(catalog, 'search').scope).toBe('write');
  });

  test('an invalid override skips that operation with a reason naming the extension; the others are built', async () => {
    const catalog = await build(
      oas30({
        '/a': { get: { operationId: 'stringValue', 'x-portico-annotations': { readOnlyHint: 'yes' }, responses: noContent } },
        '/b': { get: { operationId: 'unknownHint', 'x-portico-annotations': { safeHint: true }, responses: noContent } },
        '/c': { get: { operationId: 'notAnObject', 'x-portico-annotations': true, responses: noContent } },
        '/d': { get: { operationId: 'fine', responses: noContent } },
      }),
    );
    expect(catalog.entries.map((e) => e.tool.name)).toEqual(['fine']);
    for (const path of ['/a', '/b', '/c']) {
      const skip = skippedFor(catalog, 'GET', path);
      expect(skip?.reason).toContain('x-portico-annotations');
    }
    expect(skippedFor(catalog, 'GET', '/a')?.reason).toContain('readOnlyHint');
    expect(skippedFor(catalog, 'GET', '/b')?.reason).toContain('safeHint');
  });
});

describe('scope', () => {
  test('read for GET/HEAD/OPTIONS, write for POST/PUT/PATCH, admin for DELETE', async () => {
    const catalog = await build(everyMethod());
    const scopes = Object.fromEntries(catalog.entries.map((e) => [e.target.method, e.scope]));
    expect(scopes).toEqual({ GET: 'read', HEAD: 'read', OPTIONS: 'read', POST: 'write', PUT: 'write', PATCH: 'write', DELETE: 'admin' });
  });

  test('x-portico-scope overrides the method, up or down', async () => {
    const catalog = await build(
      oas30({
        '/search': { post: { operationId: 'search', 'x-portico-scope': 'read', responses: noContent } },
        '/export': { get: { operationId: 'exportAll', 'x-portico-scope': 'admin', responses: noContent } },
        '/sessions/{id}': { delete: { operationId: 'logout', 'x-portico-scope': 'write', responses: noContent } },
      }),
    );
    expect(entry(catalog, 'search').scope).toBe('read');
    expect(entry(catalog, 'export_all').scope).toBe('admin');
    expect(entry(catalog, 'logout').scope).toBe('write');
  });

  test('an invalid x-portico-scope skips the operation (never lowers its scope) and names the value', async () => {
    const invalid: unknown[] = ['superuser', 'Admin', '', 42, null, ['admin']];
    const paths: Record<string, unknown> = { '/ok': { delete: { operationId: 'ok', responses: noContent } } };
    invalid.forEach((value, i) => {
      paths[`/bad${i}`] = { delete: { operationId: `bad${i}`, 'x-portico-scope': value, responses: noContent } };
    });
    const catalog = await build(oas30(paths));
    expect(catalog.entries.map((e) => [e.tool.name, e.scope])).toEqual([['ok', 'admin']]);
    expect(catalog.skipped).toHaveLength(invalid.length);
    for (const skip of catalog.skipped) expect(skip.reason).toContain('x-portico-scope');
    expect(skippedFor(catalog, 'DELETE', '/bad0')?.reason).toContain('superuser');
  });

  test('Swagger 2.0 operations get scopes and annotations the same way', async () => {
    const catalog = await build({
      swagger: '2.0',
      info: { title: 'T', version: '1' },
      paths: {
        '/x': {
          get: { operationId: 'readX', responses: { '200': { description: 'ok' } } },
          delete: { operationId: 'deleteX', 'x-portico-scope': 'write', responses: { '204': { description: 'ok' } } },
        },
      },
    });
    expect(entry(catalog, 'read_x')).toMatchObject({ scope: 'read', tool: { annotations: { readOnlyHint: true } } });
    expect(entry(catalog, 'delete_x')).toMatchObject({ scope: 'write', tool: { annotations: { destructiveHint: true } } });
  });
});
