/**
 * Tool descriptions and titles: summary + description, trimmed to `maxDescriptionLength`, deprecated
 * operations marked, a title always set.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { build, entry, jsonBody, noContent, oas30, removeTempDirs } from './helpers';

afterAll(removeTempDirs);

const op = (fields: Record<string, unknown>) => ({ responses: noContent, ...fields });

describe('description', () => {
  test('joins summary and description, trimmed of surrounding whitespace', async () => {
    const catalog = await build(
      oas30({
        '/both': { get: op({ operationId: 'both', summary: '  List invoices  ', description: '\n  Returns invoices, newest first.\n\n' }) },
        '/summary': { get: op({ operationId: 'summaryOnly', summary: 'Get the balance' }) },
        '/description': { get: op({ operationId: 'descriptionOnly', description: 'Returns the account balance.' }) },
      }),
    );
    const both = entry(catalog, 'both').tool.description!;
    expect(both).toContain('List invoices');
    expect(both).toContain('Returns invoices, newest first.');
    expect(both.indexOf('List invoices')).toBeLessThan(both.indexOf('Returns invoices'));
    expect(both).toBe(both.trim());
    expect(entry(catalog, 'summary_only').tool.description).toBe('Get the balance');
    expect(entry(catalog, 'description_only').tool.description).toBe('Returns the account balance.');
  });

  test('does not repeat a summary that the description already starts with', async () => {
    const catalog = await build(oas30({ '/x': { get: op({ operationId: 'x', summary: 'Lists pets.', description: 'Lists pets. Paginated by cursor.' }) } }));
    expect(entry(catalog, 'x').tool.description).toBe('Lists pets. Paginated by cursor.');
  });

  test('an operation with neither still gets a non-empty description naming it', async () => {
    const catalog = await build(oas30({ '/reports/{id}': { delete: op({}) } }));
    const description = catalog.entries[0]!.tool.description!;
    expect(description).toContain('/reports/{id}');
  });

  test('a long description is cut to maxDescriptionLength (default 1024)', async () => {
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const catalog = await build(oas30({ '/x': { get: op({ operationId: 'x', summary: 'Summary here', description: long }) } }));
    const description = entry(catalog, 'x').tool.description!;
    expect(description.length).toBeLessThanOrEqual(1024);
    expect(description.length).toBeGreaterThan(900);
    expect(description.startsWith('Summary here')).toBe(true);

    const short = await build(oas30({ '/x': { get: op({ operationId: 'x', summary: 'Summary here', description: long }) } }), { maxDescriptionLength: 200 });
    const clipped = entry(short, 'x').tool.description!;
    expect(clipped.length).toBeLessThanOrEqual(200);
    expect(clipped.length).toBeGreaterThan(150);
    expect(clipped.startsWith('Summary here')).toBe(true);
  });

  test('stays within maxDescriptionLength even when a note about a cut cycle is added', async () => {
    const long = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
    const catalog = await build(
      oas30(
        { '/tree': { post: op({ operationId: 'tree', description: long, requestBody: jsonBody({ $ref: '#/components/schemas/TreeNode' }) }) } },
        { TreeNode: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/components/schemas/TreeNode' } } } } },
      ),
      { maxDescriptionLength: 100 },
    );
    const description = entry(catalog, 'tree').tool.description!;
    expect(description).toContain('TreeNode');
    expect(description.length).toBeLessThanOrEqual(100);
  });

  test('deprecated operations are marked; others are not', async () => {
    const catalog = await build(
      oas30({
        '/old': { get: op({ operationId: 'old', summary: 'Old listing', deprecated: true }) },
        '/new': { get: op({ operationId: 'new', summary: 'New listing' }) },
      }),
    );
    expect(entry(catalog, 'old').tool.description).toMatch(/deprecated/i);
    expect(entry(catalog, 'old').tool.description).toContain('Old listing');
    expect(entry(catalog, 'new').tool.description).not.toMatch(/deprecated/i);
  });
});

describe('title', () => {
  test('is the summary (without a trailing period), else derived from the operationId, else method and path', async () => {
    const catalog = await build(
      oas30({
        '/a': { get: op({ operationId: 'a', summary: 'List all pets.' }) },
        '/b': { get: op({ operationId: 'listPetOwners' }) },
        '/c/{id}': { put: op({}) },
      }),
    );
    expect(entry(catalog, 'a').tool.title).toBe('List all pets');
    expect(entry(catalog, 'list_pet_owners').tool.title).toBe('List pet owners');
    const third = catalog.entries.find((e) => e.target.path === '/c/{id}')!;
    expect(third.tool.title).toBe('PUT /c/{id}');
  });

  test('a multi-line summary becomes one line', async () => {
    const catalog = await build(oas30({ '/a': { get: op({ operationId: 'a', summary: 'Get\n  the   thing' }) } }));
    expect(entry(catalog, 'a').tool.title).toBe('Get the thing');
  });
});
