import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CatalogCache, SpecError, type CatalogChange } from '../../src/catalog';
import { createLogger } from '../../src/log';
import { removeTempDirs, tempDir } from './helpers';

afterAll(removeTempDirs);

type Paths = Record<string, unknown>;
const doc = (paths: Paths) => JSON.stringify({ openapi: '3.0.3', info: { title: 'Cache test', version: '1' }, paths });
const op = (operationId: string, summary = operationId) => ({ get: { operationId, summary, responses: { 200: { description: 'ok' } } } });

/** A spec server whose document, validators and failures the test controls; it records request headers. */
function specServer(options: { etag?: boolean; lastModified?: boolean } = {}) {
  const state = { body: doc({ '/a': op('get_a'), '/b': op('get_b') }), version: 1, status: 200, requests: [] as Headers[] };
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(request) {
      state.requests.push(request.headers);
      if (state.status !== 200) return new Response('upstream trouble', { status: state.status });
      const etag = `"v${state.version}"`;
      const modified = new Date(Date.UTC(2026, 0, state.version)).toUTCString();
      if (options.etag && request.headers.get('if-none-match') === etag) return new Response(null, { status: 304 });
      if (options.lastModified && request.headers.get('if-modified-since') === modified) return new Response(null, { status: 304 });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (options.etag) headers.etag = etag;
      if (options.lastModified) headers['last-modified'] = modified;
      return new Response(state.body, { headers });
    },
  });
  const publish = (body: string) => {
    state.body = body;
    state.version++;
  };
  return { url: `http://127.0.0.1:${server.port}/openapi.json`, state, publish, stop: () => server.stop(true) };
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  while (cleanup.length > 0) cleanup.pop()!();
});

function cacheFor(source: string, lines: string[] = [], ttlSeconds = 0) {
  const cache = new CatalogCache({ source, ttlSeconds, log: createLogger('debug', (line) => lines.push(line)) });
  cleanup.push(() => cache.stop());
  return cache;
}

