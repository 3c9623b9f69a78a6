/**
 * @module catalog/source
 * Reads one document from a file path or an http(s) URL and parses it as JSON or YAML.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

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
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (cause) {
    const reason = cause instanceof Error && cause.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String(cause);
    throw new SpecError('SPEC_UNREADABLE', `cannot fetch "${url.href}": ${reason}`, { cause });
  }
  if (response.status === 304 && previous) return null;
  if (!response.ok) {
    throw new SpecError('SPEC_UNREADABLE', `cannot fetch "${url.href}": HTTP ${response.status} ${response.statusText}`);
  }
  const text = await readCapped(response, options.maxBytes ?? DEFAULT_MAX_BYTES, url.href);
  return {
    uri: url.href,
    text,
    etag: response.headers.get('etag') ?? undefined,
    lastModified: response.headers.get('last-modified') ?? undefined,
  };
}

/** Reads a body without ever holding more than `maxBytes` of it. */
async function readCapped(response: Response, maxBytes: number, where: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    throw new SpecError('SPEC_UNREADABLE', `"${where}" is ${declared} bytes, over the ${maxBytes}-byte limit`);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await response.body.cancel().catch(() => {});
      throw new SpecError('SPEC_UNREADABLE', `"${where}" is over the ${maxBytes}-byte limit`);
    }
    chunks.push(chunk);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function describeFsError(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Parses JSON or YAML (a byte-order mark is ignored). JSON is tried first because it is much faster;
 * YAML also accepts JSON, and its parser reports where a syntax error is.
 */
export function parseDocument(text: string, uri: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new SpecError('SPEC_PARSE', `"${uri}" is empty`);
  if (/^\s*[[{]/.test(body)) {
    try {
      return JSON.parse(body);
    } catch {
      // fall through: YAML gives the position of the error, and accepts JSON with YAML-isms
    }
  }
  try {
    return Bun.YAML.parse(body);
  } catch (cause) {
    const { line, column } = cause as { line?: number; column?: number };
    const at = line ? ` at line ${line}${column ? `, column ${column}` : ''}` : '';
    const reason = cause instanceof Error ? cause.message.replace(/^YAML Parse error: /, '') : String(cause);
    throw new SpecError('SPEC_PARSE', `"${uri}" is neither JSON nor YAML${at}: ${reason}`, { cause });
  }
}
