/**
 * Things real documents do that OpenAPI does not quite allow, each seen in a spec under ../shared/specs
 * or from npm. Each one once cost tools or arguments; none may again.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { loadCatalog } from '../../src/catalog';
import { build, entry, oas30, removeTempDirs, writeFiles } from './helpers';

afterAll(removeTempDirs);

const ok = { 200: { description: 'ok' } };

describe('quirks of real documents', () => {
  test('an operation kept in a file of its own behind $ref (DigitalOcean)', async () => {
    const dir = writeFiles({
      'openapi.json': oas30({ '/keys/{key_id}': { get: { $ref: 'ops/get_key.json' } } }),
      'ops/get_key.json': { operationId: 'keys_get', parameters: [{ $ref: '../params.json#/key_id' }], responses: ok },
      'params.json': { key_id: { name: 'key_id', in: 'path', required: true, schema: { type: 'integer' } } },
    });
    const { catalog } = await loadCatalog(join(dir, 'openapi.json'));
    const tool = entry(catalog, 'keys_get');
    expect(tool.tool.inputSchema.properties).toEqual({ key_id: { type: 'integer' } });
    expect(tool.target.parameters).toEqual([{ argument: 'key_id', name: 'key_id', in: 'path', required: true, style: 'simple', explode: false }]);
  });

  test('a whole properties map behind $ref (DigitalOcean)', async () => {
    const dir = writeFiles({
      'openapi.json': oas30({
        '/lb': {
          post: {
            operationId: 'create_lb',
            requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { $ref: 'attributes.json#/lb', name: { type: 'string' } } } } } },
            responses: ok,
          },
        },
      }),
      'attributes.json': { lb: { droplet_ids: { type: 'array', items: { type: 'integer' } }, tag: { type: 'string' } } },
    });
    const { catalog } = await loadCatalog(join(dir, 'openapi.json'));
    expect(Object.keys(entry(catalog, 'create_lb').tool.inputSchema.properties!)).toEqual(['droplet_ids', 'tag', 'name']);
  });

  test('a path parameter the document forgot to declare becomes a required string argument', async () => {
    const catalog = await build(oas30({ '/orgs/{org}/teams/{team}': { get: { operationId: 'get_team', parameters: [{ name: 'org', in: 'path', required: true, schema: { type: 'string' } }], responses: ok } } }));
    const tool = entry(catalog, 'get_team');
    expect(tool.tool.inputSchema.required).toEqual(['org', 'team']);
    expect(tool.tool.inputSchema.properties!.team).toMatchObject({ type: 'string' });
    expect(tool.target.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:org', 'path:team']);
    expect(catalog.warnings).toContain('GET /orgs/{org}/teams/{team} (get_team): path parameters not declared, taken as strings: team');
  });

  test('an unquoted `swagger: 2.0` in YAML (a number, not a string) is still Swagger 2.0', async () => {
    const dir = writeFiles({ 'swagger.yaml': 'swagger: 2.0\ninfo: {title: T, version: "1"}\npaths:\n  /a:\n    get:\n      operationId: get_a\n      responses: {200: {description: ok}}\n' });
    const { catalog } = await loadCatalog(join(dir, 'swagger.yaml'));
    expect(catalog.specVersion).toBe('2.0');
    expect(catalog.entries.map((e) => e.tool.name)).toEqual(['get_a']);
  });

  test('`example: {$ref: …}` pointing at an Example Object is not published as an example (GitHub)', async () => {
    const catalog = await build(
      oas30({
        '/a': { get: { operationId: 'get_a', parameters: [{ name: 'q', in: 'query', schema: { type: 'string', example: { $ref: '#/components/examples/q' } } }], responses: ok } },
      }),
    );
    expect(entry(catalog, 'get_a').tool.inputSchema.properties!.q).toEqual({ type: 'string', minLength: 1 });
  });

  test('an empty enum (Discord) is dropped: Ajv, which clients use, refuses to compile it', async () => {
    const catalog = await build(oas30({ '/a': { get: { operationId: 'get_a', parameters: [{ name: 'q', in: 'query', schema: { type: 'string', enum: [] } }], responses: ok } } }));
    expect(entry(catalog, 'get_a').tool.inputSchema.properties!.q).toEqual({ type: 'string', minLength: 1 });
  });

  test('a recursive response schema is cut and the description says so', async () => {
    const catalog = await build(
      oas30(
        { '/tree': { get: { operationId: 'get_tree', summary: 'Get the tree', responses: { 200: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } } } } } } },
        { Node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } } } },
      ),
    );
    const tool = entry(catalog, 'get_tree').tool;
    expect(tool.description).toBe('Get the tree\n\nRecursive schemas cut: Node.');
    expect(tool.outputSchema).toEqual({
      type: 'object',
      properties: { children: { type: 'array', items: { type: 'object', description: 'Node (recursive reference; not expanded further)' } } },
    });
  });
});
