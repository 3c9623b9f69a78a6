/**
 * @module proxy/next-page
 * The arguments that ask for the next page, read from a page the API answered, so the agent is told how to go on
 * (and `pages` can go on by itself). What APIs say, in the order it is trusted:
 *
 * 1. RFC 8288's `Link: <…>; rel="next"` (GitHub, the demo): the next URL's query, mapped back onto the operation's
 *    query arguments.
 * 2. A URL in the body: `next` (DigitalOcean's `links.pages.next`, Twilio's `next_page_uri`, JSON:API's `links.next`).
 * 3. A cursor or page number in the body (`next_cursor`, `nextPageToken`, Slack's `response_metadata.next_cursor`,
 *    `next_page`…), put in the operation's own paging argument (`cursor`, `page_token`, `page`…).
 * 4. Stripe's `has_more: true`: the last item's `id` as `starting_after`.
 *
 * Only arguments the tool has are set, and only when they change: a page that names no next one, or names
 * the page just read, has none.
 */
import { PAGE_PARAMETER } from '../catalog/answer-arguments';
import type { OperationTarget } from '../catalog/types';
import { isObject } from './values';

/** Body fields that hold a cursor or a page number, by how often APIs use them. */
const NEXT_FIELDS = ['next_cursor', 'nextCursor', 'next_page_token', 'nextPageToken', 'next_token', 'nextToken', 'next_page', 'nextPage', 'next_marker', 'nextMarker', 'continuation_token', 'next'] as const;
/** Body fields that hold the next page's URL. */
const NEXT_URL_FIELDS = ['next', 'next_page_uri', 'next_page_url', 'nextPageUrl', 'nextLink', '@odata.nextLink'] as const;
/** Objects in a body where paging details are kept. */
const PAGING_OBJECTS = ['response_metadata', 'pagination', 'paging', 'meta', 'links', 'page_info', 'pageInfo'] as const;

/** The next page's arguments (the current ones, with the paging ones changed), or undefined when there is no next page. */
export function nextPageArguments(target: OperationTarget, args: Readonly<Record<string, unknown>>, url: URL, headers: Headers, value: unknown): Record<string, unknown> | undefined {
  const query = target.parameters.filter((parameter) => parameter.in === 'query');
  if (query.length === 0) return undefined;
  const fromUrl = (href: string) => {
    let next: URL;
    try {
      next = new URL(href, url);
    } catch {
      return undefined;
    }
    const changed: Record<string, unknown> = {};
    for (const parameter of query) {
      const raw = next.searchParams.get(parameter.name);
      if (raw === null) continue;
      const typed = typedLike(raw, args[parameter.argument], parameter.name);
      if (typed !== args[parameter.argument]) changed[parameter.argument] = typed;
    }
    return Object.keys(changed).length > 0 ? { ...args, ...changed } : undefined;
  };

  const link = nextLink(headers.get('link'));
  if (link) return fromUrl(link);
  if (!isObject(value)) return undefined;
  const places = [value, ...PAGING_OBJECTS.map((name) => value[name]).filter(isObject), ...nested(value.links)];
  for (const place of places) {
    for (const field of NEXT_URL_FIELDS) {
      const found = place[field];
      if (typeof found === 'string' && /^(https?:\/\/|\/)/.test(found)) return fromUrl(found);
    }
  }
  const paging = query.filter((parameter) => PAGE_PARAMETER.test(parameter.name));
  for (const place of places) {
    for (const field of NEXT_FIELDS) {
      const found = place[field];
      if (found === null || found === undefined || found === '' || found === false || (typeof found !== 'string' && typeof found !== 'number')) continue;
      // a page number goes in `page`; a cursor in the first paging argument that is not a number's
      const isNumber = typeof found === 'number' || /^\d+$/.test(String(found));
      const parameter = paging.find((p) => (isNumber && /^page(_?number)?$/i.test(p.name)) || (!isNumber && !/^(page(_?number)?|offset|skip|start)$/i.test(p.name)));
      if (!parameter) continue;
      const next = typeof args[parameter.argument] === 'number' || (isNumber && /^page/i.test(parameter.name)) ? Number(found) : String(found);
      return next === args[parameter.argument] ? undefined : { ...args, [parameter.argument]: next };
    }
  }
  const after = paging.find((parameter) => parameter.name === 'starting_after');
  if (after && value.has_more === true && Array.isArray(value.data)) {
    const last = value.data.at(-1);
    if (isObject(last) && typeof last.id === 'string') return { ...args, [after.argument]: last.id };
  }
  return undefined;
}

/** The target of `rel="next"` in a Link header (RFC 8288), if any. */
function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const match of header.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
    if (/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(match[2] ?? '')) return match[1];
  }
  return undefined;
}

/** DigitalOcean keeps its links one level further down: `links.pages.next`. */
function nested(links: unknown): Record<string, unknown>[] {
  return isObject(links) ? Object.values(links).filter(isObject) : [];
}

/** `raw` from a URL, typed as the argument it replaces is (or as a number for a page number). */
function typedLike(raw: string, current: unknown, name: string): unknown {
  if ((typeof current === 'number' || (current === undefined && /^(page(_?number)?|per_page|offset|limit|skip|start)$/i.test(name))) && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (typeof current === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}
