/**
 * @module catalog/discover
 * Finds an API's OpenAPI document when the deployment names only the API: the places frameworks serve
 * it from (swag's `/swagger/doc.json`, springdoc's `/v3/api-docs`, FastAPI's `/openapi.json`…), tried
 * under the API's base path and at its origin.
 */
import { SpecError } from './errors';
import { parseBody, readSource } from './source';

const CANDIDATES = ['swagger.json', 'openapi.json', 'openapi.yaml', 'swagger.yaml', 'swagger/doc.json', 'v3/api-docs', 'api-docs', 'docs/openapi.json'];

/** The URL of the first candidate that answers with an OpenAPI or Swagger document. */
export async function discoverSpec(upstream: string, timeoutMs = 5000): Promise<string> {
  const base = new URL(upstream.endsWith('/') ? upstream : `${upstream}/`);
  const urls = [...new Set([...CANDIDATES.map((path) => new URL(path, base).href), ...CANDIDATES.map((path) => new URL(`/${path}`, base).href)])];
  const tried: { url: string; why: string; unreachable?: string }[] = [];
  for (const url of urls) {
    try {
      const fetched = await readSource(url, { timeoutMs, maxBytes: 64 * 1024 * 1024 });
      const document = parseBody(fetched!.body, url).value as Record<string, unknown> | null;
      if (document && typeof document === 'object' && ('openapi' in document || 'swagger' in document)) return url;
      tried.push({ url, why: 'not an OpenAPI document' });
    } catch (error) {
      const why = error instanceof SpecError ? error.message.replace(/^cannot fetch "[^"]+": /, '') : String(error);
      tried.push({ url, why, unreachable: unreachable(why) });
      // the API's host does not answer at all: every other place would fail the same way, one timeout each
      if (tried.length === 1 && tried[0]!.unreachable) break;
    }
  }
  const [first] = tried;
  if (first?.unreachable && tried.every((attempt) => attempt.unreachable === first.unreachable)) {
    throw new SpecError(
      'SPEC_UNREADABLE',
      `cannot reach ${base.origin} (${first.unreachable}): is the API running there? Check PORTICO_UPSTREAM ("${upstream}"), or set PORTICO_SPEC to its OpenAPI document's file or URL`,
    );
  }
  throw new SpecError('SPEC_UNREADABLE', `no OpenAPI document found for "${upstream}"; set PORTICO_SPEC. Tried:\n  ${tried.map(({ url, why }) => `${url} (${why})`).join('\n  ')}`);
}

/** What a failure to fetch says of the host, in a few words, when the host itself could not be reached; undefined otherwise (it answered). */
function unreachable(why: string): string | undefined {
  if (/ECONNREFUSED|Connection refused/i.test(why)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo|DNS/i.test(why)) return 'no such host';
  if (/ETIMEDOUT|timed out|timeout/i.test(why)) return 'no answer in time';
  if (/ECONNRESET|socket connection was closed/i.test(why)) return 'the connection was closed';
  if (/CERT|certificate|TLS|SSL/i.test(why)) return 'its TLS certificate was refused';
  if (/EHOSTUNREACH|ENETUNREACH|Unable to connect/i.test(why)) return 'the host is unreachable';
  return undefined;
}
