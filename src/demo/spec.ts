/**
 * @module demo/spec
 * The Swagger 2.0 document the demo API serves: `swagger.json` with `host` and `schemes` set to where the request
 * came in, so a gateway that discovers the document from the API gets a base URL that works. It changes only
 * when `extend()` adds the `listRegions` operation, and so does its ETag.
 */
import swagger from './swagger.json';

/** The parts of a Swagger 2.0 document this module touches. */
interface SwaggerDocument {
  swagger: string;
  host?: string;
  schemes?: string[];
  basePath?: string;
  info: { version: string };
  paths: Record<string, Record<string, unknown>>;
  definitions: Record<string, unknown>;
  tags?: Array<{ name: string; description?: string }>;
}

/** The document as served to one origin. */
export interface RenderedSpec {
  body: string;
  etag: string;
}

/** Enough distinct Host headers to serve every real client; beyond that the cache starts over. */
const MAX_CACHED_ORIGINS = 32;

/** The operation `/_demo/extend` adds: `GET /regions`. */
const REGIONS_PATH = '/regions';
const LIST_REGIONS = {
  security: [{ BearerAuth: [] }],
  description: 'Lists the regions databases can run in, and whether each one accepts new databases.',
  produces: ['application/json'],
  tags: ['regions'],
  summary: 'List regions',
  operationId: 'listRegions',
  responses: {
    '200': { description: 'OK', schema: { type: 'array', items: { $ref: '#/definitions/models.RegionInfo' } } },
    '401': { description: 'Unauthorized', schema: { $ref: '#/definitions/httperr.Error' } },
  },
};
const REGION_INFO = {
  type: 'object',
  properties: {
    id: { description: 'Region id, as databases name it', allOf: [{ $ref: '#/definitions/models.Region' }] },
    name: { type: 'string', example: 'Europe (Frankfurt)' },
    provider: { type: 'string', enum: ['aws', 'gcp'], example: 'aws' },
    available: { description: 'Whether new databases can be created there', type: 'boolean', example: true },
  },
};

export class SpecDocument {
  readonly #document: SwaggerDocument;
  readonly #rendered = new Map<string, RenderedSpec>();
  #extended = false;

  constructor() {
    this.#document = structuredClone(swagger);
  }

  /** The API version from `info.version` (what `/healthz` reports). */
  get version(): string {
    return this.#document.info.version;
  }

  /** Whether `extend()` has added `listRegions`. */
  get extended(): boolean {
    return this.#extended;
  }

  /** Adds `GET /regions` (`listRegions`) and its model; true the first time, false (and no change) after. */
  extend(): boolean {
    if (this.#extended) return false;
    this.#document.paths[REGIONS_PATH] = { get: structuredClone(LIST_REGIONS) };
    this.#document.definitions['models.RegionInfo'] = structuredClone(REGION_INFO);
    this.#document.tags?.push({ name: 'regions', description: 'Where databases can run' });
    this.#extended = true;
    this.#rendered.clear();
    return true;
  }

  /** The document for a request that came to `scheme://host`, with its ETag. */
  render(scheme: string, host: string): RenderedSpec {
    const key = `${scheme}://${host}`;
    let rendered = this.#rendered.get(key);
    if (!rendered) {
      const body = JSON.stringify({ ...this.#document, host, schemes: [scheme] }, null, 2);
      const etag = `"${new Bun.CryptoHasher('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      if (this.#rendered.size >= MAX_CACHED_ORIGINS) this.#rendered.clear();
      this.#rendered.set(key, (rendered = { body, etag }));
    }
    return rendered;
  }
}

/** Whether an `If-None-Match` header matches `etag` (weak comparison, RFC 9110 §13.1.2). */
export function ifNoneMatch(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || strip(tag) === strip(etag));
}
