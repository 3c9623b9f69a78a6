/**
 * Broken documents are a `SpecError` whose message names the problem and where it is; a broken operation
 * is skipped with a reason while every other operation still becomes a tool.
 */
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalog, SpecError } from '../../src/catalog/index';
import { build, entry, expectWellFormed, jsonBody, jsonOk, noContent, oas30, removeTempDirs, skippedFor, tempDir, writeFiles } from './helpers';

afterAll(removeTempDirs);

/** The SpecError that loading `source` throws; fails the test when it does not throw one. */
async function specError(source: string): Promise<SpecError> {
  try {
    await loadCatalog(source);
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    return error as SpecError;
  }
  throw new Error(`loading ${source} did not throw`);
}

/** Writes `text` as `name` in a temp dir; returns its path. */
function file(name: string, text: string): string {
  return join(writeFiles({ [name]: text }), name);
}

describe('not JSON or YAML', () => {
  test('a YAML syntax error names the file and the line it is on', async () => {
    const path = file(
      'openapi.yaml',
      ['openapi: 3.0.3', 'info:', '  title: Broken', '  version: "1"', 'paths:', '  /a:', '    get:', '      summary: ok', '     oops: this line is mis-indented', '      responses: {}'].join('\n'),
    );
    const error = await specError(path);
    expect(error.code).toBe('SPEC_PARSE');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/\bline 9\b/);
  });

  test('a JSON syntax error names the file and the line it is on', async () => {
    const path = file('openapi.json', '{\n  "openapi": "3.0.3",\n  "info": { "title": "x", "version": "1" },\n  "paths": { "/a": { ,} }\n}\n');
    const error = await specError(path);
    expect(error.code).toBe('SPEC_PARSE');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/\bline 4\b/);
  });

  test('an empty file says it is empty', async () => {
    const path = file('openapi.yaml', '  \n');
    const error = await specError(path);
    expect(error.code).toBe('SPEC_PARSE');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/empty/i);
  });
});

describe('not OpenAPI', () => {
  for (const [label, text] of [
    ['a JSON object without openapi or swagger', '{"hello": "world", "paths": {}}'],
    ['a YAML scalar (an HTML page, say)', '<html><body>Not found</body></html>'],
    ['a JSON array', '[1, 2, 3]'],
  ] as const) {
    test(`${label} is SPEC_INVALID naming the file`, async () => {
      const path = file('spec.json', text);
      const error = await specError(path);
      expect(error.code).toBe('SPEC_INVALID');
      expect(error.message).toContain(path);
      expect(error.message).toMatch(/openapi/i);
    });
  }

  test('a document without "paths" says so', async () => {
    const path = file('openapi.json', JSON.stringify({ openapi: '3.0.3', info: { title: 'x', version: '1' } }));
    const error = await specError(path);
    expect(error.code).toBe('SPEC_INVALID');
    expect(error.message).toContain(path);
    expect(error.message).toContain('"paths"');
  });

  test('"paths" that is not an object says so', async () => {
    const error = await specError(file('openapi.json', JSON.stringify({ openapi: '3.0.3', info: { title: 'x', version: '1' }, paths: ['/a'] })));
    expect(error.code).toBe('SPEC_INVALID');
    expect(error.message).toContain('"paths"');
  });

  test('a 3.1 document with only webhooks is valid and has no tools', async () => {
    const { catalog } = await loadCatalog(file('openapi.json', JSON.stringify({ openapi: '3.1.0', info: { title: 'x', version: '1' }, webhooks: {} })));
    expect(catalog.entries).toEqual([]);
    expect(catalog.specVersion).toBe('3.1.0');
  });

  for (const [field, version] of [
    ['swagger', '1.2'],
    ['openapi', '4.0.0'],
    ['openapi', '2.0'],
  ] as const) {
    test(`an unsupported version (${field}: ${version}) names the version`, async () => {
      const path = file('openapi.json', JSON.stringify({ [field]: version, info: { title: 'x', version: '1' }, paths: {} }));
      const error = await specError(path);
      expect(error.code).toBe('SPEC_INVALID');
      expect(error.message).toContain(version);
      expect(error.message).toContain(path);
    });
  }
});

