/**
 * @module proxy/json-lists
 * The list a JSON answer is about — the records of a page (`{items: […]}`, `{data: […]}`, `[…]`) — found the same
 * way wherever it matters: joining pages (`proxy/call`, `pages`) and reading a whole answer page by page
 * (`calls/answer/read`). It is the longest list that is not inside another list; places are JSON Pointers.
 */

/** The longest list in `value` outside other lists, and its JSON Pointer ('' for `value` itself). */
export function longestList(value: unknown, path = ''): { list: unknown[]; path: string } | undefined {
  if (Array.isArray(value)) return { list: value, path };
  if (value === null || typeof value !== 'object') return undefined;
  let best: { list: unknown[]; path: string } | undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = longestList(item, `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    if (found && (!best || found.list.length > best.list.length)) best = found;
  }
  return best;
}

/** The list at `path` in `value`, if there is one. */
export function listAt(value: unknown, path: string): unknown[] | undefined {
  let node = value;
  for (const token of tokens(path)) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return Array.isArray(node) ? node : undefined;
}

/** A copy of `value` with the list at `path` replaced by `list` (the rest shared, not copied). */
export function replaceList(value: unknown, path: string, list: unknown[]): unknown {
  const [head, ...rest] = tokens(path);
  if (head === undefined) return list;
  const object = value as Record<string, unknown>;
  return { ...object, [head]: replaceList(object[head], rest.map((token) => `/${token.replaceAll('~', '~0').replaceAll('/', '~1')}`).join(''), list) };
}

function tokens(path: string): string[] {
  return path === '' ? [] : path.slice(1).split('/').map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}
