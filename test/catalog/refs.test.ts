/**
 * `$ref` everywhere: local, into other files (subfolders, `../`), circular, and in parameters, request
 * bodies, responses and path items. A property literally named `$ref` is a property, not a reference.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadCatalog } from '../../src/catalog/index';
import { build, entry, expectWellFormed, FIXTURES, inputOf, jsonBody, jsonOk, noContent, oas30, oas31, outputOf, removeTempDirs, skippedFor, writeFiles } from './helpers';

afterAll(removeTempDirs);

describe('local refs', () => {
  const doc = oas30(
    {
      '/pets/{petId}': {
        parameters: [{ $ref: '#/components/parameters/PetId' }],
        put: {
          operationId: 'replacePet',
          parameters: [{ $ref: '#/components/parameters/DryRun' }],
          requestBody: { $ref: '#/components/requestBodies/PetBody' },
          responses: { '200': { $ref: '#/components/responses/PetResponse' } },
        },
      },
    },
    {
      Pet: { $ref: '#/components/schemas/PetRecord' },
      PetRecord: { $ref: '#/components/schemas/Pet~1v2' },
      'Pet/v2': {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string', maxLength: 40 }, size: { $ref: '#/components/schemas/Size%20Class' } },
      },
      'Size Class': { type: 'string', enum: ['small', 'large'] },
    },
  );
  (doc.components as Record<string, unknown>).parameters = {
    PetId: { name: 'petId', in: 'path', required: true, schema: { type: 'integer' } },
    DryRun: { name: 'dryRun', in: 'query', schema: { type: 'boolean', default: false } },
  };
  (doc.components as Record<string, unknown>).requestBodies = { PetBody: jsonBody({ $ref: '#/components/schemas/Pet' }) };
  (doc.components as Record<string, unknown>).responses = {
    PetResponse: { description: 'The pet', content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } },
  };

  test('refs in path-item and operation parameters, request bodies and responses are all followed', async () => {
    const catalog = await build(doc);
    expect(catalog.skipped).toEqual([]);
    const tool = entry(catalog, 'replace_pet');
    expect(tool.tool.inputSchema).toEqual({
      type: 'object',
      properties: {
        petId: { type: 'integer' },
        dryRun: { type: 'boolean', default: false },
        name: { type: 'string', maxLength: 40 },
        size: { type: 'string', enum: ['small', 'large'] },
      },
      required: ['petId', 'name'],
      additionalProperties: false,
    });
    expect(tool.target.parameters.map((p) => [p.argument, p.in])).toEqual([
      ['petId', 'path'],
      ['dryRun', 'query'],
    ]);
    expect(tool.target.body).toMatchObject({ mode: 'fields', required: true, fields: [{ argument: 'name', name: 'name' }, { argument: 'size', name: 'size' }] });
    expect(outputOf(catalog, 'replace_pet')).toEqual({ type: 'object', properties: { name: { type: 'string' }, size: { type: 'string' } } });
    expectWellFormed(catalog);
  });

  test('a path item given by a local $ref (OpenAPI 3.1 components.pathItems) becomes tools', async () => {
    const doc31 = oas31({ '/ping': { $ref: '#/components/pathItems/Ping' } });
    (doc31 as Record<string, unknown>).components = {
      pathItems: { Ping: { get: { operationId: 'ping', responses: jsonOk({ type: 'object', properties: { ok: { type: 'boolean' } } }) } } },
    };
    const catalog = await build(doc31);
    expect(entry(catalog, 'ping').target).toMatchObject({ method: 'GET', path: '/ping' });
    expect(outputOf(catalog, 'ping')).toEqual({ type: 'object', properties: { ok: { type: 'boolean' } } });
  });
});

describe('refs into other files', () => {
  const root = join(FIXTURES, 'multi-file', 'api', 'openapi.yaml');
  const uri = (path: string) => pathToFileURL(join(FIXTURES, 'multi-file', path)).href;

  test('every file reached by relative refs (subfolders and ../) is read, relative to the file holding the ref', async () => {
    const { documents, catalog } = await loadCatalog(root);
    expect(documents[0]).toBe(uri('api/openapi.yaml'));
    expect([...documents].sort()).toEqual(
      [
        'api/openapi.yaml',
        'api/paths/pets.yaml',
        'api/paths/pet-by-id.json',
        'api/components/parameters.yaml',
        'api/components/request-bodies.yaml',
        'api/components/responses.yaml',
        'shared/schemas.yaml',
        'shared/errors.json',
        'shared/tags/kind.yaml',
      ]
        .map(uri)
        .sort(),
    );
    expect(catalog.skipped).toEqual([]);
    expect(catalog.entries.map((e) => e.tool.name).sort()).toEqual(['create_pet', 'delete_pet', 'get_pet', 'list_owners', 'list_pets']);
    expectWellFormed(catalog);
  });

  test('a request body ref in another folder brings the shared schema, its local refs and a whole-file ref', async () => {
    const { catalog } = await loadCatalog(root);
    expect(inputOf(catalog, 'create_pet')).toEqual({
      type: 'object',
      properties: {
        'X-Trace-Id': { type: 'string', minLength: 1, description: 'Correlates log lines.' },
        name: { type: 'string', description: "The pet's name." },
        owner: { type: 'object', properties: { email: { type: 'string', format: 'email' } } },
        kind: { type: 'string', description: 'What kind of animal it is.', enum: ['cat', 'dog', 'fish'] },
      },
      required: ['name'],
      additionalProperties: false,
    });
    expect(entry(catalog, 'create_pet').target.body).toEqual({
      mode: 'fields',
      contentType: 'application/json',
      required: true,
      fields: [
        { argument: 'name', name: 'name' },
        { argument: 'owner', name: 'owner' },
        { argument: 'kind', name: 'kind' },
      ],
    });
  });

  test('parameters by ref from another file, at path-item and operation level, keep their schema and description', async () => {
    const { catalog } = await loadCatalog(root);
    expect(inputOf(catalog, 'list_pets').properties).toEqual({
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'How many items to return at most.' },
      'X-Trace-Id': { type: 'string', minLength: 1, description: 'Correlates log lines.' },
    });
    for (const name of ['get_pet', 'delete_pet']) {
      expect(inputOf(catalog, name)).toEqual({
        type: 'object',
        properties: { petId: { type: 'string', format: 'uuid', minLength: 1, description: "The pet's identifier." } },
        required: ['petId'],
        additionalProperties: false,
      });
      expect(entry(catalog, name).target.serverUrl).toBe('https://pets.example.com/v1');
    }
  });

  test('a response given by a ref into another file becomes the output schema', async () => {
    const { catalog } = await loadCatalog(root);
    const pets = entry(catalog, 'list_pets');
    expect(pets.target.wrapsResult).toBe(true);
    expect(pets.tool.outputSchema?.properties?.result).toMatchObject({
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, kind: { type: 'string' } } },
    });
    expect(outputOf(catalog, 'list_owners')?.properties?.owners?.items).toEqual({ type: 'object', properties: { email: { type: 'string' } } });
  });

  test('folder and file names with spaces and non-ASCII characters', async () => {
    const dir = writeFiles({});
    const folder = join(dir, 'My Specs (v2)');
    mkdirSync(join(folder, 'schémas'), { recursive: true });
    writeFileSync(
      join(folder, 'open api.json'),
      JSON.stringify(oas30({ '/x': { post: { operationId: 'x', requestBody: jsonBody({ $ref: 'schémas/pet record.yaml#/Pet Record' }), responses: noContent } } })),
    );
    writeFileSync(join(folder, 'schémas', 'pet record.yaml'), 'Pet Record:\n  type: object\n  properties:\n    name: {type: string}\n');
    const { catalog, documents } = await loadCatalog(join(folder, 'open api.json'));
    expect(catalog.skipped).toEqual([]);
    expect(inputOf(catalog, 'x').properties).toEqual({ name: { type: 'string' } });
    expect(documents).toHaveLength(2);
  });

  test('a ref into a file that does not exist skips only the operation using it, naming the file', async () => {
    const dir = writeFiles({
      'openapi.json': oas30({
        '/a': { post: { operationId: 'useMissing', requestBody: jsonBody({ $ref: 'schemas/missing.json#/Thing' }), responses: noContent } },
        '/b': { get: { operationId: 'fine', responses: jsonOk({ type: 'object' }) } },
      }),
    });
    const { catalog } = await loadCatalog(join(dir, 'openapi.json'));
    expect(catalog.entries.map((e) => e.tool.name)).toEqual(['fine']);
    expect(skippedFor(catalog, 'POST', '/a')?.reason).toContain('schemas/missing.json');
  });
});

describe('circular refs', () => {
  const recursive = oas30(
    {
      '/nodes': { post: { operationId: 'createNode', requestBody: jsonBody({ $ref: '#/components/schemas/Node' }), responses: jsonOk({ $ref: '#/components/schemas/Node' }) } },
      '/people': { post: { operationId: 'createPerson', requestBody: jsonBody({ $ref: '#/components/schemas/Person' }), responses: noContent } },
      '/plain': { get: { operationId: 'plain', responses: jsonOk({ type: 'object', properties: { ok: { type: 'boolean' } } }) } },
    },
    {
      Node: {
        type: 'object',
        properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } },
      },
      Person: { type: 'object', properties: { name: { type: 'string' }, employer: { $ref: '#/components/schemas/Company' } } },
      Company: { type: 'object', properties: { title: { type: 'string' }, ceo: { $ref: '#/components/schemas/Person' } } },
    },
  );

  test('a self-recursive schema finishes, is cut, and the description says which schema was cut', async () => {
    const catalog = await build(recursive);
    const node = entry(catalog, 'create_node');
    const input = node.tool.inputSchema as Record<string, any>;
    expect(input.properties.label).toEqual({ type: 'string' });
    expect(input.properties.children.type).toBe('array');
    expect(JSON.stringify(input.properties.children.items)).toContain('Node');
    expect(JSON.stringify(input).length).toBeLessThan(2000);
    expect(node.tool.description).toContain('Node');
    expect(node.tool.description).toMatch(/recursive|cycle|circular/i);
    expect(node.tool.description).toMatch(/cut|not expanded/i);
    expect(catalog.warnings.some((w) => w.includes('createNode') && w.includes('Node'))).toBe(true);
    expectWellFormed(catalog);
  }, 5000);

  test('mutual recursion (Person ↔ Company) finishes and names the cut schema', async () => {
    const catalog = await build(recursive);
    const person = entry(catalog, 'create_person');
    const input = person.tool.inputSchema as Record<string, any>;
    expect(input.properties.name).toEqual({ type: 'string' });
    expect(input.properties.employer.properties.title).toEqual({ type: 'string' });
    expect(input.properties.employer.properties.ceo.type).toBe('object');
    expect(person.tool.description).toContain('Person');
    expect(person.tool.description).toMatch(/recursive|cycle|circular/i);
    // an operation without recursion says nothing about it
    expect(entry(catalog, 'plain').tool.description).not.toMatch(/recursive|cycle|circular/i);
  }, 5000);

  test('a cycle that runs through another file and back finishes', async () => {
    const { catalog, documents } = await loadCatalog(join(FIXTURES, 'cross-file-cycle', 'openapi.json'));
    expect(documents).toHaveLength(2);
    const tool = entry(catalog, 'create_category');
    const input = tool.tool.inputSchema as Record<string, any>;
    expect(input.required).toEqual(['name']);
    expect(input.properties.featured.properties.sku).toEqual({ type: 'string' });
    expect(input.properties.featured.properties.category.type).toBe('object');
    expect(tool.tool.description).toContain('Category');
    expectWellFormed(catalog);
  }, 5000);

  test('a schema that is only a ref to itself, or refs round in a circle, becomes "any value" instead of hanging', async () => {
    const catalog = await build(
      oas30(
        { '/x': { post: { operationId: 'loops', requestBody: jsonBody({ type: 'object', properties: { self: { $ref: '#/components/schemas/Self' }, ring: { $ref: '#/components/schemas/A' } } }), responses: noContent } } },
        { Self: { $ref: '#/components/schemas/Self' }, A: { $ref: '#/components/schemas/B' }, B: { $ref: '#/components/schemas/A' } },
      ),
    );
    const input = inputOf(catalog, 'loops');
    expect(input.properties.self.type).toBeUndefined();
    expect(input.properties.ring.type).toBeUndefined();
    expect(input.properties.self.description).toContain('Self');
    expectWellFormed(catalog);
  }, 5000);

  test('a path item whose $ref loops back to itself is skipped with a reason; the rest is built', async () => {
    const catalog = await build(
      oas30({
        '/loop': { $ref: '#/paths/~1loop' },
        '/ok': { get: { operationId: 'ok', responses: noContent } },
      }),
    );
    expect(catalog.entries.map((e) => e.tool.name)).toEqual(['ok']);
    expect(catalog.skipped).toHaveLength(1);
    expect(catalog.skipped[0]!.operation).toContain('/loop');
    expect(catalog.skipped[0]!.reason).toMatch(/loop/i);
  }, 5000);
});

describe('a property literally named $ref', () => {
  const doc = oas30({
    '/links': {
      post: {
        operationId: 'createLink',
        requestBody: jsonBody({
          type: 'object',
          required: ['$ref'],
          properties: { $ref: { type: 'string', description: 'A JSON reference.' }, label: { type: 'string' } },
        }),
        responses: jsonOk({ type: 'object', properties: { $ref: { type: 'string' }, id: { type: 'integer' } } }),
      },
    },
  });

  test('is a body field bound back to the wire name "$ref", required, with its own schema', async () => {
    const catalog = await build(doc);
    expect(catalog.skipped).toEqual([]);
    const tool = entry(catalog, 'create_link');
    const body = tool.target.body;
    if (body?.mode !== 'fields') throw new Error(`expected a fields body, got ${JSON.stringify(body)}`);
    const binding = body.fields.find((f) => f.name === '$ref');
    expect(binding).toBeDefined();
    const input = tool.tool.inputSchema as Record<string, any>;
    expect(input.properties[binding!.argument]).toMatchObject({ type: 'string' });
    expect(input.properties[binding!.argument].description).toContain('A JSON reference.');
    expect(input.required).toEqual([binding!.argument]);
    expect(body.fields.find((f) => f.name === 'label')).toEqual({ argument: 'label', name: 'label' });
    expectWellFormed(catalog);
  });

  test('is kept in the output schema', async () => {
    const catalog = await build(doc);
    expect(outputOf(catalog, 'create_link')).toEqual({ type: 'object', properties: { $ref: { type: 'string' }, id: { type: 'integer' } } });
  });
});
