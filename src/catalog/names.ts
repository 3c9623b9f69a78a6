/**
 * @module catalog/names
 * Tool names: `^[a-zA-Z0-9_-]{1,64}$`, unique, and the same for the same spec on every start.
 * Long names keep their head and tail and gain a hash of the full name, so two long names never meet.
 */
import { createHash } from 'node:crypto';

export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const DEFAULT_MAX_NAME_LENGTH = 64;
/** Below this there is no room for a readable head, a tail and a hash. */
export const MIN_MAX_NAME_LENGTH = 16;

/**
 * `listPetsByID` → `list_pets_by_id`; `repos/get-content` → `repos_get_content`. Words are runs of ASCII letters and
 * digits, split before a capital that follows a lower-case letter or a digit, and before the last capital of a run of
 * them that a lower-case letter follows (`HTTPServer` → `http_server`); anything else separates them.
 *
 * One pass over the text: the four regex replacements it does the work of took ~2 µs an operation id, 22 ms over
 * Microsoft Graph's 11,422 (test/catalog/names.test.ts holds the two to the same output).
 */
export function snakeCase(text: string): string {
  let out = '';
  // where the word being read began, or -1 between words
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isUpper(c) && !isLower(c) && !isDigit(c)) {
      if (start >= 0) out += text.slice(start, i);
      start = -1;
    } else if (start < 0) {
      if (out.length > 0) out += '_';
      start = i;
    } else if (isUpper(c)) {
      const before = text.charCodeAt(i - 1);
      if (isLower(before) || isDigit(before) || (isUpper(before) && i + 1 < text.length && isLower(text.charCodeAt(i + 1)))) {
        out += `${text.slice(start, i)}_`;
        start = i;
      }
    }
  }
  if (start >= 0) out += start === 0 ? text : text.slice(start);
  return out.toLowerCase();
}

const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;
const isDigit = (c: number) => c >= 48 && c <= 57;

/** The name an operation asks for, before shortening and de-duplication. */
export function baseName(method: string, path: string, operationId?: string): string {
  const fromId = operationId ? snakeCase(operationId) : '';
  if (fromId) return fromId;
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      return param ? `by_${snakeCase(param[1]!)}` : snakeCase(segment);
    })
    .filter(Boolean);
  return [method.toLowerCase(), ...words].join('_') || method.toLowerCase();
}

/** A short, stable hash of `text` in base 36. */
function shortHash(text: string, length: number): string {
  const digest = createHash('sha256').update(text).digest();
  return BigInt(`0x${digest.subarray(0, 12).toString('hex')}`).toString(36).padStart(length, '0').slice(0, length);
}

/** Shortens `name` to `max` characters: `head_tail_hash`, cut at word boundaries where possible. */
export function shorten(name: string, max: number, hashLength = 6): string {
  if (name.length <= max) return name;
  const hash = shortHash(name, hashLength);
  const room = max - hashLength - 2; // two separators
  const headRoom = Math.ceil(room * 0.6);
  const tailRoom = room - headRoom;
  let head = name.slice(0, headRoom);
  const headCut = head.lastIndexOf('_');
  if (headCut > headRoom / 2) head = head.slice(0, headCut);
  let tail = name.slice(-tailRoom);
  const tailCut = tail.indexOf('_');
  if (tailCut >= 0 && tailCut < tailRoom / 2) tail = tail.slice(tailCut + 1);
  return [head.replace(/_+$/, ''), tail.replace(/^_+/, ''), hash].filter(Boolean).join('_');
}

export interface NameRequest {
  /** The wanted name (already snake_case). */
  readonly wanted: string;
  /** Orders requests that want the same name: the first in this order keeps it. */
  readonly sortKey: string;
}

/**
 * Assigns unique names. The outcome depends only on the set of requests, not their order: colliding
 * requests are ranked by `sortKey`, the first keeps the name and the others get `_2`, `_3`… — added
 * before shortening, so a suffix never pushes a name over the limit.
 */
export function assignNames(requests: readonly NameRequest[], max = DEFAULT_MAX_NAME_LENGTH): string[] {
  if (!Number.isInteger(max) || max < MIN_MAX_NAME_LENGTH || max > 64) {
    throw new TypeError(`the maximum tool name length must be an integer from ${MIN_MAX_NAME_LENGTH} to 64, got ${max}`);
  }
  const order = requests.map((_, i) => i).sort((a, b) => compare(requests[a]!, requests[b]!));
  const taken = new Set<string>();
  const names: string[] = new Array(requests.length);
  const later: number[] = [];
  // Every operation's own wanted name first, so a suffixed `x_2` never takes the name another one asks for.
  let previous: string | undefined;
  for (const index of order) {
    const wanted = requests[index]!.wanted || 'operation';
    const name = shorten(wanted, max);
    if (wanted === previous || taken.has(name)) later.push(index);
    else {
      taken.add(name);
      names[index] = name;
    }
    previous = wanted;
  }
  for (const index of later) {
    const wanted = requests[index]!.wanted || 'operation';
    let name = '';
    for (let n = 2; !name || taken.has(name); n++) name = shorten(`${wanted}_${n}`, max);
    taken.add(name);
    names[index] = name;
  }
  return names;
}

function compare(a: NameRequest, b: NameRequest): number {
  if (a.wanted !== b.wanted) return a.wanted < b.wanted ? -1 : 1;
  return a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0;
}
