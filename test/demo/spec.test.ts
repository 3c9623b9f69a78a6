/**
 * The served document: `swagger.json` with the request's host, an ETag honoured by If-None-Match, and
 * `POST /_demo/extend`, which adds `listRegions` to the document and to the routes (and exists only with
 * `control: true`). The gateway's own CLI reads the served document as the gateway would.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { type RunningDemoApi } from '../../src/demo';
import swagger from '../../src/demo/swagger.json';
import { call, errorOf, login, responseChecker, startDemo, type SwaggerDoc } from './helpers';

const ROOT = resolve(import.meta.dir, '../..');

async function getSpec(demo: RunningDemoApi, headers: Record<string, string> = {}, path = '/swagger.json') {
  const response = await fetch(`${demo.url}${path}`, { headers });
  const text = await response.text();
  return { response, text, doc: (text ? JSON.parse(text) : undefined) as SwaggerDoc | undefined };
}

describe('GET /swagger.json', () => {
  let demo: RunningDemoApi;
  beforeAll(async () => {
    demo = await startDemo();
  });
  afterAll(() => demo.stop());

  test('is the bundled document with host and schemes set to where the request came', async () => {
    const { response, doc } = await getSpec(demo);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(doc!.host).toBe(`127.0.0.1:${demo.port}`);
    expect(doc!.schemes).toEqual(['http']);
    expect(doc!.basePath).toBe('/v1');
    expect({ ...doc, host: swagger.host, schemes: swagger.schemes }).toEqual(swagger);

    const proxied = await getSpec(demo, { host: 'api.example.test:8443' });
    expect(proxied.doc!.host).toBe('api.example.test:8443');
  });

  test('is also served next to the operations, at /v1/swagger.json', async () => {
    const root = await getSpec(demo);
    const beside = await getSpec(demo, {}, '/v1/swagger.json');
    expect(beside.text).toBe(root.text);
    expect(beside.response.headers.get('etag')).toBe(root.response.headers.get('etag'));
  });

  test('sends a stable ETag and answers a matching If-None-Match with 304', async () => {
    const first = await getSpec(demo);
    const etag = first.response.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.response.headers.get('cache-control')).toBe('no-cache');
    expect((await getSpec(demo)).response.headers.get('etag')).toBe(etag);

    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await getSpec(demo, { 'if-none-match': header });
      expect(`${header} ${again.response.status}`).toBe(`${header} 304`);
      expect(again.text).toBe('');
      expect(again.response.headers.get('etag')).toBe(etag);
    }
    expect((await getSpec(demo, { 'if-none-match': '"stale"' })).response.status).toBe(200);
  });

  test('differs per host, each with its own ETag', async () => {
    const a = await getSpec(demo, { host: 'a.example.test' });
    const b = await getSpec(demo, { host: 'b.example.test' });
    expect(a.response.headers.get('etag')).not.toBe(b.response.headers.get('etag'));
    const cross = await getSpec(demo, { host: 'b.example.test', 'if-none-match': a.response.headers.get('etag')! });
    expect(cross.response.status).toBe(200);
  });

  test('POST /_demo/extend does not exist without control: true', async () => {
    const extend = await call(demo, 'POST', '/_demo/extend');
    expect(extend.status).toBe(404);
    expect(errorOf(extend).code).toBe('route_not_found');
    const token = await login(demo, 'alice');
    expect(errorOf(await call(demo, 'GET', '/v1/regions', { token })).code).toBe('route_not_found');
  });
});

describe('POST /_demo/extend (control: true)', () => {
  let demo: RunningDemoApi;
  let token: string;
  beforeAll(async () => {
    demo = await startDemo({ control: true });
    token = await login(demo, 'bob');
  });
  afterAll(() => demo.stop());

  test('adds listRegions to the document and the routes, changing the ETag once', async () => {
    const before = await getSpec(demo);
    const etag = before.response.headers.get('etag')!;
    expect(before.doc!.paths['/regions']).toBeUndefined();
    const hidden = await call(demo, 'GET', '/v1/regions', { token });
    expect(hidden.status).toBe(404);
    expect(errorOf(hidden)).toEqual({ code: 'route_not_found', message: 'no route for GET /v1/regions' });
    // Not even a 401 before the operation exists: the route looks exactly like an unknown one.
    expect(errorOf(await call(demo, 'GET', '/v1/regions')).code).toBe('route_not_found');
    expect((await getSpec(demo, { 'if-none-match': etag })).response.status).toBe(304);

    const extend = await call(demo, 'POST', '/_demo/extend');
    expect(extend.status).toBe(200);
    expect(extend.body).toEqual({ changed: true, added: ['listRegions'] });

    const after = await getSpec(demo, { 'if-none-match': etag });
    expect(after.response.status).toBe(200);
    const newEtag = after.response.headers.get('etag')!;
    expect(newEtag).not.toBe(etag);
    const doc = after.doc!;
    expect(doc.paths['/regions']!.get!.operationId).toBe('listRegions');
    expect(doc.definitions['models.RegionInfo']).toBeDefined();
    expect(Object.keys(doc.paths)).toHaveLength(Object.keys(swagger.paths).length + 1);

    const regions = await call(demo, 'GET', '/v1/regions', { token });
    expect(regions.status).toBe(200);
    expect(responseChecker(doc)('/regions', 'get', 200, regions.body)).toEqual([]);
    expect((regions.body as Array<{ id: string }>).map((region) => region.id)).toContain('aws-eu-central-1');
    expect((await call(demo, 'GET', '/v1/regions')).status).toBe(401);

    const again = await call(demo, 'POST', '/_demo/extend');
    expect(again.body).toEqual({ changed: false, added: [] });
    expect((await getSpec(demo, { 'if-none-match': newEtag })).response.status).toBe(304);
  });
});

describe('the gateway CLI reading the served document', () => {
  async function tools(spec: string, ...flags: string[]) {
    const child = Bun.spawn(['bun', 'src/main.ts', 'tools', '--spec', spec, ...flags], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    return { stdout, stderr, code };
  }

  test('the bundled file passes --strict with its 25 operations', async () => {
    const result = await tools('src/demo/swagger.json', '--strict');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('25 operations, 24 tools');
  });

  test('lists 24 tools from the URL (the login withheld), and list_regions after /_demo/extend', async () => {
    const demo = await startDemo({ control: true });
    try {
      const names = async () => {
        const result = await tools(demo.specUrl, '--json');
        expect(result.code).toBe(0);
        return (JSON.parse(result.stdout) as { tools: Array<{ name: string }> }).tools.map((tool) => tool.name);
      };
      const before = await names();
      expect(before).toHaveLength(24);
      expect(before).not.toContain('list_regions');
      await call(demo, 'POST', '/_demo/extend');
      const after = await names();
      expect(after).toHaveLength(25);
      expect(after).toContain('list_regions');
    } finally {
      await demo.stop();
    }
  });
});
