/**
 * @module proxy/response
 * The API's response → an MCP tool result.
 * - JSON: the body as text (exactly as sent), and `structuredContent` when the tool has an output schema
 *   (`{result: …}` when the target wraps a non-object), repaired to validate (`proxy/structured`).
 * - Other text: text. `image/*`: image content; `audio/*`: audio content; any other bytes: an embedded
 *   resource with the API's media type (base64 `blob`).
 * - 4xx/5xx: `isError: true`, the status and the API's own message (`proxy/api-message`).
 * - A body over the cap is cut with a note saying so; a cut image or file is left out (half a PNG is of no
 *   use) with a note instead.
 * A tool with an output schema always gets valid `structuredContent` on success, even for a body that is
 * not JSON, since the SDK's client refuses a result without it.
 */
import { STATUS_CODES } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CatalogEntry } from '../catalog/types';
import { apiMessage, saysMoreThanMessage } from './api-message';
import { isJson, isText, parseMediaType, type MediaType } from './media';
import { discard, readCapped, type CappedBody } from '../read-capped';
import { containsSecret, redactText, redactValue } from './redact';
import { structuredFor } from './structured';

/** What the result needs to know about the request and the deployment. */
export interface ResponseContext {
  readonly method: string;
  readonly url: URL;
  readonly maxResponseBytes: number;
  /** Credential values to blank out of the result. */
  readonly secrets: readonly string[];
  /** Aborts reading the body. Not needed for a response fetched with a signal: that one stops the body too. */
  readonly signal?: AbortSignal;
  /** Parse a JSON answer whatever the tool's output schema, and hand its value back (`Answered.value`): for `fields` and `pages`. */
  readonly wantValue?: boolean;
}

/** A result, and with `wantValue` the JSON value of a successful whole answer (secrets blanked), to select from or join pages with. */
export interface Answered {
  readonly result: CallToolResult;
  readonly value?: unknown;
}

/** Longest part of an error body quoted in an error result, beyond the message. */
const MAX_ERROR_BODY = 4000;
type Content = CallToolResult['content'][number];

export async function resultFromResponse(entry: CatalogEntry, response: Response, context: ResponseContext): Promise<CallToolResult> {
  return (await answerFromResponse(entry, response, context)).result;
}

/** `resultFromResponse`, with the answer's value when `context.wantValue` asks for it. */
export async function answerFromResponse(entry: CatalogEntry, response: Response, context: ResponseContext): Promise<Answered> {
  const result = await answered(entry, response, context);
  return result instanceof WithValue ? result : { result };
}

/** A JSON answer's result with its value, for `wantValue`. */
class WithValue implements Answered {
  constructor(
    readonly result: CallToolResult,
    readonly value: unknown,
  ) {}
}

async function answered(entry: CatalogEntry, response: Response, context: ResponseContext): Promise<CallToolResult | WithValue> {
  const media = parseMediaType(response.headers.get('content-type'));
  const binary = media !== undefined && !isJson(media) && !isText(media);
  if (context.method === 'HEAD') {
    await discard(response);
    const text = redactText(headSummary(statusLine(response), response.headers), context.secrets);
    return response.status >= 400 ? { content: [{ type: 'text', text }], isError: true } : finish(entry, [{ type: 'text', text }]);
  }
  const cap = context.maxResponseBytes;
  if (binary && response.ok) {
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > cap) {
      await discard(response);
      return finish(entry, [{ type: 'text', text: `The API sent ${media.essence} of ${declared} bytes, over the gateway's limit of ${cap} bytes for one response; it is not included.` }]);
    }
  }
  const body = await readCapped(response, cap, context.signal);
  const kind = bodyKind(media, body, entry, !response.ok || entry.tool.outputSchema !== undefined || context.wantValue === true);
  if (!response.ok && response.status >= 400) return httpErrorResult(statusLine(response), kind, body, context, response.headers);

  if (body.bytes.length === 0 && !body.truncated) {
    const location = response.headers.get('location');
    return finish(entry, [{ type: 'text', text: `The API answered ${statusLine(response)} with an empty body.${location ? ` Location: ${location}` : ''}` }]);
  }
  if (kind.type === 'binary') {
    const essence = media?.essence ?? 'application/octet-stream';
    if (body.truncated) return finish(entry, [{ type: 'text', text: `The API sent ${essence} of more than ${cap} bytes, over the gateway's limit for one response; it is not included.` }]);
    const data = Buffer.from(body.bytes).toString('base64');
    const content: Content =
      media?.type === 'image' ? { type: 'image', data, mimeType: essence }
      : media?.type === 'audio' ? { type: 'audio', data, mimeType: essence }
      : { type: 'resource', resource: { uri: resourceUri(entry, response.headers), mimeType: essence, blob: data } };
    return finish(entry, [content]);
  }
  const text = redactText(kind.text, context.secrets);
  const note = body.truncated ? cutNote(cap, body) : '';
  if (kind.type === 'json' && !body.truncated) {
    const value = containsSecret(kind.text, context.secrets) ? redactValue(kind.value, context.secrets) : kind.value;
    const result = finish(entry, [{ type: 'text', text }], entry.target.wrapsResult ? { result: value } : value);
    return context.wantValue ? new WithValue(result, value) : result;
  }
  const structured = entry.target.wrapsResult && kind.type === 'text' && !body.truncated ? { result: text } : {};
  return finish(entry, [{ type: 'text', text: text + note }], structured);
}

