/**
 * OpenAPI schema dialects → JSON Schema 2020-12: nullable, boolean exclusive bounds, example → examples,
 * tuple items, file, OpenAPI-only keywords; the result always passes the 2020-12 meta-schema.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { accepts, build, entry, expectWellFormed, inputOf, jsonBody, metaSchemaErrors, noContent, oas30, oas31, removeTempDirs } from './helpers';

afterAll(removeTempDirs);

/** Builds a one-operation document whose body has the given properties; returns the tool's input properties. */
async function bodyProperties(properties: Record<string, unknown>, doc: (paths: Record<string, unknown>) => unknown = (p) => oas30(p)) {
  const catalog = await build(doc({ '/x': { post: { operationId: 'x', requestBody: jsonBody({ type: 'object', properties }, false), responses: noContent } } }));
  expectWellFormed(catalog);
  return inputOf(catalog, 'x').properties as Record<string, Record<string, unknown>>;
}

describe('OpenAPI 3.0 nullable', () => {
  test('adds "null" to the type, and to an enum', async () => {
    const props = await bodyProperties({
      nickname: { type: 'string', nullable: true },
      size: { type: 'string', enum: ['s', 'm'], nullable: true },
      plain: { type: 'string', nullable: false },
    });
    expect(props.nickname).toEqual({ type: ['string', 'null'] });
    expect(props.size).toEqual({ type: ['string', 'null'], enum: ['s', 'm', null] });
    expect(props.plain).toEqual({ type: 'string' });
    expect(accepts(props.size, null)).toBe(true);
    expect(accepts(props.size, 'l')).toBe(false);
  });

  test('nullable next to allOf: [$ref] accepts null as well as the referenced object', async () => {
    const catalog = await build(
      oas30(
        { '/x': { post: { operationId: 'x', requestBody: jsonBody({ type: 'object', properties: { owner: { nullable: true, allOf: [{ $ref: '#/components/schemas/Owner' }] } } }), responses: noContent } } },
        { Owner: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
      ),
    );
    const owner = inputOf(catalog, 'x').properties.owner;
    expect(accepts(owner, null)).toBe(true);
    expect(accepts(owner, { name: 'Ada' })).toBe(true);
    expect(accepts(owner, { nope: 1 })).toBe(false);
    expectWellFormed(catalog);
  });

  test('Swagger 2.0 x-nullable does the same', async () => {
    const catalog = await build({
      swagger: '2.0',
      info: { title: 'T', version: '1' },
      paths: { '/x': { post: { operationId: 'x', parameters: [{ name: 'body', in: 'body', schema: { type: 'object', properties: { note: { type: 'string', 'x-nullable': true } } } }], responses: { '204': { description: 'ok' } } } } },
    });
    expect(inputOf(catalog, 'x').properties.note).toEqual({ type: ['string', 'null'] });
  });
});

describe('numeric bounds', () => {
  test('3.0 boolean exclusiveMinimum/exclusiveMaximum become the 2020-12 numbers', async () => {
    const props = await bodyProperties({
      price: { type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 100, exclusiveMaximum: true },
      count: { type: 'integer', minimum: 1, exclusiveMinimum: false, maximum: 10 },
    });
    expect(props.price).toEqual({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 100 });
    expect(props.count).toEqual({ type: 'integer', minimum: 1, maximum: 10 });
    expect(accepts(props.price, 0)).toBe(false);
    expect(accepts(props.price, 0.5)).toBe(true);
    expect(accepts(props.price, 100)).toBe(false);
  });

  test('3.1 numeric exclusiveMinimum is kept as it is', async () => {
    const props = await bodyProperties({ ratio: { type: 'number', exclusiveMinimum: 0, maximum: 1 } }, (p) => oas31(p));
    expect(props.ratio).toEqual({ type: 'number', exclusiveMinimum: 0, maximum: 1 });
  });

  test('values the meta-schema forbids (negative lengths, multipleOf 0) are dropped, valid ones kept', async () => {
    const props = await bodyProperties({
      code: { type: 'string', minLength: -1, maxLength: 8 },
      step: { type: 'number', multipleOf: 0 },
      half: { type: 'number', multipleOf: 0.5 },
    });
    expect(props.code).toEqual({ type: 'string', maxLength: 8 });
    expect(props.step).toEqual({ type: 'number' });
    expect(props.half).toEqual({ type: 'number', multipleOf: 0.5 });
  });
});

describe('examples', () => {
  test('OpenAPI example becomes a one-item examples list; a 3.1 examples list is kept', async () => {
    const props30 = await bodyProperties({ city: { type: 'string', example: 'Lyon' }, zip: { type: 'string', example: '69001' } });
    expect(props30.city).toEqual({ type: 'string', examples: ['Lyon'] });
    expect(props30.zip).toEqual({ type: 'string', examples: ['69001'] });
    const props31 = await bodyProperties({ city: { type: 'string', examples: ['Lyon', 'Nantes'] } }, (p) => oas31(p));
    expect(props31.city).toEqual({ type: 'string', examples: ['Lyon', 'Nantes'] });
  });
});

describe('OpenAPI 3.1 / JSON Schema keywords', () => {
  test('type arrays, const, prefixItems and $ref siblings are kept', async () => {
    const catalog = await build(
      oas31(
        {
          '/x': {
            post: {
              operationId: 'x',
              requestBody: jsonBody({
                type: 'object',
                properties: {
                  maybe: { type: ['integer', 'null'] },
                  kind: { const: 'fixed' },
                  point: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }] },
                  home: { $ref: '#/components/schemas/Address', description: 'Where the user lives.' },
                },
              }),
              responses: noContent,
            },
          },
        },
        { Address: { type: 'object', description: 'A postal address.', properties: { street: { type: 'string' } } } },
      ),
    );
    const props = inputOf(catalog, 'x').properties;
    expect(props.maybe).toEqual({ type: ['integer', 'null'] });
    expect(props.kind).toEqual({ const: 'fixed' });
    expect(props.point).toEqual({ type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }] });
    expect(props.home).toEqual({ type: 'object', description: 'Where the user lives.', properties: { street: { type: 'string' } } });
    expectWellFormed(catalog);
  });

  test('additionalProperties (schema or boolean) and patternProperties are converted', async () => {
    const props = await bodyProperties({
      labels: { type: 'object', additionalProperties: { type: 'string', example: 'v' } },
      closed: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
      byLang: { type: 'object', patternProperties: { '^[a-z]{2}$': { type: 'string' } } },
    });
    expect(props.labels).toEqual({ type: 'object', additionalProperties: { type: 'string', examples: ['v'] } });
    expect(props.closed).toEqual({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false });
    expect(props.byLang).toEqual({ type: 'object', patternProperties: { '^[a-z]{2}$': { type: 'string' } } });
  });
});

