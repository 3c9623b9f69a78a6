/**
 * @module demo/routes/spec
 * `GET /swagger.json` (and `/v1/swagger.json`, next to the operations): the document, with `host` and
 * `schemes` set to where the request came in, an ETag, and 304 for a matching `If-None-Match`. No token needed.
 */
import { Elysia } from 'elysia';
import type { DemoContext } from '../context';
import { ifNoneMatch } from '../spec';

export const specRoutes = ({ spec }: DemoContext) => {
  const serve = function serveSpec({ request }: { request: Request }): Response {
    const url = new URL(request.url);
    const { body, etag } = spec.render(url.protocol.slice(0, -1), url.host);
    // no-cache: clients may keep it but must ask again, which a gateway watching for changes relies on.
    const headers = { etag, 'cache-control': 'no-cache' };
    if (ifNoneMatch(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
    return new Response(body, { headers: { ...headers, 'content-type': 'application/json; charset=utf-8' } });
  };
  return new Elysia().get('/swagger.json', serve).get('/v1/swagger.json', serve);
};
