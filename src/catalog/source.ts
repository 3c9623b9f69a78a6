/**
 * @module catalog/source
 * Reads one document from a file path or an http(s) URL and parses it as JSON or YAML.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readCapped } from '../read-capped';
import { parseAsciiJson } from './ascii-json';
import { SpecError } from './errors';

/** What the last read of a source returned, for conditional re-reads. */
export interface SourceValidators {
  readonly etag?: string;
  readonly lastModified?: string;
  /** For files: modification time and size. */
  readonly mtimeMs?: number;
  readonly size?: number;
  /** A hash of the bytes read (`withDigest`): a re-read that gives the same digest changes nothing. */
  readonly digest?: string;
}

export interface FetchedSource extends SourceValidators {
  readonly uri: string;
  /** The document as read (UTF-8): `parseBody` makes its value and text. */
  readonly body: Uint8Array;
  readonly digest: string;
}

/** A document to parse: bytes read from its source, or a text kept from an earlier read (a snapshot). */
export type DocumentBody = Uint8Array | string;

/** A document parsed: its value, the text it was read from, and whether that text was JSON (else YAML). */
export interface ParsedDocument {
  readonly value: unknown;
  /** A JSON document's characters above U+007F may be written as `\u` escapes in it (see ./ascii-json). */
  readonly text: string;
  readonly json: boolean;
}

export interface ReadOptions {
  /** @default 15000 */
  readonly timeoutMs?: number;
  /** Largest document accepted. @default 64 MiB */
  readonly maxBytes?: number;
  /** Extra request headers for URLs (e.g. an API key the spec endpoint wants). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Called for every redirect before it is followed; returning an error refuses it. Without it,
   * redirects are followed as `fetch` does.
   */
  readonly checkRedirect?: (target: URL) => SpecError | null;
}

const MAX_REDIRECTS = 5;

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** How a URI is shown in messages: local files as paths, since that is how people know them. */
export function displayUri(uri: string): string {
  return uri.startsWith('file:') ? decodeURIComponent(new URL(uri).pathname) : uri;
}

/** Turns a CLI/config source (a path or a URL) into an absolute URI. */
export function sourceToUri(source: string, cwd = process.cwd()): string {
  if (/^https?:\/\//i.test(source) || source.startsWith('file:')) return new URL(source).href;
  return pathToFileURL(isAbsolute(source) ? source : resolve(cwd, source)).href;
}

/**
 * Reads a document. With `previous` validators, returns `null` when the source reports it unchanged
 * (HTTP 304, or the same file mtime and size), so callers skip the rebuild.
 */
export async function readSource(
  uri: string,
  options: ReadOptions = {},
  previous?: SourceValidators,
): Promise<FetchedSource | null> {
  const url = new URL(uri);
  if (url.protocol === 'file:') return readFile(url, options, previous);
  if (url.protocol === 'http:' || url.protocol === 'https:') return readUrl(url, options, previous);
  throw new SpecError('SPEC_UNREADABLE', `cannot read "${uri}": only files and http(s) URLs are supported`);
}

async function readFile(url: URL, options: ReadOptions, previous?: SourceValidators): Promise<FetchedSource | null> {
  const path = decodeURIComponent(url.pathname);
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new SpecError('SPEC_UNREADABLE', `cannot read "${path}": ${describeFsError(cause)}`, { cause });
  }
  if (!info.isFile()) throw new SpecError('SPEC_UNREADABLE', `cannot read "${path}": not a file`);
  if (previous && previous.mtimeMs === info.mtimeMs && previous.size === info.size) return null;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (info.size > maxBytes) {
    throw new SpecError('SPEC_UNREADABLE', `"${path}" is ${info.size} bytes, over the ${maxBytes}-byte limit`);
  }
  return { uri: url.href, ...withDigest(await Bun.file(path).bytes()), mtimeMs: info.mtimeMs, size: info.size };
}

