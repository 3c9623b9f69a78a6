/**
 * Swagger 2.0, OpenAPI 3.0 and 3.1 describe the same API the same way to clients; Swagger 2.0's own
 * constructs (body/formData parameters, collectionFormat, host + basePath) map onto the OpenAPI 3 model.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { build, entry, expectWellFormed, inputOf, removeTempDirs } from './helpers';

afterAll(removeTempDirs);

const swagger2 = {
  swagger: '2.0',
  info: { title: 'Pets', version: '2.1.0' },
  host: 'api.example.com',
  basePath: '/v1',
  schemes: ['http', 'https'],
  consumes: ['application/json'],
  produces: ['application/json'],
  paths: {
    '/pets': {
      get: {
        operationId: 'listPets',
        parameters: [{ name: 'limit', in: 'query', type: 'integer', maximum: 100, description: 'Page size.' }],
        responses: { '200': { description: 'ok', schema: { type: 'array', items: { $ref: '#/definitions/Pet' } } } },
      },
      post: {
        operationId: 'createPet',
        parameters: [{ name: 'pet', in: 'body', required: true, schema: { $ref: '#/definitions/Pet' } }],
        responses: { '201': { description: 'created', schema: { $ref: '#/definitions/Pet' } } },
      },
    },
    '/pets/{petId}': {
      get: {
        operationId: 'getPet',
        parameters: [{ name: 'petId', in: 'path', required: true, type: 'string' }],
        responses: { '200': { description: 'ok', schema: { $ref: '#/definitions/Pet' } } },
      },
    },
  },
  definitions: {
    Pet: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' }, tag: { type: 'string', 'x-nullable': true } },
    },
  },
};

const pet30 = { type: 'object', required: ['name'], properties: { name: { type: 'string' }, tag: { type: 'string', nullable: true } } };
const oas3 = (openapi: string, pet: unknown) => ({
  openapi,
  info: { title: 'Pets', version: '2.1.0' },
  servers: [{ url: 'https://api.example.com/v1' }],
  paths: {
    '/pets': {
      get: {
        operationId: 'listPets',
        parameters: [{ name: 'limit', in: 'query', description: 'Page size.', schema: { type: 'integer', maximum: 100 } }],
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Pet' } } } } } },
      },
      post: {
        operationId: 'createPet',
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } },
        responses: { '201': { description: 'created', content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } } },
      },
    },
    '/pets/{petId}': {
      get: {
        operationId: 'getPet',
        parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } } },
      },
    },
  },
  components: { schemas: { Pet: pet } },
});
const oas30doc = oas3('3.0.3', pet30);
const oas31doc = oas3('3.1.0', { ...pet30, properties: { name: { type: 'string' }, tag: { type: ['string', 'null'] } } });

describe('the same API in three dialects', () => {
  const expected = {
    list_pets: {
      input: { type: 'object', properties: { limit: { type: 'integer', maximum: 100, description: 'Page size.' } }, additionalProperties: false },
      output: {
        type: 'object',
        properties: { result: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, tag: { type: ['string', 'null'] } } } } },
        required: ['result'],
      },
    },
    create_pet: {
      input: { type: 'object', properties: { name: { type: 'string' }, tag: { type: ['string', 'null'] } }, required: ['name'], additionalProperties: false },
      output: { type: 'object', properties: { name: { type: 'string' }, tag: { type: ['string', 'null'] } } },
    },
    get_pet: {
      input: { type: 'object', properties: { petId: { type: 'string', minLength: 1 } }, required: ['petId'], additionalProperties: false },
      output: { type: 'object', properties: { name: { type: 'string' }, tag: { type: ['string', 'null'] } } },
    },
  };

  for (const [label, doc, specVersion] of [
    ['Swagger 2.0', swagger2, '2.0'],
    ['OpenAPI 3.0', oas30doc, '3.0.3'],
    ['OpenAPI 3.1', oas31doc, '3.1.0'],
  ] as const) {
    test(`${label} gives the same tools, schemas and targets`, async () => {
      const catalog = await build(doc);
      expect(catalog).toMatchObject({ title: 'Pets', version: '2.1.0', specVersion, operationCount: 3, skipped: [] });
      expect(catalog.entries.map((e) => e.tool.name).sort()).toEqual(['create_pet', 'get_pet', 'list_pets']);
      for (const [name, { input, output }] of Object.entries(expected)) {
        const { tool, target } = entry(catalog, name);
        expect({ name, input: tool.inputSchema as unknown, output: tool.outputSchema as unknown }).toEqual({ name, input, output });
        expect(target.serverUrl).toBe('https://api.example.com/v1');
      }
      expect(entry(catalog, 'create_pet').target.body).toEqual({
        mode: 'fields',
        contentType: 'application/json',
        required: true,
        fields: [
          { argument: 'name', name: 'name' },
          { argument: 'tag', name: 'tag' },
        ],
      });
      // Swagger 2.0's default collectionFormat is csv (explode false); OpenAPI 3's form style explodes
      const explode = label !== 'Swagger 2.0';
      expect(entry(catalog, 'list_pets').target.parameters).toEqual([{ argument: 'limit', name: 'limit', in: 'query', required: false, style: 'form', explode }]);
      expectWellFormed(catalog);
    });
  }
});

describe('Swagger 2.0 specifics', () => {
  const doc = (paths: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ swagger: '2.0', info: { title: 'T', version: '1' }, paths, ...extra });
  const ok = { '204': { description: 'ok' } };

  test('formData parameters become a form body (urlencoded), with required fields', async () => {
    const catalog = await build(
      doc({
        '/login': {
          post: {
            operationId: 'login',
            consumes: ['application/x-www-form-urlencoded'],
            parameters: [
              { name: 'username', in: 'formData', type: 'string', required: true },
              { name: 'remember', in: 'formData', type: 'boolean', default: false },
            ],
            responses: ok,
          },
        },
      }),
    );
    const { tool, target } = entry(catalog, 'login');
    expect(tool.inputSchema.required).toEqual(['username']);
    expect(Object.keys(tool.inputSchema.properties!)).toEqual(['username', 'remember']);
    expect((tool.inputSchema.properties as Record<string, unknown>).remember).toMatchObject({ type: 'boolean', default: false });
    expect(target.body).toEqual({
      mode: 'fields',
      contentType: 'application/x-www-form-urlencoded',
      required: true,
      fields: [
        { argument: 'username', name: 'username' },
        { argument: 'remember', name: 'remember' },
      ],
    });
    expectWellFormed(catalog);
  });

  test('collectionFormat maps to style/explode; items, enum, default and x-example are kept', async () => {
    const catalog = await build(
      doc({
        '/search': {
          get: {
            operationId: 'search',
            parameters: [
              { name: 'ids', in: 'query', type: 'array', items: { type: 'integer' }, collectionFormat: 'multi' },
              { name: 'tags', in: 'query', type: 'array', items: { type: 'string' } },
              { name: 'sizes', in: 'query', type: 'array', items: { type: 'string', enum: ['s', 'l'] }, collectionFormat: 'pipes' },
              { name: 'sort', in: 'query', type: 'string', enum: ['asc', 'desc'], default: 'asc', 'x-example': 'desc' },
              { name: 'X-Tenant', in: 'header', type: 'string', required: true },
            ],
            responses: ok,
          },
        },
      }),
    );
    const { target } = entry(catalog, 'search');
    expect(target.parameters.map((p) => [p.name, p.in, p.style, p.explode, p.required])).toEqual([
      ['ids', 'query', 'form', true, false],
      ['tags', 'query', 'form', false, false],
      ['sizes', 'query', 'pipeDelimited', false, false],
      ['sort', 'query', 'form', false, false],
      ['X-Tenant', 'header', 'simple', false, true],
    ]);
    const props = inputOf(catalog, 'search').properties;
    expect(props.ids).toEqual({ type: 'array', items: { type: 'integer' } });
    expect(props.sizes).toEqual({ type: 'array', items: { type: 'string', enum: ['s', 'l'] } });
    expect(props.sort).toEqual({ type: 'string', enum: ['asc', 'desc'], default: 'asc', examples: ['desc'] });
    expect(inputOf(catalog, 'search').required).toEqual(['X-Tenant']);
  });

  test('refs to root-level parameters, responses and definitions are followed', async () => {
    const catalog = await build(
      doc(
        { '/pets': { get: { operationId: 'listPets', parameters: [{ $ref: '#/parameters/Limit' }], responses: { '200': { $ref: '#/responses/PetList' } } } } },
        {
          parameters: { Limit: { name: 'limit', in: 'query', type: 'integer', minimum: 1, description: 'At most this many.' } },
          responses: { PetList: { description: 'ok', schema: { type: 'array', items: { $ref: '#/definitions/Pet' } } } },
          definitions: { Pet: { type: 'object', properties: { name: { type: 'string' } } } },
        },
      ),
    );
    expect(inputOf(catalog, 'list_pets').properties).toEqual({ limit: { type: 'integer', minimum: 1, description: 'At most this many.' } });
    expect(entry(catalog, 'list_pets').tool.outputSchema?.properties?.result).toEqual({ type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } });
  });

  test('a path parameter is required even when the document forgets to say so', async () => {
    const catalog = await build(doc({ '/u/{id}': { get: { operationId: 'getU', parameters: [{ name: 'id', in: 'path', type: 'string' }], responses: ok } } }));
    expect(inputOf(catalog, 'get_u').required).toEqual(['id']);
  });

  test('server URL: https preferred among schemes; no host means relative to where the document lives', async () => {
    const withHost = await build(doc({ '/x': { get: { operationId: 'x', responses: ok } } }, { host: 'h.example.com:8443', basePath: '/api/', schemes: ['http', 'https'] }));
    expect(entry(withHost, 'x').target.serverUrl).toBe('https://h.example.com:8443/api');
    const httpOnly = await build(doc({ '/x': { get: { operationId: 'x', responses: ok } } }, { host: 'h.example.com', schemes: ['http'] }));
    expect(entry(httpOnly, 'x').target.serverUrl).toBe('http://h.example.com');
    const noHost = await build(doc({ '/x': { get: { operationId: 'x', responses: ok } } }, { basePath: '/api' }));
    expect(entry(noHost, 'x').target.serverUrl).toBe('/api');
  });
});

describe('OpenAPI 3 servers', () => {
  test('server variables take their defaults; an operation-level server wins over the document one', async () => {
    const catalog = await build({
      openapi: '3.0.3',
      info: { title: 'T', version: '1' },
      servers: [{ url: 'https://{region}.api.example.com/{base}/', variables: { region: { default: 'eu', enum: ['eu', 'us'] }, base: { default: 'v2' } } }],
      paths: {
        '/a': { get: { operationId: 'a', responses: { '204': { description: 'ok' } } } },
        '/b': { get: { operationId: 'b', servers: [{ url: 'https://uploads.example.com' }], responses: { '204': { description: 'ok' } } } },
      },
    });
    expect(entry(catalog, 'a').target.serverUrl).toBe('https://eu.api.example.com/v2');
    expect(entry(catalog, 'b').target.serverUrl).toBe('https://uploads.example.com');
  });
});