describe('OpenAPI-only and unusable pieces', () => {
  test('3.0 tuple-form items become prefixItems', async () => {
    const props = await bodyProperties({ pair: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] } });
    expect(props.pair).toEqual({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }] });
  });

  test('discriminator, xml, externalDocs and x- extensions are not published', async () => {
    const props = await bodyProperties({
      pet: {
        type: 'object',
        discriminator: { propertyName: 'kind' },
        xml: { name: 'Pet' },
        externalDocs: { url: 'https://example.com' },
        'x-internal': true,
        properties: { kind: { type: 'string' } },
      },
    });
    expect(props.pet).toEqual({ type: 'object', properties: { kind: { type: 'string' } } });
  });

  test('a pattern JavaScript cannot compile is dropped; a good one is kept', async () => {
    const props = await bodyProperties({
      slug: { type: 'string', pattern: '^[a-z0-9-]+$' },
      pythonic: { type: 'string', pattern: '(?P<word>\\w+)' },
    });
    expect(props.slug).toEqual({ type: 'string', pattern: '^[a-z0-9-]+$' });
    expect(props.pythonic).toEqual({ type: 'string' });
  });

  test('unknown type names are dropped rather than published', async () => {
    const props = await bodyProperties({ anything: { type: 'any', description: 'Free-form.' } });
    expect(props.anything).toEqual({ description: 'Free-form.' });
  });

  test('Swagger 2.0 type: file becomes a binary string', async () => {
    const catalog = await build({
      swagger: '2.0',
      info: { title: 'T', version: '1' },
      paths: {
        '/upload': {
          post: {
            operationId: 'upload',
            consumes: ['multipart/form-data'],
            parameters: [{ name: 'file', in: 'formData', type: 'file', required: true }],
            responses: { '204': { description: 'ok' } },
          },
        },
      },
    });
    expect(inputOf(catalog, 'upload').properties.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(entry(catalog, 'upload').target.body?.contentType).toBe('multipart/form-data');
  });

  test('a property named __proto__ is a real property and does not change the schema object', async () => {
    const doc = `{"openapi":"3.0.3","info":{"title":"T","version":"1"},"paths":{"/x":{"post":{"operationId":"x","requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{"__proto__":{"type":"string"},"safe":{"type":"integer"}}}}}},"responses":{"204":{"description":"ok"}}}}}}`;
    const catalog = await build(doc);
    const props = inputOf(catalog, 'x').properties;
    expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
    expect(Object.keys(props)).toEqual(['__proto__', 'safe']);
    expect(Object.getOwnPropertyDescriptor(props, '__proto__')?.value).toEqual({ type: 'string' });
    expect(JSON.parse(JSON.stringify(props))).toEqual(JSON.parse('{"__proto__":{"type":"string"},"safe":{"type":"integer"}}'));
    expectWellFormed(catalog);
  });
});

