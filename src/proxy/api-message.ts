/**
 * @module proxy/api-message
 * The human message in an API's error body. APIs spell it many ways: `message`, `error` (a string or an
 * object with a message), `error_description` (OAuth), `detail` (a string, or FastAPI's list of
 * `{loc, msg}`), RFC 9457's `title` + `detail`, `errors: [...]` (JSON:API, Rails, GraphQL-like).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9457 (problem details)
 */
import { isObject } from './values';

const MESSAGE_KEYS = ['message', 'error_description', 'detail', 'error', 'msg', 'description', 'title', 'reason'] as const;
const LIST_KEYS = ['errors', 'details', 'detail', 'violations', 'fieldErrors'] as const;
const MAX_ITEMS = 10;
/** Keys `apiMessage` summarises, and bookkeeping that adds nothing to it. */
const SUMMARISED_KEYS = new Set<string>([...MESSAGE_KEYS, ...LIST_KEYS, 'type', 'status', 'statusCode', 'instance', 'success', 'ok', 'timestamp']);

/** `true` when `body` says more than its message (an error code, a hint…), so it is worth quoting whole. */
export function saysMoreThanMessage(body: unknown): boolean {
  return !isObject(body) || Object.keys(body).some((key) => !SUMMARISED_KEYS.has(key));
}

/** The message found in a parsed error body, or `undefined` when it has none. */
export function apiMessage(body: unknown, depth = 0): string | undefined {
  if (typeof body === 'string') return body.trim() || undefined;
  if (depth > 3) return undefined;
  if (Array.isArray(body)) return listMessage(body, depth);
  if (!isObject(body)) return undefined;
  let head: string | undefined;
  if (typeof body.title === 'string' && typeof body.detail === 'string') head = `${body.title}: ${body.detail}`;
  else if (typeof body.error === 'string' && typeof body.error_description === 'string') head = `${body.error}: ${body.error_description}`;
  else {
    for (const key of MESSAGE_KEYS) {
      const value = body[key];
      head = typeof value === 'string' ? value.trim() || undefined : isObject(value) ? apiMessage(value, depth + 1) : undefined;
      if (head) break;
    }
  }
  let list: string | undefined;
  for (const key of LIST_KEYS) {
    const value = body[key];
    if (Array.isArray(value)) list = listMessage(value, depth);
    if (list) break;
  }
  if (head && list && !head.includes(list)) return `${head} (${list})`;
  return head ?? list;
}

function listMessage(items: readonly unknown[], depth: number): string | undefined {
  const messages = items.slice(0, MAX_ITEMS).map((item) => itemMessage(item, depth)).filter((m): m is string => Boolean(m));
  if (messages.length === 0) return undefined;
  const more = items.length > MAX_ITEMS ? `; and ${items.length - MAX_ITEMS} more` : '';
  return messages.join('; ') + more;
}

/** One entry of an error list, with the field it is about when the entry names one. */
function itemMessage(item: unknown, depth: number): string | undefined {
  if (!isObject(item)) return typeof item === 'string' ? item.trim() || undefined : undefined;
  const message = apiMessage(item, depth + 1);
  if (!message) return undefined;
  const where = Array.isArray(item.loc) ? item.loc.join('.') : (item.field ?? item.path ?? item.param ?? item.property ?? (isObject(item.source) ? item.source.pointer : undefined));
  const place = Array.isArray(where) ? where.join('.') : typeof where === 'string' || typeof where === 'number' ? String(where) : '';
  return place && !message.includes(place) ? `${place}: ${message}` : message;
}
