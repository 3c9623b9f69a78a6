/**
 * What a spec may make Portico read: remote refs are off unless enabled, and a document served over HTTP
 * never reaches local files. Real servers (Bun.serve on 127.0.0.1, port 0) count what they are asked for.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { loadCatalog } from '../../src/catalog/index';
import { entry, expectWellFormed, jsonBody, jsonOk, noContent, oas30, removeTempDirs, skippedFor, writeFiles } from './helpers';

type Server = ReturnType<typeof Bun.serve>;

/** A server answering with the given routes (path → JSON body or a redirect), logging every request path. */
function serve(routes: Record<string, unknown | { redirect: string }>) {
  const hits: string[] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      hits.push(path);
      const route = routes[path];
      if (route === undefined) return new Response('not found', { status: 404 });
      if (route !== null && typeof route === 'object' && 'redirect' in route) {
        return new Response(null, { status: 302, headers: { location: (route as { redirect: string }).redirect } });
      }
      return Response.json(route);
    },
  });
  return { server, hits, url: (path: string) => `http://127.0.0.1:${server.port}${path}` };
}

const petSchema = { Pet: { type: 'object', properties: { name: { type: 'string' }, legs: { type: 'integer' } } } };

let remote: ReturnType<typeof serve>;
let other: ReturnType<typeof serve>;
const servers: Server[] = [];

beforeAll(() => {
  remote = serve({ '/schemas.json': petSchema });
  other = serve({ '/schemas.json': petSchema });
  servers.push(remote.server, other.server);
});

afterAll(() => {
  for (const server of servers) server.stop(true);
  removeTempDirs();
});

/** A file spec whose POST /pets body is a remote ref, next to a plain GET /health. */
function fileSpecWithRemoteRef(ref: string): string {
  const dir = writeFiles({
    'openapi.json': oas30({
      '/pets': { post: { operationId: 'createPet', requestBody: jsonBody({ $ref: ref }), responses: noContent } },
      '/health': { get: { operationId: 'health', responses: jsonOk({ type: 'object' }) } },
    }),
  });
  return join(dir, 'openapi.json');
}

describe('remote refs from a file spec', () => {
  test('are refused by default, without any request reaching the other host', async () => {
    const before = remote.hits.length;
    const ref = `${remote.url('/schemas.json')}#/Pet`;
    const { catalog } = await loadCatalog(fileSpecWithRemoteRef(ref));
    expect(remote.hits.length).toBe(before);
    expect(catalog.entries.map((e) => e.tool.name)).toEqual(['health']);
    const skip = skippedFor(catalog, 'POST', '/pets');
    expect(skip?.reason).toContain(`http://127.0.0.1:${remote.server.port}`);
    expect(skip?.reason).toMatch(/refused/i);
  });

  test('are fetched and used with allowRemoteRefs: true', async () => {
    const before = remote.hits.length;
    const ref = `${remote.url('/schemas.json')}#/Pet`;
    const { catalog, documents } = await loadCatalog(fileSpecWithRemoteRef(ref), { allowRemoteRefs: true });
    expect(remote.hits.slice(before)).toEqual(['/schemas.json']);
    expect(documents).toContain(remote.url('/schemas.json'));
    expect(catalog.skipped).toEqual([]);
    expect(entry(catalog, 'create_pet').tool.inputSchema).toEqual({
      type: 'object',
      properties: { name: { type: 'string' }, legs: { type: 'integer' } },
      additionalProperties: false,
    });
    expectWellFormed(catalog);
  });
  test('even with allowRemoteRefs, a fetched document cannot make us read a local file', async () => {
    const secretDir = writeFiles({ 'secret.yaml': 'type: string\ndescription: TOP-SECRET local content\n' });
    const secretUrl = `file://${join(secretDir, 'secret.yaml')}`;
    const sneaky = serve({
      '/schemas.json': { Pet: { type: 'object', properties: { name: { type: 'string' }, secret: { $ref: secretUrl } } } },
    });
    servers.push(sneaky.server);
    const { catalog, documents } = await loadCatalog(fileSpecWithRemoteRef(`${sneaky.url('/schemas.json')}#/Pet`), { allowRemoteRefs: true });
    expect(sneaky.hits).toEqual(['/schemas.json']);
    expect(JSON.stringify(catalog.entries)).not.toContain('TOP-SECRET');
    expect(documents).not.toContain(secretUrl);
    expect(entry(catalog, 'health')).toBeDefined();
  });
});