async function readUrl(url: URL, options: ReadOptions, previous?: SourceValidators): Promise<FetchedSource | null> {
  const headers = new Headers(options.headers);
  headers.set('accept', 'application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.5');
  if (previous?.etag) headers.set('if-none-match', previous.etag);
  if (previous?.lastModified) headers.set('if-modified-since', previous.lastModified);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let current = url;
  for (let hops = 0; ; hops++) {
    try {
      response = await fetch(current, { headers, signal, redirect: options.checkRedirect ? 'manual' : 'follow' });
    } catch (cause) {
      const reason = cause instanceof Error && cause.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String(cause);
      throw new SpecError('SPEC_UNREADABLE', `cannot fetch "${url.href}": ${reason}`, { cause });
    }
    const location = response.headers.get('location');
    if (!options.checkRedirect || response.status < 300 || response.status > 399 || response.status === 304 || !location) break;
    await response.body?.cancel().catch(() => {});
    if (hops === MAX_REDIRECTS) throw new SpecError('SPEC_UNREADABLE', `cannot fetch "${url.href}": more than ${MAX_REDIRECTS} redirects`);
    current = new URL(location, current);
    const refusal = options.checkRedirect(current);
    if (refusal) throw new SpecError(refusal.code, `"${url.href}" redirects to "${current.href}": ${refusal.message}`);
  }
  if (response.status === 304 && previous) return null;
  if (!response.ok) {
    throw new SpecError('SPEC_UNREADABLE', `cannot fetch "${url.href}": HTTP ${response.status} ${response.statusText}`);
  }
  const bytes = await readWithin(response, options.maxBytes ?? DEFAULT_MAX_BYTES, url.href);
  return {
    uri: url.href,
    ...withDigest(bytes),
    etag: response.headers.get('etag') ?? undefined,
    lastModified: response.headers.get('last-modified') ?? undefined,
  };
}

/** Reads a body without ever holding more than `maxBytes` of it. */
async function readWithin(response: Response, maxBytes: number, where: string): Promise<Uint8Array> {
  const body = await readCapped(response, maxBytes);
  const size = body.declaredLength ?? body.bytes.byteLength;
  if (body.truncated || size > maxBytes) {
    throw new SpecError('SPEC_UNREADABLE', `"${where}" is ${body.truncated ? 'over' : `${size} bytes, over`} the ${maxBytes}-byte limit`);
  }
  return body.bytes;
}

/**
 * A document's bytes and their digest: a 64-bit hash (wyhash, 1 ms over GitHub's 13 MB where SHA-256 took 7, 11 over
 * Graph's 20). It only tells one read of a source from the next, in this process: equal digests of different bytes (a
 * chance of 2^-64) would keep the last catalog until the source changes again, and whoever could craft such bytes can
 * write the document itself.
 */
function withDigest(bytes: Uint8Array): { body: Uint8Array; digest: string } {
  return { body: bytes, digest: Bun.hash(bytes).toString(16) };
}

/**
 * Parses a document read as bytes (UTF-8, a byte-order mark ignored) or kept as text. A JSON document is parsed from
 * its text of ASCII only (./ascii-json says why); anything else, or JSON that does not parse so, from its bytes
 * decoded as they are, for `parseText` to read as JSON or YAML and to say where it is broken.
 */
export function parseBody(body: DocumentBody, uri: string): ParsedDocument {
  if (typeof body === 'string') return { ...parseText(body, uri), text: body };
  const ascii = parseAsciiJson(body);
  if (ascii) return { ...ascii, json: true };
  const text = new TextDecoder().decode(body);
  return { ...parseText(text, uri), text };
}