/** `404 Not Found`: the status and its reason (the API's, else the standard one). */
function statusLine(response: Response): string {
  return `${response.status} ${response.statusText || STATUS_CODES[response.status] || ''}`.trim();
}

type BodyKind = { type: 'json'; text: string; value: unknown } | { type: 'text'; text: string } | { type: 'binary' };

/**
 * Reads the body as JSON, text or bytes, by its media type (sniffed when the API sent none). JSON is
 * parsed only when its value is `needed` (for structured content or an error message); otherwise its text
 * is all the result uses.
 */
function bodyKind(media: MediaType | undefined, body: CappedBody, entry: CatalogEntry, needed: boolean): BodyKind {
  if (media !== undefined && !isJson(media) && !isText(media)) return { type: 'binary' };
  let text: string;
  try {
    text = decode(body.bytes, media?.parameters.get('charset'), body.truncated, media === undefined);
  } catch {
    return { type: 'binary' }; // no media type, and not UTF-8: bytes
  }
  // JSON declared, or plausibly JSON sent as text/plain or untyped to a tool that expects JSON
  const maybeJson = isJson(media) || ((media === undefined || media.essence === 'text/plain') && entry.tool.outputSchema !== undefined && /^\s*[[{]/.test(text));
  if (maybeJson && !body.truncated && needed) {
    try {
      return { type: 'json', text, value: JSON.parse(text) };
    } catch {
      // not JSON after all: text
    }
  }
  return { type: 'text', text };
}

const UTF8 = new TextDecoder('utf-8');
const UTF8_FATAL = new TextDecoder('utf-8', { fatal: true });

function decode(bytes: Uint8Array, charset: string | undefined, truncated: boolean, fatal: boolean): string {
  if (!truncated && (charset === undefined || charset.toLowerCase() === 'utf-8')) return (fatal ? UTF8_FATAL : UTF8).decode(bytes);
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder((charset ?? 'utf-8') as ConstructorParameters<typeof TextDecoder>[0], { fatal });
  } catch {
    decoder = new TextDecoder('utf-8', { fatal }); // an unknown charset label
  }
  // `stream: true` holds back a character cut in half at the cap instead of showing U+FFFD
  return decoder.decode(bytes, { stream: truncated });
}

function httpErrorResult(status: string, kind: BodyKind, body: CappedBody, context: ResponseContext, headers: Headers): CallToolResult {
  const parsed = kind.type === 'json' ? kind.value : undefined;
  const raw = kind.type === 'binary' ? '' : kind.text.trim();
  const message = redactText((parsed !== undefined ? apiMessage(parsed) : undefined) ?? clipText(raw, MAX_ERROR_BODY) ?? '', context.secrets);
  let text = `The API answered ${status} to ${context.method} ${context.url.pathname}${message ? `: ${message}` : ' with no message.'}`;
  const retryAfter = headers.get('retry-after');
  if (retryAfter && /^\d+$/.test(retryAfter)) text += ` Retry after ${retryAfter} s.`;
  if (parsed !== undefined && raw !== message && saysMoreThanMessage(parsed)) text += `\n\n${redactText(clipText(raw, MAX_ERROR_BODY) ?? '', context.secrets)}`;
  if (body.truncated) text += cutNote(context.maxResponseBytes, body);
  return { content: [{ type: 'text', text }], isError: true };
}

/** A success result; `structured` is made to fit the output schema (none without one). */
export function finish(entry: CatalogEntry, content: Content[], structured: unknown = {}): CallToolResult {
  if (!entry.tool.outputSchema) return { content };
  const fitted = structuredFor(entry.tool, structured);
  if (!fitted) return { content };
  const result: CallToolResult = { content, structuredContent: fitted.value };
  if (fitted.removed.length > 0) result._meta = { 'portico/removed': fitted.removed };
  return result;
}

function cutNote(cap: number, body: CappedBody): string {
  const of = body.declaredLength !== undefined ? ` of ${body.declaredLength}` : '';
  return `\n\n[Cut: only the first ${cap} bytes${of} of the API's response are shown (the gateway's limit for one response). Ask for less, e.g. with pagination or filters.]`;
}

function clipText(text: string, max: number): string | undefined {
  if (!text) return undefined;
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function headSummary(status: string, headers: Headers): string {
  const lines = [...headers].filter(([name]) => name !== 'set-cookie').map(([name, value]) => `${name}: ${value}`);
  return [`The API answered ${status}.`, ...lines].join('\n');
}

/** A URI naming the returned file: `portico://response/<tool>[/<file name>]`. */
function resourceUri(entry: CatalogEntry, headers: Headers): string {
  const disposition = headers.get('content-disposition') ?? '';
  const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1];
  return `portico://response/${encodeURIComponent(entry.tool.name)}${name ? `/${encodeURIComponent(safeDecode(name))}` : ''}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
