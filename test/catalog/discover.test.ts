import { afterEach, describe, expect, test } from 'bun:test';
import { discoverSpec, SpecError } from '../../src/catalog';

const servers: { stop(force?: boolean): void }[] = [];
afterEach(() => {
  while (servers.length > 0) servers.pop()!.stop(true);
});

/** An API that serves its document only at `path`. */
function api(path: string, body = JSON.stringify({ swagger: '2.0', info: { title: 't', version: '1' }, paths: {} })) {
  const seen: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(request) {
      const { pathname } = new URL(request.url);
      seen.push(pathname);
      return pathname === path ? new Response(body, { headers: { 'content-type': 'application/json' } }) : new Response('not found', { status: 404 });
    },
  });
  servers.push(server);
  return { origin: `http://127.0.0.1:${server.port}`, seen };
}

describe('spec discovery', () => {
  test("finds swag's /swagger/doc.json at the origin of an API with a base path", async () => {
    const { origin } = api('/swagger/doc.json');
    expect(await discoverSpec(`${origin}/v1`)).toBe(`${origin}/swagger/doc.json`);
  });

  test('prefers a document under the base path', async () => {
    const { origin, seen } = api('/v1/swagger.json');
    expect(await discoverSpec(`${origin}/v1/`)).toBe(`${origin}/v1/swagger.json`);
    expect(seen).toEqual(['/v1/swagger.json']);
  });

  test('skips answers that are not OpenAPI, and says everything it tried when nothing is found', async () => {
    const { origin } = api('/openapi.json', '{"hello": "world"}');
    const error = await discoverSpec(origin).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect((error as Error).message).toContain(`no OpenAPI document found for "${origin}"; set PORTICO_SPEC`);
    expect((error as Error).message).toContain(`${origin}/openapi.json (not an OpenAPI document)`);
    expect((error as Error).message).toContain(`${origin}/swagger.json (HTTP 404 Not Found)`);
  });
});
