/**
 * @module proxy/multipart
 * A `multipart/form-data` body written byte for byte (RFC 7578), because `FormData` cannot say what OpenAPI
 * asks: it gives every `Blob` part a `filename` (`"blob"`) and no string part a `Content-Type`, where a JSON part
 * needs `Content-Type: application/json` and must stay a field, not a file.
 *
 * Each part: `Content-Disposition: form-data; name="…"` (with `filename="…"` for a file), then its own
 * `Content-Type` when it has one (none means `text/plain`, RFC 7578 §4.4). Names are quoted as browsers quote
 * them (WHATWG HTML, multipart/form-data encoding): `"` as `%22`, CR as `%0D`, LF as `%0A`, everything else as
 * UTF-8. The boundary is random and checked against every part, so no value can end its part early.
 */
import { randomBytes } from 'node:crypto';
import { ProxyError } from './errors';

export interface Part {
  readonly name: string;
  readonly body: string | Uint8Array;
  /** The part's `Content-Type`; absent for plain text. */
  readonly contentType?: string;
  /** Set for a file part. */
  readonly filename?: string;
}

const encoder = new TextEncoder();
const CRLF = '\r\n';

/** The body and its `Content-Type` (`essence` with the boundary: `multipart/form-data; boundary=…`). */
export function multipartBody(parts: readonly Part[], essence = 'multipart/form-data'): { body: Uint8Array; contentType: string } {
  const bodies = parts.map((part) => (typeof part.body === 'string' ? encoder.encode(part.body) : part.body));
  let boundary = newBoundary();
  while (bodies.some((bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(boundary))) boundary = newBoundary();
  const chunks: Uint8Array[] = [];
  parts.forEach((part, i) => {
    let head = `--${boundary}${CRLF}Content-Disposition: form-data; name="${quoted(part.name)}"`;
    if (part.filename !== undefined) head += `; filename="${quoted(part.filename)}"`;
    head += CRLF;
    if (part.contentType !== undefined) head += `Content-Type: ${headerSafe(part.contentType)}${CRLF}`;
    chunks.push(encoder.encode(head + CRLF), bodies[i]!, encoder.encode(CRLF));
  });
  chunks.push(encoder.encode(`--${boundary}--${CRLF}`));
  return { body: new Uint8Array(Buffer.concat(chunks)), contentType: `${essence}; boundary=${boundary}` };
}

function newBoundary(): string {
  return `----portico-${randomBytes(16).toString('hex')}`;
}

/** A name or file name inside the quotes of `Content-Disposition`. */
export function quoted(name: string): string {
  return name.toWellFormed().replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A part's media type comes from the document or a `data:` URL already parsed; a line break would still be a new header. */
function headerSafe(value: string): string {
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new ProxyError('INVALID_TARGET', `A multipart part's media type "${value.replace(/[\u0000-\u001f\u007f]/g, ' ')}" contains control characters`);
  return value;
}
