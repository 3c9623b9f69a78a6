/**
 * @module catalog/ascii-json
 * A JSON document's UTF-8 bytes as a text of ASCII only, its other characters written as `\u` escapes.
 *
 * Why: the engine (JavaScriptCore) keeps a string in one byte a character only while every character is below
 * U+0100; one character above makes the whole text two bytes a character, and so is every string `JSON.parse` cuts
 * from it. GitHub's document (13 MB) has 52 such characters, Microsoft Graph's (20 MB) 67: decoded as they are, each
 * is a 26 or 40 MB text whose every name and description is twice its size, through the build and into the tool list.
 * Written as escapes, the same JSON (an escape means the character, inside a string, which is the only place JSON
 * allows one) parses to the same values, in strings of one byte a character: the compiled binary served GitHub's
 * whole tool list ~30 ms (11%) sooner, median of 20 interleaved launches each.
 *
 * Escapes mean the same only in JSON: a text that is not JSON must be read from its bytes as they are (`parseBody`
 * in ./source does, when the escaped text does not parse).
 */
import { isAscii } from 'node:buffer';

/** Bytes looked at in one `isAscii` call: the scan skips whole runs of ASCII at native speed. */
const CHUNK = 16 * 1024;
const HEX = '0123456789abcdef';

/**
 * The JSON document `bytes` (UTF-8, a byte-order mark allowed) parsed from its ASCII text, with that text; undefined
 * when they do not start as JSON does (`{` or `[` after white space), are not well-formed UTF-8 (decoding replaces
 * what is broken, which an escape cannot say), or do not parse.
 */
export function parseAsciiJson(bytes: Uint8Array): { value: unknown; text: string } | undefined {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  if (!startsAsJson(body)) return undefined;
  const escapes = isAscii(body) ? [] : findEscapes(body);
  if (!escapes) return undefined;
  const text = new TextDecoder().decode(escapes.length === 0 ? body : written(body, escapes));
  try {
    return { value: JSON.parse(text), text };
  } catch {
    return undefined;
  }
}

/** Whether the first byte that is not JSON white space opens an object or an array. */
function startsAsJson(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b || byte === 0x5b;
  }
  return false;
}

/** A character to write as an escape: where its bytes start, how many there are, and its code point. */
interface Escape {
  readonly at: number;
  readonly length: number;
  readonly code: number;
}

/** Every character of `bytes` above U+007F, in order; undefined at the first byte that is not well-formed UTF-8. */
function findEscapes(bytes: Uint8Array): Escape[] | undefined {
  const escapes: Escape[] = [];
  // the next byte to look at: past the chunk's end when a character began in it and ends in the next
  let i = 0;
  for (let chunk = 0; chunk < bytes.length; chunk += CHUNK) {
    const end = Math.min(bytes.length, chunk + CHUNK);
    if (i < chunk) i = chunk;
    if (i >= end || isAscii(bytes.subarray(i, end))) continue;
    for (; i < end; i++) {
      if (bytes[i]! < 0x80) continue;
      const escape = character(bytes, i);
      if (!escape) return undefined;
      escapes.push(escape);
      i += escape.length - 1;
    }
  }
  return escapes;
}

/**
 * The character whose bytes start at `at`, when they are well-formed UTF-8 (the table of RFC 3629 §4: no overlong
 * form, no surrogate, nothing above U+10FFFF); undefined otherwise.
 */
function character(bytes: Uint8Array, at: number): Escape | undefined {
  const lead = bytes[at]!;
  let length: number;
  let code: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) [length, code] = [2, lead & 0x1f];
  else if (lead >= 0xe0 && lead <= 0xef) {
    [length, code] = [3, lead & 0x0f];
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    [length, code] = [4, lead & 0x07];
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else return undefined;
  for (let k = 1; k < length; k++) {
    const byte = bytes[at + k];
    if (byte === undefined || byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return undefined;
    code = (code << 6) | (byte & 0x3f);
  }
  return { at, length, code };
}

/** `bytes` with each escape written in place of its character's bytes. */
function written(bytes: Uint8Array, escapes: readonly Escape[]): Uint8Array {
  let size = bytes.length;
  for (const { length, code } of escapes) size += (code > 0xffff ? 12 : 6) - length;
  const out = new Uint8Array(size);
  let from = 0;
  let to = 0;
  for (const { at, length, code } of escapes) {
    out.set(bytes.subarray(from, at), to);
    to = escapeAt(out, to + at - from, code);
    from = at + length;
  }
  out.set(bytes.subarray(from), to);
  return out;
}

/** Writes the escape of `code` at `to` (a surrogate pair above U+FFFF, as JSON writes it); returns where the next byte goes. */
function escapeAt(out: Uint8Array, to: number, code: number): number {
  if (code <= 0xffff) return unitAt(out, to, code);
  return unitAt(out, unitAt(out, to, 0xd800 + ((code - 0x10000) >> 10)), 0xdc00 + ((code - 0x10000) & 0x3ff));
}

/** Writes `\uXXXX` for the UTF-16 code unit `unit` at `to`; returns where the next byte goes. */
function unitAt(out: Uint8Array, to: number, unit: number): number {
  out[to] = 0x5c;
  out[to + 1] = 0x75;
  for (let k = 0; k < 4; k++) out[to + 2 + k] = HEX.charCodeAt((unit >> (12 - 4 * k)) & 0xf);
  return to + 6;
}
