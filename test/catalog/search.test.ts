/**
 * Plain-language search over a real catalog (the demo API's document, as `portico serve` builds it): the words of a
 * request meet the API's through stems and synonyms, what a caller may not see is left out, and a request that says
 * nothing finds nothing. How well it finds what users mean, on GitHub's 1,223 operations, is measured by
 * `bun run bench discover` (test/bench/discover.ts), not asserted here.
 */
import { beforeAll, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { loadCatalog } from '../../src/catalog';
import { searchableTools, ToolSearch } from '../../src/catalog/search';

let search: ToolSearch;

beforeAll(async () => {
  const { catalog } = await loadCatalog(resolve(import.meta.dir, '../../src/demo/swagger.json'));
  search = new ToolSearch(searchableTools(catalog));
});

const top = (query: string, limit = 3) => search.search(query, limit).map((hit) => hit.name);

test('words the API does not use find its operations: synonyms of what to do, and of what to do it to', () => {
  expect(top('tear down the staging project')[0]).toBe('delete_project');
  expect(top('spin up a new postgres db')).toContain('create_database');
  expect(top('who am I signed in as')[0]).toBe('get_current_user');
  expect(top('roll the database back to a snapshot')).toContain('restore_backup');
});

test('hits come best first, at most `limit`, and only those the caller may see', () => {
  const hits = search.search('database', 5);
  expect(hits).toHaveLength(5);
  expect(hits.map((hit) => hit.score)).toEqual([...hits.map((hit) => hit.score)].sort((a, b) => b - a));
  const visible = search.search('delete the database', 10, (name) => !name.startsWith('delete_'));
  expect(visible.length).toBeGreaterThan(0);
  expect(visible.some((hit) => hit.name.startsWith('delete_'))).toBe(false);
});

test('a request of words that say nothing, or of numbers only, finds nothing', () => {
  expect(search.search('the of and to 42', 10)).toEqual([]);
  expect(search.search('', 10)).toEqual([]);
});

test('in a catalog of thousands, a word most operations share ("list") still ranks the ones the rarer words found', () => {
  // 1,500 list operations of other things, and the four of widgets: "list" is in more than COMMON_COUNT tools
  const others = Array.from({ length: 1500 }, (_, i) => ({ name: `list_thing_${i}`, title: `List things of kind ${i}`, method: 'GET', path: `/things/${i}` }));
  const widgets = [
    { name: 'list_widgets', title: 'List widgets', method: 'GET', path: '/widgets' },
    { name: 'create_widget', title: 'Create a widget', method: 'POST', path: '/widgets' },
    { name: 'delete_widget', title: 'Delete a widget', method: 'DELETE', path: '/widgets/{id}' },
    { name: 'get_widget', title: 'Get a widget', method: 'GET', path: '/widgets/{id}' },
  ];
  const search = new ToolSearch([...others, ...widgets]);
  expect(search.search('list the widgets', 1)[0]!.name).toBe('list_widgets');
  expect(search.search('remove a widget', 1)[0]!.name).toBe('delete_widget');
  expect(search.search('make a new widget', 1)[0]!.name).toBe('create_widget');
  // a request of common words only still finds what they say (in the names)
  expect(search.search('list things', 3)).toHaveLength(3);
});
