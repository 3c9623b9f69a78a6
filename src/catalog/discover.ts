/**
 * @module catalog/discover
 * Finds an API's OpenAPI document when the deployment names only the API: the places frameworks serve
 * it from (swag's `/swagger/doc.json`, springdoc's `/v3/api-docs`, FastAPI's `/openapi.json`…), tried
 * under the API's base path and at its origin.
 */
import { SpecError } from './errors';
import { parseDocument, readSource } from './source';

const CANDIDATES = ['swagger.json', 'openapi.json', 'openapi.yaml', 'swagger.yaml', 'swagger/doc.json', 'v3/api-docs', 'api-docs', 'docs/openapi.json'];

/** The URL of the first candidate that answers with an OpenAPI or Swagger document. */
export async function discoverSpec(upstream: string, timeoutMs = 5000): Promise<string> {
  const base = new URL(upstream.endsWith('/') ? upstream : `${upstream}/`);
  const urls = [...new Set([...CANDIDATES.map((path) => new URL(path, base).href), ...CANDIDATES.map((path) => new URL(`/${path}`, base).href)])];
  const tried: string[] = [];
  for (const url of urls) {
    try {
      const fetched = await readSource(url, { timeoutMs, maxBytes: 64 * 1024 * 1024 });
      const document = parseDocument(fetched!.text, url) as Record<string, unknown> | null;
      if (document && typeof document === 'object' && ('openapi' in document || 'swagger' in document)) return url;
      tried.push(`${url} (not an OpenAPI document)`);
    } catch (error) {
      tried.push(`${url} (${error instanceof SpecError ? error.message.replace(/^cannot fetch "[^"]+": /, '') : String(error)})`);
    }
  }
  throw new SpecError('SPEC_UNREADABLE', `no OpenAPI document found for "${upstream}"; set PORTICO_SPEC. Tried:\n  ${tried.join('\n  ')}`);
}
