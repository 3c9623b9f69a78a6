/**
 * @module proxy/path
 * Path parameters into the operation's path template, so that no value can change which path is called.
 *
 * Percent-encoding alone is not enough: URL parsers (WHATWG, and so `fetch`) collapse `..`, `%2e%2e` and
 * `.%2E` segments and read `\` as `/`, and some servers decode `%2F` (or `%252F`, decoding twice) before
 * routing. So each value is checked first, in its raw form and after up to three rounds of
 * percent-decoding, each also NFKC-normalised (full-width `．．／` becomes `../`): it is refused when any
 * form is empty, `.` or `..`, contains `/` or `\`, a control character, or percent-encoded bytes that are
 * not UTF-8 (overlong `%C0%AF`). Then everything but RFC 3986's unreserved characters is encoded, and
 * the URL finally built is checked against the template (`assertPathMatches`).
 *
 * Styles: simple, label and matrix, lists and objects joined with `,` unless exploded (RFC 6570, as OpenAPI
 * 3.0.4/3.1.1 corrected its table: label not exploded is `.blue,black`). Swagger 2.0's `ssv`, `tsv` and `pipes`
 * arrive as the delimited styles and join with `%20`, `%09` and `|` instead. A parameter described by `content`
 * is its value written in that media type (JSON text), as one piece.
 *
 * @see https://spec.openapis.org/oas/v3.1.1#style-values (simple, label, matrix)
 */
import type { ParameterBinding } from '../catalog/types';
import { ProxyArgumentError, ProxyError } from './errors';
import { isJson, parseMediaType } from './media';
import { encodeStrict, entriesOf, isAbsent, isObject, mediaText, scalarText } from './values';

const PLACEHOLDER = /\{([^}]+)\}/g;
const MAX_DECODE_ROUNDS = 3;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Swagger 2.0's collection formats other than csv, as styles: their delimiter in a path. */
const DELIMITERS: Readonly<Record<string, string>> = { spaceDelimited: '%20', pipeDelimited: '|', tabDelimited: '%09' };
/** Characters a path template may hold as they are (RFC 3986 pchar and `/`); others are encoded. */
const LITERAL_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2}/y;

/** Fills `template` with the path arguments; the result is an encoded path (no base path). */
export function fillPath(template: string, bindings: readonly ParameterBinding[], args: Readonly<Record<string, unknown>>): string {
  const { literals, names } = parseTemplate(template);
  let path = literals[0]!;
  for (let i = 0; i < names.length; i++) {
    const binding = bindings.find((b) => b.in === 'path' && b.name === names[i]);
    if (!binding) throw new ProxyError('INVALID_TARGET', `The operation's path "${template}" has a part "{${names[i]}}" with no parameter for it`);
    path += pathValue(binding, args[binding.argument]) + literals[i + 1]!;
  }
  return path;
}

/** A template cut at its `{name}` parts: the literal pieces (encoded) around the names. */
interface ParsedTemplate {
  readonly literals: readonly string[];
  readonly names: readonly string[];
}

const templates = new Map<string, ParsedTemplate>();

function parseTemplate(template: string): ParsedTemplate {
  let parsed = templates.get(template);
  if (parsed) return parsed;
  const literals: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    literals.push(encodeLiteral(template.slice(last, match.index)));
    names.push(match[1]!);
    last = match.index + match[0].length;
  }
  literals.push(encodeLiteral(template.slice(last)));
  parsed = { literals, names };
  if (templates.size >= MAX_PATTERNS) templates.clear();
  templates.set(template, parsed);
  return parsed;
}

/**
 * Throws unless `url`'s path is `basePath` followed by `template`, each `{name}` standing for one piece
 * without `/`, and the URL parser changed nothing in `expected` (the path as built).
 */
export function assertPathMatches(url: URL, basePath: string, template: string, expected: string, pattern = pathPattern(basePath, template)): void {
  if (url.pathname !== expected || !pattern.test(url.pathname)) {
    throw new ProxyError('UNSAFE_REQUEST', `Portico refused to send the request: its path "${url.pathname}" does not match the operation's path "${basePath}${template}"`);
  }
}

/** Patterns already compiled, per base path and template: one per operation. */
const patterns = new Map<string, RegExp>();
const MAX_PATTERNS = 10_000;

/** `basePath` + `template` as an anchored pattern, each `{name}` standing for one non-empty segment piece. */
export function pathPattern(basePath: string, template: string): RegExp {
  const key = `${basePath}\n${template}`;
  let compiled = patterns.get(key);
  if (compiled) return compiled;
  const { literals } = parseTemplate(template);
  compiled = new RegExp(`^${escapeRegExp(basePath)}${literals.map(escapeRegExp).join('[^/?#]+')}$`);
  if (patterns.size >= MAX_PATTERNS) patterns.clear();
  patterns.set(key, compiled);
  return compiled;
}

