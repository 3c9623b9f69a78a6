/**
 * @module catalog/json
 * Small helpers for the plain JSON that documents and schemas are made of.
 */

export const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const MAX_TEXT = 1024;

/**
 * Sets an own property even when `key` is `__proto__`: property and parameter names come from the
 * document, and a plain assignment would change the object's prototype instead. (Any other key of a plain
 * object is set by assignment just the same, and much faster than by `defineProperty`.)
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * A new empty object, to be filled key by key. Not `{}`: JSC sizes every object a `{}` literal makes for the most keys
 * the objects made there came to hold, so the schema walk's nodes (a few keys each, made at one place with dozens of
 * possible keys) took twice their room (Microsoft Graph's catalog: 42 MiB of objects instead of 15).
 */
export function emptyObject<T = unknown>(): Record<string, T> {
  return new Object() as Record<string, T>;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A `type` keyword as a list (it may be a string or an array). */
export function typeList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((t): t is string => typeof t === 'string');
  return undefined;
}

/** Shortens text at a word boundary. */
export function clip(text: string, max = MAX_TEXT): string {
  const trimmed = text.trim();
  if (trimmed.length <= max) return trimmed;
  const cut = trimmed.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export function escapePointer(token: string): string {
  return token.includes('~') || token.includes('/') ? token.replaceAll('~', '~0').replaceAll('/', '~1') : token;
}
