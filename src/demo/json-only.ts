/**
 * @module demo/json-only
 * The document says every operation consumes `application/json`: a request body of any other media type is a
 * 400, before Elysia parses it (a form would otherwise arrive as an object of strings and fail as a 422).
 */
import { Elysia } from 'elysia';
import { badRequest } from './errors';

/** `application/json` or any `+json` type, from a Content-Type header (parameters ignored, case-insensitive). */
export function isJsonMediaType(header: string): boolean {
  const essence = header.split(';', 1)[0]!.trim().toLowerCase();
  const [type, subtype] = essence.split('/');
  return type === 'application' && subtype !== undefined && (subtype === 'json' || subtype.endsWith('+json'));
}

function hasBody(request: Request): boolean {
  const length = request.headers.get('content-length');
  return (length !== null && length !== '0') || request.headers.has('transfer-encoding');
}

/** `onRequest` runs for every request of the app that uses it, whichever module serves the route. */
export const jsonOnly = () =>
  new Elysia({ name: 'demo/json-only' }).onRequest(function requireJsonBody({ request }) {
    // the app's web pages (its login page for Portico) take forms; the API under /v1 takes JSON only
    if (!hasBody(request) || new URL(request.url).pathname.startsWith('/app/')) return;
    const type = request.headers.get('content-type');
    if (type === null || !isJsonMediaType(type)) {
      throw badRequest(`send the request body as application/json${type ? `, not ${type.split(';', 1)[0]}` : ''}`);
    }
  });