/** One path parameter, serialized by its style (simple, label or matrix). */
function pathValue(binding: ParameterBinding, value: unknown): string {
  const { argument, name, style, explode } = binding;
  if (isAbsent(value)) throw new ProxyArgumentError(argument, 'is required (it is part of the URL path)');
  if (binding.contentType) return pathPiece(argument, mediaText(value, isJson(parseMediaType(binding.contentType))));
  const prefix = style === 'label' ? '.' : style === 'matrix' ? `;${encodeStrict(name)}=` : '';
  if (!Array.isArray(value) && !isObject(value)) return prefix + pathPiece(argument, value);
  // a list or an object (the style decides how its pieces are joined)
  const piece = (v: unknown) => pathPiece(argument, v);
  if (Array.isArray(value)) {
    const items = value.filter((v) => !isAbsent(v));
    if (items.length === 0) throw new ProxyArgumentError(argument, 'must not be an empty list (it is part of the URL path)');
    if (!explode) return prefix + items.map(piece).join(DELIMITERS[style] ?? ',');
    if (style === 'label') return '.' + items.map(piece).join('.');
    if (style === 'matrix') return items.map((v) => prefix + piece(v)).join('');
    return items.map(piece).join(',');
  }
  const entries = entriesOf(value as Record<string, unknown>);
  if (entries.length === 0) throw new ProxyArgumentError(argument, 'must not be an empty object (it is part of the URL path)');
  if (!explode) return prefix + entries.map(([k, v]) => `${piece(k)},${piece(v)}`).join(',');
  const pairs = entries.map(([k, v]) => `${piece(k)}=${piece(v)}`);
  if (style === 'label') return '.' + pairs.join('.');
  if (style === 'matrix') return pairs.map((pair) => `;${pair}`).join('');
  return pairs.join(',');
}

/** Unreserved characters only: their own encoding, and one piece of a segment unless the whole is `.` or `..`. */
const PLAIN = /^[A-Za-z0-9._~-]+$/;

/** One scalar, checked and encoded (ids and names, nearly every value, are plain and need neither). */
function pathPiece(argument: string, value: unknown): string {
  const text = scalarText(value);
  if (PLAIN.test(text) && text !== '.' && text !== '..') return text;
  return encodeStrict(checked(argument, text));
}

/** Returns `text` when it is safe as (part of) one path segment; throws `ProxyArgumentError` otherwise. */
function checked(argument: string, text: string): string {
  if (text === '') throw new ProxyArgumentError(argument, 'must not be empty (it is part of the URL path)');
  for (const form of decodedForms(text)) {
    if (form === '.' || form === '..') throw new ProxyArgumentError(argument, `must not be "." or ".." (or an encoding of them): it would change the URL path`);
    if (form.includes('/') || form.includes('\\')) throw new ProxyArgumentError(argument, 'must not contain "/" or "\\" (or an encoding of them): it would change the URL path');
    if (CONTROL.test(form)) throw new ProxyArgumentError(argument, 'must not contain control characters (or an encoding of them)');
  }
  return text;
}

/** The value as written, then after each round of percent-decoding; each also NFKC-normalised. */
function decodedForms(text: string): string[] {
  const forms = [text];
  let current = text;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = percentDecode(current);
    if (next === current) break;
    if (next.includes('\ufffd') && !current.includes('\ufffd')) {
      forms.push('\u0000'); // bytes that are not UTF-8 (overlong `/`…): refuse as a control character
      break;
    }
    forms.push(next);
    current = next;
  }
  return forms.flatMap((form) => {
    const normal = form.normalize('NFKC');
    return normal === form ? [form] : [form, normal];
  });
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Decodes every `%XX` (leniently, as a forgiving server would: a stray `%` stays as it is). */
function percentDecode(text: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(text)) return text;
  const parts: Uint8Array[] = [];
  for (const piece of text.split(/(%[0-9A-Fa-f]{2})/)) {
    if (/^%[0-9A-Fa-f]{2}$/.test(piece)) parts.push(Uint8Array.of(parseInt(piece.slice(1), 16)));
    else if (piece) parts.push(encoder.encode(piece));
  }
  return decoder.decode(Buffer.concat(parts));
}

/** A literal part of the template: kept where it is already valid in a path, encoded elsewhere. */
function encodeLiteral(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    LITERAL_SAFE.lastIndex = i;
    const safe = LITERAL_SAFE.exec(text);
    if (safe) {
      out += safe[0];
      i += safe[0].length;
    } else {
      const char = String.fromCodePoint(text.codePointAt(i)!);
      out += encodeStrict(char);
      i += char.length;
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
