/**
 * The input schema: one flat 2020-12 object of path, query, header and cookie parameters and the body's
 * fields, with `required` right, names disambiguated and every argument bound back to its wire name.
 */
import { BASE64_PATTERN } from '../../src/catalog/schema';
import { afterAll, describe, expect, test } from 'bun:test';
import { accepts, build, entry, expectWellFormed, inputOf, jsonBody, noContent, oas30, removeTempDirs } from './helpers';

afterAll(removeTempDirs);

const ARGUMENT = /^[a-zA-Z0-9_.-]{1,64}$/;

describe('one flat object', () => {
  const doc = oas30({
    '/orgs/{org}/members': {
      post: {
        operationId: 'addMember',
        parameters: [
          { name: 'session', in: 'cookie', schema: { type: 'string' } },
          { name: 'X-Request-Id', in: 'header', required: true, schema: { type: 'string' } },
          { name: 'notify', in: 'query', schema: { type: 'boolean' } },
          { name: 'org', in: 'path', required: true, schema: { type: 'string' } },
        ],
        requestBody: jsonBody({
          type: 'object',
          required: ['login'],
          properties: { login: { type: 'string' }, role: { type: 'string', enum: ['member', 'admin'] } },
        }),
        responses: noContent,
      },
    },
  });

  test('holds every parameter location and the body fields, bound to where they travel', async () => {
    const catalog = await build(doc);
    const { tool, target } = entry(catalog, 'add_member');
    expect(tool.inputSchema).toEqual({
      type: 'object',
      properties: {
        org: { type: 'string', minLength: 1 },
        notify: { type: 'boolean' },
        'X-Request-Id': { type: 'string', minLength: 1 },
        session: { type: 'string', minLength: 1 },
        login: { type: 'string' },
        role: { type: 'string', enum: ['member', 'admin'] },
      },
      required: ['org', 'X-Request-Id', 'login'],
      additionalProperties: false,
    });
    expect(target.parameters.map(({ argument, name, in: location, required }) => ({ argument, name, in: location, required }))).toEqual([
      { argument: 'org', name: 'org', in: 'path', required: true },
      { argument: 'notify', name: 'notify', in: 'query', required: false },
      { argument: 'X-Request-Id', name: 'X-Request-Id', in: 'header', required: true },
      { argument: 'session', name: 'session', in: 'cookie', required: false },
    ]);
    expect(target.body).toEqual({
      mode: 'fields',
      contentType: 'application/json',
      required: true,
      fields: [
        { argument: 'login', name: 'login' },
        { argument: 'role', name: 'role' },
      ],
    });
    expectWellFormed(catalog);
  });

  test('validates real arguments: accepts a good call, rejects a missing required one and an unknown one', async () => {
    const input = inputOf(await build(doc), 'add_member');
    expect(accepts(input, { org: 'acme', 'X-Request-Id': 'r1', login: 'ada' })).toBe(true);
    expect(accepts(input, { org: 'acme', 'X-Request-Id': 'r1' })).toBe(false);
    expect(accepts(input, { org: 'acme', 'X-Request-Id': 'r1', login: 'ada', role: 'owner' })).toBe(false);
    expect(accepts(input, { org: 'acme', 'X-Request-Id': 'r1', login: 'ada', nonsense: 1 })).toBe(false);
  });

  test('query style/explode defaults to form/true, path and header to simple/false, and an explicit style is kept', async () => {
    const catalog = await build(
      oas30({
        '/items/{id}': {
          get: {
            operationId: 'getItem',
            parameters: [
              { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
              { name: 'filter', in: 'query', style: 'deepObject', explode: true, schema: { type: 'object' } },
              { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
            ],
            responses: noContent,
          },
        },
      }),
    );
    expect(entry(catalog, 'get_item').target.parameters.map((p) => [p.name, p.style, p.explode])).toEqual([
      ['id', 'simple', false],
      ['filter', 'deepObject', true],
      ['tags', 'form', true],
    ]);
  });

  test('an operation parameter overrides the path-item parameter with the same name and location', async () => {
    const catalog = await build(
      oas30({
        '/logs': {
          parameters: [
            { name: 'limit', in: 'query', description: 'Path-level.', schema: { type: 'integer' } },
            { name: 'limit', in: 'header', schema: { type: 'string' } },
          ],
          get: { operationId: 'listLogs', parameters: [{ name: 'limit', in: 'query', required: true, description: 'Operation-level.', schema: { type: 'integer', maximum: 50 } }], responses: noContent },
        },
      }),
    );
    const { tool, target } = entry(catalog, 'list_logs');
    expect(target.parameters.map((p) => [p.name, p.in, p.required])).toEqual([
      ['limit', 'query', true],
      ['limit', 'header', false],
    ]);
    const query = target.parameters[0]!.argument;
    expect((tool.inputSchema.properties as Record<string, unknown>)[query]).toEqual({ type: 'integer', maximum: 50, description: 'Operation-level.' });
    expect(tool.inputSchema.required).toEqual([query]);
    expect(new Set(target.parameters.map((p) => p.argument)).size).toBe(2);
  });

  test('Accept, Content-Type and Authorization header parameters are ignored, as OpenAPI says', async () => {
    const catalog = await build(
      oas30({
        '/x': {
          get: {
            operationId: 'x',
            parameters: ['Accept', 'Content-Type', 'Authorization', 'X-Api-Version'].map((name) => ({ name, in: 'header', schema: { type: 'string' } })),
            responses: noContent,
          },
        },
      }),
    );
    expect(Object.keys(inputOf(catalog, 'x').properties)).toEqual(['X-Api-Version']);
  });

  test('a parameter described by content instead of schema uses the media type schema', async () => {
    const catalog = await build(
      oas30({
        '/search': {
          get: {
            operationId: 'search',
            parameters: [{ name: 'q', in: 'query', content: { 'application/json': { schema: { type: 'object', properties: { term: { type: 'string' } } } } } }],
            responses: noContent,
          },
        },
      }),
    );
    expect(inputOf(catalog, 'search').properties.q).toEqual({ type: 'object', properties: { term: { type: 'string' } } });
  });
});

describe('bodies', () => {
  const pet = { type: 'object', required: ['name'], properties: { name: { type: 'string' }, age: { type: 'integer' } } };

  test('allOf is merged into one object: properties and required of every branch', async () => {
    const catalog = await build(
      oas30(
        { '/dogs': { post: { operationId: 'createDog', requestBody: jsonBody({ allOf: [{ $ref: '#/components/schemas/Pet' }, { type: 'object', required: ['breed'], properties: { breed: { type: 'string' } } }] }), responses: noContent } } },
        { Pet: pet },
      ),
    );
    const input = inputOf(catalog, 'create_dog');
    expect(input.allOf).toBeUndefined();
    expect(input.properties).toEqual({ name: { type: 'string' }, age: { type: 'integer' }, breed: { type: 'string' } });
    expect([...input.required].sort()).toEqual(['breed', 'name']);
    expect(entry(catalog, 'create_dog').target.body).toMatchObject({ mode: 'fields' });
    expectWellFormed(catalog);
  });

  for (const keyword of ['oneOf', 'anyOf'] as const) {
    test(`a ${keyword} body becomes one "body" property; ${keyword} never sits at the top level`, async () => {
      const variants = [{ $ref: '#/components/schemas/Cat' }, { $ref: '#/components/schemas/Dog' }];
      const catalog = await build(
        oas30(
          { '/pets': { post: { operationId: 'createPet', parameters: [{ name: 'dry', in: 'query', schema: { type: 'boolean' } }], requestBody: jsonBody({ [keyword]: variants }), responses: noContent } } },
          { Cat: { type: 'object', properties: { meows: { type: 'boolean' } } }, Dog: { type: 'object', properties: { barks: { type: 'boolean' } } } },
        ),
      );
      const { tool, target } = entry(catalog, 'create_pet');
      const input = tool.inputSchema as Record<string, any>;
      for (const top of ['oneOf', 'anyOf', 'allOf', 'not', '$ref']) expect(input[top]).toBeUndefined();
      expect(input.type).toBe('object');
      expect(Object.keys(input.properties)).toEqual(['dry', 'body']);
      expect(input.properties.body[keyword]).toEqual([
        { type: 'object', properties: { meows: { type: 'boolean' } } },
        { type: 'object', properties: { barks: { type: 'boolean' } } },
      ]);
      expect(input.required).toEqual(['body']);
      expect(target.body).toEqual({ mode: 'whole', contentType: 'application/json', required: true, argument: 'body' });
      expectWellFormed(catalog);
    });
  }

  test('an array body and a text body each become one property "body"', async () => {
    const catalog = await build(
      oas30({
        '/batch': { post: { operationId: 'batch', requestBody: jsonBody({ type: 'array', items: { type: 'integer' } }, false), responses: noContent } },
        '/note': { put: { operationId: 'putNote', requestBody: { required: true, description: 'The note text.', content: { 'text/plain': { schema: { type: 'string' } } } }, responses: noContent } },
      }),
    );
    const batch = entry(catalog, 'batch');
    expect(batch.tool.inputSchema.properties).toEqual({ body: { type: 'array', items: { type: 'integer' }, description: 'The request body (application/json).' } });
    expect(batch.tool.inputSchema.required).toBeUndefined();
    expect(batch.target.body).toEqual({ mode: 'whole', contentType: 'application/json', required: false, argument: 'body' });
    const note = entry(catalog, 'put_note');
    expect(note.tool.inputSchema.properties).toEqual({ body: { type: 'string', description: 'The note text.' } });
    expect(note.tool.inputSchema.required).toEqual(['body']);
    expect(note.target.body).toMatchObject({ mode: 'whole', contentType: 'text/plain', argument: 'body' });
  });

  test('an optional request body makes none of its fields required; a required one keeps them', async () => {
    const catalog = await build(
      oas30({
        '/optional': { patch: { operationId: 'optionalBody', requestBody: jsonBody(pet, false), responses: noContent } },
        '/required': { patch: { operationId: 'requiredBody', requestBody: jsonBody(pet, true), responses: noContent } },
      }),
    );
    expect(inputOf(catalog, 'optional_body').required).toBeUndefined();
    expect(entry(catalog, 'optional_body').target.body?.required).toBe(false);
    expect(inputOf(catalog, 'required_body').required).toEqual(['name']);
    expect(accepts(inputOf(catalog, 'optional_body'), {})).toBe(true);
    expect(accepts(inputOf(catalog, 'required_body'), {})).toBe(false);
  });

  test('readOnly properties are left out of request bodies (nested ones too) and out of required; writeOnly stay', async () => {
    const catalog = await build(
      oas30({
        '/users': {
          post: {
            operationId: 'createUser',
            requestBody: jsonBody({
              type: 'object',
              required: ['id', 'email', 'password'],
              properties: {
                id: { type: 'string', readOnly: true },
                email: { type: 'string' },
                password: { type: 'string', writeOnly: true },
                profile: { type: 'object', required: ['createdAt'], properties: { createdAt: { type: 'string', readOnly: true }, bio: { type: 'string' } } },
              },
            }),
            responses: noContent,
          },
        },
      }),
    );
    const input = inputOf(catalog, 'create_user');
    expect(Object.keys(input.properties)).toEqual(['email', 'password', 'profile']);
    expect(input.required).toEqual(['email', 'password']);
    expect(input.properties.profile).toEqual({ type: 'object', properties: { bio: { type: 'string' } } });
    const body = entry(catalog, 'create_user').target.body;
    expect(body?.mode === 'fields' && body.fields.map((f) => f.name)).toEqual(['email', 'password', 'profile']);
  });
});

describe('names in two places', () => {
  test('a path "id", a query "id" and a body field "id" get three distinct, clear names bound to the wire name "id"', async () => {
    const catalog = await build(
      oas30({
        '/things/{id}': {
          put: {
            operationId: 'updateThing',
            parameters: [
              { name: 'id', in: 'path', required: true, schema: { type: 'integer' } },
              { name: 'id', in: 'query', schema: { type: 'string' } },
            ],
            requestBody: jsonBody({ type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' }, label: { type: 'string' } } }),
            responses: noContent,
          },
        },
      }),
    );
    const { tool, target } = entry(catalog, 'update_thing');
    const input = tool.inputSchema as Record<string, any>;
    const pathArg = target.parameters.find((p) => p.in === 'path')!;
    const queryArg = target.parameters.find((p) => p.in === 'query')!;
    const body = target.body!;
    if (body.mode !== 'fields') throw new Error('expected a fields body');
    const bodyArg = body.fields.find((f) => f.name === 'id')!;
    expect([pathArg.name, queryArg.name, bodyArg.name]).toEqual(['id', 'id', 'id']);
    const args = [pathArg.argument, queryArg.argument, bodyArg.argument];
    expect(new Set(args).size).toBe(3);
    for (const argument of args) {
      expect(argument).toMatch(ARGUMENT);
      expect(argument).toContain('id');
    }
    expect(queryArg.argument).toContain('query');
    expect(bodyArg.argument).toContain('body');
    expect(input.properties[pathArg.argument]).toMatchObject({ type: 'integer' });
    expect(input.properties[queryArg.argument]).toMatchObject({ type: 'string' });
    expect(input.properties[bodyArg.argument]).toMatchObject({ type: 'string', format: 'uuid' });
    expect(body.fields.find((f) => f.name === 'label')).toEqual({ argument: 'label', name: 'label' });
    expect([...input.required].sort()).toEqual([pathArg.argument, bodyArg.argument].sort());
    expect(Object.keys(input.properties).sort()).toEqual([...args, 'label'].sort());
    expectWellFormed(catalog);
  });

  test('a parameter name clients reject (filter[status]) gets a valid argument name, bound to the wire name', async () => {
    const catalog = await build(
      oas30({ '/orders': { get: { operationId: 'listOrders', parameters: [{ name: 'filter[status]', in: 'query', schema: { type: 'string' } }], responses: noContent } } }),
    );
    const binding = entry(catalog, 'list_orders').target.parameters[0]!;
    expect(binding.name).toBe('filter[status]');
    expect(binding.argument).toMatch(ARGUMENT);
    expect(Object.keys(inputOf(catalog, 'list_orders').properties)).toEqual([binding.argument]);
  });

  test('a field named like an Object.prototype member (constructor, toString) keeps its own name', async () => {
    const catalog = await build(
      oas30({
        '/cars': {
          post: {
            operationId: 'createCar',
            parameters: [{ name: 'toString', in: 'query', schema: { type: 'boolean' } }],
            requestBody: jsonBody({ type: 'object', properties: { constructor: { type: 'string' }, model: { type: 'string' } } }),
            responses: noContent,
          },
        },
      }),
    );
    expect(Object.keys(inputOf(catalog, 'create_car').properties)).toEqual(['toString', 'constructor', 'model']);
  });
});

describe('parameter details are kept', () => {
  test('description, enum, default, format, examples and deprecated', async () => {
    const catalog = await build(
      oas30({
        '/reports': {
          get: {
            operationId: 'listReports',
            parameters: [
              { name: 'status', in: 'query', description: 'Only reports in this state.', schema: { type: 'string', enum: ['draft', 'final'], default: 'final' } },
              { name: 'since', in: 'query', description: 'Start date.', example: '2024-01-31', schema: { type: 'string', format: 'date' } },
              { name: 'limit', in: 'query', examples: { small: { value: 5 }, large: { value: 500 } }, schema: { type: 'integer', format: 'int32' } },
              { name: 'page', in: 'query', deprecated: true, schema: { type: 'integer', example: 2 } },
            ],
            responses: noContent,
          },
        },
      }),
    );
    expect(inputOf(catalog, 'list_reports').properties).toEqual({
      status: { type: 'string', enum: ['draft', 'final'], default: 'final', description: 'Only reports in this state.' },
      since: { type: 'string', format: 'date', minLength: 1, description: 'Start date.', examples: ['2024-01-31'] },
      limit: { type: 'integer', format: 'int32', examples: [5, 500] },
      page: { type: 'integer', examples: [2], deprecated: true },
    });
    expectWellFormed(catalog);
  });
});

describe('file uploads', () => {
  test('a binary field says it takes base64, which is what the proxy sends as bytes', async () => {
    const catalog = await build(
      oas30({
        '/files': {
          post: {
            operationId: 'upload',
            requestBody: { content: { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary', description: 'The file' } } } } } },
            responses: {},
          },
        },
      }),
    );
    expect(entry(catalog, 'upload').tool.inputSchema.properties!.file).toEqual({
      type: 'string',
      format: 'binary',
      contentEncoding: 'base64',
      pattern: BASE64_PATTERN,
      description: 'The file (file content, base64-encoded)',
    });
  });
});
