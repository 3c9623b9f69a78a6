/**
 * @module demo/pagination
 * One page of a list as `handlers.Page`, plus the `Link` (RFC 8288) and `X-Total-Count` headers the document
 * promises. Links are absolute and keep the request's other query parameters.
 */
import type { Page } from './models';

export const DEFAULT_PER_PAGE = 20;

/** Page `page` of `items`, `perPage` to a page; past the last page the items are empty and `next_page` null. */
export function paginate<T>(
  items: readonly T[],
  { page = 1, perPage = DEFAULT_PER_PAGE, url }: { page?: number; perPage?: number; url: string },
): { body: Page<T>; headers: Record<string, string> } {
  const total = items.length;
  const last = Math.max(1, Math.ceil(total / perPage));
  const start = (page - 1) * perPage;
  const body: Page<T> = {
    items: items.slice(start, start + perPage),
    page,
    per_page: perPage,
    total,
    next_page: page < last ? page + 1 : null,
  };
  const link = (to: number, rel: string) => {
    const target = new URL(url);
    target.searchParams.set('page', String(to));
    target.searchParams.set('per_page', String(perPage));
    return `<${target.href}>; rel="${rel}"`;
  };
  const links = [
    ...(body.next_page === null ? [] : [link(body.next_page, 'next')]),
    ...(page > 1 ? [link(Math.min(page - 1, last), 'prev')] : []),
    link(1, 'first'),
    link(last, 'last'),
  ];
  return { body, headers: { link: links.join(', '), 'x-total-count': String(total) } };
}