describe('a spec served over HTTP', () => {
  let spec: ReturnType<typeof serve>;

  beforeAll(() => {
    spec = serve({
      '/openapi.json': oas30({
        '/same-origin': { post: { operationId: 'sameOrigin', requestBody: jsonBody({ $ref: './schemas.json#/Pet' }), responses: noContent } },
        '/file-url': { post: { operationId: 'fileUrl', requestBody: jsonBody({ $ref: 'file:///etc/passwd' }), responses: noContent } },
        '/other-host': { post: { operationId: 'otherHost', requestBody: jsonBody({ $ref: `${other.url('/schemas.json')}#/Pet` }), responses: noContent } },
      }),
      '/schemas.json': petSchema,
    });
    servers.push(spec.server);
  });

  test('loads, and follows a relative ref to its own origin', async () => {
    const { catalog, documents } = await loadCatalog(spec.url('/openapi.json'));
    expect(documents[0]).toBe(spec.url('/openapi.json'));
    expect(documents).toContain(spec.url('/schemas.json'));
    expect(entry(catalog, 'same_origin').tool.inputSchema).toEqual({
      type: 'object',
      properties: { name: { type: 'string' }, legs: { type: 'integer' } },
      additionalProperties: false,
    });
    expect(catalog.entries.map((e) => e.tool.name)).toEqual(['same_origin']);
    expectWellFormed(catalog);
  });

  test('may not reference a local file by file: URL', async () => {
    const { catalog } = await loadCatalog(spec.url('/openapi.json'));
    expect(catalog.byName.has('file_url')).toBe(false);
    const skip = skippedFor(catalog, 'POST', '/file-url');
    expect(skip?.reason).toContain('file:///etc/passwd');
    expect(skip?.reason).toMatch(/local file/i);
  });

  test('may not reach a local file through an absolute path either', async () => {
    const absolute = serve({
      '/openapi.json': oas30({
        '/absolute': { post: { operationId: 'absolutePath', requestBody: jsonBody({ $ref: '/etc/passwd' }), responses: noContent } },
        '/dotdot': { post: { operationId: 'dotDot', requestBody: jsonBody({ $ref: '../../../../etc/passwd' }), responses: noContent } },
        '/health': { get: { operationId: 'health', responses: noContent } },
      }),
    });
    servers.push(absolute.server);
    const { catalog, documents } = await loadCatalog(absolute.url('/openapi.json'));
    expect(catalog.entries.map((e) => e.tool.name)).toEqual(['health']);
    expect(skippedFor(catalog, 'POST', '/absolute')).toBeDefined();
    expect(skippedFor(catalog, 'POST', '/dotdot')).toBeDefined();
    expect(documents.filter((uri) => uri.startsWith('file:'))).toEqual([]);
    expect(JSON.stringify(catalog)).not.toContain('root:');
  });

  test('may not reference another host unless remote refs are enabled', async () => {
    const before = other.hits.length;
    const { catalog } = await loadCatalog(spec.url('/openapi.json'));
    expect(other.hits.length).toBe(before);
    expect(skippedFor(catalog, 'POST', '/other-host')?.reason).toMatch(/refused/i);

    const enabled = await loadCatalog(spec.url('/openapi.json'), { allowRemoteRefs: true });
    expect(other.hits.slice(before)).toEqual(['/schemas.json']);
    expect(entry(enabled.catalog, 'other_host').tool.inputSchema.properties).toEqual({ name: { type: 'string' }, legs: { type: 'integer' } });
    // enabling remote refs never opens local files
    expect(enabled.catalog.byName.has('file_url')).toBe(false);
  });

  test('cannot reach another host through a same-origin ref that redirects there', async () => {
    const redirecting = serve({
      '/openapi.json': oas30({
        '/pets': { post: { operationId: 'createPet', requestBody: jsonBody({ $ref: './schemas.json#/Pet' }), responses: noContent } },
      }),
      '/schemas.json': { redirect: other.url('/schemas.json') },
    });
    servers.push(redirecting.server);
    const before = other.hits.length;
    const { catalog } = await loadCatalog(redirecting.url('/openapi.json'));
    expect(redirecting.hits).toContain('/schemas.json');
    expect(other.hits.length).toBe(before);
    expect(catalog.byName.has('create_pet')).toBe(false);
  });
});
