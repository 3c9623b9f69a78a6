/**
 * @module proxy/media
 * Media types, parsed rather than substring-matched (`application/jsonp` is not JSON,
 * `application/problem+json` is).
 */

export interface MediaType {
  /** `type/subtype`, lower-cased. */
  readonly essence: string;
  readonly type: string;
  readonly subtype: string;
  readonly parameters: ReadonlyMap<string, string>;
}

/** An API sends a handful of distinct Content-Type values: parse each once. */
const parsed = new Map<string, MediaType | undefined>();
const MAX_REMEMBERED = 256;

/** Parses a `Content-Type` value; `undefined` for a missing or malformed one. */
export function parseMediaType(value: string | null | undefined): MediaType | undefined {
  if (!value) return undefined;
  if (parsed.has(value)) return parsed.get(value);
  const media = parse(value);
  if (parsed.size >= MAX_REMEMBERED) parsed.clear();
  parsed.set(value, media);
  return media;
}

function parse(value: string): MediaType | undefined {
  const [head, ...rest] = value.split(';');
  const match = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\/([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*$/.exec(head!);
  if (!match) return undefined;
  const parameters = new Map<string, string>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    parameters.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  const type = match[1]!.toLowerCase();
  const subtype = match[2]!.toLowerCase();
  return { essence: `${type}/${subtype}`, type, subtype, parameters };
}

export function isJson(media: MediaType | undefined): boolean {
  return media !== undefined && (media.subtype === 'json' || media.subtype.endsWith('+json'));
}

const TEXT_ESSENCES = new Set([
  'application/xml', 'application/javascript', 'application/ecmascript', 'application/x-www-form-urlencoded',
  'application/yaml', 'application/x-yaml', 'application/toml', 'application/graphql', 'application/sql',
  'application/csv', 'application/x-ndjson', 'application/jsonl', 'application/x-sh', 'image/svg+xml',
]);

/** Text that is not JSON: `text/*`, XML and the like. */
export function isText(media: MediaType | undefined): boolean {
  if (media === undefined) return false;
  return media.type === 'text' || TEXT_ESSENCES.has(media.essence) || media.subtype.endsWith('+xml') || media.subtype.endsWith('+yaml');
}

export function isFormUrlEncoded(media: MediaType | undefined): boolean {
  return media?.essence === 'application/x-www-form-urlencoded';
}

export function isMultipart(media: MediaType | undefined): boolean {
  return media?.type === 'multipart';
}