describe('unreadable', () => {
  test('a missing file names the path', async () => {
    const path = join(tempDir(), 'nope', 'openapi.yaml');
    const error = await specError(path);
    expect(error.code).toBe('SPEC_UNREADABLE');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/no such file/i);
  });

  test('a directory is not a spec', async () => {
    const dir = join(tempDir(), 'spec.json');
    mkdirSync(dir);
    const error = await specError(dir);
    expect(error.code).toBe('SPEC_UNREADABLE');
    expect(error.message).toContain(dir);
  });

  describe('over HTTP', () => {
    let server: ReturnType<typeof Bun.serve> | undefined;
    afterEach(() => server?.stop(true));

    test('a 404 names the URL and the status', async () => {
      server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('gone', { status: 404 }) });
      const url = `http://127.0.0.1:${server.port}/openapi.json`;
      const error = await specError(url);
      expect(error.code).toBe('SPEC_UNREADABLE');
      expect(error.message).toContain(url);
      expect(error.message).toContain('404');
    });

    test('a refused connection names the URL', async () => {
      server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
      const url = `http://127.0.0.1:${server.port}/openapi.json`;
      server.stop(true);
      server = undefined;
      const error = await specError(url);
      expect(error.code).toBe('SPEC_UNREADABLE');
      expect(error.message).toContain(url);
    });
  });
});

describe('one bad operation', () => {
  const doc = oas30(
    {
      '/pets': {
        get: { operationId: 'listPets', responses: jsonOk({ type: 'array', items: { $ref: '#/components/schemas/Pet' } }) },
        post: { operationId: 'createPet', requestBody: jsonBody({ $ref: '#/components/schemas/NewPett' }), responses: noContent },
      },
      '/pets/{id}': {
        get: { operationId: 'getPet', parameters: [{ $ref: '#/components/parameters/PetIdd' }], responses: noContent },
        delete: { operationId: 'deletePet', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: noContent },
      },
      '/ghost': { $ref: '#/components/pathItems/Ghost' },
      '/odd': {
        get: 'not an operation',
        put: { operationId: 'noName', parameters: [{ in: 'query', schema: { type: 'string' } }], responses: noContent },
        patch: { operationId: 'badLocation', parameters: [{ name: 'x', in: 'body', schema: { type: 'string' } }], responses: noContent },
      },
    },
    { Pet: { type: 'object', properties: { name: { type: 'string' } } } },
  );

  test('is skipped with a reason naming the dangling ref, and every other tool is built', async () => {
    const catalog = await build(doc);
    expect(catalog.entries.map((e) => e.tool.name).sort()).toEqual(['delete_pet', 'list_pets']);
    expect(catalog.operationCount).toBe(8);
    expect(catalog.skipped).toHaveLength(6);
    const body = skippedFor(catalog, 'POST', '/pets');
    expect(body?.operation).toContain('createPet');
    expect(body?.reason).toContain('#/components/schemas/NewPett');
    expect(skippedFor(catalog, 'GET', '/pets/{id}')?.reason).toContain('#/components/parameters/PetIdd');
    expect(catalog.skipped.find((s) => s.operation.includes('/ghost'))?.reason).toContain('#/components/pathItems/Ghost');
    expect(entry(catalog, 'list_pets').tool.outputSchema?.properties?.result).toMatchObject({ type: 'array' });
    expectWellFormed(catalog);
  });

  test('an operation that is not an object, a nameless parameter or an unknown location is skipped with a reason', async () => {
    const catalog = await build(doc);
    expect(skippedFor(catalog, 'GET', '/odd')?.reason).toMatch(/not an object/i);
    expect(skippedFor(catalog, 'PUT', '/odd')?.reason).toMatch(/no name/i);
    expect(skippedFor(catalog, 'PATCH', '/odd')?.reason).toContain('body');
  });

  test('a dangling ref in a file next to the document names that file', async () => {
    const dir = writeFiles({
      'openapi.json': oas30({
        '/a': { post: { operationId: 'a', requestBody: jsonBody({ $ref: 'schemas.json#/Missing' }), responses: noContent } },
        '/b': { post: { operationId: 'b', requestBody: jsonBody({ $ref: 'schemas.json#/Present' }), responses: noContent } },
      }),
      'schemas.json': { Present: { type: 'object', properties: { ok: { type: 'boolean' } } } },
    });
    const { catalog } = await loadCatalog(join(dir, 'openapi.json'));
    expect(catalog.entries.map((e) => e.tool.name)).toEqual(['b']);
    const reason = skippedFor(catalog, 'POST', '/a')!.reason;
    expect(reason).toContain('schemas.json#/Missing');
    expect(reason).toContain('Missing');
  });

  test('a referenced file that is not JSON/YAML skips only the operations using it', async () => {
    const dir = writeFiles({
      'openapi.json': oas30({
        '/a': { post: { operationId: 'a', requestBody: jsonBody({ $ref: 'broken.yaml#/Thing' }), responses: noContent } },
        '/b': { get: { operationId: 'b', responses: noContent } },
      }),
      'broken.yaml': 'Thing:\n  type: object\n  properties: {a: [\n',
    });
    const { catalog } = await loadCatalog(join(dir, 'openapi.json'));
    expect(catalog.entries.map((e) => e.tool.name)).toEqual(['b']);
    expect(skippedFor(catalog, 'POST', '/a')?.reason).toContain('broken.yaml');
  });
});