describe('CatalogCache over HTTP', () => {
  test('revalidates with If-None-Match and rebuilds nothing on 304', async () => {
    const server = specServer({ etag: true });
    cleanup.push(server.stop);
    const cache = cacheFor(server.url);
    const first = await cache.start();
    expect(first.entries.map((e) => e.tool.name)).toEqual(['get_a', 'get_b']);
    expect(await cache.refresh()).toBeNull();
    expect(server.state.requests.at(-1)!.get('if-none-match')).toBe('"v1"');
    expect(cache.current).toBe(first);
  });

  test('revalidates with If-Modified-Since when the server only sends Last-Modified', async () => {
    const server = specServer({ lastModified: true });
    cleanup.push(server.stop);
    const cache = cacheFor(server.url);
    const first = await cache.start();
    expect(await cache.refresh()).toBeNull();
    expect(server.state.requests.at(-1)!.get('if-modified-since')).toBe(new Date(Date.UTC(2026, 0, 1)).toUTCString());
    expect(cache.current).toBe(first);
  });

  test('an unchanged document from a server without validators is not rebuilt', async () => {
    const server = specServer();
    cleanup.push(server.stop);
    const cache = cacheFor(server.url);
    const first = await cache.start();
    server.publish(server.state.body);
    expect(await cache.refresh()).toBeNull();
    expect(server.state.requests).toHaveLength(2);
    expect(cache.current).toBe(first);
  });

  test('reports what was added, removed and changed, and tells listeners once', async () => {
    const server = specServer({ etag: true });
    cleanup.push(server.stop);
    const cache = cacheFor(server.url);
    await cache.start();
    const heard: CatalogChange[] = [];
    cache.onChange((change) => heard.push(change));
    server.publish(doc({ '/a': op('get_a', 'A, now described differently'), '/c': op('get_c') }));
    const change = await cache.refresh();
    expect(change).not.toBeNull();
    expect(change!.added).toEqual(['get_c']);
    expect(change!.removed).toEqual(['get_b']);
    expect(change!.changed).toEqual(['get_a']);
    expect(heard).toHaveLength(1);
    expect(heard[0]!.catalog).toBe(cache.current);
    expect(cache.current.byName.get('get_a')!.tool.title).toBe('A, now described differently');
  });

  test('a failed refresh keeps the last good catalog serving and logs why', async () => {
    const server = specServer({ etag: true });
    cleanup.push(server.stop);
    const lines: string[] = [];
    const cache = cacheFor(server.url, lines);
    const first = await cache.start();
    const heard: CatalogChange[] = [];
    cache.onChange((change) => heard.push(change));

    server.state.status = 503;
    expect(await cache.refresh()).toBeNull();
    server.state.status = 200;
    server.publish('{"openapi": "3.0.3", "info": {"title": "x"}, "paths": [oops');
    expect(await cache.refresh()).toBeNull();

    expect(cache.current).toBe(first);
    expect(heard).toHaveLength(0);
    const failures = lines.map((line) => JSON.parse(line)).filter((entry) => entry.event === 'catalog.refresh_failed');
    expect(failures).toHaveLength(2);
    expect(failures[0].level).toBe('warn');
    expect(failures[0].error).toContain('HTTP 503');
    expect(failures[1].code).toBe('SPEC_PARSE');
    expect(failures[1].serving).toBe('last good catalog (2 tools)');
  });

  test('refreshes by itself every TTL', async () => {
    const server = specServer({ etag: true });
    cleanup.push(server.stop);
    const cache = cacheFor(server.url, [], 0.05);
    await cache.start();
    const heard = new Promise<CatalogChange>((resolve) => cache.onChange(resolve));
    server.publish(doc({ '/a': op('get_a'), '/b': op('get_b'), '/d': op('get_d') }));
    const change = await heard;
    expect(change.added).toEqual(['get_d']);
  });

  test('start() fails with a SpecError when there is no good catalog to fall back on', async () => {
    const server = specServer();
    cleanup.push(server.stop);
    server.state.status = 404;
    const cache = cacheFor(server.url);
    await expect(cache.start()).rejects.toBeInstanceOf(SpecError);
    await expect(cacheFor(server.url).start()).rejects.toThrow(`cannot fetch "${server.url}": HTTP 404`);
  });

  test('refuses a negative TTL', () => {
    expect(() => new CatalogCache({ source: 'x.json', ttlSeconds: -1 })).toThrow('the spec TTL must be a number of seconds ≥ 0, got -1');
  });
});

describe('CatalogCache over files', () => {
  test('a touched but identical file is not rebuilt; an edited one is', async () => {
    const dir = tempDir();
    const file = join(dir, 'openapi.json');
    writeFileSync(file, doc({ '/a': op('get_a') }));
    const cache = cacheFor(file);
    const first = await cache.start();
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(await cache.refresh()).toBeNull();
    expect(cache.current).toBe(first);
    writeFileSync(file, doc({ '/a': op('get_a'), '/e': op('get_e') }));
    const change = await cache.refresh();
    expect(change?.added).toEqual(['get_e']);
  });

  test('an edit in a file that the root only references is noticed', async () => {
    const dir = tempDir();
    const root = join(dir, 'openapi.json');
    const shared = join(dir, 'schemas.json');
    writeFileSync(shared, JSON.stringify({ Pet: { type: 'object', properties: { name: { type: 'string' } } } }));
    writeFileSync(
      root,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'Multi', version: '1' },
        paths: { '/pets': { post: { operationId: 'add_pet', requestBody: { content: { 'application/json': { schema: { $ref: 'schemas.json#/Pet' } } } }, responses: {} } } },
      }),
    );
    const cache = cacheFor(root);
    await cache.start();
    expect(await cache.refresh()).toBeNull();
    writeFileSync(shared, JSON.stringify({ Pet: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } } } }));
    const change = await cache.refresh();
    expect(change?.changed).toEqual(['add_pet']);
    expect(Object.keys(cache.current.byName.get('add_pet')!.tool.inputSchema.properties!)).toEqual(['name', 'age']);
  });
});
