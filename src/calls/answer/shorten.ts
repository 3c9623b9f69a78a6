/**
 * @module calls/answer/shorten
 * A JSON answer made to fit a size, and still JSON: a cut document is of no use to a model, so instead of cutting
 * the text, every list is kept to its first `k` items and every long string to its first `n` characters, for the
 * largest `k` (and `n`) that fit. What was left out is said: each list cut with its length, each string cut with
 * its length, so the agent knows what it is not seeing (and the whole answer is a link away: `calls/answer/fit`).
 *
 * One `k` for every list, not a share per list: the answers this is for are pages of records (`{items: […]}`,
 * `[…]`), where the one long list is what has to give; nested lists shorter than `k` are untouched. The search
 * is a binary search on `k`, each step a copy and a `JSON.stringify`: about 17 steps for 100 000 items.
 */

/** One part left out: a list kept to `kept` of `total` items, or a string to `kept` of `total` characters. */
export interface Omission {
  /** JSON Pointer (RFC 6901) of the list or string, in the answer. */
  readonly path: string;
  readonly kind: 'items' | 'characters';
  readonly kept: number;
  readonly total: number;
}

export interface Shortened {
  readonly value: unknown;
  /** Its JSON text (what the agent reads). */
  readonly text: string;
  /** What was left out, outermost first; at most `MAX_LISTED` (`omissionCount` has them all). */
  readonly omitted: readonly Omission[];
  readonly omissionCount: number;
}

/** Omissions listed one by one; beyond, only counted (a list of 10 000 cut strings would not fit either). */
export const MAX_LISTED = 20;
/** The string lengths tried, longest first, when cutting lists alone does not fit. */
const STRING_CAPS = [Infinity, 8192, 2048, 512, 128] as const;

const encoder = new TextEncoder();
/** UTF-8 bytes of `text`, counted without encoding it. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * `value` cut to fit `maxBytes` of JSON text, or undefined when even its shortest form (every list kept to one
 * item, strings to 128 characters) does not fit — an answer that is mostly keys, which only a text cut can shorten.
 */
export function shortenJson(value: unknown, maxBytes: number): Shortened | undefined {
  const whole = JSON.stringify(value);
  if (byteLength(whole) <= maxBytes) return { value, text: whole, omitted: [], omissionCount: 0 };
  const longest = longestList(value);
  for (const stringCap of STRING_CAPS) {
    // the largest k with a fitting copy; lists of one item at least, when there are lists
    let low = longest === 0 ? 0 : 1;
    let high = longest;
    let best: { text: string; value: unknown } | undefined;
    while (low <= high) {
      const k = Math.floor((low + high) / 2);
      const copy = cut(value, k, stringCap, '', undefined);
      const text = JSON.stringify(copy);
      if (byteLength(text) <= maxBytes) {
        best = { text, value: copy };
        low = k + 1;
      } else {
        high = k - 1;
      }
    }
    if (best) {
      const k = low - 1;
      const omitted: Omission[] = [];
      const counter = { count: 0, listed: omitted };
      cut(value, k, stringCap, '', counter);
      return { value: best.value, text: best.text, omitted, omissionCount: counter.count };
    }
  }
  return undefined;
}

/**
 * `text` cut to at most `maxBytes` of UTF-8, at a line end when one is near (within the last fifth), never inside
 * a character.
 */
export function cutText(text: string, maxBytes: number): string {
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // not in the middle of a character
  const head = new TextDecoder().decode(bytes.subarray(0, end));
  const newline = head.lastIndexOf('\n');
  return newline >= head.length * 0.8 ? head.slice(0, newline) : head;
}

/** The length of the longest list anywhere in `value`. */
function longestList(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((max, item) => Math.max(max, longestList(item)), value.length);
  if (value !== null && typeof value === 'object') return Object.values(value).reduce<number>((max, item) => Math.max(max, longestList(item)), 0);
  return 0;
}

interface Counter {
  count: number;
  readonly listed: Omission[];
}

/** A copy of `value` with lists kept to `k` items and strings to `stringCap` characters; `counter` notes what went. */
function cut(value: unknown, k: number, stringCap: number, path: string, counter: Counter | undefined): unknown {
  if (typeof value === 'string') {
    if (value.length <= stringCap) return value;
    note(counter, { path, kind: 'characters', kept: stringCap, total: value.length });
    return `${value.slice(0, stringCap)}…`;
  }
  if (Array.isArray(value)) {
    if (value.length > k) note(counter, { path, kind: 'items', kept: k, total: value.length });
    const kept = value.length > k ? value.slice(0, k) : value;
    return kept.map((item, index) => cut(item, k, stringCap, `${path}/${index}`, counter));
  }
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = cut(item, k, stringCap, `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, counter);
    return copy;
  }
  return value;
}

function note(counter: Counter | undefined, omission: Omission): void {
  if (!counter) return;
  counter.count++;
  if (counter.listed.length < MAX_LISTED) counter.listed.push(omission);
}
