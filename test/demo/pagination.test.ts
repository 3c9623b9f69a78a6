/**
 * GET /v1/projects pages: `page`, `per_page`, `next_page`, and the `Link` and `X-Total-Count` headers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { SEED_IDS, type RunningDemoApi } from '../../src/demo';
import { call, login, startDemo, type CallResult } from './helpers';

interface ProjectPage {
  items: Array<{ id: string; org_id: string; created_at: string }>;
  page: number;
  per_page: number;
  total: number;
  next_page: number | null;
}

let demo: RunningDemoApi;
let token: string;
beforeAll(async () => {
  demo = await startDemo();
  token = await login(demo, 'alice');
});
afterAll(() => demo.stop());

/** `Link` as { rel: url }. */
function links(result: CallResult): Record<string, string> {
  const header = result.headers.get('link') ?? '';
  return Object.fromEntries([...header.matchAll(/<([^>]+)>;\s*rel="(\w+)"/g)].map((match) => [match[2]!, match[1]!]));
}

const page = (result: CallResult) => result.body as ProjectPage;

describe('GET /v1/projects', () => {
  test('follows next_page to the end, newest first, without gaps or repeats', async () => {
    const seen: string[] = [];
    const created: string[] = [];
    let next: number | null = 1;
    const numbers: number[] = [];
    while (next !== null) {
      const result = await call(demo, 'GET', `/v1/projects?per_page=2&page=${next}`, { token });
      expect(result.status).toBe(200);
      expect(result.headers.get('x-total-count')).toBe('5');
      const body = page(result);
      expect(body).toMatchObject({ page: next, per_page: 2, total: 5 });
      numbers.push(next);
      seen.push(...body.items.map((project) => project.id));
      created.push(...body.items.map((project) => project.created_at));
      next = body.next_page;
    }
    expect(numbers).toEqual([1, 2, 3]);
    expect(new Set(seen).size).toBe(5);
    expect(seen).toEqual(expect.arrayContaining(Object.values(SEED_IDS.projects)));
    expect(created).toEqual([...created].sort().reverse());
  });

  test('Link gives next, prev, first and last as absolute URLs that work', async () => {
    const first = await call(demo, 'GET', '/v1/projects?per_page=2', { token });
    const firstLinks = links(first);
    expect(Object.keys(firstLinks).sort()).toEqual(['first', 'last', 'next']);
    expect(firstLinks.next).toStartWith(`${demo.url}/v1/projects?`);
    expect(new URL(firstLinks.last!).searchParams.get('page')).toBe('3');

    const second = await fetch(firstLinks.next!, { headers: { authorization: `Bearer ${token}` } });
    const secondBody = (await second.json()) as ProjectPage;
    expect(secondBody.page).toBe(2);
    const secondLinks = links({ status: 200, headers: second.headers, text: '', body: undefined });
    expect(Object.keys(secondLinks).sort()).toEqual(['first', 'last', 'next', 'prev']);
    expect(new URL(secondLinks.prev!).searchParams.get('page')).toBe('1');

    const last = await call(demo, 'GET', '/v1/projects?per_page=2&page=3', { token });
    expect(page(last).items).toHaveLength(1);
    expect(page(last).next_page).toBeNull();
    expect(Object.keys(links(last)).sort()).toEqual(['first', 'last', 'prev']);
  });

  test('defaults to page 1 of 20', async () => {
    const result = await call(demo, 'GET', '/v1/projects', { token });
    expect(page(result)).toMatchObject({ page: 1, per_page: 20, total: 5, next_page: null });
    expect(page(result).items).toHaveLength(5);
  });

  test('past the last page: no items, no next page, the same total', async () => {
    const result = await call(demo, 'GET', '/v1/projects?page=9&per_page=2', { token });
    expect(result.status).toBe(200);
    expect(page(result)).toMatchObject({ items: [], page: 9, total: 5, next_page: null });
    expect(new URL(links(result).prev!).searchParams.get('page')).toBe('3');
  });

  test('filters by organization, and the links keep the filter', async () => {
    const result = await call(demo, 'GET', `/v1/projects?org_id=${SEED_IDS.orgs.acme}&per_page=3`, { token });
    expect(page(result).total).toBe(4);
    expect(page(result).items.every((project) => project.org_id === SEED_IDS.orgs.acme)).toBe(true);
    expect(new URL(links(result).next!).searchParams.get('org_id')).toBe(SEED_IDS.orgs.acme);
    const labs = await call(demo, 'GET', `/v1/projects?org_id=${SEED_IDS.orgs.acmeLabs}`, { token });
    expect(page(labs).items.map((project) => project.id)).toEqual([SEED_IDS.projects.mlExperiments]);
  });
});