function describeFsError(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Parses JSON or YAML (a byte-order mark is ignored). JSON is tried first and Bun's YAML parser next,
 * both fast; neither says where a syntax error is, so on failure the `yaml` library parses again to
 * name the line and column.
 */
export function parseDocument(text: string, uri: string): unknown {
  return parseText(text, uri).value;
}

/** {@link parseDocument}, also saying whether the text was read as JSON (else as YAML). */
export function parseText(text: string, uri: string): { value: unknown; json: boolean } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new SpecError('SPEC_PARSE', `"${displayUri(uri)}" is empty`);
  if (/^\s*[[{]/.test(body)) {
    try {
      return { value: JSON.parse(body), json: true };
    } catch {
      // YAML-isms in a JSON-looking file (comments, trailing commas) are common and harmless
    }
  }
  try {
    return { value: Bun.YAML.parse(body), json: false };
  } catch (cause) {
    throw new SpecError('SPEC_PARSE', `"${displayUri(uri)}" is neither JSON nor YAML: ${locateSyntaxError(body)}`, { cause });
  }
}

/**
 * Where a YAML syntax error is, said where the person must look. The `yaml` library reports an error where it
 * noticed it, which is not always the line to fix:
 * - a line indented under a key that already has a value ("openapi: 3.0.0" then "  info: …") is reported at the
 *   value, on the line before: the line to fix is the indented one;
 * - a flow collection (`{…}`, `[…]`) left open is reported where the parser gave up, lines later: the line to fix
 *   is where it opened; so is a quoted string left open, reported at the end of the document.
 */
function locateSyntaxError(text: string): string {
  // the `yaml` package only for a document that will not parse: most starts never need it
  const { LineCounter, parseDocument: parseYaml } = require('yaml') as typeof import('yaml');
  const lines = new LineCounter();
  const { errors } = parseYaml(text, { lineCounter: lines, prettyErrors: false });
  const [first] = errors;
  if (!first) return 'it could not be parsed';
  const spanning = errors.find((error) => error.code === 'MULTILINE_IMPLICIT_KEY');
  if (spanning) {
    const start = lines.linePos(spanning.pos[0]);
    const end = lines.linePos(spanning.pos[1]);
    if (end.line > start.line) {
      return `line ${end.line}: this line is indented under line ${start.line}, whose key already has a value (at column ${start.col}); indent it like the keys beside it, or move that value onto its own lines`;
    }
  }
  const at = first.linePos?.[0] ?? lines.linePos(first.pos[0]);
  const reason = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const closing = /end with an? ([}\]])$/.exec(reason)?.[1];
  const opened = closing === undefined ? undefined : unclosed(text, first.pos[0], closing === '}' ? '{' : '[', closing);
  if (opened !== undefined) {
    const where = lines.linePos(opened);
    return `line ${where.line}, column ${where.col}: this "${closing === '}' ? '{' : '['}" is not closed with "${closing}" (the parser gave up at line ${at.line}, column ${at.col})`;
  }
  if (first.code === 'MISSING_CHAR' && /quote/.test(reason)) {
    const quote = openQuote(text);
    if (quote !== undefined) {
      const where = lines.linePos(quote);
      return `line ${where.line}, column ${where.col}: this quoted text is never closed (${reason.toLowerCase()}, found at line ${at.line})`;
    }
  }
  return `line ${at.line}, column ${at.col}: ${reason}`;
}

/** Where the quoted string still open at the end of `text` starts (YAML quotes may span lines), or undefined. */
function openQuote(text: string): number | undefined {
  let start: number | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (start === undefined) {
      if ((char === '"' || char === "'") && (i === 0 || /[\s:,[{-]/.test(text[i - 1]!))) start = i;
      else if (char === '#' && (i === 0 || /\s/.test(text[i - 1]!))) i = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
    } else if (text[start] === '"' ? char === '\\' : false) i++; // an escape in double quotes
    else if (char === text[start]) {
      if (char === "'" && text[i + 1] === "'") i++; // '' is a quote inside single quotes
      else start = undefined;
    }
  }
  return start;
}

/** The offset of the last `open` before `before` that no `close` matches, skipping quoted text and comments; undefined if none. */
function unclosed(text: string, before: number, open: string, close: string): number | undefined {
  const stack: number[] = [];
  let quote: string | undefined;
  for (let i = 0; i < before && i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === quote && text[i - 1] !== '\\') quote = undefined;
      else if (char === '\n') quote = undefined; // a quote left open: another error; do not let it hide this one
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    else if (char === '#' && (i === 0 || /\s/.test(text[i - 1]!))) i = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
    else if (char === open) stack.push(i);
    else if (char === close) stack.pop();
  }
  return stack.at(-1);
}
