/**
 * Where a spec comes from and how it is written: a file path (absolute or relative), a file: URL or an
 * http URL; JSON or YAML, with or without a byte-order mark; and the validators a later re-read needs.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadCatalog, type Catalog } from '../../src/catalog/index';
import { entry, expectWellFormed, removeTempDirs, writeFiles } from './helpers';

const BOM = '\uFEFF';

const json = JSON.stringify({
  openapi: '3.0.3',
  info: { title: 'Notes', version: '3' },
  servers: [{ url: '/api' }],
  paths: {
    '/notes': {
      get: {
        operationId: 'listNotes',
        parameters: [{ name: 'q', in: 'query', schema: { type: 'string' } }],
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Note' } } } } } },
      },
    },
  },
  components: { schemas: { Note: { type: 'object', properties: { text: { type: 'string' } } } } },
});

const yaml = `openapi: 3.0.3
info:
  title: Notes
  version: "3"
servers:
  - url: /api
paths:
  /notes:
    get:
      operationId: listNotes
      parameters:
        - name: q
          in: query
          schema:
            type: string
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: "#/components/schemas/Note"
components:
  schemas:
    Note:
      type: object
      properties:
        text:
          type: string
`;

/** What every variant of the Notes document must produce. */
function expectNotes(catalog: Catalog): void {
  expect(catalog).toMatchObject({ title: 'Notes', version: '3', specVersion: '3.0.3', operationCount: 1, skipped: [] });
  const { tool, target } = entry(catalog, 'list_notes');
  expect(tool.inputSchema).toEqual({ type: 'object', properties: { q: { type: 'string', minLength: 1 } }, additionalProperties: false });
  expect(tool.outputSchema).toEqual({
    type: 'object',
    properties: { result: { type: 'array', items: { type: 'object', properties: { text: { type: 'string' } } } } },
    required: ['result'],
  });
  expect(target).toMatchObject({ method: 'GET', path: '/notes', wrapsResult: true });
  expectWellFormed(catalog);
}

let server: ReturnType<typeof Bun.serve>;
/** Headers of every request the server received (copied: a Request is not readable after its response). */
const requests: Record<string, string>[] = [];
const LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT';

beforeAll(() => {
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request) {
      requests.push(Object.fromEntries(request.headers));
      const path = new URL(request.url).pathname;
      if (path === '/specs/notes.json') return new Response(json, { headers: { 'content-type': 'application/json', etag: '"v1"', 'last-modified': LAST_MODIFIED } });
      if (path === '/specs/notes.yaml') return new Response(yaml, { headers: { 'content-type': 'application/yaml' } });
      if (path === '/specs/bom.yaml') return new Response(BOM + yaml, { headers: { 'content-type': 'text/yaml; charset=utf-8' } });
      if (path === '/specs/swagger.json') {
        return Response.json({ swagger: '2.0', info: { title: 'S', version: '1' }, basePath: '/v2', paths: { '/x': { get: { operationId: 'x', responses: { '204': { description: 'ok' } } } } } });
      }
      return new Response('not found', { status: 404 });
    },
  });
});

afterAll(() => {
  server.stop(true);
  removeTempDirs();
});

describe('files', () => {
  for (const [label, name, text] of [
    ['JSON', 'notes.json', json],
    ['YAML', 'notes.yaml', yaml],
    ['JSON with a UTF-8 byte-order mark', 'bom.json', BOM + json],
    ['YAML with a UTF-8 byte-order mark', 'bom.yaml', BOM + yaml],
    ['YAML with CRLF line ends and a byte-order mark', 'crlf.yaml', BOM + yaml.replaceAll('\n', '\r\n')],
    ['YAML in a file named .json', 'yaml-inside.json', yaml],
  ] as const) {
    test(label, async () => {
      const dir = writeFiles({ [name]: text });
      expectNotes((await loadCatalog(join(dir, name))).catalog);
    });
  }

  test('YAML anchors, aliases and merge keys', async () => {
    const anchored = yaml
      .replace('      parameters:\n        - name: q', '      parameters:\n        - &query\n          name: q')
      .replace('    Note:\n      type: object', '    Base: &base\n      type: object\n    Note:\n      <<: *base');
    expect(anchored).toContain('<<: *base');
    const dir = writeFiles({ 'notes.yaml': anchored });
    expectNotes((await loadCatalog(join(dir, 'notes.yaml'))).catalog);
  });

  test('the byte-order mark is also ignored in a referenced file', async () => {
    const dir = writeFiles({
      'openapi.yaml': yaml.replace('$ref: "#/components/schemas/Note"', '$ref: "note.yaml"'),
      'note.yaml': `${BOM}type: object\nproperties:\n  text:\n    type: string\n`,
    });
    expectNotes((await loadCatalog(join(dir, 'openapi.yaml'))).catalog);
  });

  test('a relative path and a file: URL load the same document', async () => {
    const dir = writeFiles({ 'notes.yaml': yaml });
    const absolute = join(dir, 'notes.yaml');
    expectNotes((await loadCatalog(relative(process.cwd(), absolute))).catalog);
    const byUrl = await loadCatalog(pathToFileURL(absolute).href);
    expectNotes(byUrl.catalog);
    expect(byUrl.documents).toEqual([pathToFileURL(absolute).href]);
  });

  test('validators record the file modification time and size', async () => {
    const dir = writeFiles({ 'notes.json': json });
    const path = join(dir, 'notes.json');
    const { validators } = await loadCatalog(path);
    const info = statSync(path);
    expect(validators.mtimeMs).toBe(info.mtimeMs);
    expect(validators.size).toBe(info.size);
  });

  test('a relative server URL stays relative for a file spec', async () => {
    const dir = writeFiles({ 'notes.json': json });
    const { catalog } = await loadCatalog(join(dir, 'notes.json'));
    expect(entry(catalog, 'list_notes').target.serverUrl).toBe('/api');
  });
});

describe('http URLs', () => {
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

  test('JSON over HTTP, with ETag and Last-Modified kept as validators', async () => {
    const { catalog, validators, documents } = await loadCatalog(url('/specs/notes.json'));
    expectNotes(catalog);
    expect(validators).toMatchObject({ etag: '"v1"', lastModified: LAST_MODIFIED });
    expect(documents).toEqual([url('/specs/notes.json')]);
  });

  test('YAML over HTTP, with and without a byte-order mark', async () => {
    expectNotes((await loadCatalog(url('/specs/notes.yaml'))).catalog);
    expectNotes((await loadCatalog(url('/specs/bom.yaml'))).catalog);
  });

  test('asks for JSON or YAML and sends the configured headers', async () => {
    const before = requests.length;
    await loadCatalog(url('/specs/notes.json'), { headers: { 'x-api-key': 'k1' } });
    const headers = requests[before]!;
    expect(headers['x-api-key']).toBe('k1');
    expect(headers.accept).toContain('application/json');
    expect(headers.accept).toContain('yaml');
  });

  test('a relative server URL is resolved against the document URL', async () => {
    const { catalog } = await loadCatalog(url('/specs/notes.json'));
    expect(entry(catalog, 'list_notes').target.serverUrl).toBe(url('/api'));
  });

  test('Swagger 2.0 without a host is served from the host that served the document', async () => {
    const { catalog } = await loadCatalog(url('/specs/swagger.json'));
    expect(entry(catalog, 'x').target.serverUrl).toBe(url('/v2'));
  });
});
