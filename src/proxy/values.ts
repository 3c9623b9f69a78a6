/**
 * @module proxy/values
 * Turning argument values into text for the wire, the way OpenAPI's serialization styles expect:
 * booleans and numbers as their JSON text, nested structures (where a style has no rule) as JSON.
 */

/** A value the MCP layer validated against the input schema: JSON, nothing else. */
export type ArgumentValue = unknown;

/** `true` when the argument is absent: OpenAPI has no wire form for "no value", so it is left out. */
export function isAbsent(value: ArgumentValue): value is undefined | null {
  return value === undefined || value === null;
}

export function isObject(value: ArgumentValue): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The text of one scalar; a nested array or object (for which a style has no rule) as JSON. */
export function scalarText(value: ArgumentValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return '';
  return JSON.stringify(value);
}

/**
 * Percent-encodes everything but RFC 3986's unreserved characters (`A–Z a–z 0–9 - . _ ~`), so a value can
 * never introduce a delimiter of the URL part it sits in.
 */
export function encodeStrict(text: string): string {
  // A lone surrogate (valid in JSON) would make encodeURIComponent throw: it becomes U+FFFD instead.
  return encodeURIComponent(text.toWellFormed()).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RFC 3986's unreserved characters, and the reserved ones a query value may hold as they are. */
const RESERVED_KEPT = /%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~:/?@!$'()*,;]/gu;

/**
 * OpenAPI's `allowReserved` (RFC 6570 reserved expansion): reserved characters and `%XX` triples pass through as
 * they are. Still encoded, as OpenAPI 3.0.4/3.1.1 require of the application: `[`, `]` and `#` (not allowed in a
 * query), `&`, `=` and `+` (delimiters of a form query: a value must never add a parameter), a `%` outside a
 * triple, and everything that is not ASCII. (`'` is kept here, but the WHATWG URL parser, and so `fetch`, encodes
 * it in an http(s) query all the same; `%27` means the same to every server.)
 */
export function encodeReserved(text: string): string {
  return text.toWellFormed().replace(RESERVED_KEPT, (match) => (match.length === 3 && match[0] === '%' ? match : encodeStrict(match)));
}

/**
 * A value written in a parameter's or part's media type: JSON text for a JSON type (a string too, with its
 * quotes, as OpenAPI's examples show), the scalar's text otherwise.
 */
export function mediaText(value: ArgumentValue, json: boolean): string {
  return json ? JSON.stringify(value) : scalarText(value);
}

/** An object's entries in a stable order (as given), skipping absent values. */
export function entriesOf(value: Record<string, unknown>): [string, unknown][] {
  return Object.entries(value).filter(([, v]) => !isAbsent(v));
}
