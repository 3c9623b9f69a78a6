/**
 * @module catalog/source
 * Reads one document from a file path or an http(s) URL and parses it as JSON or YAML.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LineCounter, parseDocument as parseYaml } from 'yaml';
import { readCapped } from '../read-capped';
import { SpecError } from './errors';

/** What the last read of a source returned, for conditional re-reads. */
export interface SourceValidators {
  readonly etag?: string;
  readonly lastModified?: string;
  /** For files: modification time and size. */
  readonly mtimeMs?: number;
  readonly size?: number;
}

export interface FetchedSource extends SourceValidators {
  readonly uri: string;
  readonly text: string;
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
  return { uri: url.href, text: await Bun.file(path).text(), mtimeMs: info.mtimeMs, size: info.size };
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
  const text = await readWithin(response, options.maxBytes ?? DEFAULT_MAX_BYTES, url.href);
  return {
    uri: url.href,
    text,
    etag: response.headers.get('etag') ?? undefined,
    lastModified: response.headers.get('last-modified') ?? undefined,
  };
}

/** Reads a body without ever holding more than `maxBytes` of it. */
async function readWithin(response: Response, maxBytes: number, where: string): Promise<string> {
  const body = await readCapped(response, maxBytes);
  const size = body.declaredLength ?? body.bytes.byteLength;
  if (body.truncated || size > maxBytes) {
    throw new SpecError('SPEC_UNREADABLE', `"${where}" is ${body.truncated ? 'over' : `${size} bytes, over`} the ${maxBytes}-byte limit`);
  }
  return new TextDecoder().decode(body.bytes);
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
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new SpecError('SPEC_PARSE', `"${displayUri(uri)}" is empty`);
  if (/^\s*[[{]/.test(body)) {
    try {
      return JSON.parse(body);
    } catch {
      // YAML-isms in a JSON-looking file (comments, trailing commas) are common and harmless
    }
  }
  try {
    return Bun.YAML.parse(body);
  } catch (cause) {
    throw new SpecError('SPEC_PARSE', `"${displayUri(uri)}" is neither JSON nor YAML: ${locateSyntaxError(body)}`, { cause });
  }
}

function locateSyntaxError(text: string): string {
  const lines = new LineCounter();
  const [first] = parseYaml(text, { lineCounter: lines, prettyErrors: false }).errors;
  if (!first) return 'it could not be parsed';
  const at = first.linePos?.[0] ?? lines.linePos(first.pos[0]);
  const reason = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return `line ${at.line}, column ${at.col}: ${reason}`;
}