describe('every schema passes the 2020-12 meta-schema', () => {
  const kitchenSink = {
    type: 'object',
    required: ['a'],
    properties: {
      a: { type: 'string', format: 'date-time', minLength: 1, pattern: '^\\d', example: '1' },
      b: { type: 'number', minimum: 0, exclusiveMinimum: true, nullable: true },
      c: { type: 'array', items: { type: 'object', properties: { d: { type: 'integer', default: 3 } } }, minItems: 0, uniqueItems: true },
      e: { oneOf: [{ type: 'string' }, { type: 'integer' }], discriminator: { propertyName: 'x' } },
      f: { allOf: [{ type: 'object', properties: { g: { type: 'boolean' } } }, { required: ['g'] }] },
      h: { not: { type: 'null' } },
      i: { type: 'object', additionalProperties: { type: 'array', items: [{ type: 'string' }] } },
    },
  };

  for (const [label, doc] of [
    ['3.0', oas30({ '/k': { put: { operationId: 'k', requestBody: jsonBody(kitchenSink), responses: { '200': { description: 'ok', content: { 'application/json': { schema: kitchenSink } } } } } } })],
    ['3.1', oas31({ '/k': { put: { operationId: 'k', requestBody: jsonBody(kitchenSink), responses: { '200': { description: 'ok', content: { 'application/json': { schema: kitchenSink } } } } } } })],
  ] as const) {
    test(`a kitchen-sink ${label} schema yields valid input and output schemas`, async () => {
      const catalog = await build(doc);
      expect(catalog.skipped).toEqual([]);
      const { tool } = entry(catalog, 'k');
      expect(metaSchemaErrors(tool.inputSchema)).toBeNull();
      expect(metaSchemaErrors(tool.outputSchema)).toBeNull();
      expect(tool.outputSchema).toBeDefined();
      expect(accepts(tool.inputSchema, { a: '1x', f: { g: true } })).toBe(true);
    });
  }
});
